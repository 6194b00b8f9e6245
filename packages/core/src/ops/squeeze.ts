import { ValueError } from '../errors';
import { normalizeAxes } from '../shape';
import { type Axis, Tensor } from '../tensor';
import { reshape } from './reshape';

/**
 * Remove dimensions of size 1: all of them, or only those named by `axis` (one axis or several).
 * Like PyTorch 2.x, a named dimension whose size is not 1 is left alone (no error). The result shares
 * `x`'s data.
 *
 * Gradient: the upstream gradient reshaped back to `x`'s shape.
 *
 * @example
 * ```ts
 * squeeze(zeros([2, 1, 3, 1])).shape; // [2, 3]
 * squeeze(zeros([2, 1, 3, 1]), 1).shape; // [2, 3, 1]
 * squeeze(zeros([2, 1, 3, 1]), [0, -1]).shape; // [2, 1, 3]
 * ```
 */
export function squeeze(x: Tensor, axis?: Axis): Tensor {
  if (!(x instanceof Tensor)) throw new ValueError(`squeeze: x must be a Tensor, got ${typeof x}`);
  const axes = normalizeAxes(axis, x.ndim, 'squeeze');
  const shape: number[] = [];
  for (let d = 0; d < x.ndim; d++) if (!(x.shape[d] === 1 && axes.includes(d))) shape.push(x.shape[d]);
  return reshape(x, shape);
}
