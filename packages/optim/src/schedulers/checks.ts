// The argument checks of the schedulers' factories: each throws a ValueError naming the factory and the
// option (`stepLR: gamma must be a positive number, got 0`), with the value as the caller gave it.
import { ValueError } from '@nablajs/core';

/** Format a value for an error message. */
export function show(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return 'a function';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Throw `fn: name must be a positive integer, got x` unless `value` is an integer >= 1. */
export function positiveInt(fn: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1)
    throw new ValueError(`${fn}: ${name} must be a positive integer, got ${show(value)}`);
  return value;
}

/** Throw unless `value` is an integer >= 0. */
export function nonNegativeInt(fn: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0)
    throw new ValueError(`${fn}: ${name} must be a non-negative integer, got ${show(value)}`);
  return value;
}

/** Throw unless `value` is a finite number. */
export function finite(fn: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new ValueError(`${fn}: ${name} must be a finite number, got ${show(value)}`);
  return value;
}

/** Throw unless `value` is a finite number > 0. */
export function positive(fn: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
    throw new ValueError(`${fn}: ${name} must be a positive number, got ${show(value)}`);
  return value;
}

/** Throw unless `value` is a finite number >= 0. */
export function nonNegative(fn: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
    throw new ValueError(`${fn}: ${name} must be a non-negative number, got ${show(value)}`);
  return value;
}

/** Throw unless `value` is a number in `[lo, hi]`, with `(lo` when `loOpen` and `hi)` when `hiOpen`. */
export function inRange(
  fn: string,
  name: string,
  value: unknown,
  lo: number,
  hi: number,
  loOpen = false,
  hiOpen = false,
) {
  const ok =
    typeof value === 'number' &&
    (loOpen ? value > lo : value >= lo) &&
    (hiOpen ? value < hi : value <= hi) &&
    !Number.isNaN(value);
  if (!ok)
    throw new ValueError(
      `${fn}: ${name} must be in ${loOpen ? '(' : '['}${lo}, ${hi}${hiOpen ? ')' : ']'}, got ${show(value)}`,
    );
  return value as number;
}

/** Throw unless `value` is a boolean. */
export function bool(fn: string, name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new ValueError(`${fn}: ${name} must be true or false, got ${show(value)}`);
  return value;
}

/** Throw unless `value` is one of `choices`. */
export function oneOf<T extends string>(fn: string, name: string, value: unknown, choices: readonly T[]): T {
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value))
    throw new ValueError(
      `${fn}: ${name} must be one of ${choices.map((c) => `'${c}'`).join(', ')}, got ${show(value)}`,
    );
  return value as T;
}

/** Throw unless `value` is a function. */
export function func<F>(fn: string, name: string, value: unknown): F {
  if (typeof value !== 'function') throw new ValueError(`${fn}: ${name} must be a function, got ${show(value)}`);
  return value as F;
}
