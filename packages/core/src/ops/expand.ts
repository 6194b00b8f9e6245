import { allocate } from '../dtype';
import { ShapeError } from '../errors';
import { expandKernel } from '../kernels/cpu/expand';
import { resolveKernel } from '../kernels/registry';
import { registerOp } from '../op';
import { formatShape, shapeSize, shapesEqual } from '../shape';
import { Tensor } from '../tensor';
import { sumToShape } from './binary';

const expandOp = registerOp<readonly number[]>({
  name: 'expand',
  saves: { inputs: [], output: false },
  forward: ([x], shape) => {
    if (shapesEqual(shape, x.shape)) return x;
    const out = allocate(x.dtype, shapeSize(shape), false);
    resolveKernel('expand', expandKernel)(x._array, x.shape, out, shape);
    return new Tensor(out, shape, x.dtype);
  },
  backward: (g, { inputs: [x] }) => [sumToShape(g, x.shape)],
});

/** Resolve the target shape of {@link expand} (`-1` keeps a size) and check it against `x`'s shape. */
function expandedShape(fn: string, from: readonly number[], shape: readonly number[]): number[] {
  if (!Array.isArray(shape)) throw new ShapeError(`${fn}: shape must be an array of sizes, got ${String(shape)}`);
  if (shape.length < from.length)
    throw new ShapeError(
      `${fn}: the target shape ${formatShape(shape)} has ${shape.length} dims, fewer than the tensor's ${formatShape(from)}`,
    );
  const lead = shape.length - from.length;
  const out = new Array<number>(shape.length);
  for (let i = 0; i < shape.length; i++) {
    const want = shape[i];
    if (!Number.isInteger(want) || want < -1)
      throw new ShapeError(`${fn}: sizes must be non-negative integers or -1, got ${formatShape(shape)}`);
    if (i < lead) {
      if (want === -1)
        throw new ShapeError(
          `${fn}: size -1 is not allowed in a new leading dimension (dim ${i} of ${formatShape(shape)})`,
        );
      out[i] = want;
      continue;
    }
    const have = from[i - lead];
    if (want === -1 || want === have) out[i] = have;
    else if (have === 1) out[i] = want;
    else
      throw new ShapeError(
        `${fn}: cannot expand shape ${formatShape(from)} to ${formatShape(shape)}: size ${have} must match ${want} at dim ${i} (only size-1 dims can grow)`,
      );
  }
  return out;
}

/**
 * Broadcast `x` to `shape` under NumPy's rules: size-1 dimensions are repeated and new dimensions are
 * added in front; `-1` keeps a dimension's size. Unlike PyTorch (a view), the result is a copy,
 * except when the shape does not change.
 *
 * Gradient: the upstream gradient summed over the expanded dimensions (`sumToShape(g, x.shape)`).
 *
 * @example
 * ```ts
 * expand(tensor([[1], [2]]), [2, 3]).toArray(); // [[1, 1, 1], [2, 2, 2]]
 * expand(tensor([1, 2]), [2, -1]).toArray(); // [[1, 2], [1, 2]]
 * ```
 */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  if (!(x instanceof Tensor)) throw new ShapeError(`expand: x must be a Tensor, got ${typeof x}`);
  const target = expandedShape('expand', x.shape, shape);
  if (shapesEqual(target, x.shape) && !x.requiresGrad) return x;
  return expandOp([x], target);
}

/**
 * Broadcast `x` to `shape`, like `torch.broadcast_to`; the same function as {@link expand}.
 *
 * @example
 * ```ts
 * broadcastTo(tensor([1, 2, 3]), [2, 3]).toArray(); // [[1, 2, 3], [1, 2, 3]]
 * ```
 */
export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  return expand(x, shape);
}
