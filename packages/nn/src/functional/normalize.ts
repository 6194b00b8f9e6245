import { checkOptions, clamp, div, norm, optionNames, type Tensor } from '@nablajs/core';
import { checkFloating } from './check';
import { checkNonNegative, checkNormOrder, resolveAxes } from './distance-checks';

/**
 * Options of {@link normalize}.
 *
 * @example
 * ```ts
 * const options: NormalizeOptions = { p: 1, axis: -1 };
 * ```
 */
export interface NormalizeOptions {
  /** The order of the norm (default 2): 0, a positive number, `Infinity` or `-Infinity`. */
  p?: number;
  /** The axis, or list of axes, whose vectors are scaled to unit norm (default 1); negative from the end. */
  axis?: number | readonly number[];
  /** The smallest divisor (default 1e-12): norms below it are replaced by it. */
  eps?: number;
}

/** The option names of {@link normalize}, for core's `checkOptions`. */
export const NORMALIZE_OPTIONS = optionNames<NormalizeOptions>({ p: true, axis: true, eps: true });

/**
 * Scale the vectors of `x` along `axis` to unit `p`-norm, like `torch.nn.functional.normalize`:
 * `x / max(‖x‖_p, eps)`, the norm taken over `axis` and broadcast back. A vector whose norm is below `eps`
 * (a zero vector, say) is divided by `eps` instead, so it stays finite (a zero vector stays zero). Defaults:
 * `p` 2, `axis` 1, `eps` 1e-12.
 *
 * Gradient: that of the division and of core's `norm` (0 where a norm is 0); where the norm is below `eps`
 * only the direct path `g / eps` remains, as in PyTorch, whose `clamp_min` passes no gradient below its
 * bound.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.functional.normalize.html
 *
 * @param x - a float tensor
 * @param options - `p`, `axis` and `eps`; an unknown key is an error
 *
 * @example
 * ```ts
 * normalize(tensor([[3, 4], [0, 0]])).toArray(); // [[0.6, 0.8], [0, 0]]
 * normalize(tensor([[1, -3]]), { p: 1 }).toArray(); // [[0.25, -0.75]]
 * normalize(tensor([2, 0, 2]), { axis: 0, p: Infinity }).toArray(); // [1, 0, 1]
 * ```
 */
export function normalize(x: Tensor, options: NormalizeOptions = {}): Tensor {
  const fn = 'normalize';
  checkOptions(fn, options, NORMALIZE_OPTIONS);
  checkFloating(fn, 'input', x);
  const p = checkNormOrder(fn, options.p ?? 2);
  const eps = checkNonNegative(fn, 'eps', options.eps ?? 1e-12);
  const axes = resolveAxes(fn, 'axis', options.axis ?? 1, x.ndim);
  // NOTE: core's ±Infinity norm of an empty group is an error; an empty input gives an empty result with
  // any order, so the 2-norm stands in.
  const order = x.size === 0 ? 2 : p;
  return div(x, clamp(norm(x, order, axes, true), eps));
}
