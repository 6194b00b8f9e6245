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
 * A 53-bit fingerprint of the bytes of `data`: two independent 32-bit multiply-xorshift lanes over
 * its 32-bit words. Any change of one element changes it; two different contents collide with
 * probability about 2^-53. Costs about a nanosecond per element.
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
  let h1 = 0x2545f491 ^ bytes;
  let h2 = 0x9e3779b9 ^ Math.imul(bytes, 0x85ebca6b);
  for (let i = 0; i < n; i++) {
    const w = words[i];
    h1 = Math.imul(h1 ^ w, 0x01000193);
    h1 ^= h1 >>> 15;
    h2 = Math.imul(h2 + w, 0x5bd1e995);
    h2 ^= h2 >>> 13;
  }
  if (n * 4 < bytes) {
    const tail = new Uint8Array(data.buffer, data.byteOffset + n * 4, bytes - n * 4);
    for (let i = 0; i < tail.length; i++) {
      h1 = Math.imul(h1 ^ (tail[i] + 0x100), 0x01000193);
      h1 ^= h1 >>> 15;
      h2 = Math.imul(h2 + tail[i] + 0x100, 0x5bd1e995);
      h2 ^= h2 >>> 13;
    }
  }
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
