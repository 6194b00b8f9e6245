import { allocate, type DType, isFloatingDType } from '../dtype';
import { AxisError, DTypeError } from '../errors';
import { axisLayout } from '../kernels/cpu/reduce';
import { softmaxBackwardKernel, softmaxKernel } from '../kernels/cpu/softmax';
import { resolveKernel } from '../kernels/registry';
import { registerOp } from '../op';
import { normalizeAxis } from '../shape';
import { Tensor } from '../tensor';
import { mul } from './mul';
import { sub } from './sub';
import { sum } from './sum';

/** Check the arguments of softmax-like functions and return the normalised axis. */
export function softmaxAxis(fn: string, x: Tensor, axis: number): number {
  if (!(x instanceof Tensor)) throw new DTypeError(`${fn}: x must be a Tensor, got ${typeof x}`);
  if (typeof axis !== 'number') throw new AxisError(`${fn}: axis must be one integer, got ${JSON.stringify(axis)}`);
  return normalizeAxis(axis, x.ndim, fn);
}

/** Run the softmax kernel (`log` for log-softmax) along `axis`; int32 inputs give float32. */
export function softmaxForward(name: string, x: Tensor, axis: number, log: boolean): Tensor {
  const dtype: DType = isFloatingDType(x.dtype) ? x.dtype : 'float32';
  const out = allocate(dtype, x.size, false);
  const { outer, n, inner } = axisLayout(x.shape, axis);
  resolveKernel(name, softmaxKernel)(x._array, outer, n, inner, out, log);
  return new Tensor(out, x.shape, dtype);
}

/** Run the fused VJP kernel of softmax (`log` for log-softmax) on the upstream gradient `g` and the output `y`. */
export function softmaxBackwardForward(name: string, g: Tensor, y: Tensor, axis: number, log: boolean): Tensor {
  const out = allocate(y.dtype, y.size, false);
  const { outer, n, inner } = axisLayout(y.shape, axis);
  resolveKernel(name, softmaxBackwardKernel)(g._array, y._array, outer, n, inner, out, log);
  return new Tensor(out, y.shape, y.dtype);
}

/** The axes argument of `sum` along a softmax axis (none for a 0-d tensor). */
export function softmaxAxes(t: Tensor, axis: number): number[] {
  return t.ndim === 0 ? [] : [axis];
}

// y · (g - sum(g · y)) in one pass. Its own VJP is written with tensor ops (and itself), so that
// gradients of any order work: in g it is the same map; in y it is u · (g - sum(g · y)) - g · sum(u · y).
const softmaxBackwardOp: (inputs: readonly Tensor[], axis: number) => Tensor = registerOp<number>({
  name: 'softmaxBackward',
  forward: ([g, y], axis) => softmaxBackwardForward('softmaxBackward', g, y, axis, false),
  backward: (u, { inputs: [g, y], attrs: axis }) => {
    const axes = softmaxAxes(y, axis);
    return [
      g.requiresGrad ? softmaxBackwardOp([u, y], axis) : null,
      y.requiresGrad ? sub(mul(u, sub(g, sum(mul(g, y), axes, true))), mul(g, sum(mul(u, y), axes, true))) : null,
    ];
  },
});

/**
 * The VJP of softmax along `axis` from the upstream gradient `g` and the softmax output `y`,
 * `y · (g - sum(g · y, axis))`, as one fused kernel that is itself differentiable (internal: the
 * attention op's backward uses it).
 */
export function softmaxBackward(g: Tensor, y: Tensor, axis: number): Tensor {
  return softmaxBackwardOp([g, y], normalizeAxis(axis, y.ndim, 'softmaxBackward'));
}

const softmaxOp = registerOp<number>({
  name: 'softmax',
  saves: { inputs: [], output: true },
  forward: ([x], axis) => softmaxForward('softmax', x, axis, false),
  backward: (g, { output, attrs: axis }) => [softmaxBackwardOp([g, output], axis)],
});

/**
 * `exp(x) / sum(exp(x))` along `axis` (default the last), like `torch.softmax`. Stable: the max along
 * the axis is subtracted first, so inputs of ±1000 give exact results. An int32 input gives a float32
 * result.
 *
 * Gradient: `y · (g - sum(g · y, axis))` with `y` the output, computed by one fused kernel whose own
 * VJP is written with tensor ops, so second derivatives work.
 *
 * @param x - the input
 * @param axis - the axis to normalise over, negative from the end (default -1)
 *
 * @example
 * ```ts
 * softmax(tensor([0, Math.log(3)])).toArray(); // [0.25, 0.75]
 * softmax(tensor([[1000, 1000], [0, -1000]]), 1).toArray(); // [[0.5, 0.5], [1, 0]]
 * ```
 */
export function softmax(x: Tensor, axis = -1): Tensor {
  return softmaxOp([x], softmaxAxis('softmax', x, axis));
}
