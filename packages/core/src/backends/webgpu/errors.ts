import { NablaError, ValueError } from '../../errors';

/**
 * The WebGPU device failed after it was created: it was lost (`device.lost`), or a submission raised a
 * validation, out-of-memory or internal error. The message says which, with the browser's own message;
 * once a device is lost every later call on its context throws this error again.
 *
 * @example
 * ```ts
 * try {
 *   await context.read(array);
 * } catch (e) {
 *   if (e instanceof WebGpuDeviceError) console.log('the GPU failed:', e.message);
 * }
 * ```
 */
export class WebGpuDeviceError extends NablaError {
  /** The error's name, spelled out so that a minifier that renames classes keeps it. */
  override name = 'WebGpuDeviceError';
}

/**
 * An array is larger than a GPU array can be: WGSL indexes with 32-bit unsigned integers and a storage
 * buffer binding holds at most `maxStorageBufferBindingSize` bytes, so a GPU array holds at most
 * `floor(maxStorageBufferBindingSize / 4)` elements (2^25 under WebGPU's default 128 MiB limit).
 *
 * @example
 * ```ts
 * context.createArray(2 ** 31); // throws WebGpuLimitError: WebGpuContext.createArray: ...
 * ```
 */
export class WebGpuLimitError extends ValueError {
  /** The error's name, spelled out so that a minifier that renames classes keeps it. */
  override name = 'WebGpuLimitError';
}
