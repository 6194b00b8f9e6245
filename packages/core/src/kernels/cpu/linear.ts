import type { TypedArray } from '../../dtype';
import { reluKernel } from './activations';
import { addKernel } from './elementwise';
import { matmulKernel } from './matmul';

/**
 * A linear layer's output on the cpu: `out = act(x·wᵀ + bias)` for `x` `[rows, k]`, `w` `[n, k]`, `bias`
 * `[n]` or null, `act` ReLU (with `relu`) or none; the product, then the bias, then ReLU, each over the
 * whole output. A backend that registers a `linearForward` kernel of this signature (wasm) does the same
 * in one pass, with the same values.
 *
 * @example
 * ```ts
 * const out = new Float32Array(1);
 * linearForwardKernel(Float32Array.of(1, -2), Float32Array.of(1, 1), Float32Array.of(0.5), out, 1, 2, 1, true);
 * out[0]; // 0 (relu(1 - 2 + 0.5))
 * ```
 */
export function linearForwardKernel(
  x: TypedArray,
  w: TypedArray,
  bias: TypedArray | null,
  out: TypedArray,
  rows: number,
  k: number,
  n: number,
  relu: boolean,
): void {
  matmulKernel(x, 0, w, 0, out, 0, rows, k, n, false, true, false);
  if (bias !== null) addKernel(out, [rows, n], bias, [n], out, [rows, n]);
  if (relu) reluKernel(out, out);
}
