import { allocate, type DType, isFloatingDType, promoteTypes } from '../dtype';
import { DTypeError } from '../errors';
import { siluBackwardKernel, siluKernel } from '../kernels/cpu/activations';
import { resolveKernel } from '../kernels/registry';
import { registerOp } from '../op';
import { Tensor } from '../tensor';
import { add } from './add';
import { mul } from './mul';
import { sigmoid } from './sigmoid';
import { sub } from './sub';

// The fused gradient `g * s (1 + x (1 - s))` with s = σ(x); differentiable in g (itself) and in x
// through silu''(x) = s (1 - s) (2 + x (1 - 2s)), written with Tensor ops.
const siluBackwardOp: (inputs: readonly Tensor[], attrs: undefined) => Tensor = registerOp<undefined>({
  name: 'siluBackward',
  forward: ([g, x]) => {
    const dtype = promoteTypes(g.dtype, x.dtype);
    const out = allocate(dtype, x.size, false);
    resolveKernel('siluBackward', siluBackwardKernel)(g._array, x._array, out);
    return new Tensor(out, x.shape, dtype);
  },
  backward: (gg, { inputs: [g, x] }) => {
    let dx: Tensor | null = null;
    if (x.requiresGrad) {
      const s = sigmoid(x);
      const second = mul(mul(s, sub(1, s)), add(mul(x, sub(1, mul(s, 2))), 2));
      dx = mul(mul(gg, g), second);
    }
    return [g.requiresGrad ? siluBackwardOp([gg, x], undefined) : null, dx];
  },
});

const siluOp = registerOp<undefined>({
  name: 'silu',
  forward: ([x]) => {
    const dtype: DType = isFloatingDType(x.dtype) ? x.dtype : 'float32';
    const out = allocate(dtype, x.size, false);
    resolveKernel('silu', siluKernel)(x._array, out);
    return new Tensor(out, x.shape, dtype);
  },
  backward: (g, { inputs: [x] }) => [siluBackwardOp([g, x], undefined)],
});

/**
 * Elementwise sigmoid linear unit (swish) `x σ(x)`, like PyTorch's `F.silu`; stable for large `|x|`.
 * Integer inputs give a float32 result.
 *
 * Gradient: `σ(x) (1 + x (1 - σ(x)))`.
 *
 * @example
 * ```ts
 * silu(tensor([0, 1], { dtype: 'float64' })).toArray(); // [0, 0.7310585786300049]
 * ```
 */
export function silu(x: Tensor): Tensor {
  if (!(x instanceof Tensor)) throw new DTypeError(`silu: x must be a Tensor, got ${typeof x}`);
  return siluOp([x], undefined);
}
