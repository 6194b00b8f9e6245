// What every initialiser shares: the argument checks, the generator to draw from, and writing the values
// in place (rounded for 16-bit storage, copied back where the values live on the GPU).

import {
  checkOptions,
  copyKernel,
  DTypeError,
  defaultGenerator,
  encodeHalf,
  type Generator,
  isFloatingDType,
  isHalfDType,
  optionNames,
  resolveKernel,
  Tensor,
  type TypedArray,
  ValueError,
} from '@nablajs/core';
import { hostValuesOrNull, newArrayLike } from './host-values';

/** Options shared by the random initialisers. */
export interface InitOptions {
  /** The generator to draw from (default: core's global generator, see `manualSeed`). */
  generator?: Generator;
}

/** Throw unless `tensor` is a Tensor (of a floating dtype when `needsFloat`). */
export function checkTensor(fn: string, tensor: Tensor, needsFloat: boolean): void {
  if (!(tensor instanceof Tensor)) throw new ValueError(`${fn}: tensor must be a Tensor`);
  if (needsFloat && !isFloatingDType(tensor.dtype))
    throw new DTypeError(`${fn}: tensor must be float32, float64, float16 or bfloat16, got ${tensor.dtype}`);
}

/** Throw unless `value` is a finite number. */
export function checkFinite(fn: string, name: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new ValueError(`${fn}: ${name} must be a finite number, got ${value}`);
}

export const INIT_OPTIONS = optionNames<InitOptions>({ generator: true });

/** Check `options` (a misspelled key is an error, see core's `checkOptions`) and return its generator. */
export function generatorOf(fn: string, options: InitOptions): Generator {
  checkOptions(fn, options, INIT_OPTIONS);
  return options.generator ?? defaultGenerator();
}

/**
 * The numbers to fill: the tensor's own array, float32 scratch for 16-bit storage (bit patterns), or, where
 * the tensor's values may be on the GPU (webgpu backend), a new array of its dtype that {@link stored} copies in.
 */
export function writable(tensor: Tensor): TypedArray {
  if (isHalfDType(tensor.dtype)) return new Float32Array(tensor.size);
  return hostValuesOrNull(tensor) ?? newArrayLike(tensor);
}

/** Store `data` (from {@link writable}) in `tensor`, rounding to 16-bit storage, and count the write. */
export function stored(tensor: Tensor, data: TypedArray): Tensor {
  const dtype = tensor.dtype;
  if (isHalfDType(dtype)) encodeHalf(data, dtype, tensor.values as Uint16Array);
  else if (data !== tensor._array) resolveKernel('copy', copyKernel)(data, tensor._array);
  return tensor.markModified();
}
