import { allocate, type TypedArray } from '../dtype';
import { DTypeError } from '../errors';
import { resolveKernel } from '../kernels/registry';
import { registerOp } from '../op';
import { Tensor } from '../tensor';

/** A kernel writing 1 into `out` (int32) where a value of `x` is in the class, 0 elsewhere. */
type ClassKernel = (x: TypedArray, out: TypedArray) => void;

// NOTE: like the comparisons, these return int32 masks of 0 and 1 (nabla has no bool dtype) and have no
// gradient. An int32 input needs no special case: its values are never NaN or infinite.
function defineClassifier(name: string, kernel: ClassKernel): (x: Tensor) => Tensor {
  const op = registerOp<undefined>({
    name,
    forward: ([x]) => {
      const out = allocate('int32', x.size, false); // the kernels write every element
      resolveKernel(name, kernel)(x._array, out);
      return new Tensor(out, x.shape, 'int32');
    },
  });
  return (x: Tensor) => {
    if (!(x instanceof Tensor)) throw new DTypeError(`${name}: x must be a Tensor, got ${typeof x}`);
    return op([x], undefined);
  };
}

const isnanOp = defineClassifier('isnan', (x, out) => {
  for (let i = 0; i < x.length; i++) out[i] = Number.isNaN(x[i]) ? 1 : 0;
});

const isinfOp = defineClassifier('isinf', (x, out) => {
  for (let i = 0; i < x.length; i++) out[i] = x[i] === Infinity || x[i] === -Infinity ? 1 : 0;
});

const isfiniteOp = defineClassifier('isfinite', (x, out) => {
  // NOTE: x - x is 0 for every finite x and NaN for NaN and ±Infinity.
  for (let i = 0; i < x.length; i++) out[i] = x[i] - x[i] === 0 ? 1 : 0;
});

/**
 * Where `x` is NaN, like `torch.isnan`, as an **int32** tensor of 0 and 1 (nabla has no bool dtype), usable
 * as a mask by `where` and `maskedSelect`. Not differentiable. An int32 tensor gives all zeros.
 *
 * @example
 * ```ts
 * isnan(tensor([1, NaN, Infinity])).toArray(); // [0, 1, 0]
 * ```
 */
export function isnan(x: Tensor): Tensor {
  return isnanOp(x);
}

/**
 * Where `x` is +Infinity or -Infinity, like `torch.isinf`, as an **int32** tensor of 0 and 1. Not
 * differentiable. NaN is not infinite; an int32 tensor gives all zeros.
 *
 * @example
 * ```ts
 * isinf(tensor([1, NaN, -Infinity])).toArray(); // [0, 0, 1]
 * ```
 */
export function isinf(x: Tensor): Tensor {
  return isinfOp(x);
}

/**
 * Where `x` is finite (neither NaN nor ±Infinity), like `torch.isfinite`, as an **int32** tensor of 0 and
 * 1. Not differentiable. An int32 tensor gives all ones.
 *
 * @example
 * ```ts
 * isfinite(tensor([1, NaN, -Infinity])).toArray(); // [1, 0, 0]
 * ```
 */
export function isfinite(x: Tensor): Tensor {
  return isfiniteOp(x);
}
