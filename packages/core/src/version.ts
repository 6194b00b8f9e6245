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

/**
 * A 53-bit fingerprint of the bytes of `data`: two independent families of 32-bit multiply-xorshift
 * hashes over its 32-bit words, each family four lanes (word i goes to lane i mod 4) so that the
 * processor runs eight independent chains at once, the lanes combined at the end. Any change of one
 * element changes it (each step is a bijection of its lane's state and of the word, and the combination
 * is a bijection of each lane); two different contents collide with probability about 2^-53. Costs
 * about half a nanosecond per element.
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
  let a1 = seed1;
  let b1 = seed1 ^ 0x68e31da4;
  let c1 = seed1 ^ 0x1b56c4e9;
  let d1 = seed1 ^ 0x7f4a7c15;
  let a2 = seed2;
  let b2 = seed2 ^ 0x3c6ef372;
  let c2 = seed2 ^ 0x5851f42d;
  let d2 = seed2 ^ 0x2c1b3c6d;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const w0 = words[i];
    const w1 = words[i + 1];
    const w2 = words[i + 2];
    const w3 = words[i + 3];
    a1 = Math.imul(a1 ^ w0, 0x01000193);
    b1 = Math.imul(b1 ^ w1, 0x01000193);
    c1 = Math.imul(c1 ^ w2, 0x01000193);
    d1 = Math.imul(d1 ^ w3, 0x01000193);
    a2 = Math.imul(a2 + w0, 0x5bd1e995);
    b2 = Math.imul(b2 + w1, 0x5bd1e995);
    c2 = Math.imul(c2 + w2, 0x5bd1e995);
    d2 = Math.imul(d2 + w3, 0x5bd1e995);
    a1 ^= a1 >>> 15;
    b1 ^= b1 >>> 15;
    c1 ^= c1 >>> 15;
    d1 ^= d1 >>> 15;
    a2 ^= a2 >>> 13;
    b2 ^= b2 >>> 13;
    c2 ^= c2 >>> 13;
    d2 ^= d2 >>> 13;
  }
  // The last words (fewer than 4) and then the tail bytes go through lane a, one after the other.
  for (; i < n; i++) {
    a1 = Math.imul(a1 ^ words[i], 0x01000193);
    a1 ^= a1 >>> 15;
    a2 = Math.imul(a2 + words[i], 0x5bd1e995);
    a2 ^= a2 >>> 13;
  }
  if (n * 4 < bytes) {
    const tail = new Uint8Array(data.buffer, data.byteOffset + n * 4, bytes - n * 4);
    for (let j = 0; j < tail.length; j++) {
      a1 = Math.imul(a1 ^ (tail[j] + 0x100), 0x01000193);
      a1 ^= a1 >>> 15;
      a2 = Math.imul(a2 + tail[j] + 0x100, 0x5bd1e995);
      a2 ^= a2 >>> 13;
    }
  }
  // Combine the lanes: ((a·K + b)·K + c)·K + d is a bijection of each lane when the others are fixed (K odd).
  let h1 = Math.imul(Math.imul(Math.imul(a1, 0x27d4eb2f) + b1, 0x27d4eb2f) + c1, 0x27d4eb2f) + d1;
  let h2 = Math.imul(Math.imul(Math.imul(a2, 0x165667b1) + b2, 0x165667b1) + c2, 0x165667b1) + d2;
  h1 = Math.imul(h1 ^ (h1 >>> 16), 0x85ebca6b);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 0xc2b2ae35);
  return (h1 >>> 0) * 2097152 + ((h2 >>> 0) & 0x1fffff);
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
