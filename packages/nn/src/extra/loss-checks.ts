// Option checks shared by the losses of issue 15. Messages name the function, the option and the value.
import { ValueError } from '@nablajs/core';

/** Throw a ValueError naming `fn` and `name` unless `value` is a boolean. */
export function checkBoolean(fn: string, name: string, value: unknown): boolean {
  if (typeof value !== 'boolean')
    throw new ValueError(`${fn}: ${name} must be a boolean, got ${JSON.stringify(value)}`);
  return value;
}

/** Throw a ValueError naming `fn` and `name` unless `value` is a finite number. */
export function checkFiniteNumber(fn: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new ValueError(`${fn}: ${name} must be a finite number, got ${JSON.stringify(value)}`);
  return value;
}
