import { ValueError } from '../errors';
import { Tensor } from '../tensor';
import { checkIndexTensor, indexSelect } from './index-select';
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
  const src = index.values;
  const flat = new Int32Array(src.length);
  for (let i = 0; i < src.length; i++) flat[i] = src[i] < 0 ? src[i] + x.size : src[i];
  const picked = indexSelect(reshape(x, [x.size]), 0, new Tensor(flat, [flat.length], 'int32'));
  return reshape(picked, index.shape);
}
