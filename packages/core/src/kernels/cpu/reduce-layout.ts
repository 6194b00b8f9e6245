// How the cpu reductions walk a contiguous array: the merged `outer x n x inner` layout of a reduction
// and the row-by-row walk used when the reduced axes are not one block.

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
