import { type DType, type Generator, ValueError } from '@nablajs/core';

/** A shape as nabla's messages print it: `[2,3]`. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

/** Throw a ValueError unless `value` is an integer >= `min`; `fn` and `arg` name the caller. */
export function checkInteger(fn: string, arg: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min)
    throw new ValueError(`${fn}: ${arg} must be an integer >= ${min}, got ${String(value)}`);
  return value;
}

/** Throw a ValueError unless `value` is a finite number >= 0; `fn` and `arg` name the caller. */
export function checkNonNegative(fn: string, arg: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
    throw new ValueError(`${fn}: ${arg} must be a finite number >= 0, got ${String(value)}`);
  return value;
}

/** Throw a ValueError unless `dtype` is a floating-point dtype. */
export function checkFloatDType(fn: string, dtype: unknown): 'float32' | 'float64' {
  if (dtype !== 'float32' && dtype !== 'float64')
    throw new ValueError(`${fn}: dtype must be 'float32' or 'float64', got ${JSON.stringify(dtype)}`);
  return dtype;
}

/** Throw a ValueError unless `generator` is undefined or has the methods of core's Generator. */
export function checkGenerator(fn: string, generator: unknown): Generator | undefined {
  if (generator === undefined) return undefined;
  const g = generator as Generator;
  if (typeof g !== 'object' || g === null || typeof g.uniform !== 'function' || typeof g.normal !== 'function')
    throw new ValueError(`${fn}: generator must be a Generator from @nablajs/core`);
  return g;
}

/** The float element type of a typed array created for `dtype`. */
export function floatArray(dtype: DType, size: number): Float32Array | Float64Array {
  return dtype === 'float64' ? new Float64Array(size) : new Float32Array(size);
}
