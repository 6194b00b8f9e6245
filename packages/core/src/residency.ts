import type { TypedArray } from './dtype';
import type { HostReadError } from './errors';
import type { Tensor } from './tensor';

/**
 * Where a backend keeps tensor contents away from JavaScript memory (the webgpu backend: GPU buffers),
 * so that a tensor's host array may be out of date. {@link Tensor.values} and {@link Tensor.data} ask
 * it before they hand an array out, and the asynchronous reads ask it to bring the contents back first.
 * Installed by a backend while it is active; `null` (the cpu and wasm backends) costs nothing.
 */
export interface Residency {
  /**
   * Called before `reader` hands `data` out for reading or writing on the host: throws a
   * {@link HostReadError} when the newest contents are elsewhere (or still being computed); otherwise
   * the host array becomes the newest copy (the caller may write it). `kept`: the array is handed out
   * for keeping (`Tensor.data`), so later writes through it are not announced and a copy elsewhere can
   * never be trusted again.
   */
  hostAccess(data: TypedArray, reader: string, kept?: boolean): void;
  /** Bring `data`'s newest contents into the host array (runs pending work, copies back), then resolve. */
  toHost(data: TypedArray): Promise<void>;
  /** The same for several arrays, with one copy back for all. */
  toHostMany(arrays: readonly TypedArray[]): Promise<void>;
}

let residency: Residency | null = null;

/** Install (or with `null`, remove) the residency the tensors ask. Used by backends. */
export function setResidency(next: Residency | null): void {
  residency = next;
}

/** The installed residency, or null. */
export function getResidency(): Residency | null {
  return residency;
}

/**
 * For code that reads a typed array it holds outside a tensor (an optimizer's state) on the host: throws
 * a {@link HostReadError} naming `reader` when the array's newest values are on the GPU (webgpu backend),
 * and otherwise makes the host array the newest copy. Does nothing on the cpu and wasm backends.
 *
 * @example
 * ```ts
 * checkHostRead(state.m[0], 'myOptimizer.stateDict'); // then read state.m[0]
 * ```
 */
export function checkHostRead(data: TypedArray, reader: string): void {
  if (residency !== null) residency.hostAccess(data, reader);
}

/**
 * Bring the newest values of `tensors` into JavaScript memory, with one copy back for all of them on the
 * webgpu backend (where a read waits for the GPU); afterwards their synchronous reads (`values`, `item()`,
 * `toArray()`) work. Resolves at once on the cpu and wasm backends. A training loop reads its loss and
 * outputs this way, a batch at a time.
 *
 * @example
 * ```ts
 * const output = model.forward(x);
 * const loss = crossEntropy(output, y);
 * await bringToHost([loss, output]);
 * console.log(loss.item(), output.argmax(1).toArray());
 * ```
 */
export async function bringToHost(tensors: readonly Tensor[]): Promise<void> {
  if (residency !== null) await residency.toHostMany(tensors.map((t) => t._array));
}
