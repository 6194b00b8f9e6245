import { ShapeError } from '../errors';
import { registerOp } from '../op';
import { formatShape, type Shape, shapesEqual } from '../shape';
import { Tensor } from '../tensor';

/** Resolve a requested shape with at most one `-1` against `size` elements; `fn` names the caller in errors. */
export function resolveShape(fn: string, size: number, from: Shape, shape: readonly number[]): number[] {
  if (!Array.isArray(shape))
    throw new ShapeError(
      `${fn}: shape must be an array of sizes (one may be -1), as in ${fn}(x, [2, -1]) or x.${fn}([2, -1]), got ${typeof shape === 'number' ? `the number ${shape}` : typeof shape}`,
    );
  let infer = -1;
  let known = 1;
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i];
    if (d === -1) {
      if (infer >= 0) throw new ShapeError(`${fn}: only one dimension can be -1, got ${formatShape(shape)}`);
      infer = i;
    } else if (!Number.isInteger(d) || d < 0) {
      throw new ShapeError(`${fn}: sizes must be non-negative integers or -1, got ${formatShape(shape)}`);
    } else known *= d;
  }
  const out = [...shape];
  if (infer >= 0) {
    if (known === 0 || size % known !== 0)
      throw new ShapeError(
        `${fn}: cannot reshape a tensor of shape ${formatShape(from)} (${size} elements) into ${formatShape(shape)}`,
      );
    out[infer] = size / known;
  } else if (known !== size) {
    throw new ShapeError(
      `${fn}: cannot reshape a tensor of shape ${formatShape(from)} (${size} elements) into ${formatShape(shape)} (${known} elements)`,
    );
  }
  return out;
}

const reshapeOp = registerOp<readonly number[]>({
  name: 'reshape',
  saves: { inputs: [], output: false },
  forward: ([x], shape) => new Tensor(x._array, shape, x.dtype)._shareVersion(x),
  backward: (g, { inputs: [x] }) => [reshape(g, x.shape)],
});

/**
 * The same elements with a new shape; one size may be `-1` to be inferred. The result shares `x`'s
 * data (no copy), like a PyTorch view.
 *
 * @example
 * ```ts
 * reshape(arange(6), [2, -1]).shape; // [2, 3]
 * ```
 */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const resolved = resolveShape('reshape', x.size, x.shape, shape);
  if (shapesEqual(resolved, x.shape) && !x.requiresGrad) return x;
  return reshapeOp([x], resolved);
}
