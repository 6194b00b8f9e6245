import {
  add,
  checkOptions,
  clamp,
  minimum,
  optionNames,
  ShapeError,
  sub,
  type Tensor,
  ValueError,
} from '@nablajs/core';
import { checkFloating, checkTensor, describeShape } from '../functional/check';
import { broadcastPair } from '../functional/distance-checks';
import { pairwiseDistance } from '../functional/pairwise-distance';
import { applyReduction, checkReduction, REDUCTION_OPTIONS, type ReductionOptions } from '../losses/reduction';
import { checkBoolean, checkFiniteNumber } from './loss-checks';

/**
 * A distance between the vectors of two tensors, as {@link tripletMarginWithDistanceLoss} calls it:
 * one non-negative float per pair of vectors (the shape of the arguments broadcast together, with the
 * vectors' dimension removed or kept as size 1).
 *
 * @example
 * ```ts
 * const cosineDistance: DistanceFunction = (a, b) => sub(1, F.cosineSimilarity(a, b, { axis: -1 }));
 * ```
 */
export type DistanceFunction = (a: Tensor, b: Tensor) => Tensor;

/**
 * Options of {@link tripletMarginWithDistanceLoss} (and of its module, `TripletMarginWithDistanceLoss`).
 *
 * @example
 * ```ts
 * const options: TripletMarginWithDistanceLossOptions = {
 *   distanceFunction: (a, b) => sub(1, F.cosineSimilarity(a, b, { axis: -1 })),
 *   margin: 0.5,
 *   swap: true,
 * };
 * ```
 */
export interface TripletMarginWithDistanceLossOptions extends ReductionOptions {
  /**
   * The distance (default: {@link pairwiseDistance} with its defaults, the Euclidean distance with
   * `eps` 1e-6, as PyTorch's `pairwise_distance`); `null` or undefined for the default.
   */
  distanceFunction?: DistanceFunction | null;
  /** How much farther the negative must be than the positive (default 1; any finite number, as in PyTorch). */
  margin?: number;
  /** Use the smaller of `d(a, n)` and `d(p, n)` as the negative distance (default false). */
  swap?: boolean;
}

/**
 * The option names of the loss, for core's `checkOptions` (shared with its module class).
 *
 * @example
 * ```ts
 * checkOptions('TripletMarginWithDistanceLoss', options, TRIPLET_MARGIN_WITH_DISTANCE_LOSS_OPTIONS);
 * ```
 */
export const TRIPLET_MARGIN_WITH_DISTANCE_LOSS_OPTIONS = [
  ...REDUCTION_OPTIONS,
  ...optionNames<Omit<TripletMarginWithDistanceLossOptions, 'reduction'>>({
    distanceFunction: true,
    margin: true,
    swap: true,
  }),
];

/**
 * Check a `distanceFunction` option: a function or null/undefined (the default distance, returned as null).
 * A Module is refused with a hint, since a nabla module is not callable.
 *
 * @example
 * ```ts
 * checkDistanceFunction('tripletMarginWithDistanceLoss', undefined); // null
 * ```
 */
export function checkDistanceFunction(fn: string, value: unknown): DistanceFunction | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'function') return value as DistanceFunction;
  const hint =
    typeof value === 'object' && typeof (value as { forward?: unknown }).forward === 'function'
      ? ' (to use a module, pass (a, b) => module.forward(a, b))'
      : '';
  throw new ValueError(
    `${fn}: distanceFunction must be a function (a, b) => Tensor, got ${Array.isArray(value) ? 'an array' : typeof value}${hint}`,
  );
}

/** Whether `out` is `full` with one dimension removed or set to 1. */
function isPerPairShape(out: readonly number[], full: readonly number[]): boolean {
  for (let k = 0; k < full.length; k++) {
    const removed = [...full.slice(0, k), ...full.slice(k + 1)];
    const kept = [...full.slice(0, k), 1, ...full.slice(k + 1)];
    for (const want of [removed, kept])
      if (want.length === out.length && want.every((d, i) => d === out[i])) return true;
  }
  return false;
}

/** `distance(x, y)`, checked to be a float tensor with one distance per pair of vectors. */
function measure(
  fn: string,
  distance: DistanceFunction,
  x: Tensor,
  y: Tensor,
  names: readonly [string, string],
): Tensor {
  const full = broadcastPair(fn, x, y, names);
  if (full.length === 0)
    throw new ShapeError(
      `${fn}: ${names[0]} and ${names[1]} must have at least one dimension (the vectors), got shapes [] and []`,
    );
  const d = distance(x, y);
  const what = `the distance function's result for (${names[0]}, ${names[1]})`;
  checkFloating(fn, what, d);
  if (!isPerPairShape(d.shape, full))
    throw new ShapeError(
      `${fn}: ${what} has shape ${describeShape(d.shape)}, but one distance per pair of vectors of the broadcast shape ${describeShape(full)} has that shape with one dimension removed (or kept as size 1)`,
    );
  return d;
}

/**
 * The triplet margin loss with a distance of the caller's choice, like
 * `torch.nn.functional.triplet_margin_with_distance_loss`:
 * `ℓᵢ = max(0, d(aᵢ, pᵢ) - d(aᵢ, nᵢ) + margin)`; with `swap`, the negative distance is
 * `min(d(a, n), d(p, n))` (Balntas et al., 2016), reduced by `reduction` (default `'mean'`).
 * The distance defaults to {@link pairwiseDistance} (Euclidean, `eps` 1e-6); a custom one is called with
 * two of the inputs, which must broadcast together, and must return a float tensor with one distance per
 * pair of vectors: the broadcast shape with one dimension removed or kept as size 1 (a distance summed over
 * the batch, or not reduced at all, is an error here, where PyTorch would go on with it).
 * Defaults: `margin` 1, `swap` false. At the hinge the gradient is 1 (PyTorch's `clamp`); where `swap`
 * finds equal distances, the gradient is split evenly between them (PyTorch's `min`). Gradients are those of
 * the distance function.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.TripletMarginWithDistanceLoss.html
 *
 * @example
 * ```ts
 * const cosineDistance = (a: Tensor, b: Tensor) => sub(1, F.cosineSimilarity(a, b, { axis: -1 }));
 * tripletMarginWithDistanceLoss(anchor, positive, negative, { distanceFunction: cosineDistance }).backward();
 * ```
 */
export function tripletMarginWithDistanceLoss(
  anchor: Tensor,
  positive: Tensor,
  negative: Tensor,
  options: TripletMarginWithDistanceLossOptions = {},
): Tensor {
  const fn = 'tripletMarginWithDistanceLoss';
  checkOptions(fn, options, TRIPLET_MARGIN_WITH_DISTANCE_LOSS_OPTIONS);
  const reduction = checkReduction(fn, options.reduction);
  const custom = checkDistanceFunction(fn, options.distanceFunction);
  const margin = checkFiniteNumber(fn, 'margin', options.margin ?? 1);
  const swap = checkBoolean(fn, 'swap', options.swap ?? false);
  checkTensor(fn, 'anchor', anchor);
  checkTensor(fn, 'positive', positive);
  checkTensor(fn, 'negative', negative);
  if (custom === null) {
    // The default distance's own dtype errors would name pairwiseDistance and x1/x2.
    checkFloating(fn, 'anchor', anchor);
    checkFloating(fn, 'positive', positive);
    checkFloating(fn, 'negative', negative);
  }
  const distance: DistanceFunction = custom ?? ((a, b) => pairwiseDistance(a, b));
  const dPos = measure(fn, distance, anchor, positive, ['anchor', 'positive']);
  let dNeg = measure(fn, distance, anchor, negative, ['anchor', 'negative']);
  if (swap) dNeg = minimum(dNeg, measure(fn, distance, positive, negative, ['positive', 'negative']));
  let gap: Tensor;
  try {
    gap = sub(dPos, dNeg);
  } catch (e) {
    if (!(e instanceof ShapeError)) throw e;
    throw new ShapeError(
      `${fn}: the positive distances ${describeShape(dPos.shape)} and negative distances ${describeShape(dNeg.shape)} cannot be broadcast together`,
    );
  }
  // NOTE: (d(a, p) - d(a, n)) + margin, in PyTorch's order, so that the hinge falls on the same inputs.
  return applyReduction(clamp(add(gap, margin), 0), reduction);
}
