// Whether the calling thread may wait on a shared memory word: the wasm runtime's caller sleeps in
// Atomics.wait where it may, and only spins where it may not (a browser page's main thread).

let blockingAllowed: boolean | null = null;

/**
 * Whether the calling thread may block in `Atomics.wait` (false on a browser's main thread, which may
 * only spin).
 */
export function canBlock(): boolean {
  if (blockingAllowed === null) {
    try {
      // A mismatched value returns at once where waiting is allowed, and throws where it is not.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
      blockingAllowed = true;
    } catch {
      blockingAllowed = false;
    }
  }
  return blockingAllowed;
}
