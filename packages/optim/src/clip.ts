import { checkOptions, Tensor, type TypedArray, ValueError } from '@nablajs/core';
import { checkNumber } from './validate';

/** Options of {@link clipGradNorm}. */
export interface ClipGradNormOptions {
  /**
   * Throw when the total norm is NaN or infinite instead of scaling the gradients by a non-finite
   * coefficient. PyTorch's `error_if_nonfinite`; default `false`.
   */
  errorIfNonfinite?: boolean;
}

/**
 * The p-norm of one array, as `torch.linalg.vector_norm` defines it for every order: `(Σ|x|^p)^(1/p)`
 * (negative p included), `max|x|` for `p = Infinity`, `min|x|` for `p = -Infinity` (Infinity for an empty
 * array), and for `p = 0` the count of non-zero elements. NaN propagates. The common orders have their own
 * loops (no `Math.pow` for p = 1 and 2).
 *
 * @example
 * ```ts
 * vectorNorm([3, -4], 2); // 5
 * vectorNorm([3, -4], Infinity); // 4
 * vectorNorm([3, -4, 0], 0); // 2
 * ```
 */
export function vectorNorm(x: ArrayLike<number>, p: number): number {
  const n = x.length;
  if (p === 0) {
    let count = 0;
    // NOTE: NaN !== 0, so NaN counts as non-zero (as PyTorch's `x != 0`).
    for (let j = 0; j < n; j++) if (x[j] !== 0) count++;
    return count;
  }
  if (p === Number.NEGATIVE_INFINITY) {
    let m = Number.POSITIVE_INFINITY;
    for (let j = 0; j < n; j++) {
      const a = Math.abs(x[j]);
      if (Number.isNaN(a)) return a;
      if (a < m) m = a;
    }
    return m;
  }
  if (p === 2) {
    let s = 0;
    for (let j = 0; j < n; j++) s += x[j] * x[j];
    return Math.sqrt(s);
  }
  if (p === 1) {
    let s = 0;
    for (let j = 0; j < n; j++) s += Math.abs(x[j]);
    return s;
  }
  if (p === Number.POSITIVE_INFINITY) {
    let m = 0;
    for (let j = 0; j < n; j++) {
      const a = Math.abs(x[j]);
      // NOTE: `a > m` is false for NaN, so NaN is carried explicitly (PyTorch's max propagates it).
      if (a > m || Number.isNaN(a)) m = a;
      if (Number.isNaN(m)) return m;
    }
    return m;
  }
  let s = 0;
  for (let j = 0; j < n; j++) s += Math.abs(x[j]) ** p;
  return s ** (1 / p);
}

/**
 * The global p-norm of several arrays, computed as PyTorch's `clip_grad_norm_` does: the p-norm of the
 * per-array p-norms (equal to the p-norm of all elements concatenated). `null` entries are ignored.
 * Allocates nothing.
 *
 * @example
 * ```ts
 * globalNorm([new Float64Array([3, 4]), null, new Float64Array([12])], 2); // 13
 * ```
 */
export function globalNorm(arrays: readonly (ArrayLike<number> | null)[], p: number): number {
  if (p === 0 || p === Number.NEGATIVE_INFINITY) {
    // The order-p norm of the per-array norms, as PyTorch stacks them: for p = 0, how many arrays have a
    // non-zero (or NaN) element; for -Infinity, the smallest per-array minimum, NaN if any is NaN.
    let r = p === 0 ? 0 : Number.POSITIVE_INFINITY;
    for (let i = 0; i < arrays.length; i++) {
      const a = arrays[i];
      if (a === null) continue;
      const v = vectorNorm(a, p);
      if (p === 0) r += v !== 0 ? 1 : 0;
      else if (Number.isNaN(v)) return v;
      else if (v < r) r = v;
    }
    return r;
  }
  if (p === Number.POSITIVE_INFINITY) {
    let m = 0;
    for (let i = 0; i < arrays.length; i++) {
      const a = arrays[i];
      if (a === null) continue;
      const v = vectorNorm(a, p);
      if (v > m || Number.isNaN(v)) m = v;
    }
    return m;
  }
  let s = 0;
  for (let i = 0; i < arrays.length; i++) {
    const a = arrays[i];
    if (a === null) continue;
    const v = vectorNorm(a, p);
    s += p === 2 ? v * v : p === 1 ? v : v ** p;
  }
  return p === 2 ? Math.sqrt(s) : p === 1 ? s : s ** (1 / p);
}

/**
 * PyTorch's clipping coefficient: `min(1, maxNorm / (total + 1e-6))`.
 *
 * @example
 * ```ts
 * clipCoefficient(1, 13); // 1 / (13 + 1e-6)
 * ```
 */
export function clipCoefficient(maxNorm: number, total: number): number {
  const coef = maxNorm / (total + 1e-6);
  // NOTE: PyTorch clamps with `max=1.0`; a NaN coefficient stays NaN, as there (and as with Math.min).
  return Math.min(coef, 1);
}

/**
 * The order of a norm from a number (any but NaN: PyTorch takes 0, negative orders and ±Infinity) or
 * `'inf'` / `'-inf'`; throws a ValueError naming `fn` otherwise. Shared by {@link clipGradNorm}, the
 * `clipByGlobalNorm` transform and the train package's `gradientClipping` plugin.
 *
 * @example
 * ```ts
 * parseNormType('myClip', 'inf'); // Infinity
 * parseNormType('myClip', Number.NaN); // throws: myClip: normType must be a number ...
 * ```
 */
export function parseNormType(fn: string, normType: unknown): number {
  const p = normType === 'inf' ? Number.POSITIVE_INFINITY : normType === '-inf' ? Number.NEGATIVE_INFINITY : normType;
  if (normType !== null && typeof normType === 'object')
    throw new ValueError(
      `${fn}: normType must be a number or 'inf' / '-inf', got an object; the order of the norm is a positional argument and the options come after it, as in ${fn}(params, maxNorm, 2, { errorIfNonfinite: true })`,
    );
  if (typeof p !== 'number' || Number.isNaN(p))
    throw new ValueError(
      `${fn}: normType must be a number (p, 0, a negative p, Infinity or -Infinity) or 'inf' / '-inf', got ${typeof normType === 'string' ? JSON.stringify(normType) : String(normType)}`,
    );
  return p;
}

function gradientsOf(fn: string, params: Iterable<Tensor> | Tensor): TypedArray[] {
  const list = params instanceof Tensor ? [params] : params;
  if (list === null || typeof list !== 'object' || typeof (list as Iterable<Tensor>)[Symbol.iterator] !== 'function')
    throw new ValueError(`${fn}: params must be a Tensor or an iterable of Tensors, got ${String(params)}`);
  const out: TypedArray[] = [];
  let i = 0;
  for (const p of list) {
    if (!(p instanceof Tensor)) throw new ValueError(`${fn}: params[${i}] is not a Tensor`);
    if (p.grad !== null) out.push(p.grad.values);
    i++;
  }
  return out;
}

/**
 * Clip the gradients of `params` in place so that their global norm is at most `maxNorm`, and return
 * the global norm **before** clipping, as PyTorch's `torch.nn.utils.clip_grad_norm_`.
 *
 * `total = ‖(‖g_1‖_p, …, ‖g_n‖_p)‖_p` (for `p = Infinity`: `max |g|`; every order PyTorch takes is
 * accepted: 0 counts non-zero entries, negative p and `-Infinity` (`min |g|`) as {@link vectorNorm}), then every gradient is
 * multiplied by `min(1, maxNorm / (total + 1e-6))`, even when that factor is 1. The `1e-6` leaves
 * clipped gradients with a norm slightly below `maxNorm`. Parameters whose `grad` is `null` are
 * ignored; with no gradient at all the result is 0.
 *
 * @param params - a tensor or an iterable of tensors whose `grad` is clipped
 * @param maxNorm - the largest allowed global norm (≥ 0)
 * @param normType - the order p of the norm: any number but NaN, `Infinity` (also `'inf'`) or `-Infinity` (`'-inf'`); default 2
 * @param options - `errorIfNonfinite` (default false): throw if the total norm is NaN or infinite
 * @returns the total norm of the gradients before clipping
 *
 * @see https://pytorch.org/docs/stable/generated/torch.nn.utils.clip_grad_norm_.html
 * @example
 * ```ts
 * loss.backward();
 * const norm = clipGradNorm(model.parameters(), 1.0);
 * opt.step();
 * ```
 */
export function clipGradNorm(
  params: Iterable<Tensor> | Tensor,
  maxNorm: number,
  normType: number | 'inf' | '-inf' = 2,
  options: ClipGradNormOptions = {},
): number {
  const fn = 'clipGradNorm';
  checkNumber(fn, 'maxNorm', maxNorm, { min: 0 });
  checkOptions(fn, options, ['errorIfNonfinite']);
  const p = parseNormType(fn, normType);
  const grads = gradientsOf(fn, params);
  if (grads.length === 0) return 0;
  const total = globalNorm(grads, p);
  if (options.errorIfNonfinite === true && !Number.isFinite(total))
    throw new ValueError(
      `${fn}: the total norm of order ${p} of the gradients is ${total} (non-finite), so they cannot be clipped; ` +
        'pass { errorIfNonfinite: false } to scale them by the non-finite norm anyway',
    );
  const coef = clipCoefficient(maxNorm, total);
  for (const g of grads) for (let j = 0; j < g.length; j++) g[j] *= coef;
  return total;
}

/**
 * Clamp every gradient element of `params` to `[-clipValue, clipValue]` in place, as PyTorch's
 * `torch.nn.utils.clip_grad_value_`. Parameters whose `grad` is `null` are ignored; NaN stays NaN.
 *
 * @param params - a tensor or an iterable of tensors whose `grad` is clamped
 * @param clipValue - the largest allowed magnitude (≥ 0)
 *
 * @see https://pytorch.org/docs/stable/generated/torch.nn.utils.clip_grad_value_.html
 * @example
 * ```ts
 * loss.backward();
 * clipGradValue(model.parameters(), 0.5);
 * opt.step();
 * ```
 */
export function clipGradValue(params: Iterable<Tensor> | Tensor, clipValue: number): void {
  const fn = 'clipGradValue';
  checkNumber(fn, 'clipValue', clipValue, { min: 0 });
  const lo = -clipValue;
  for (const g of gradientsOf(fn, params))
    for (let j = 0; j < g.length; j++) {
      const v = g[j];
      if (v > clipValue) g[j] = clipValue;
      else if (v < lo) g[j] = lo;
    }
}
