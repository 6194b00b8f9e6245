import { NablaError } from './errors';

/**
 * Thrown when {@link capture} meets something a replay could not repeat: a read of tensor values on the
 * host, random numbers, an optimizer step, a kernel whose result JavaScript keeps, or a backend that
 * keeps tensors away from JavaScript memory. Also thrown by a replay whose inputs or gradients do not
 * fit the capture.
 *
 * @example
 * ```ts
 * capture((x) => tensor([x.sum().item()]), [zeros([2])]); // throws CaptureError: ... Tensor.values ...
 * ```
 */
export class CaptureError extends NablaError {
  /** The error's name, spelled out so that a minifier that renames classes keeps it. */
  override name = 'CaptureError';
}

let capturing = false;

/**
 * Whether a {@link capture} is recording now. Code whose effect a replay would not repeat (it keeps state
 * in JavaScript, as an optimizer's step count, or draws random numbers) checks it and throws a
 * {@link CaptureError}.
 *
 * @example
 * ```ts
 * if (isCapturing()) throw new CaptureError('myStep: cannot run inside capture(); call it after replay()');
 * ```
 */
export function isCapturing(): boolean {
  return capturing;
}

/** Set while a capture records (internal to capture()). */
export function setCapturing(on: boolean): void {
  capturing = on;
}

/**
 * Throw a {@link CaptureError} naming `what` when a capture is recording (for code a replay cannot repeat).
 *
 * @internal
 */
export function refuseInCapture(what: string, why: string): void {
  if (capturing) throw new CaptureError(`${what}: cannot run inside capture(): ${why}`);
}

/** What a capture is told when a tensor's gradient changes while it records (internal to capture()). */
export type GradObserver = (leaf: object, previous: object | null, next: object | null) => void;

let gradObserver: GradObserver | null = null;

/** Install (or with `null`, remove) the observer of gradient changes (internal to capture()). */
export function setGradObserver(next: GradObserver | null): void {
  gradObserver = next;
}

/**
 * Tell the recording capture that `leaf`'s gradient went from `previous` to `next` (the same tensor when
 * it was accumulated in place). Called by `Tensor._replaceGrad` and backward while {@link isCapturing}.
 *
 * @internal
 */
export function observeGrad(leaf: object, previous: object | null, next: object | null): void {
  if (gradObserver !== null) gradObserver(leaf, previous, next);
}
