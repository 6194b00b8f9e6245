import {
  add,
  broadcastTo,
  cast,
  checkOptions,
  clamp,
  div,
  gt,
  mul,
  optionNames,
  promoteTypes,
  sqrt,
  square,
  sub,
  sum,
  type Tensor,
  where,
} from '@nablajs/core';
import { checkFloating, sameShape } from './check';
import { broadcastPair, checkNonNegative, resolveAxis } from './distance-checks';

/**
 * Options of {@link cosineSimilarity}.
 *
 * @example
 * ```ts
 * const options: CosineSimilarityOptions = { axis: -1, eps: 1e-6 };
 * ```
 */
export interface CosineSimilarityOptions {
  /** The axis of the vectors, in the broadcast shape (default 1); negative from the end. */
  axis?: number;
  /** The smallest norm (default 1e-8): each vector's norm is raised to it when below. */
  eps?: number;
}

/** The option names of {@link cosineSimilarity}, for core's `checkOptions` (shared with its module). */
export const COSINE_SIMILARITY_OPTIONS = optionNames<CosineSimilarityOptions>({ axis: true, eps: true });

/**
 * `s` where `s >= lo` and `lo` elsewhere, with the gradient of the identity everywhere: what PyTorch 1.13
 * gets by clamping the squared norms in place outside the graph.
 */
function clampMinPassingGradient(s: Tensor, lo: number): Tensor {
  const fixed = s.detach();
  const clamped = clamp(fixed, lo);
  // NOTE: where the clamp raised the value, (s - s) + lo is exactly lo and carries s's gradient; elsewhere s
  // is taken as it is (an infinite s must not meet s - s = NaN).
  return where(gt(clamped, fixed), add(sub(s, fixed), clamped), s);
}

/** `t` divided by its 2-norm along `axis`, the norm raised to at least `eps`. */
function unitVectors(t: Tensor, axis: number, eps: number): Tensor {
  const squaredNorm = clampMinPassingGradient(sum(square(t), axis, true), eps * eps);
  return div(t, sqrt(squaredNorm));
}

/**
 * The cosine of the angle between the vectors of `x1` and `x2` along `axis`, like
 * `torch.nn.functional.cosine_similarity` in PyTorch 1.13:
 * `Σ (x1 / max(‖x1‖₂, eps)) · (x2 / max(‖x2‖₂, eps))`, each norm raised to `eps` on its own: what 1.13
 * computes, not the `max(‖x1‖₂ ‖x2‖₂, eps)` of its documentation's formula. The inputs broadcast together
 * (`axis` counts in the broadcast shape) and are promoted to a common float dtype; the result drops `axis`.
 * A zero vector gives a cosine of 0. Defaults: `axis` 1, `eps` 1e-8.
 *
 * Gradient: PyTorch 1.13's, which clamps the squared norms outside the graph: where a norm is below `eps`
 * the gradient is that of `x1 · x2 / (n1 n2)` with the clamped norms but the unclamped norms'
 * derivatives, so `x1 = [1e-9, 0]`, `x2 = [1, 0]` gives `∂/∂x1 = [9.9e7, 0]`, not `1e8`: there it is not
 * the derivative of the forward (`torch.autograd.gradcheck` fails there too); elsewhere it is.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.functional.cosine_similarity.html
 *
 * @param x1 - a float tensor
 * @param x2 - a float tensor that broadcasts with `x1`
 * @param options - `axis` and `eps`; an unknown key is an error
 *
 * @example
 * ```ts
 * cosineSimilarity(tensor([[1, 0], [1, 1]]), tensor([[0, 2], [2, 2]])).toArray(); // [0, 1]
 * cosineSimilarity(tensor([3, 4]), tensor([4, 3]), { axis: 0 }).item(); // 0.96
 * cosineSimilarity(tensor([[0, 0]]), tensor([[1, 2]])).toArray(); // [0]
 * ```
 */
export function cosineSimilarity(x1: Tensor, x2: Tensor, options: CosineSimilarityOptions = {}): Tensor {
  const fn = 'cosineSimilarity';
  checkOptions(fn, options, COSINE_SIMILARITY_OPTIONS);
  checkFloating(fn, 'x1', x1);
  checkFloating(fn, 'x2', x2);
  const eps = checkNonNegative(fn, 'eps', options.eps ?? 1e-8);
  const shape = broadcastPair(fn, x1, x2, ['x1', 'x2']);
  const axis = resolveAxis(fn, 'axis', options.axis ?? 1, shape.length);
  const dtype = promoteTypes(x1.dtype, x2.dtype);
  const common = (t: Tensor): Tensor => {
    const typed = t.dtype === dtype ? t : cast(t, dtype);
    return sameShape(typed.shape, shape) ? typed : broadcastTo(typed, shape);
  };
  return sum(mul(unitVectors(common(x1), axis, eps), unitVectors(common(x2), axis, eps)), axis);
}
