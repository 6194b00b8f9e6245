import { AxisError, ValueError } from '../errors';
import { permuteKernel } from '../kernels/cpu/permute';
import { resolveKernel } from '../kernels/registry';
import { registerOp } from '../op';
import { normalizeAxis } from '../shape';
import { Tensor } from '../tensor';

function isIdentity(perm: readonly number[]): boolean {
  for (let i = 0; i < perm.length; i++) if (perm[i] !== i) return false;
  return true;
}

const permuteOp: (inputs: readonly Tensor[], perm: readonly number[]) => Tensor = registerOp<readonly number[]>({
  name: 'permute',
  saves: { inputs: [], output: false },
  forward: ([x], perm) => {
    if (isIdentity(perm)) return x;
    const out = x._alloc();
    resolveKernel('permute', permuteKernel)(x._array, x.shape, perm, out);
    const shape = perm.map((p) => x.shape[p]);
    return new Tensor(out, shape, x.dtype);
  },
  backward: (g, { attrs: perm }) => {
    const inverse = new Array<number>(perm.length);
    for (let i = 0; i < perm.length; i++) inverse[perm[i]] = i;
    return [permuteOp([g], inverse)];
  },
});

/**
 * Normalise and check a permutation of `ndim` axes (negative axes count from the end); `fn` names the
 * caller in errors.
 *
 * @example
 * ```ts
 * normalizePermutation('permute', [-1, 0, 1], 3); // [2, 0, 1]
 * ```
 */
export function normalizePermutation(fn: string, dims: readonly number[], ndim: number): number[] {
  if (!Array.isArray(dims)) throw new ValueError(`${fn}: dims must be an array of axes, got ${String(dims)}`);
  if (dims.length !== ndim)
    throw new AxisError(
      `${fn}: dims ${JSON.stringify(dims)} has ${dims.length} entries but the tensor has ${ndim} dims`,
    );
  const perm = dims.map((d) => normalizeAxis(d, ndim, fn));
  const seen = new Array<boolean>(ndim).fill(false);
  for (let i = 0; i < perm.length; i++) {
    if (seen[perm[i]])
      throw new AxisError(`${fn}: dims ${JSON.stringify(dims)} is not a permutation (axis ${perm[i]} repeats)`);
    seen[perm[i]] = true;
  }
  return perm;
}

/**
 * Reorder the dimensions of `x`: output dimension `i` is input dimension `dims[i]` (negative axes
 * count from the end), like `torch.permute`. The result is a copy, except for the identity.
 *
 * Gradient: the upstream gradient permuted by the inverse permutation.
 *
 * @example
 * ```ts
 * const x = zeros([2, 3, 4]);
 * permute(x, [2, 0, 1]).shape; // [4, 2, 3]
 * permute(tensor([[1, 2], [3, 4]]), [1, 0]).toArray(); // [[1, 3], [2, 4]]
 * ```
 */
export function permute(x: Tensor, dims: readonly number[]): Tensor {
  if (!(x instanceof Tensor)) throw new ValueError(`permute: x must be a Tensor, got ${typeof x}`);
  const perm = normalizePermutation('permute', dims, x.ndim);
  if (isIdentity(perm) && !x.requiresGrad) return x;
  return permuteOp([x], perm);
}
