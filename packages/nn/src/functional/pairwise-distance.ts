import { add, checkOptions, norm, optionNames, sub, type Tensor } from '@nablajs/core';
import { checkBoolean, checkFiniteNumber } from '../extra/loss-checks';
import { checkFloating } from './check';
import { broadcastPair, checkNormOrder } from './distance-checks';

/**
 * Options of {@link pairwiseDistance}.
 *
 * @example
 * ```ts
 * const options: PairwiseDistanceOptions = { p: 1, keepdim: true };
 * ```
 */
export interface PairwiseDistanceOptions {
  /** The order of the norm (default 2): 0, a positive number, `Infinity` or `-Infinity`. */
  p?: number;
  /** Added to every difference before the norm (default 1e-6). */
  eps?: number;
  /** Keep the last dimension as size 1 (default false). */
  keepdim?: boolean;
}

/** The option names of {@link pairwiseDistance}, for core's `checkOptions` (shared with its module). */
export const PAIRWISE_DISTANCE_OPTIONS = optionNames<PairwiseDistanceOptions>({ p: true, eps: true, keepdim: true });

/**
 * The `p`-norm distance between the vectors of `x1` and `x2` along their last dimension, like
 * `torch.nn.functional.pairwise_distance`: `‖x1 - x2 + eps‖_p`, `eps` added to every difference (so two
 * equal vectors are `eps · D^(1/p)` apart, not 0). The inputs broadcast together; the result drops the last
 * dimension of the broadcast shape unless `keepdim`. Defaults: `p` 2, `eps` 1e-6, `keepdim` false.
 *
 * Gradient: core's `norm`'s: `sign(d)·|d|^(p-1) / ‖d‖^(p-1)`, 0 where the norm is 0; for `±Infinity`,
 * `sign(d)` split evenly among the elements that attain it; 0 for `p = 0`.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.functional.pairwise_distance.html
 *
 * @param x1 - a float tensor
 * @param x2 - a float tensor that broadcasts with `x1`
 * @param options - `p`, `eps` and `keepdim`; an unknown key is an error
 *
 * @example
 * ```ts
 * pairwiseDistance(tensor([[0, 0], [1, 1]]), tensor([[3, 4], [1, 1]]), { eps: 0 }).toArray(); // [5, 0]
 * pairwiseDistance(tensor([1, 5]), tensor([0, 3]), { p: 1, eps: 0, keepdim: true }).toArray(); // [3]
 * ```
 */
export function pairwiseDistance(x1: Tensor, x2: Tensor, options: PairwiseDistanceOptions = {}): Tensor {
  const fn = 'pairwiseDistance';
  checkOptions(fn, options, PAIRWISE_DISTANCE_OPTIONS);
  checkFloating(fn, 'x1', x1);
  checkFloating(fn, 'x2', x2);
  const p = checkNormOrder(fn, options.p ?? 2);
  const eps = checkFiniteNumber(fn, 'eps', options.eps ?? 1e-6);
  const keepdim = checkBoolean(fn, 'keepdim', options.keepdim ?? false);
  const shape = broadcastPair(fn, x1, x2, ['x1', 'x2']);
  const diff = add(sub(x1, x2), eps);
  // NOTE: core's ±Infinity norm of an empty vector is an error; the 2-norm of one is the 0 PyTorch gives.
  const order = shape.length > 0 && shape[shape.length - 1] === 0 ? 2 : p;
  return norm(diff, order, -1, keepdim);
}
