// Helpers shared by the wasm backend's tests (in Node and in the browser): not part of the public API.

/**
 * `size` deterministic float32 values in [lo, hi) from a small LCG (Numerical Recipes constants), the
 * same for the same seed on every run and platform.
 *
 * @example
 * ```ts
 * lcgValues(4, 1); // four values in [-1, 1)
 * ```
 */
export function lcgValues(size: number, seed: number, lo = -1, hi = 1): Float32Array {
  const out = new Float32Array(size);
  let s = seed >>> 0;
  for (let i = 0; i < size; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + (s / 2 ** 32) * (hi - lo);
  }
  return out;
}

const bits = new Int32Array(1);
const asFloat = new Float32Array(bits.buffer);

/**
 * A float32 value mapped to an integer in its order, so that the difference of two counts the ulps
 * between them (-0 and 0 are 0 apart).
 *
 * @example
 * ```ts
 * ordinal(1) - ordinal(Math.fround(1 - 2 ** -24)); // 1
 * ```
 */
export function ordinal(x: number): number {
  asFloat[0] = x;
  return bits[0] < 0 ? -2147483648 - bits[0] : bits[0];
}

/**
 * The largest distance in float32 ulps between two arrays (NaN matches NaN only).
 *
 * @example
 * ```ts
 * maxUlps([1, Number.NaN], [1, Number.NaN]); // 0
 * ```
 */
export function maxUlps(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < y.length; i++) {
    if (Number.isNaN(x[i]) || Number.isNaN(y[i])) {
      if (Number.isNaN(x[i]) !== Number.isNaN(y[i])) return Number.POSITIVE_INFINITY;
      continue;
    }
    worst = Math.max(worst, Math.abs(ordinal(x[i]) - ordinal(y[i])));
  }
  return worst;
}

/**
 * A float32 array holding `data` in wasm memory (a block of `heap`, recorded in `blocks` so that the
 * test gives it back), or a plain copy in `'copy'` mode: the two ways a kernel's operands arrive.
 *
 * @example
 * ```ts
 * const x = placeOperand(heap, new Float32Array([1, 2]), 'resident', blocks); // a view into wasm memory
 * ```
 */
export function placeOperand(
  heap: { alloc(bytes: number): number; memory: WebAssembly.Memory },
  data: Float32Array,
  mode: 'resident' | 'copy',
  blocks: [number, number][],
): Float32Array {
  if (mode === 'copy') return data.slice();
  const bytes = Math.max(4, data.length * 4);
  const ptr = heap.alloc(bytes);
  blocks.push([ptr, bytes]);
  const arr = new Float32Array(heap.memory.buffer, ptr, data.length);
  arr.set(data);
  return arr;
}

/**
 * The largest |x - y| relative to the largest |y| (for results that sum many terms).
 *
 * @example
 * ```ts
 * relDiff([1, 2.5], [1, 2]); // 0.25
 * ```
 */
export function relDiff(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < y.length; i++) {
    worst = Math.max(worst, Math.abs(x[i] - y[i]));
    scale = Math.max(scale, Math.abs(y[i]));
  }
  return worst / scale;
}
