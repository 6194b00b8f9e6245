// Small statistics over the runs of a comparison: means and standard deviations, quantiles, and
// pointwise bands over curves of unequal length. Non-finite values are left out everywhere.

/**
 * A mean with its sample standard deviation over `n` values (`sd` is null with fewer than two values,
 * `mean` is null with none).
 *
 * @example
 * ```ts
 * const s: MeanSd = meanSd([1, 2, 3]); // { mean: 2, sd: 1, n: 3 }
 * ```
 */
export interface MeanSd {
  /** The arithmetic mean, or null when there is no value. */
  mean: number | null;
  /** The sample standard deviation (divisor n - 1), or null with fewer than two values. */
  sd: number | null;
  /** How many values it is over. */
  n: number;
}

/**
 * Pointwise statistics of several curves that share their x values: the median and the interquartile
 * range (25th and 75th percentiles) at every x. At an x where no curve has a finite value, all three
 * are NaN.
 *
 * @example
 * ```ts
 * const band: Band = pointwiseBand([0, 1], [[1, 2], [3, 4], [5, 6]]); // median [3, 4], q1 [2, 3], q3 [4, 5]
 * ```
 */
export interface Band {
  /** The x values (the longest curve's). */
  x: number[];
  /** The median at each x. */
  median: number[];
  /** The 25th percentile at each x. */
  q1: number[];
  /** The 75th percentile at each x. */
  q3: number[];
}

function finite(values: readonly number[]): number[] {
  return values.filter((v) => Number.isFinite(v));
}

/**
 * The `q`-quantile (`0 <= q <= 1`) of the finite values, interpolating linearly between order
 * statistics (NumPy's default, R's type 7); NaN when there is none.
 *
 * @example
 * ```ts
 * quantile([1, 2, 3, 4], 0.25); // 1.75
 * quantile([5], 0.75); // 5
 * ```
 */
export function quantile(values: readonly number[], q: number): number {
  const sorted = finite(values).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const h = (sorted.length - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/**
 * The median of the finite values (the mean of the two middle ones for an even count); NaN when there
 * is none.
 *
 * @example
 * ```ts
 * median([3, 1, 2]); // 2
 * median([4, 1, 2, 3]); // 2.5
 * ```
 */
export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/**
 * The mean and sample standard deviation of the finite values.
 *
 * @example
 * ```ts
 * meanSd([2, 4, 4, 4, 5, 5, 7, 9]); // { mean: 5, sd: 2.138..., n: 8 }
 * meanSd([Number.NaN]); // { mean: null, sd: null, n: 0 }
 * ```
 */
export function meanSd(values: readonly number[]): MeanSd {
  const v = finite(values);
  const n = v.length;
  if (n === 0) return { mean: null, sd: null, n: 0 };
  const mean = v.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { mean, sd: null, n };
  const ss = v.reduce((a, b) => a + (b - mean) ** 2, 0);
  return { mean, sd: Math.sqrt(ss / (n - 1)), n };
}

/**
 * The median and interquartile range, index by index, of curves that share their x values but may be
 * of different lengths (a run that diverged stops early): at index `i` the statistics are over the
 * curves that have a finite value there.
 *
 * @example
 * ```ts
 * pointwiseBand([1, 2, 3], [[4, 2, 1], [6, 4], [5, 3, 2]]);
 * // { x: [1, 2, 3], median: [5, 3, 1.5], q1: [4.5, 2.5, 1.25], q3: [5.5, 3.5, 1.75] }
 * ```
 */
export function pointwiseBand(x: readonly number[], curves: readonly (readonly number[])[]): Band {
  const band: Band = { x: [...x], median: [], q1: [], q3: [] };
  for (let i = 0; i < x.length; i++) {
    const at = curves.map((c) => (i < c.length ? c[i] : Number.NaN));
    band.median.push(quantile(at, 0.5));
    band.q1.push(quantile(at, 0.25));
    band.q3.push(quantile(at, 0.75));
  }
  return band;
}

/**
 * How far apart positive measurements are: `(max - min) / min` over the finite positive values, or
 * null with fewer than two of them.
 *
 * @example
 * ```ts
 * relativeSpread([1.0, 1.1, 1.3]); // 0.3
 * relativeSpread([2]); // null
 * ```
 */
export function relativeSpread(values: readonly number[]): number | null {
  const v = finite(values).filter((x) => x > 0);
  if (v.length < 2) return null;
  const lo = Math.min(...v);
  return (Math.max(...v) - lo) / lo;
}
