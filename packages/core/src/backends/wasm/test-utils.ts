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
