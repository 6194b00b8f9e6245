import type { TypedArray } from '../../dtype';

/** The reductions the generic kernel knows (the last four fold `|x|` or `x²`, for norms). */
export type ReduceKind = 'sum' | 'prod' | 'max' | 'min' | 'sumAbs' | 'sumSquares' | 'maxAbs' | 'minAbs';

/**
 * How a reduction walks a contiguous array. Dimensions of size 1 are dropped and neighbours that are
 * both reduced or both kept are merged, so reducing `[2, 3, 4]` over axes `[1, 2]` becomes one kept
 * dimension of 2 followed by one reduced dimension of 12.
 */
export interface ReduceLayout {
  /** Sizes of the merged dimensions, outermost first. */
  readonly sizes: readonly number[];
  /** Whether each merged dimension is reduced. */
  readonly reduced: readonly boolean[];
  /** Whether there is at most one reduced block, so the array is `outer x n x inner` with `n` reduced. */
  readonly simple: boolean;
  /** For a simple layout: the product of the kept dimensions before the reduced block. */
  readonly outer: number;
  /** For a simple layout: the size of the reduced block (1 when nothing is reduced). */
  readonly n: number;
  /** For a simple layout: the product of the kept dimensions after the reduced block. */
  readonly inner: number;
}

/** Plan the walk of a reduction of `shape` over the sorted, distinct `axes`. */
export function reduceLayout(shape: readonly number[], axes: readonly number[]): ReduceLayout {
  const sizes: number[] = [];
  const reduced: boolean[] = [];
  for (let d = 0; d < shape.length; d++) {
    const size = shape[d];
    if (size === 1) continue;
    const isReduced = axes.includes(d);
    const last = sizes.length - 1;
    if (last >= 0 && reduced[last] === isReduced) sizes[last] *= size;
    else {
      sizes.push(size);
      reduced.push(isReduced);
    }
  }
  let blocks = 0;
  let outer = 1;
  let n = 1;
  let inner = 1;
  for (let d = 0; d < sizes.length; d++) {
    if (reduced[d]) {
      blocks++;
      n = sizes[d];
    } else if (blocks === 0) outer *= sizes[d];
    else inner *= sizes[d];
  }
  return { sizes, reduced, simple: blocks <= 1, outer, n, inner };
}

/** The `outer x n x inner` view of `shape` around one `axis` (a 0-d shape is `1 x 1 x 1`). */
export function axisLayout(shape: readonly number[], axis: number): { outer: number; n: number; inner: number } {
  let outer = 1;
  let inner = 1;
  for (let d = 0; d < axis; d++) outer *= shape[d];
  for (let d = axis + 1; d < shape.length; d++) inner *= shape[d];
  return { outer, n: shape.length === 0 ? 1 : shape[axis], inner };
}

/**
 * Walk a reduction one innermost row of the input at a time: `row(inOff, outOff, outStep, len)` gets
 * the offset of the row in the input, the offset of its first element's slot in the (reduced) output,
 * the output step along the row (0 when the row is reduced, 1 when it is kept) and the row length.
 * It is called once per row, never per element.
 */
export function forEachReduceRow(
  layout: ReduceLayout,
  row: (inOff: number, outOff: number, outStep: number, len: number) => void,
): void {
  const { sizes, reduced } = layout;
  const m = sizes.length;
  if (m === 0) {
    row(0, 0, 0, 1);
    return;
  }
  const outStrides = new Array<number>(m);
  let stride = 1;
  for (let d = m - 1; d >= 0; d--) {
    if (reduced[d]) outStrides[d] = 0;
    else {
      outStrides[d] = stride;
      stride *= sizes[d];
    }
  }
  const len = sizes[m - 1];
  const step = outStrides[m - 1];
  let rows = 1;
  for (let d = 0; d < m - 1; d++) rows *= sizes[d];
  if (rows === 0 || len === 0) return;
  const counter = new Array<number>(m).fill(0);
  let outOff = 0;
  for (let r = 0; r < rows; r++) {
    row(r * len, outOff, step, len);
    for (let d = m - 2; d >= 0; d--) {
      counter[d]++;
      outOff += outStrides[d];
      if (counter[d] < sizes[d]) break;
      outOff -= counter[d] * outStrides[d];
      counter[d] = 0;
    }
  }
}

/** The starting value of an accumulator. */
function identity(kind: ReduceKind): number {
  switch (kind) {
    case 'sum':
    case 'sumAbs':
    case 'sumSquares':
      return 0;
    case 'prod':
      return 1;
    case 'max':
    case 'maxAbs':
      return Number.NEGATIVE_INFINITY;
    case 'min':
    case 'minAbs':
      return Number.POSITIVE_INFINITY;
  }
}

/** Fold the contiguous `x[start .. start+len)` into `acc`. NaN wins in max and min, as in PyTorch. */
function foldRow(kind: ReduceKind, x: TypedArray, start: number, len: number, acc: number): number {
  const end = start + len;
  switch (kind) {
    case 'sum':
      for (let i = start; i < end; i++) acc += x[i];
      return acc;
    case 'prod':
      for (let i = start; i < end; i++) acc *= x[i];
      return acc;
    case 'max':
      for (let i = start; i < end; i++) {
        const v = x[i];
        if (v > acc || Number.isNaN(v)) acc = v;
        if (Number.isNaN(acc)) break;
      }
      return acc;
    case 'min':
      for (let i = start; i < end; i++) {
        const v = x[i];
        if (v < acc || Number.isNaN(v)) acc = v;
        if (Number.isNaN(acc)) break;
      }
      return acc;
    case 'sumAbs':
      for (let i = start; i < end; i++) acc += Math.abs(x[i]);
      return acc;
    case 'sumSquares':
      for (let i = start; i < end; i++) {
        const v = x[i];
        acc += v * v;
      }
      return acc;
    case 'maxAbs':
      for (let i = start; i < end; i++) {
        const v = Math.abs(x[i]);
        if (v > acc || Number.isNaN(v)) acc = v;
      }
      return acc;
    case 'minAbs':
      for (let i = start; i < end; i++) {
        const v = Math.abs(x[i]);
        if (v < acc || Number.isNaN(v)) acc = v;
      }
      return acc;
  }
}

/** Combine `x[xStart + j]` into `acc[accStart + j]` elementwise for `j < len`. */
function foldInto(
  kind: ReduceKind,
  x: TypedArray,
  xStart: number,
  acc: Float64Array,
  accStart: number,
  len: number,
): void {
  switch (kind) {
    case 'sum':
      for (let j = 0; j < len; j++) acc[accStart + j] += x[xStart + j];
      return;
    case 'prod':
      for (let j = 0; j < len; j++) acc[accStart + j] *= x[xStart + j];
      return;
    case 'max':
      for (let j = 0; j < len; j++) {
        const v = x[xStart + j];
        if (v > acc[accStart + j] || Number.isNaN(v)) acc[accStart + j] = v;
      }
      return;
    case 'min':
      for (let j = 0; j < len; j++) {
        const v = x[xStart + j];
        if (v < acc[accStart + j] || Number.isNaN(v)) acc[accStart + j] = v;
      }
      return;
    case 'sumAbs':
      for (let j = 0; j < len; j++) acc[accStart + j] += Math.abs(x[xStart + j]);
      return;
    case 'sumSquares':
      for (let j = 0; j < len; j++) {
        const v = x[xStart + j];
        acc[accStart + j] += v * v;
      }
      return;
    case 'maxAbs':
      for (let j = 0; j < len; j++) {
        const v = Math.abs(x[xStart + j]);
        if (v > acc[accStart + j] || Number.isNaN(v)) acc[accStart + j] = v;
      }
      return;
    case 'minAbs':
      for (let j = 0; j < len; j++) {
        const v = Math.abs(x[xStart + j]);
        if (v < acc[accStart + j] || Number.isNaN(v)) acc[accStart + j] = v;
      }
      return;
  }
}

/**
 * The generic reduction: reduce the contiguous `x` of `shape` over the sorted, distinct `axes` into
 * `out` (the reduced shape, row-major), dividing each result by `divisor` (1 except for a mean).
 * Accumulates in doubles. Reducing the last axes, the first axes or everything runs as plain loops;
 * any other set of axes walks the input row by row.
 */
export function reduceKernel(
  kind: ReduceKind,
  x: TypedArray,
  shape: readonly number[],
  axes: readonly number[],
  out: TypedArray,
  divisor = 1,
): void {
  const init = identity(kind);
  if (x.length === 0) {
    out.fill(init / divisor);
    return;
  }
  const layout = reduceLayout(shape, axes);
  if (layout.simple) {
    const { outer, n, inner } = layout;
    if (inner === 1) {
      for (let o = 0; o < outer; o++) out[o] = foldRow(kind, x, o * n, n, init) / divisor;
      return;
    }
    const acc = new Float64Array(inner);
    for (let o = 0; o < outer; o++) {
      acc.fill(init);
      const base = o * n * inner;
      for (let r = 0; r < n; r++) foldInto(kind, x, base + r * inner, acc, 0, inner);
      const outBase = o * inner;
      for (let j = 0; j < inner; j++) out[outBase + j] = acc[j] / divisor;
    }
    return;
  }
  const acc = new Float64Array(out.length).fill(init);
  forEachReduceRow(layout, (inOff, outOff, outStep, len) => {
    if (outStep === 0) acc[outOff] = foldRow(kind, x, inOff, len, acc[outOff]);
    else foldInto(kind, x, inOff, acc, outOff, len);
  });
  for (let i = 0; i < out.length; i++) out[i] = acc[i] / divisor;
}

/** The cpu kernel of `sum` (see {@link reduceKernel}). */
export function sumKernel(x: TypedArray, shape: readonly number[], axes: readonly number[], out: TypedArray): void {
  reduceKernel('sum', x, shape, axes, out);
}

/** The cpu kernel of `mean`: the sum divided by `count`, the number of elements in each reduced group. */
export function meanKernel(
  x: TypedArray,
  shape: readonly number[],
  axes: readonly number[],
  out: TypedArray,
  count: number,
): void {
  reduceKernel('sum', x, shape, axes, out, count);
}

/** The cpu kernel of `prod` (see {@link reduceKernel}). */
export function prodKernel(x: TypedArray, shape: readonly number[], axes: readonly number[], out: TypedArray): void {
  reduceKernel('prod', x, shape, axes, out);
}

/** The cpu kernel of `max`/`amax` (see {@link reduceKernel}). */
export function maxKernel(x: TypedArray, shape: readonly number[], axes: readonly number[], out: TypedArray): void {
  reduceKernel('max', x, shape, axes, out);
}

/** The cpu kernel of `min`/`amin` (see {@link reduceKernel}). */
export function minKernel(x: TypedArray, shape: readonly number[], axes: readonly number[], out: TypedArray): void {
  reduceKernel('min', x, shape, axes, out);
}

/**
 * The variance over `axes`: the sum of squared deviations from each group's mean, divided by
 * `divisor` (`N - correction`). Two passes in doubles (mean first), which avoids the cancellation of
 * `E[x²] - E[x]²`.
 */
export function varianceKernel(
  x: TypedArray,
  shape: readonly number[],
  axes: readonly number[],
  out: TypedArray,
  divisor: number,
): void {
  const size = out.length;
  if (size === 0) return;
  const count = x.length / size;
  const means = new Float64Array(size);
  reduceKernel('sum', x, shape, axes, means, count);
  const acc = new Float64Array(size);
  const layout = reduceLayout(shape, axes);
  if (x.length > 0 && layout.simple && layout.inner === 1) {
    const n = layout.n;
    for (let o = 0; o < layout.outer; o++) {
      const base = o * n;
      const m = means[o];
      let s = 0;
      for (let r = 0; r < n; r++) {
        const d = x[base + r] - m;
        s += d * d;
      }
      acc[o] = s;
    }
  } else if (x.length > 0) {
    forEachReduceRow(layout, (inOff, outOff, outStep, len) => {
      for (let j = 0; j < len; j++) {
        const o = outOff + j * outStep;
        const d = x[inOff + j] - means[o];
        acc[o] += d * d;
      }
    });
  }
  for (let o = 0; o < size; o++) out[o] = acc[o] / divisor;
}

/**
 * The gradient weights of a max/min reduction that splits the gradient evenly among ties: `weights[i]`
 * is `1/k` when `x[i]` (or `|x[i]|` with `useAbs`) equals its group's reduced value in `values` and `k`
 * elements of the group do, else 0. A NaN counts as equal to a NaN result.
 */
export function tieWeightsKernel(
  x: TypedArray,
  shape: readonly number[],
  axes: readonly number[],
  values: TypedArray,
  weights: TypedArray,
  useAbs = false,
): void {
  const layout = reduceLayout(shape, axes);
  const counts = new Float64Array(values.length);
  forEachReduceRow(layout, (inOff, outOff, outStep, len) => {
    for (let j = 0; j < len; j++) {
      const v = useAbs ? Math.abs(x[inOff + j]) : x[inOff + j];
      const target = values[outOff + j * outStep];
      if (v === target || (Number.isNaN(v) && Number.isNaN(target))) counts[outOff + j * outStep]++;
    }
  });
  forEachReduceRow(layout, (inOff, outOff, outStep, len) => {
    for (let j = 0; j < len; j++) {
      const v = useAbs ? Math.abs(x[inOff + j]) : x[inOff + j];
      const o = outOff + j * outStep;
      const target = values[o];
      weights[inOff + j] = v === target || (Number.isNaN(v) && Number.isNaN(target)) ? 1 / counts[o] : 0;
    }
  });
}

/**
 * For each element of `x`, the product of the other elements of its reduction group (what the
 * gradient of `prod` multiplies by), exact when the group holds zeros: with one zero, only the zero's
 * slot gets the product of the rest; with two or more, every slot is 0.
 */
export function prodOthersKernel(
  x: TypedArray,
  shape: readonly number[],
  axes: readonly number[],
  out: TypedArray,
): void {
  const layout = reduceLayout(shape, axes);
  let groups = 1;
  for (let d = 0; d < shape.length; d++) if (!axes.includes(d)) groups *= shape[d];
  const zeros = new Float64Array(groups);
  const nonzeroProduct = new Float64Array(groups).fill(1);
  forEachReduceRow(layout, (inOff, outOff, outStep, len) => {
    for (let j = 0; j < len; j++) {
      const v = x[inOff + j];
      const o = outOff + j * outStep;
      if (v === 0) zeros[o]++;
      else nonzeroProduct[o] *= v;
    }
  });
  forEachReduceRow(layout, (inOff, outOff, outStep, len) => {
    for (let j = 0; j < len; j++) {
      const v = x[inOff + j];
      const o = outOff + j * outStep;
      const z = zeros[o];
      if (z === 0) out[inOff + j] = nonzeroProduct[o] / v;
      else if (z === 1) out[inOff + j] = v === 0 ? nonzeroProduct[o] : 0;
      else out[inOff + j] = 0;
    }
  });
}

/**
 * The vector-Jacobian product of {@link prodOthersKernel} (the second derivative of `prod`):
 * `out[k] = sum over i != k of h[i] * (product of x[j] for j not in {i, k})`, grouped like the
 * reduction, computed in O(n) per group by counting zeros.
 */
export function prodOthersVjpKernel(
  h: TypedArray,
  x: TypedArray,
  shape: readonly number[],
  axes: readonly number[],
  out: TypedArray,
): void {
  const layout = reduceLayout(shape, axes);
  let groups = 1;
  for (let d = 0; d < shape.length; d++) if (!axes.includes(d)) groups *= shape[d];
  const zeros = new Float64Array(groups);
  const nonzeroProduct = new Float64Array(groups).fill(1);
  // Sum of h[i] / x[i] over the nonzero x[i], and sum of h[i] over the zero x[i].
  const ratioSum = new Float64Array(groups);
  const zeroSlotSum = new Float64Array(groups);
  forEachReduceRow(layout, (inOff, outOff, outStep, len) => {
    for (let j = 0; j < len; j++) {
      const v = x[inOff + j];
      const o = outOff + j * outStep;
      if (v === 0) {
        zeros[o]++;
        zeroSlotSum[o] += h[inOff + j];
      } else {
        nonzeroProduct[o] *= v;
        ratioSum[o] += h[inOff + j] / v;
      }
    }
  });
  forEachReduceRow(layout, (inOff, outOff, outStep, len) => {
    for (let j = 0; j < len; j++) {
      const v = x[inOff + j];
      const o = outOff + j * outStep;
      const z = zeros[o];
      const p = nonzeroProduct[o];
      let r = 0;
      if (z === 0) r = (p / v) * (ratioSum[o] - h[inOff + j] / v);
      else if (z === 1) r = v === 0 ? p * ratioSum[o] : (zeroSlotSum[o] * p) / v;
      else if (z === 2) r = v === 0 ? (zeroSlotSum[o] - h[inOff + j]) * p : 0;
      out[inOff + j] = r;
    }
  });
}

/**
 * The index of the largest (`kind` 'max') or smallest element along the middle axis of the
 * `outer x n x inner` array `x`, first occurrence on ties; a NaN counts as the extreme, as in
 * PyTorch. Writes `indices` (`outer x inner`) and, when given, the values there.
 */
export function argReduceKernel(
  kind: 'max' | 'min',
  x: TypedArray,
  outer: number,
  n: number,
  inner: number,
  indices: Int32Array,
  values: TypedArray | null = null,
): void {
  const isMax = kind === 'max';
  if (inner === 1) {
    for (let o = 0; o < outer; o++) {
      const base = o * n;
      let best = x[base];
      let at = 0;
      for (let r = 1; r < n && !Number.isNaN(best); r++) {
        const v = x[base + r];
        if ((isMax ? v > best : v < best) || Number.isNaN(v)) {
          best = v;
          at = r;
        }
      }
      indices[o] = at;
      if (values !== null) values[o] = best;
    }
    return;
  }
  const best = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    const base = o * n * inner;
    const outBase = o * inner;
    for (let j = 0; j < inner; j++) {
      best[j] = x[base + j];
      indices[outBase + j] = 0;
    }
    for (let r = 1; r < n; r++) {
      const rowBase = base + r * inner;
      for (let j = 0; j < inner; j++) {
        const v = x[rowBase + j];
        const b = best[j];
        if (!Number.isNaN(b) && ((isMax ? v > b : v < b) || Number.isNaN(v))) {
          best[j] = v;
          indices[outBase + j] = r;
        }
      }
    }
    if (values !== null) for (let j = 0; j < inner; j++) values[outBase + j] = best[j];
  }
}

/** `out[o, j] = x[o, indices[o, j], j]` for the `outer x n x inner` array `x`. */
export function pickAlongAxisKernel(
  x: TypedArray,
  outer: number,
  n: number,
  inner: number,
  indices: Int32Array,
  out: TypedArray,
): void {
  for (let o = 0; o < outer; o++) {
    const base = o * n * inner;
    const outBase = o * inner;
    for (let j = 0; j < inner; j++) out[outBase + j] = x[base + indices[outBase + j] * inner + j];
  }
}

/** `out[o, indices[o, j], j] = g[o, j]` into the zero-filled `outer x n x inner` array `out`. */
export function placeAlongAxisKernel(
  g: TypedArray,
  outer: number,
  n: number,
  inner: number,
  indices: Int32Array,
  out: TypedArray,
): void {
  for (let o = 0; o < outer; o++) {
    const base = o * n * inner;
    const outBase = o * inner;
    for (let j = 0; j < inner; j++) out[base + indices[outBase + j] * inner + j] = g[outBase + j];
  }
}

/**
 * `log(sum(exp(x)))` over `axes`, computed as `m + log(sum(exp(x - m)))` with `m` the group's max so
 * that large inputs do not overflow. A group whose max is infinite uses a shift of 0, so an all
 * `-Infinity` group gives `-Infinity` (not NaN) and a `+Infinity` gives `+Infinity`.
 */
export function logsumexpKernel(
  x: TypedArray,
  shape: readonly number[],
  axes: readonly number[],
  out: TypedArray,
): void {
  const size = out.length;
  const shift = new Float64Array(size);
  reduceKernel('max', x, shape, axes, shift);
  for (let o = 0; o < size; o++) if (shift[o] === Infinity || shift[o] === -Infinity) shift[o] = 0;
  const layout = reduceLayout(shape, axes);
  const acc = new Float64Array(size);
  if (x.length > 0) {
    if (layout.simple && layout.inner === 1) {
      const n = layout.n;
      for (let o = 0; o < layout.outer; o++) {
        const base = o * n;
        const m = shift[o];
        let s = 0;
        for (let r = 0; r < n; r++) s += Math.exp(x[base + r] - m);
        acc[o] = s;
      }
    } else {
      forEachReduceRow(layout, (inOff, outOff, outStep, len) => {
        for (let j = 0; j < len; j++) {
          const o = outOff + j * outStep;
          acc[o] += Math.exp(x[inOff + j] - shift[o]);
        }
      });
    }
  }
  for (let o = 0; o < size; o++) out[o] = shift[o] + Math.log(acc[o]);
}

/**
 * The vector p-norm over `axes`: `(sum |x|^p)^(1/p)` for `p > 0`, the max (`Infinity`) or min
 * (`-Infinity`) of `|x|`, or the count of nonzero elements for `p = 0`.
 */
export function normKernel(
  x: TypedArray,
  shape: readonly number[],
  axes: readonly number[],
  p: number,
  out: TypedArray,
): void {
  if (p === Infinity || p === -Infinity) {
    reduceKernel(p > 0 ? 'maxAbs' : 'minAbs', x, shape, axes, out);
    return;
  }
  if (p === 1) {
    reduceKernel('sumAbs', x, shape, axes, out);
    return;
  }
  const acc = new Float64Array(out.length);
  if (p === 2) {
    reduceKernel('sumSquares', x, shape, axes, acc);
    for (let o = 0; o < acc.length; o++) out[o] = Math.sqrt(acc[o]);
    return;
  }
  const n = x.length;
  const mapped = new Float64Array(n);
  if (p === 0) for (let i = 0; i < n; i++) mapped[i] = x[i] !== 0 ? 1 : 0;
  else for (let i = 0; i < n; i++) mapped[i] = Math.abs(x[i]) ** p;
  reduceKernel('sum', mapped, shape, axes, acc);
  if (p === 0) out.set(acc);
  else for (let o = 0; o < acc.length; o++) out[o] = acc[o] ** (1 / p);
}
