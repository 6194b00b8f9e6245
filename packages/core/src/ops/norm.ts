import { allocate, type DType, isFloatingDType } from '../dtype';
import { ValueError } from '../errors';
import { noGrad } from '../grad-mode';
import { normKernel, tieWeightsKernel } from '../kernels/cpu/reduce';
import { resolveKernel } from '../kernels/registry';
import { registerOp } from '../op';
import { formatShape, reducedShape, shapeSize } from '../shape';
import { type Axis, Tensor } from '../tensor';
import { abs } from './abs';
import { add } from './add';
import { cast } from './cast';
import { checkKeepdims } from './check-keepdims';
import { eq } from './compare';
import { div } from './div';
import { mul } from './mul';
import { pow } from './pow';
import { reshape } from './reshape';
import { sign } from './sign';
import { expandReduced, type ReduceAttrs, reducedCount, reductionAxes } from './sum';

interface NormAttrs extends ReduceAttrs {
  readonly p: number;
}

/** A constant tensor (outside the graph) of `t`'s shape and dtype, holding 1 where `t` is 0 and 0 elsewhere. */
function zeroMask(t: Tensor): Tensor {
  return noGrad(() => cast(eq(t, 0), t.dtype));
}

function normBackward(g: Tensor, x: Tensor, out: Tensor, { p, axes }: NormAttrs): Tensor {
  const kept = reducedShape(x.shape, axes, true);
  if (p === 0) return new Tensor(allocate(g.dtype, x.size), x.shape, g.dtype);
  if (p === 1) return mul(expandReduced(g, x.shape, axes), sign(x));
  if (p === Infinity || p === -Infinity) {
    // Like PyTorch: sign(x) split evenly among the elements whose |x| attains the norm.
    const weights = allocate(g.dtype, x.size);
    resolveKernel('tieWeights', tieWeightsKernel)(x._array, x.shape, axes, out._array, weights, true);
    const signed = noGrad(() => mul(new Tensor(weights, x.shape, g.dtype), sign(x)));
    return mul(reshape(g, kept), signed);
  }
  // NOTE: a group whose norm is 0 is all zeros; dividing by (norm + 1) there makes its gradient 0, not NaN.
  const safeNorm = add(reshape(out, kept), zeroMask(reshape(out, kept)));
  const gk = reshape(g, kept);
  if (p === 2) return mul(x, div(gk, safeNorm));
  // sign(x)·|x|^(p-1), with |x| shifted to 1 where x = 0 so that p < 1 gives 0 there rather than 0·∞.
  const signedPow = mul(sign(x), pow(add(abs(x), zeroMask(x)), p - 1));
  return mul(signedPow, div(gk, pow(safeNorm, p - 1)));
}

const normOp = registerOp<NormAttrs>({
  name: 'norm',
  forward: ([x], { p, axes, keepdims }) => {
    const dtype: DType = isFloatingDType(x.dtype) ? x.dtype : 'float32';
    const shape = reducedShape(x.shape, axes, keepdims);
    const out = allocate(dtype, shapeSize(shape));
    resolveKernel('norm', normKernel)(x._array, x.shape, axes, p, out);
    return new Tensor(out, shape, dtype);
  },
  backward: (g, { inputs: [x], output, attrs }) => [normBackward(g, x, output, attrs)],
});

/**
 * The vector p-norm over `axis` (all elements when omitted), like `torch.norm` / `torch.linalg.vector_norm`:
 * `(sum |x|^p)^(1/p)` for `p > 0` (default 2, the Euclidean norm), `max |x|` for `Infinity`, `min |x|`
 * for `-Infinity`, and the number of nonzero elements for `p = 0`. An int32 input gives a float32 result.
 *
 * Gradient: `sign(x)·|x|^(p-1) / norm^(p-1)` (so `x / norm` for p = 2 and `sign(x)` for p = 1); for
 * `±Infinity`, `sign(x)` split evenly among the elements whose `|x|` attains the norm; 0 for p = 0.
 * Where the norm is 0 the gradient is 0, not NaN (PyTorch's convention: a subgradient).
 *
 * @param x - the tensor to reduce
 * @param p - the order: 0, any positive number, `Infinity` or `-Infinity`
 * @param axis - the axis or axes to reduce, negative from the end; all of them when omitted or `null`,
 *   none when `[]` (NumPy's rule; PyTorch 1.13 reduces all of them, see {@link Axis})
 * @param keepdims - keep the reduced axes as size-1 dimensions
 *
 * @example
 * ```ts
 * norm(tensor([3, 4])).item(); // 5
 * norm(tensor([3, -4]), 1).item(); // 7
 * norm(tensor([[3, -4], [1, 0]]), Infinity, 1).toArray(); // [4, 1]
 * ```
 */
export function norm(x: Tensor, p = 2, axis?: Axis, keepdims = false): Tensor {
  checkKeepdims('norm', keepdims);
  const axes = reductionAxes('norm', x, axis);
  if (typeof p !== 'number' || Number.isNaN(p) || (p < 0 && p !== -Infinity))
    throw new ValueError(`norm: p must be 0, a positive number, Infinity or -Infinity, got ${String(p)}`);
  if ((p === Infinity || p === -Infinity) && reducedCount(x.shape, axes) === 0)
    throw new ValueError(`norm: the ${p} norm of an empty tensor of shape ${formatShape(x.shape)} is undefined`);
  return normOp([x], { p, axes, keepdims });
}
