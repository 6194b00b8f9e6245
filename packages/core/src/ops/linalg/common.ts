import { checkOptions } from '../../check-options';
import { allocate, type DType, isFloatingDType } from '../../dtype';
import { DTypeError, ShapeError, ValueError } from '../../errors';
import { formatShape } from '../../shape';
import { Tensor } from '../../tensor';

/**
 * Check the matrix argument of a linear-algebra function: a float32 or float64 Tensor with at least
 * two dimensions (the last two are the matrix, the others a batch). `fn` and `arg` name the caller.
 *
 * @example
 * ```ts
 * checkMatrix('qr', 'a', zeros([3])); // throws ShapeError: qr: a must have at least 2 dimensions, got shape [3]
 * ```
 */
export function checkMatrix(fn: string, arg: string, a: unknown): asserts a is Tensor {
  if (!(a instanceof Tensor))
    throw new ValueError(`${fn}: ${arg} must be a Tensor, got ${a === null ? 'null' : typeof a}`);
  if (!isFloatingDType(a.dtype)) throw new DTypeError(`${fn}: ${arg} must be float32 or float64, got ${a.dtype}`);
  if (a.ndim < 2)
    throw new ShapeError(`${fn}: ${arg} must have at least 2 dimensions, got shape ${formatShape(a.shape)}`);
}

/**
 * Check that `options` is `undefined` or a plain object whose keys are all in `known` (core's `checkOptions`, with
 * its did-you-mean), and return it (or `{}`).
 *
 * @example
 * ```ts
 * optionsOf('qr', { mode: 'r' }, ['mode']); // { mode: 'r' }
 * ```
 */
export function optionsOf<T extends object>(fn: string, options: T | undefined, known: readonly string[]): T {
  checkOptions(fn, options, known);
  return options ?? ({} as T);
}

/** A typed array of `dtype` and `size` for an op's output (float64 work is rounded once on write). */
export function outputArray(dtype: DType, size: number): Float32Array | Float64Array {
  return allocate(dtype, size, false) as Float32Array | Float64Array;
}

/**
 * A constant `[n, n]` mask of `dtype`: 1 where `keep(i, j)` holds, 0 elsewhere (used with `mul` to
 * take a triangle or the diagonal of a matrix inside a differentiable expression).
 *
 * @example
 * ```ts
 * maskMatrix(2, 'float64', (i, j) => j <= i).toArray(); // [[1, 0], [1, 1]]
 * ```
 */
export function maskMatrix(n: number, dtype: DType, keep: (i: number, j: number) => boolean): Tensor {
  const data = allocate(dtype, n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (keep(i, j)) data[i * n + j] = 1;
  return new Tensor(data, [n, n], dtype);
}

/**
 * Whether every element of `t` is zero (an output's gradient that nothing upstream touched comes back
 * as exact zeros).
 */
export function isAllZero(t: Tensor): boolean {
  const data = t.values;
  for (let i = 0; i < data.length; i++) if (data[i] !== 0) return false;
  return true;
}
