import { allocate, type TypedArray } from '../dtype';
import { AutogradError } from '../errors';
import { prodKernel, prodOthersKernel, prodOthersVjpKernel } from '../kernels/cpu/reduce';
import { resolveKernel } from '../kernels/registry';
import { registerOp } from '../op';
import { hostReadsMayWait } from '../residency';
import { reducedShape, shapeSize } from '../shape';
import { type Axis, Tensor } from '../tensor';
import { checkKeepdims } from './check-keepdims';
import { div } from './div';
import { mul } from './mul';
import { expandReduced, type ReduceAttrs, reductionAxes } from './sum';

function hasZero(data: TypedArray): boolean {
  for (let i = 0; i < data.length; i++) if (data[i] === 0) return true;
  return false;
}

// The second derivative of prod at inputs with zeros: linear in h, so its own VJP in h is itself.
const prodOthersVjpOp: (inputs: readonly Tensor[], attrs: ReduceAttrs) => Tensor = registerOp<ReduceAttrs>({
  name: 'prodOthersVjp',
  forward: ([h, x], { axes }) => {
    const out = allocate(h.dtype, x.size);
    resolveKernel('prodOthersVjp', prodOthersVjpKernel)(h._array, x._array, x.shape, axes, out);
    return new Tensor(out, x.shape, h.dtype);
  },
  backward: (u, { inputs: [h, x], attrs }) => {
    if (x.requiresGrad)
      throw new AutogradError(
        'prod: derivatives of third order and higher are not supported at inputs that contain zeros',
      );
    return [h.requiresGrad ? prodOthersVjpOp([u, x], attrs) : null, null];
  },
});

// For each element, the product of the other elements of its group: exact even when the group has zeros.
const prodOthersOp = registerOp<ReduceAttrs>({
  name: 'prodOthers',
  forward: ([x], { axes }) => {
    const out = allocate(x.dtype, x.size);
    resolveKernel('prodOthers', prodOthersKernel)(x._array, x.shape, axes, out);
    return new Tensor(out, x.shape, x.dtype);
  },
  backward: (h, { inputs: [x], attrs }) => [prodOthersVjpOp([h, x], attrs)],
});

const prodOp = registerOp<ReduceAttrs>({
  name: 'prod',
  forward: ([x], { axes, keepdims }) => {
    const shape = reducedShape(x.shape, axes, keepdims);
    const out = allocate(x.dtype, shapeSize(shape));
    resolveKernel('prod', prodKernel)(x._array, x.shape, axes, out);
    return new Tensor(out, shape, x.dtype);
  },
  backward: (g, { inputs: [x], output, attrs }) => {
    const { axes } = attrs;
    // NOTE: out/x is the product of the others only when x has no zero; otherwise an exact op takes over.
    // Where values may be on the GPU (webgpu), looking for a zero would wait for them: the exact op always.
    if (!hostReadsMayWait() && !hasZero(x.values)) return [div(expandReduced(mul(g, output), x.shape, axes), x)];
    return [mul(expandReduced(g, x.shape, axes), prodOthersOp([x], attrs))];
  },
});

/**
 * The product of the elements over `axis` (one axis, several, or all of them when omitted), like
 * `torch.prod`. The product of no elements is 1.
 *
 * Gradient: `d(prod x)/dx_i` is the product of the other elements of `x_i`'s group. It stays exact
 * with zeros in the input: with one zero, only the zero gets the product of the rest; with two or more,
 * the whole group gets 0. Second derivatives work too (through `div` when the input has no zero, through
 * a dedicated op otherwise).
 *
 * @param x - the tensor to reduce
 * @param axis - the axis or axes to reduce, negative from the end; all of them when omitted or `null`,
 *   none when `[]` (NumPy's rule; PyTorch 1.13 reduces all of them, see {@link Axis})
 * @param keepdims - keep the reduced axes as size-1 dimensions
 *
 * @example
 * ```ts
 * const x = tensor([[1, 2], [3, 4]]);
 * prod(x).item(); // 24
 * prod(x, 1).toArray(); // [2, 12]
 * ```
 */
export function prod(x: Tensor, axis?: Axis, keepdims = false): Tensor {
  checkKeepdims('prod', keepdims);
  const axes = reductionAxes('prod', x, axis);
  return prodOp([x], { axes, keepdims });
}
