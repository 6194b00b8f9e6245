import { copyKernel, DTypeError, isFloatingDType, resolveKernel, Tensor, ValueError } from '@nablajs/core';
import { hostValuesOrNull, newArrayLike } from './host-values';

/**
 * Make a trainable parameter from `value`, like `torch.nn.Parameter`: a new leaf tensor holding a
 * copy of the values (the caller's tensor is not touched) that requires gradients.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.parameter.Parameter.html
 *
 * @example
 * ```ts
 * class Scale extends Module {
 *   readonly s = this.registerParameter('s', parameter(ones([1])));
 *   forward(x: Tensor): Tensor { return x.mul(this.s); }
 * }
 * ```
 */
export function parameter(value: Tensor, requiresGrad = true): Tensor {
  if (!(value instanceof Tensor)) throw new ValueError('parameter: value must be a Tensor');
  if (requiresGrad && !isFloatingDType(value.dtype))
    throw new DTypeError(`parameter: only float32 and float64 tensors can be trainable parameters, got ${value.dtype}`);
  const t = copyOf(value);
  if (requiresGrad) t.requiresGrad = true;
  return t;
}

/** A new tensor holding a copy of `t`'s values: on the host, or by the backend's copy kernel where they are on the GPU. */
export function copyOf(t: Tensor): Tensor {
  const values = hostValuesOrNull(t);
  if (values !== null) return new Tensor(values.slice(), t.shape, t.dtype);
  const copy = newArrayLike(t);
  resolveKernel('copy', copyKernel)(t._array, copy);
  return new Tensor(copy, t.shape, t.dtype);
}
