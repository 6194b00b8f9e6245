import type { capture } from './capture';
import type { TypedArray } from './dtype';
import type { HostReadError } from './errors';
import { withHostKernels } from './kernels/registry';
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
  /**
   * Run `task`, which reads `reads` and reads and writes `writes` on the host: at once when their newest
   * contents are there (then `true`), else after the pending work and one copy back, when a value is next
   * awaited (then `false`). Until it ran, kernels that touch these arrays wait behind it.
   */
  hostTask(reads: readonly TypedArray[], writes: readonly TypedArray[], task: () => void): boolean;
  /**
   * True when the host arrays always hold the newest values and only host code must be announced (the
   * recorder of `capture()`): kernels of the cpu and wasm backends may then be used as they are.
   */
  readonly hostArraysCurrent?: boolean;
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
 * Run `task` now, on the host and with the cpu kernels (see {@link runOnHost}), and return its result. On
 * the webgpu backend `values` (tensors or typed arrays) must have their newest values in JavaScript memory
 * already (after `await bringToHost(tensors)`, for instance): otherwise it throws a {@link HostReadError}
 * naming `reader` and runs nothing. Inside the task, a kernel given an array whose newest values are on the
 * GPU throws the same error rather than read a stale copy. For code that needs a value at once, such as an
 * optimizer that re-evaluates the loss within its step (L-BFGS, SAM).
 *
 * @example
 * ```ts
 * await bringToHost(model.parameters());
 * const loss = runOnHostNow(model.parameters(), 'myStep', () => closure().item());
 * ```
 */
export function runOnHostNow<T>(values: readonly HostValues[], reader: string, task: () => T): T {
  const r = residency;
  if (r === null) return task();
  for (const a of arraysOf(values)) r.hostAccess(a, reader);
  return withHostKernels(task, (a, name) => r.hostAccess(a, name));
}

/**
 * Whether a backend that keeps tensor values away from JavaScript memory (webgpu) is active, so that
 * synchronous host reads may throw a {@link HostReadError} and host code should go through
 * {@link runOnHost}. False on the cpu and wasm backends, where code can skip that bookkeeping.
 *
 * @example
 * ```ts
 * if (hostReadsMayWait()) runOnHost([], [weight], clampTask);
 * else clampTask();
 * ```
 */
export function hostReadsMayWait(): boolean {
  return residency !== null;
}

/**
 * Whether kernels run where the host arrays are (no backend keeps tensor values elsewhere), so that an
 * op may pick a kernel that only the cpu and wasm backends have. True on those backends, also inside
 * `capture()`, where {@link hostReadsMayWait} is true because host code is recorded.
 *
 * @example
 * ```ts
 * const fused = kernelsOnHost(); // false on the webgpu backend
 * ```
 */
export function kernelsOnHost(): boolean {
  return residency === null || residency.hostArraysCurrent === true;
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

/** A tensor, or a typed array held directly (an optimizer's state): what a host task reads or writes. */
export type HostValues = Tensor | TypedArray;

function arraysOf(values: readonly HostValues[]): TypedArray[] {
  return values.map((v) => (ArrayBuffer.isView(v) ? v : v._array));
}

/**
 * Run `task`, JavaScript code that reads `reads` and reads and writes `writes` (tensors, through `values`,
 * or typed arrays held directly), where their newest values are: on the cpu and wasm backends at once. On
 * the webgpu backend, at once when their newest values are in JavaScript memory; otherwise the task waits,
 * with every later kernel that touches them, until a value is next awaited (`await t.dataAsync()`,
 * `bringToHost`, `syncWebGpuToHost()`): then they are copied back in one read and the task runs. The task
 * runs with the cpu kernels, so ops inside it compute in JavaScript memory, and a kernel given an array
 * whose newest values are on the GPU throws a {@link HostReadError} rather than read a stale copy. A tensor
 * disposed before the task runs cannot be read in it: hand the task the arrays of temporaries. Returns
 * whether it ran at once. The optimizers' update rules (whose arithmetic is JavaScript) step this way on
 * the webgpu backend. Inside {@link capture} the task runs at once and again on every replay, on the same
 * arrays: it must write every element of what it writes on each run, never count on what an earlier run
 * left there.
 *
 * @example
 * ```ts
 * runOnHost([], [weight], () => {
 *   const w = weight.values;
 *   for (let i = 0; i < w.length; i++) w[i] = Math.max(-1, Math.min(1, w[i]));
 *   weight.markModified();
 * });
 * await bringToHost([weight]); // the task has run by now
 * ```
 */
export function runOnHost(reads: readonly HostValues[], writes: readonly HostValues[], task: () => void): boolean {
  if (residency === null) {
    task();
    return true;
  }
  const r = residency;
  return r.hostTask(arraysOf(reads), arraysOf(writes), () => withHostKernels(task, (a, name) => r.hostAccess(a, name)));
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
