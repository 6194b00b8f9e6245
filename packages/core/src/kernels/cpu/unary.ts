import type { TypedArray } from '../../dtype';

/** A scalar function of one number, the body of an elementwise unary kernel. */
export type UnaryFn = (x: number) => number;

/** Apply `fn` to every element of `x`, writing into `out` (same length). */
export function mapUnary(x: TypedArray, out: TypedArray, fn: UnaryFn): void {
  for (let i = 0; i < x.length; i++) out[i] = fn(x[i]);
}
