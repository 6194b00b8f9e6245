import { DTypeError, einsum, reshape, ShapeError, type Tensor } from '@nablajs/core';
import { checkFloating, describeShape } from './check';

/**
 * The bilinear map `y = x1ᵀ A x2 + b`, like `torch.nn.functional.bilinear`: `y[..., o] = Σᵢⱼ x1[..., i] ·
 * weight[o, i, j] · x2[..., j] + bias[o]`. `x1` is `[..., in1]` and `x2` `[..., in2]` with the same leading
 * dims (or both 1-D), `weight` is `[out, in1, in2]`, the optional `bias` `[out]`; the result is `[..., out]`.
 * Computed as one {@link einsum} (`'bn,anm,bm->ba'` over the flattened leading dims), with gradients in every
 * argument.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.functional.bilinear.html
 *
 * @example
 * ```ts
 * const w = tensor([[[1, 0], [0, 1]]]); // one output, the dot product of x1 and x2
 * bilinear(tensor([[1, 2]]), tensor([[3, 4]]), w).toArray(); // [[11]]
 * bilinear(randn([8, 5, 3]), randn([8, 5, 4]), randn([6, 3, 4]), zeros([6])).shape; // [8, 5, 6]
 * ```
 */
export function bilinear(x1: Tensor, x2: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  checkFloating('bilinear', 'input1', x1);
  checkFloating('bilinear', 'input2', x2);
  checkFloating('bilinear', 'weight', weight);
  for (const [name, t] of [
    ['input2', x2],
    ['weight', weight],
    ['bias', bias ?? null],
  ] as const)
    if (t !== null && t !== undefined && t.dtype !== x1.dtype)
      throw new DTypeError(`bilinear: ${name} is ${t.dtype} but input1 is ${x1.dtype}; they must have one dtype`);
  if (weight.ndim !== 3)
    throw new ShapeError(`bilinear: weight must be 3-D [out, in1, in2], got shape ${describeShape(weight.shape)}`);
  const [out, in1, in2] = weight.shape;
  if (x1.ndim !== x2.ndim)
    throw new ShapeError(
      `bilinear: input1 and input2 must have as many dims, got shapes ${describeShape(x1.shape)} and ${describeShape(x2.shape)}`,
    );
  if (x1.ndim === 0) throw new ShapeError('bilinear: input1 and input2 need at least 1 dim, got 0-d tensors');
  for (let d = 0; d < x1.ndim - 1; d++)
    if (x1.shape[d] !== x2.shape[d])
      throw new ShapeError(
        `bilinear: input1 and input2 must have the same leading dims, got shapes ${describeShape(x1.shape)} and ${describeShape(x2.shape)} (dim ${d}: ${x1.shape[d]} and ${x2.shape[d]})`,
      );
  if (x1.shape[x1.ndim - 1] !== in1)
    throw new ShapeError(
      `bilinear: input1 has ${x1.shape[x1.ndim - 1]} features in its last dim, weight ${describeShape(weight.shape)} expects ${in1}`,
    );
  if (x2.shape[x2.ndim - 1] !== in2)
    throw new ShapeError(
      `bilinear: input2 has ${x2.shape[x2.ndim - 1]} features in its last dim, weight ${describeShape(weight.shape)} expects ${in2}`,
    );
  const b = bias ?? null;
  if (b !== null) {
    checkFloating('bilinear', 'bias', b);
    if (b.ndim !== 1 || b.shape[0] !== out)
      throw new ShapeError(`bilinear: bias must have shape [${out}] to match weight, got ${describeShape(b.shape)}`);
  }
  const lead = x1.shape.slice(0, -1);
  const rows = lead.reduce((p, d) => p * d, 1);
  const y = einsum('bn,anm,bm->ba', reshape(x1, [rows, in1]), weight, reshape(x2, [rows, in2]));
  const z = b === null ? y : y.add(b);
  return reshape(z, [...lead, out]);
}
