import type { TypedArray } from '../../dtype';
import { ValueError } from '../../errors';

// Fused optimizer updates: one loop over the elements of one parameter does the whole step in place
// (gradient sign, weight decay, moments, scaling, learning rate, parameter write). Each computes in
// doubles in exactly the order of the optimizer's chain of update blocks, so float64 parameters get
// the chain's results bit for bit; float32 arrays round once per stored value instead of once per block.

// NOTE: positional arguments, not an object of arrays: a kernel call allocates nothing.
/** Throw when `arr` (when given) has not `n` elements. @internal */
export function checkLength(fn: string, name: string, arr: TypedArray | null, n: number, of = 'param'): void {
  if (arr !== null && arr.length !== n)
    throw new ValueError(`${fn}: ${name} has ${arr.length} elements, ${of} has ${n}`);
}

/**
 * Adam's or AdamW's whole step for one parameter, in place, as PyTorch's `torch.optim.Adam` /
 * `AdamW` (the optimizer packages call it through `resolveKernel('adamUpdate', adamUpdateKernel)`).
 * With `g` the gradient (negated when `maximize`, then plus `weightDecay · p` unless `decoupled`) and
 * `t = step` (this parameter's step count, from 1):
 *
 * ```text
 * m ← β₁·m + (1-β₁)·g
 * v ← β₂·v + (1-β₂)·g²                 (vmax given: vmax ← max(vmax, v), used instead of v)
 * u ← (m / (1-β₁ᵗ)) / (√v / √(1-β₂ᵗ) + ε)
 * u ← u + weightDecay · p               (decoupled only: AdamW)
 * p ← p - lr · u
 * ```
 *
 * `vmax` is AMSGrad's running maximum: pass it to turn AMSGrad on, `null` otherwise. Arrays are
 * float32 or float64, all of `param`'s length.
 *
 * @example
 * ```ts
 * const p = new Float32Array([1, 2]);
 * const g = new Float32Array([0.1, -0.2]);
 * const m = new Float32Array(2);
 * const v = new Float32Array(2);
 * adamUpdateKernel(p, g, m, v, null, 1, 1e-3, 0.9, 0.999, 1e-8, 0, false, false);
 * // p ≈ [0.999, 2.001]
 * ```
 */
export function adamUpdateKernel(
  param: TypedArray,
  grad: TypedArray,
  m: TypedArray,
  v: TypedArray,
  vmax: TypedArray | null,
  step: number,
  lr: number,
  beta1: number,
  beta2: number,
  eps: number,
  weightDecay: number,
  decoupled: boolean,
  maximize: boolean,
): void {
  const n = param.length;
  checkLength('adamUpdateKernel', 'grad', grad, n);
  checkLength('adamUpdateKernel', 'm', m, n);
  checkLength('adamUpdateKernel', 'v', v, n);
  checkLength('adamUpdateKernel', 'vmax', vmax, n);
  const sign = maximize ? -1 : 1;
  const l2 = decoupled ? 0 : weightDecay;
  const dwd = decoupled ? weightDecay : 0;
  const c1 = 1 - beta1;
  const c2 = 1 - beta2;
  const invBc1 = 1 / (1 - beta1 ** step);
  const invBc2Sqrt = 1 / Math.sqrt(1 - beta2 ** step);
  const s = -lr;
  // NOTE: a zero weight decay must add nothing (not 0 · p, which is NaN for an infinite p), as in the chain.
  for (let j = 0; j < n; j++) {
    const pj = param[j];
    let g = sign * grad[j];
    if (l2 !== 0) g += l2 * pj;
    const mj = beta1 * m[j] + c1 * g;
    let vj = beta2 * v[j] + c2 * g * g;
    m[j] = mj;
    v[j] = vj;
    if (vmax !== null) {
      vj = Math.max(vmax[j], vj);
      vmax[j] = vj;
    }
    let u = (mj * invBc1) / (Math.sqrt(vj) * invBc2Sqrt + eps);
    if (dwd !== 0) u += dwd * pj;
    param[j] = pj + u * s;
  }
}

/**
 * SGD's whole step for one parameter, in place, as PyTorch's `torch.optim.SGD` (called through
 * `resolveKernel('sgdUpdate', sgdUpdateKernel)`). With `g` the gradient (negated when `maximize`,
 * then plus `weightDecay · p`):
 *
 * ```text
 * no buffer (momentum 0):  d ← g
 * firstStep:               buf ← g                               (PyTorch's first-step rule)
 * otherwise:               buf ← momentum·buf + (1-dampening)·g
 * with a buffer:           d ← g + momentum·buf if nesterov, else d ← buf
 * p ← p - lr · d
 * ```
 *
 * Pass `momentumBuffer` (and `firstStep` for a buffer just created) when `momentum > 0`, else `null`.
 *
 * @example
 * ```ts
 * const p = new Float64Array([1]);
 * const buf = new Float64Array(1);
 * sgdUpdateKernel(p, new Float64Array([2]), buf, true, 0.1, 0.9, 0, 0, false, false);
 * // buf = [2], p = [0.8]
 * ```
 */
export function sgdUpdateKernel(
  param: TypedArray,
  grad: TypedArray,
  momentumBuffer: TypedArray | null,
  firstStep: boolean,
  lr: number,
  momentum: number,
  dampening: number,
  weightDecay: number,
  nesterov: boolean,
  maximize: boolean,
): void {
  const n = param.length;
  checkLength('sgdUpdateKernel', 'grad', grad, n);
  checkLength('sgdUpdateKernel', 'momentumBuffer', momentumBuffer, n);
  const sign = maximize ? -1 : 1;
  const keep = 1 - dampening;
  const s = -lr;
  const buf = momentumBuffer;
  for (let j = 0; j < n; j++) {
    const pj = param[j];
    let g = sign * grad[j];
    if (weightDecay !== 0) g += weightDecay * pj;
    let d = g;
    if (buf !== null) {
      const b = firstStep ? g : momentum * buf[j] + keep * g;
      buf[j] = b;
      d = nesterov ? g + momentum * b : b;
    }
    param[j] = pj + d * s;
  }
}

/**
 * RMSprop's whole step for one parameter, in place, as PyTorch's `torch.optim.RMSprop` (called
 * through `resolveKernel('rmspropUpdate', rmspropUpdateKernel)`). With `g` the gradient (negated when
 * `maximize`, then plus `weightDecay · p`):
 *
 * ```text
 * sq ← alpha·sq + (1-alpha)·g²
 * gradAvg given (centered):  ga ← alpha·ga + (1-alpha)·g;  d ← g / (√(sq - ga²) + eps)
 * otherwise:                 d ← g / (√sq + eps)
 * momentumBuffer given:      buf ← momentum·buf + d;  d ← buf
 * p ← p - lr · d
 * ```
 *
 * Pass `gradAvg` only when `centered`, `momentumBuffer` only when `momentum > 0` (both start at zero).
 *
 * @example
 * ```ts
 * const p = new Float32Array([1]);
 * const sq = new Float32Array(1);
 * rmspropUpdateKernel(p, new Float32Array([0.5]), sq, null, null, 0.01, 0.99, 1e-8, 0, 0, false);
 * // sq = [0.0025], p ≈ [0.9]
 * ```
 */
export function rmspropUpdateKernel(
  param: TypedArray,
  grad: TypedArray,
  squareAvg: TypedArray,
  gradAvg: TypedArray | null,
  momentumBuffer: TypedArray | null,
  lr: number,
  alpha: number,
  eps: number,
  weightDecay: number,
  momentum: number,
  maximize: boolean,
): void {
  const n = param.length;
  checkLength('rmspropUpdateKernel', 'grad', grad, n);
  checkLength('rmspropUpdateKernel', 'squareAvg', squareAvg, n);
  checkLength('rmspropUpdateKernel', 'gradAvg', gradAvg, n);
  checkLength('rmspropUpdateKernel', 'momentumBuffer', momentumBuffer, n);
  const sign = maximize ? -1 : 1;
  const decay = 1 - alpha;
  const s = -lr;
  const ga = gradAvg;
  const buf = momentumBuffer;
  for (let j = 0; j < n; j++) {
    const pj = param[j];
    let g = sign * grad[j];
    if (weightDecay !== 0) g += weightDecay * pj;
    const sq = alpha * squareAvg[j] + decay * g * g;
    squareAvg[j] = sq;
    let d: number;
    if (ga !== null) {
      const a = alpha * ga[j] + decay * g;
      ga[j] = a;
      d = g / (Math.sqrt(sq - a * a) + eps);
    } else {
      d = g / (Math.sqrt(sq) + eps);
    }
    if (buf !== null) {
      d = momentum * buf[j] + d;
      buf[j] = d;
    }
    param[j] = pj + d * s;
  }
}

/**
 * Adagrad's whole step for one parameter, in place, as PyTorch's `torch.optim.Adagrad` (called
 * through `resolveKernel('adagradUpdate', adagradUpdateKernel)`). With `g` the gradient (negated when
 * `maximize`, then plus `weightDecay · p`) and `t = step` (this parameter's step count, from 1):
 *
 * ```text
 * sum ← sum + g²
 * p ← p - lr · (g / (1 + (t-1)·lrDecay)) / (√sum + eps)
 * ```
 *
 * @example
 * ```ts
 * const p = new Float64Array([1]);
 * const sum = new Float64Array([0]);
 * adagradUpdateKernel(p, new Float64Array([3]), sum, 1, 0.1, 0, 1e-10, 0, false);
 * // sum = [9], p ≈ [0.9]
 * ```
 */
export function adagradUpdateKernel(
  param: TypedArray,
  grad: TypedArray,
  sum: TypedArray,
  step: number,
  lr: number,
  lrDecay: number,
  eps: number,
  weightDecay: number,
  maximize: boolean,
): void {
  const n = param.length;
  checkLength('adagradUpdateKernel', 'grad', grad, n);
  checkLength('adagradUpdateKernel', 'sum', sum, n);
  const sign = maximize ? -1 : 1;
  const clr = 1 / (1 + (step - 1) * lrDecay);
  const s = -lr;
  for (let j = 0; j < n; j++) {
    const pj = param[j];
    let g = sign * grad[j];
    if (weightDecay !== 0) g += weightDecay * pj;
    const acc = sum[j] + g * g;
    sum[j] = acc;
    param[j] = pj + ((clr * g) / (Math.sqrt(acc) + eps)) * s;
  }
}
