import { ValueError } from '../errors';
import { noGrad } from '../grad-mode';
import { Tensor } from '../tensor';
import { add } from './add';
import { cast } from './cast';
import { lt } from './compare';
import { checkIndexTensor, indexSelect } from './index-select';
import { mul } from './mul';
import { reshape } from './reshape';

/**
 * The elements of `x` read as a flat (row-major) array at positions `index`, like `torch.take`: the
 * result has `index`'s shape. `index` is int32 with values in `[-x.size, x.size)`; negative values
 * count from the end, and values may repeat.
 *
 * Gradient: the upstream gradient added back at the taken positions (repeated indices accumulate).
 *
 * @example
 * ```ts
 * const x = tensor([[1, 2], [3, 4]]);
 * take(x, tensor([[0, 3], [-1, 1]], { dtype: 'int32' })).toArray(); // [[1, 4], [4, 2]]
 * ```
 */
export function take(x: Tensor, index: Tensor): Tensor {
  if (!(x instanceof Tensor)) throw new ValueError(`take: x must be a Tensor, got ${typeof x}`);
  checkIndexTensor('take', index, x.size, true);
  // Negative positions count from the end; computed with ops, so indices on the GPU stay there.
  const flat = reshape(
    noGrad(() => add(index, mul(cast(lt(index, 0), 'int32'), x.size))),
    [index.size],
  );
  const picked = indexSelect(reshape(x, [x.size]), 0, flat);
  return reshape(picked, index.shape);
}
