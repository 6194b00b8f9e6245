import { bringToHost, hostReadsMayWait, type Tensor } from '@nablajs/core';
import type { Trainable } from './types';

/**
 * Run `fn`, which reads or writes the values of `tensors()` in JavaScript: at once on the cpu and wasm
 * backends, and on the webgpu backend once they are back from the GPU (one read for all of them). For the
 * plugins whose handlers may return a promise.
 *
 * @internal
 */
export function withValuesOnHost<T>(tensors: () => readonly Tensor[], fn: () => T): T | Promise<T> {
  if (!hostReadsMayWait()) return fn();
  return bringToHost(tensors()).then(fn);
}

/**
 * The gradients of `model`'s parameters (those that have one).
 *
 * @internal
 */
export function gradientsOf(model: Trainable): Tensor[] {
  return model.parameters().flatMap((p) => (p.grad === null ? [] : [p.grad]));
}

/**
 * `model`'s live state tensors: its parameters, and its buffers when it has `buffers()` (an nn `Module`).
 * Not `stateDict()`, which copies them, and so reads them.
 *
 * @internal
 */
export function stateOf(model: Trainable): Tensor[] {
  const buffers = (model as { buffers?: () => Tensor[] }).buffers;
  return [...model.parameters(), ...(typeof buffers === 'function' ? buffers.call(model) : [])];
}
