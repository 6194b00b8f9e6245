import { HostReadError, type Tensor, type TypedArray } from '@nablajs/core';

/**
 * `t.values` when its newest values are in JavaScript memory, or `null` when they are on the GPU (webgpu
 * backend) and a synchronous read would throw: for code that writes a tensor on the host when it can, and
 * through a kernel otherwise.
 */
export function hostValuesOrNull(t: Tensor): TypedArray | null {
  try {
    return t.values;
  } catch (e) {
    if (e instanceof HostReadError) return null;
    throw e;
  }
}

/** A new, zeroed array of `t`'s array type and size (not registered anywhere). */
export function newArrayLike(t: Tensor): TypedArray {
  const empty = t._array.slice(0, 0);
  return new (empty.constructor as new (n: number) => TypedArray)(t.size);
}
