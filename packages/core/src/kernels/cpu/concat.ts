import type { TypedArray } from '../../dtype';

/** Blocks shorter than this are copied with a plain loop; longer ones with `TypedArray.set`. */
const SET_THRESHOLD = 32;

/**
 * The cpu kernel of `concat`: for each of the `outer` leading positions, copy part `k`'s block of
 * `blocks[k]` contiguous elements (its size along the axis times the inner size) after the previous
 * parts' blocks. Parts may have other dtypes than `out` (values are converted).
 */
export function concatKernel(
  parts: readonly TypedArray[],
  blocks: readonly number[],
  outer: number,
  out: TypedArray,
): void {
  let total = 0;
  for (let k = 0; k < blocks.length; k++) total += blocks[k];
  let offset = 0;
  for (let k = 0; k < parts.length; k++) {
    const part = parts[k];
    const block = blocks[k];
    if (block === 0) continue;
    for (let o = 0; o < outer; o++) {
      const s = o * block;
      const d = o * total + offset;
      if (block >= SET_THRESHOLD) out.set(part.subarray(s, s + block), d);
      else for (let j = 0; j < block; j++) out[d + j] = part[s + j];
    }
    offset += block;
  }
}
