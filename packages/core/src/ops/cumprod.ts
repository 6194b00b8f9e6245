import { allocate, type TypedArray } from '../dtype';
import { ValueError } from '../errors';
import { isGradEnabled } from '../grad-mode';
import { copyKernel } from '../kernels/cpu/elementwise';
import { axisLayout } from '../kernels/cpu/reduce';
import { resolveKernel } from '../kernels/registry';
import { registerOp } from '../op';
import { normalizeAxis } from '../shape';
import { Tensor } from '../tensor';
import { cumulativeKernel } from './cumsum';
import { mul } from './mul';
import { pad } from './pad';
import { narrow } from './slice';

/**
 * `x` moved one step along `axis` (`out[0] = fill`, `out[k] = x[k - 1]`), with differentiable ops: the last
 * element drops out. Its VJP moves the gradient back (and drops the gradient of the filled slot).
 */
function shiftForward(x: Tensor, axis: number, fill: number): Tensor {
  const n = x.shape[axis];
  if (n === 0) return x;
  const padding: number[] = [];
  for (let d = x.ndim - 1; d > axis; d--) padding.push(0, 0);
  padding.push(1, 0);
  return pad(narrow(x, axis, 0, n - 1), padding, fill);
}

/**
 * The cpu kernel of the first-order linear recurrence along the middle axis of `[outer, n, inner]`:
 * forward `h[0] = g[0]`, `h[k] = g[k] + b[k] h[k-1]`; reversed `h[n-1] = g[n-1]`, `h[k] = g[k] + b[k+1] h[k+1]`.
 * `b[k]` links positions `k - 1` and `k` in both directions (`b[0]` is not read). Accumulates in float64.
 */
export function linearScanKernel(
  g: TypedArray,
  b: TypedArray,
  outer: number,
  n: number,
  inner: number,
  reverse: boolean,
  out: TypedArray,
): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const start = o * n * inner + i;
      let h = 0;
      if (reverse) {
        for (let k = n - 1; k >= 0; k--) {
          const p = start + k * inner;
          h = k === n - 1 ? g[p] : g[p] + b[p + inner] * h;
          out[p] = h;
        }
      } else {
        for (let k = 0; k < n; k++) {
          const p = start + k * inner;
          h = k === 0 ? g[p] : g[p] + b[p] * h;
          out[p] = h;
        }
      }
    }
  }
}

interface ScanAttrs {
  readonly axis: number;
  readonly reverse: boolean;
}

/**
 * The linear recurrence of {@link linearScanKernel} on inputs `[g, b]`, differentiable to any order: its
 * VJP in `g` is the recurrence the other way with the same `b`, and in `b` a product of shifted scans.
 */
const linearScanOp: (inputs: readonly Tensor[], attrs: ScanAttrs) => Tensor = registerOp<ScanAttrs>({
  name: 'cumprodLinearScan',
  saves: { inputs: [1], output: true },
  forward: ([g, b], { axis, reverse }) => {
    const { outer, n, inner } = axisLayout(g.shape, axis);
    const out = allocate(g.dtype, g.size, false);
    resolveKernel('cumprodLinearScan', linearScanKernel)(g._array, b._array, outer, n, inner, reverse, out);
    return new Tensor(out, g.shape, g.dtype);
  },
  backward: (u, { inputs: [g, b], output: h, attrs }) => {
    const { axis, reverse } = attrs;
    const other = linearScanOp([u, b], { axis, reverse: !reverse });
    let gb: Tensor | null = null;
    // d h / d b[k] is the neighbour h[k - 1] (forward) times the upstream scanned back, or the other way round.
    if (b.requiresGrad) gb = reverse ? mul(h, shiftForward(other, axis, 0)) : mul(shiftForward(h, axis, 0), other);
    return [g.requiresGrad ? other : null, gb];
  },
});

/**
 * The cpu kernel of cumprod's first-order VJP, PyTorch 1.13's `cumprod_backward` step by step (float32
 * rounding included) on each `[outer, n, inner]` row of the upstream `g`, the input `x` and the output `y`.
 * With `z1` the first zero of the row (`n` if none) and `z2` the second: before `z1`,
 * `grad[k] = (Σ_{k<=j<z1} y[j] g[j]) / x[k]`; at `z1`, `y[z1-1] Σ_{z1<=j<z2} g[j] Π_{z1<i<=j} x[i]`, with no
 * division; after `z1`, 0. A row of one element passes `g` through.
 */
export function cumprodBackwardKernel(
  g: TypedArray,
  x: TypedArray,
  y: TypedArray,
  outer: number,
  n: number,
  inner: number,
  out: TypedArray,
): void {
  if (n === 1) {
    copyKernel(g, out);
    return;
  }
  const round = out instanceof Float32Array ? Math.fround : (v: number) => v;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const start = o * n * inner + i;
      let z1 = n;
      let z2 = n;
      for (let k = 0; k < n; k++) {
        if (x[start + k * inner] !== 0) continue;
        if (z1 === n) z1 = k;
        else {
          z2 = k;
          break;
        }
      }
      // Before the first zero: the reversed cumulative sum of y g (accumulated in float64), divided by x.
      let acc = 0;
      for (let k = z1 - 1; k >= 0; k--) {
        const p = start + k * inner;
        acc += round(y[p] * g[p]);
        out[p] = round(acc) / x[p];
      }
      if (z1 === n) continue;
      // At the first zero: the products of the x after it (up to the second zero) weigh the gradients.
      let prod = 1;
      let sum = 0;
      for (let k = z1; k < z2; k++) {
        const p = start + k * inner;
        if (k > z1) prod *= x[p];
        sum = round(sum + round(round(prod) * g[p]));
      }
      // NOTE: PyTorch also multiplies the (rounded) product by the zero gradient past z2: inf or NaN there makes NaN.
      if (z2 < n && !Number.isFinite(round(prod))) sum = Number.NaN;
      out[start + z1 * inner] = round(sum * (z1 === 0 ? 1 : y[start + (z1 - 1) * inner]));
      for (let k = z1 + 1; k < n; k++) out[start + k * inner] = 0;
    }
  }
}

const cumprodOp = registerOp<number>({
  name: 'cumprod',
  forward: ([x], axis) => {
    const { outer, n, inner } = axisLayout(x.shape, axis);
    const out = allocate(x.dtype, x.size, false);
    resolveKernel('cumprod', cumulativeKernel)('prod', x._array, outer, n, inner, false, out);
    return new Tensor(out, x.shape, x.dtype);
  },
  backward: (g, { inputs: [x], output: y, attrs: axis }) => {
    const n = x.ndim === 0 ? 1 : x.shape[axis];
    if (n <= 1) return [g];
    if (isGradEnabled()) {
      // The gradient's own graph is wanted (createGraph): grad[k] = (Π_{i<k} x[i]) · s[k] with
      // s[k] = g[k] + x[k+1] s[k+1], exact with zeros (no division) and differentiable through the scan op.
      return [mul(shiftForward(y, axis, 1), linearScanOp([g, x], { axis, reverse: true }))];
    }
    const { outer, inner } = axisLayout(x.shape, axis);
    const out = allocate(g.dtype, g.size, false);
    resolveKernel('cumprodBackward', cumprodBackwardKernel)(g._array, x._array, y._array, outer, n, inner, out);
    return [new Tensor(out, x.shape, g.dtype)];
  },
});

/**
 * The cumulative product of `x` along `axis`, like `torch.cumprod`: `out[..., i, ...]` is the product of
 * `x[..., 0..i, ...]`. NaN and infinities propagate forward along the axis. Float32 products accumulate in
 * float64 (rounded once per element, as PyTorch's CPU kernel). An int32 input gives an int32 result (PyTorch
 * gives int64), wrapping around on overflow.
 *
 * Gradient: `d out[j] / d x[k]` is the product of `x[0..j]` without `x[k]` (for `j >= k`). It is exact when
 * `x` holds zeros, with no division by them: the first-order gradient is PyTorch's own O(n) formula (the
 * same numbers, NaN and infinities included, up to the rounding of the one sum at each row's first zero),
 * and a gradient whose graph is kept (`createGraph`) is computed with a division-free recurrence,
 * differentiable again.
 *
 * @param x - the tensor to multiply
 * @param axis - the axis to multiply along, negative from the end
 *
 * @example
 * ```ts
 * cumprod(tensor([[1, 2, 3], [4, 0, 6]]), 1).toArray(); // [[1, 2, 6], [4, 0, 0]]
 * const x = tensor([3, 0, 2], { requiresGrad: true });
 * cumprod(x, 0).sum().backward();
 * x.grad?.toArray(); // [1, 9, 0]
 * ```
 */
export function cumprod(x: Tensor, axis: number): Tensor {
  if (!(x instanceof Tensor)) throw new ValueError(`cumprod: x must be a Tensor, got ${typeof x}`);
  return cumprodOp([x], normalizeAxis(axis, x.ndim, 'cumprod'));
}
