// The y range of a chart that one outlier cannot squash: the bulk of the values sets it, and the few
// points far outside are clipped to its edge (and marked there) instead of stretching it.
import { quantile } from './stats';

/**
 * How {@link robustRange} decides what is an outlier. The defaults suit loss curves in log space: a
 * value is clipped only when it lies in the outer `tail` of the values on its side and more than
 * `margin` times the spread of the central values beyond them, and only when dropping the outliers
 * shrinks the range by a factor of `gain` or more.
 *
 * @example
 * ```ts
 * const options: RobustRangeOptions = { tail: 0.01, margin: 0.5, gain: 1.5 };
 * ```
 */
export interface RobustRangeOptions {
  /** The fraction of the values at each end from which outliers are taken (default 0.01: the 1st and 99th percentiles). */
  tail?: number;
  /** How far beyond those percentiles a value may lie before it is clipped, as a fraction of the range between them (default 0.5). */
  margin?: number;
  /** Clip only when the full range is at least this many times the range without the outliers (default 1.5). */
  gain?: number;
}

/**
 * The range to draw of `values` (already in the axis' own coordinates: log10 for a log axis), without
 * the outliers: `lo` and `hi` are the smallest and largest values kept, `min` and `max` those of every
 * finite value; `clipped` says whether any value lies outside `[lo, hi]`. Non-finite values are ignored.
 *
 * @example
 * ```ts
 * // One spike to -27 among values from -10 to 2 (log10 of f on Rosenbrock): it is left out.
 * robustRange([...Array.from({ length: 200 }, (_, i) => 2 - i * 0.06), -27]); // { lo: -9.94, hi: 2, clipped: true, ... }
 * robustRange([0, 1, 2, 3]); // { lo: 0, hi: 3, min: 0, max: 3, clipped: false }
 * ```
 */
export function robustRange(
  values: readonly number[],
  options: RobustRangeOptions = {},
): { lo: number; hi: number; min: number; max: number; clipped: boolean } {
  const tail = options.tail ?? 0.01;
  const margin = options.margin ?? 0.5;
  const gain = options.gain ?? 1.5;
  let min = Infinity;
  let max = -Infinity;
  for (const v of values)
    if (Number.isFinite(v)) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
  const all = { lo: min, hi: max, min, max, clipped: false };
  if (!(max > min)) return all;
  const qLo = quantile(values, tail);
  const qHi = quantile(values, 1 - tail);
  const spread = qHi - qLo;
  if (!(spread > 0)) return all;
  const fenceLo = qLo - margin * spread;
  const fenceHi = qHi + margin * spread;
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values)
    if (Number.isFinite(v) && v >= fenceLo && v <= fenceHi) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  if (!(hi >= lo) || max - min < gain * (hi - lo)) return all;
  return { lo, hi, min, max, clipped: lo > min || hi < max };
}
