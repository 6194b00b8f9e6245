import { allocate } from '../dtype';
import { DTypeError, IndexError, ValueError } from '../errors';
import { oneHotKernel } from '../kernels/cpu/one-hot';
import { resolveKernel } from '../kernels/registry';
import { registerOp } from '../op';
import { runOnHost } from '../residency';
import { Tensor } from '../tensor';

const oneHotOp = registerOp<number>({
  name: 'oneHot',
  forward: ([indices], numClasses) => {
    const out = allocate('int32', indices.size * numClasses);
    resolveKernel('oneHot', oneHotKernel)(indices._array, numClasses, out);
    return new Tensor(out, [...indices.shape, numClasses], 'int32');
  },
});

/** The largest class index in `idx`; throws oneHot's error for a negative one. */
function largestClass(idx: ArrayLike<number>): number {
  let max = -1;
  for (let i = 0; i < idx.length; i++) {
    const v = idx[i];
    if (v < 0) throw new IndexError(`oneHot: class index ${v} is negative; indices must be in [0, numClasses)`);
    if (v > max) max = v;
  }
  return max;
}

/**
 * One-hot encode integer class indices, like `torch.nn.functional.one_hot`: an int32 tensor of
 * shape `[...indices.shape, numClasses]` with a 1 at each index. `numClasses = -1` uses
 * `max(indices) + 1`. Not differentiable.
 *
 * @example
 * ```ts
 * oneHot(tensor([0, 2], { dtype: 'int32' })).toArray(); // [[1, 0, 0], [0, 0, 1]]
 * oneHot(tensor([1], { dtype: 'int32' }), 4).toArray(); // [[0, 1, 0, 0]]
 * ```
 */
export function oneHot(indices: Tensor, numClasses = -1): Tensor {
  if (!(indices instanceof Tensor)) throw new ValueError(`oneHot: indices must be a Tensor, got ${typeof indices}`);
  if (indices.dtype !== 'int32') throw new DTypeError(`oneHot: indices must be an int32 tensor, got ${indices.dtype}`);
  if (!Number.isInteger(numClasses) || numClasses < -1)
    throw new ValueError(`oneHot: numClasses must be a non-negative integer or -1, got ${numClasses}`);
  if (numClasses === -1) {
    // The output's shape depends on the values: they are read now (a HostReadError on the GPU: pass numClasses).
    const idx = indices.values;
    if (idx.length === 0) throw new ValueError('oneHot: cannot infer numClasses from an empty tensor; pass numClasses');
    return oneHotOp([indices], largestClass(idx) + 1);
  }
  const n = numClasses;
  const idx = indices._array;
  runOnHost([idx], [], () => {
    const max = largestClass(idx);
    if (max >= n)
      throw new IndexError(`oneHot: class index ${max} is out of range for numClasses ${n} (expected [0, ${n}))`);
  });
  return oneHotOp([indices], n);
}
