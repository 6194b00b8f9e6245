import { ValueError } from '@nablajs/core';
import type { HyperValue } from './types';

/** Bounds for {@link checkNumber}. */
export interface NumberBounds {
  /** Lowest allowed value. */
  min?: number;
  /** Highest allowed value. */
  max?: number;
  /** Whether `min` itself is allowed (default true). */
  minInclusive?: boolean;
  /** Whether `max` itself is allowed (default true). */
  maxInclusive?: boolean;
  /** Require an integer. */
  integer?: boolean;
}

function describe(b: NumberBounds): string {
  const lo = b.min === undefined ? '(-inf' : `${b.minInclusive === false ? '(' : '['}${b.min}`;
  const hi = b.max === undefined ? 'inf)' : `${b.max}${b.maxInclusive === false ? ')' : ']'}`;
  return `${b.integer ? 'an integer ' : ''}in ${lo}, ${hi}`;
}

/**
 * Throw a `ValueError` like `adam: betas[1] must be in [0, 1), got 1.5` unless `value` is a finite
 * number within `bounds`. Returns the value.
 *
 * @example
 * ```ts
 * checkNumber('adam', 'eps', hp.eps, { min: 0 });
 * ```
 */
export function checkNumber(fn: string, name: string, value: unknown, bounds: NumberBounds = {}): number {
  const ok =
    typeof value === 'number' &&
    !Number.isNaN(value) &&
    (bounds.integer ? Number.isInteger(value) : true) &&
    (bounds.min === undefined || (bounds.minInclusive === false ? value > bounds.min : value >= bounds.min)) &&
    (bounds.max === undefined || (bounds.maxInclusive === false ? value < bounds.max : value <= bounds.max));
  if (!ok)
    throw new ValueError(
      // A value that is not a number at all (a string from a config file, say) is told so, not given a range.
      `${fn}: ${name} must be ${typeof value === 'number' ? '' : 'a number '}${describe(bounds)}, got ${format(value)}`,
    );
  return value as number;
}

/**
 * Throw a `ValueError` unless `value` is a boolean.
 *
 * @example
 * ```ts
 * checkBoolean('sgd', 'nesterov', hp.nesterov);
 * ```
 */
export function checkBoolean(fn: string, name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new ValueError(`${fn}: ${name} must be true or false, got ${format(value)}`);
  return value;
}

/**
 * Throw a `ValueError` unless `value` is an array of `length` numbers, each within `bounds` (the
 * message names the element: `betas[1]`).
 *
 * @example
 * ```ts
 * checkTuple('adam', 'betas', hp.betas, 2, { min: 0, max: 1, maxInclusive: false });
 * ```
 */
export function checkTuple(
  fn: string,
  name: string,
  value: unknown,
  length: number,
  bounds: NumberBounds = {},
): number[] {
  if (!Array.isArray(value) || value.length !== length)
    throw new ValueError(`${fn}: ${name} must be an array of ${length} numbers, got ${format(value)}`);
  return value.map((v, i) => checkNumber(fn, `${name}[${i}]`, v, bounds));
}

function format(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (value === undefined) return 'undefined';
  return JSON.stringify(value as HyperValue) ?? String(value);
}
