import { allocate, promoteTypes } from '../dtype';
import { ShapeError, ValueError } from '../errors';
import { copyKernel } from '../kernels/cpu/elementwise';
import { scatterAddKernel } from '../kernels/cpu/gather';
import { resolveKernel } from '../kernels/registry';
import { registerOp } from '../op';
import { formatShape, normalizeAxis, shapesEqual } from '../shape';
import { Tensor } from '../tensor';
import { gatherOp } from './gather';
import { checkIndexTensor } from './index-select';
import { pad } from './pad';

/**
 * The gradient of a scatter's `src` (scatterAdd's and scatter's alike): `g` gathered at `index` along
 * `axis`, padded with zeros where `src` is larger than `index` (those elements were never written).
 *
 * @internal
 */
export function scatteredSourceGradient(g: Tensor, index: Tensor, src: Tensor, axis: number): Tensor {
  const gs = gatherOp([g, index], axis);
  if (shapesEqual(index.shape, src.shape)) return gs;
  const padding: number[] = [];
  for (let d = src.ndim - 1; d >= 0; d--) padding.push(0, src.shape[d] - index.shape[d]);
  return pad(gs, padding);
}

/**
 * Check the shapes of a scatter into `x` along `axis` (already normalised) of `src` at `index`: the same number
 * of dims for all three, `index` no larger than `src` anywhere nor than `x` off `axis`. `fn` names the caller.
 *
 * @internal
 */
export function checkScatterShapes(fn: string, x: Tensor, index: Tensor, src: Tensor, axis: number): void {
  if (index.ndim !== x.ndim || src.ndim !== x.ndim)
    throw new ShapeError(
      `${fn}: x, index and src must have the same number of dims, got ${x.ndim}, ${index.ndim} and ${src.ndim}`,
    );
  for (let d = 0; d < x.ndim; d++) {
    if (index.shape[d] > src.shape[d])
      throw new ShapeError(
        `${fn}: index of shape ${formatShape(index.shape)} is larger than src of shape ${formatShape(src.shape)} at dim ${d}`,
      );
    if (d !== axis && index.shape[d] > x.shape[d])
      throw new ShapeError(
        `${fn}: index of shape ${formatShape(index.shape)} is larger than x of shape ${formatShape(x.shape)} at dim ${d} (only axis ${axis} may differ)`,
      );
  }
}

/** Apply the registered scatterAdd op (inputs `[x, index, src]`) without re-checking arguments (used by VJPs). */
export const scatterAddOp: (inputs: readonly Tensor[], axis: number) => Tensor = registerOp<number>({
  name: 'scatterAdd',
  forward: ([x, index, src], axis) => {
    const dtype = promoteTypes(x.dtype, src.dtype);
    const out = allocate(dtype, x.size);
    if (x.dtype === dtype) resolveKernel('copy', copyKernel)(x._array, out);
    else out.set(x.values);
    resolveKernel('scatterAdd', scatterAddKernel)(
      out,
      x.shape,
      index._array as Int32Array,
      index.shape,
      src._array,
      src.shape,
      axis,
    );
    return new Tensor(out, x.shape, dtype);
  },
  backward: (g, { inputs: [x, index, src], attrs: axis }) => [
    x.requiresGrad ? g : null,
    null,
    src.requiresGrad ? scatteredSourceGradient(g, index, src, axis) : null,
  ],
});

/**
 * Out-of-place `torch.Tensor.scatter_add`: a copy of `x` where, for every position `p` of `index`,
 * `src[p]` is added at `x`'s position `p` with its `axis` coordinate replaced by `index[p]` (for a
 * 2-D tensor and `axis = 0`: `out[index[i][j]][j] += src[i][j]`). Repeated indices accumulate.
 * `index` is int32 with as many dims as `x`, no larger than `src` anywhere nor than `x` off `axis`.
 *
 * Gradient: `g` for `x`; for `src`, `g` gathered at `index` (zero where `src` exceeds `index`).
 *
 * @example
 * ```ts
 * const index = tensor([0, 1, 0], { dtype: 'int32' });
 * scatterAdd(zeros([2]), 0, index, tensor([1, 2, 3])).toArray(); // [4, 2]
 * ```
 */
export function scatterAdd(x: Tensor, axis: number, index: Tensor, src: Tensor): Tensor {
  if (!(x instanceof Tensor)) throw new ValueError(`scatterAdd: x must be a Tensor, got ${typeof x}`);
  if (!(index instanceof Tensor)) throw new ValueError(`scatterAdd: index must be a Tensor, got ${typeof index}`);
  if (!(src instanceof Tensor)) throw new ValueError(`scatterAdd: src must be a Tensor, got ${typeof src}`);
  const a = normalizeAxis(axis, x.ndim, 'scatterAdd');
  checkScatterShapes('scatterAdd', x, index, src, a);
  checkIndexTensor('scatterAdd', index, x.ndim === 0 ? 1 : x.shape[a]);
  return scatterAddOp([x, index, src], a);
}
