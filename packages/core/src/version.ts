import type { TypedArray } from './dtype';

/**
 * How often a tensor's buffer was written, shared by every tensor that views the same buffer (a
 * reshape, a `detach()`), like PyTorch's version counter.
 *
 * In-place ops (`add_`, `copy_`, ...) and {@link Tensor.markModified} bump `version` at once. Writes
 * through `Tensor.data` cannot be seen when they happen (it is the live typed array), so the first
 * time `data` is handed out the buffer becomes `exposed`: from then on a fingerprint of its contents
 * is kept, and reading the version (when an op saves the tensor for backward, when backward checks
 * it, or through `Tensor.version`) compares the contents with that fingerprint and counts a change
 * as one more write.
 *
 * @internal
 */
export interface BufferVersion {
  /** Writes counted so far. */
  version: number;
  /** Whether `Tensor.data` handed the live buffer out, so that untracked writes are possible. */
  exposed: boolean;
  /** The fingerprint of the contents at `version` (meaningful when `exposed` and not `stale`). */
  fingerprint: number;
  /** A counted write happened since `fingerprint` was taken: take it again without counting. */
  stale: boolean;
}

/** A fresh record: version 0, never handed out. @internal */
export function newBufferVersion(): BufferVersion {
  return { version: 0, exposed: false, fingerprint: 0, stale: false };
}

/** The lanes' starting offsets (xor-ed into the seeds), first family then second. */
const LANE_SEEDS = Int32Array.from([
  0x0, 0x68e31da4, 0x1b56c4e9, 0x7f4a7c15, 0x2f3a9c41, 0x51e8b0d7, 0xc93d6a5, 0x6a09e667, 0x0, 0x3c6ef372, 0x5851f42d,
  0x2c1b3c6d, 0x1f83d9ab, 0x5be0cd19, 0x4cf5ad43, 0x243f6a88,
]);

/**
 * A faster loop over whole groups of 8 words, installed by a backend (the wasm backend's SIMD loop for
 * arrays in its memory): runs the 16 lanes of `state` over the first `groups` groups of `data` as
 * {@link fingerprintOf} does, and returns true, or returns false to leave them to JavaScript.
 *
 * @internal
 */
export type FingerprintLanes = (data: TypedArray, groups: number, state: Int32Array) => boolean;

let fastLanes: FingerprintLanes | null = null;

/** Install (or with `null`, remove) the faster loop of {@link fingerprintOf}. @internal */
export function setFingerprintLanes(fn: FingerprintLanes | null): void {
  fastLanes = fn;
}

/** The installed faster loop of {@link fingerprintOf}, or null. @internal */
export function getFingerprintLanes(): FingerprintLanes | null {
  return fastLanes;
}

const state = new Int32Array(16);

/**
 * A 53-bit fingerprint of the bytes of `data`: two independent families of 32-bit multiply-xorshift
 * hashes over its 32-bit words, each family eight lanes (word i goes to lane i mod 8, so that eight
 * chains a family are in flight at once, and SIMD can run four lanes in one instruction), the lanes
 * combined at the end. Any change of one element changes it (each step is a bijection of its lane's
 * state and of the word, and the combination is a bijection of each lane); two different contents
 * collide with probability about 2^-53. Costs about a nanosecond per element in JavaScript, a fraction
 * of that through the wasm backend's SIMD loop for arrays in its memory.
 *
 * @internal
 */
export function fingerprintOf(data: TypedArray): number {
  const bytes = data.byteLength;
  // 32-bit words where the view is aligned (every float32/float64/int32 array, most 16-bit ones), bytes for
  // the rest (the tail of an odd-length 16-bit array, or one that starts at a 2-byte offset).
  const aligned = (data.byteOffset & 3) === 0;
  const n = aligned ? bytes >> 2 : 0;
  const words = aligned ? new Int32Array(data.buffer, data.byteOffset, n) : new Int32Array(0);
  const seed1 = 0x2545f491 ^ bytes;
  const seed2 = 0x9e3779b9 ^ Math.imul(bytes, 0x85ebca6b);
  for (let l = 0; l < 8; l++) {
    state[l] = seed1 ^ LANE_SEEDS[l];
    state[8 + l] = seed2 ^ LANE_SEEDS[8 + l];
  }
  const groups = n >> 3;
  if (!(groups > 0 && fastLanes !== null && fastLanes(data, groups, state))) runLanes(words, groups * 8);
  let i = groups * 8;
  // The last words (fewer than 8) go to their lanes, then the tail bytes to lane 0, one after the other.
  for (; i < n; i++) {
    const l = i & 7;
    let h1 = Math.imul(state[l] ^ words[i], 0x01000193);
    state[l] = h1 ^ (h1 >>> 15);
    h1 = Math.imul(state[8 + l] + words[i], 0x5bd1e995);
    state[8 + l] = h1 ^ (h1 >>> 13);
  }
  if (n * 4 < bytes) {
    const tail = new Uint8Array(data.buffer, data.byteOffset + n * 4, bytes - n * 4);
    for (let j = 0; j < tail.length; j++) {
      let h = Math.imul(state[0] ^ (tail[j] + 0x100), 0x01000193);
      state[0] = h ^ (h >>> 15);
      h = Math.imul(state[8] + tail[j] + 0x100, 0x5bd1e995);
      state[8] = h ^ (h >>> 13);
    }
  }
  // Combine the lanes: (...(h0·K + h1)·K + ...)·K + h7 is a bijection of each lane when the others are
  // fixed (K odd).
  let h1 = 0;
  let h2 = 0;
  for (let l = 0; l < 8; l++) {
    h1 = Math.imul(h1, 0x27d4eb2f) + state[l];
    h2 = Math.imul(h2, 0x165667b1) + state[8 + l];
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 0x85ebca6b);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 0xc2b2ae35);
  return (h1 >>> 0) * 2097152 + ((h2 >>> 0) & 0x1fffff);
}

/** The 16 lanes of `state` over `words[0, end)` (`end` a multiple of 8), in JavaScript. */
function runLanes(words: Int32Array, end: number): void {
  let a0 = state[0];
  let a1 = state[1];
  let a2 = state[2];
  let a3 = state[3];
  let a4 = state[4];
  let a5 = state[5];
  let a6 = state[6];
  let a7 = state[7];
  let b0 = state[8];
  let b1 = state[9];
  let b2 = state[10];
  let b3 = state[11];
  let b4 = state[12];
  let b5 = state[13];
  let b6 = state[14];
  let b7 = state[15];
  for (let i = 0; i < end; i += 8) {
    const w0 = words[i + 0];
    const w1 = words[i + 1];
    const w2 = words[i + 2];
    const w3 = words[i + 3];
    const w4 = words[i + 4];
    const w5 = words[i + 5];
    const w6 = words[i + 6];
    const w7 = words[i + 7];
    a0 = Math.imul(a0 ^ w0, 0x01000193);
    a1 = Math.imul(a1 ^ w1, 0x01000193);
    a2 = Math.imul(a2 ^ w2, 0x01000193);
    a3 = Math.imul(a3 ^ w3, 0x01000193);
    a4 = Math.imul(a4 ^ w4, 0x01000193);
    a5 = Math.imul(a5 ^ w5, 0x01000193);
    a6 = Math.imul(a6 ^ w6, 0x01000193);
    a7 = Math.imul(a7 ^ w7, 0x01000193);
    b0 = Math.imul(b0 + w0, 0x5bd1e995);
    b1 = Math.imul(b1 + w1, 0x5bd1e995);
    b2 = Math.imul(b2 + w2, 0x5bd1e995);
    b3 = Math.imul(b3 + w3, 0x5bd1e995);
    b4 = Math.imul(b4 + w4, 0x5bd1e995);
    b5 = Math.imul(b5 + w5, 0x5bd1e995);
    b6 = Math.imul(b6 + w6, 0x5bd1e995);
    b7 = Math.imul(b7 + w7, 0x5bd1e995);
    a0 ^= a0 >>> 15;
    a1 ^= a1 >>> 15;
    a2 ^= a2 >>> 15;
    a3 ^= a3 >>> 15;
    a4 ^= a4 >>> 15;
    a5 ^= a5 >>> 15;
    a6 ^= a6 >>> 15;
    a7 ^= a7 >>> 15;
    b0 ^= b0 >>> 13;
    b1 ^= b1 >>> 13;
    b2 ^= b2 >>> 13;
    b3 ^= b3 >>> 13;
    b4 ^= b4 >>> 13;
    b5 ^= b5 >>> 13;
    b6 ^= b6 >>> 13;
    b7 ^= b7 >>> 13;
  }
  state[0] = a0;
  state[8] = b0;
  state[1] = a1;
  state[9] = b1;
  state[2] = a2;
  state[10] = b2;
  state[3] = a3;
  state[11] = b3;
  state[4] = a4;
  state[12] = b4;
  state[5] = a5;
  state[13] = b5;
  state[6] = a6;
  state[14] = b6;
  state[7] = a7;
  state[15] = b7;
}

/**
 * The current version of a buffer record: for an exposed buffer, the contents are compared with the
 * fingerprint first and a difference counts as one more write.
 *
 * @internal
 */
export function syncVersion(record: BufferVersion, data: TypedArray): number {
  if (record.exposed) {
    const f = fingerprintOf(data);
    if (record.stale) record.stale = false;
    else if (f !== record.fingerprint) record.version++;
    record.fingerprint = f;
  }
  return record.version;
}
