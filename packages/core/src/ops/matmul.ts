import { checkOptions, optionNames } from '../check-options';
import { allocate, promoteTypes } from '../dtype';
import { ShapeError, ValueError } from '../errors';
import { matmulKernel } from '../kernels/cpu/matmul';
import { resolveKernel } from '../kernels/registry';
import { registerOp } from '../op';
import { broadcastShapes, formatShape, type Shape, shapeSize, shapesEqual } from '../shape';
import { Tensor } from '../tensor';
import { sumToShape } from './binary';
import { reshape } from './reshape';

/** Which operands of a {@link matmulTransposed} product are read transposed (their last two dims swapped). */
export interface MatmulTransposeOptions {
  /** Use the transpose of `a`'s last two dimensions (default false). */
  transA?: boolean;
  /** Use the transpose of `b`'s last two dimensions (default false). */
  transB?: boolean;
}

const MATMUL_TRANSPOSE_OPTIONS = optionNames<MatmulTransposeOptions>({ transA: true, transB: true });

interface MatmulAttrs {
  readonly transA: boolean;
  readonly transB: boolean;
}

const PLAIN: MatmulAttrs = { transA: false, transB: false };

/**
 * Offsets (in elements) of each matrix of an operand with batch shape `shape` when its batch is
 * broadcast to `outShape`, or `null` when no broadcasting is needed (matrix i is at `i * matSize`).
 */
function batchOffsets(shape: Shape, outShape: Shape, matSize: number): number[] | null {
  if (shapesEqual(shape, outShape)) return null;
  const nd = outShape.length;
  const lead = nd - shape.length;
  const strides = new Array<number>(nd).fill(0);
  let s = matSize;
  for (let d = nd - 1; d >= lead; d--) {
    const size = shape[d - lead];
    strides[d] = size === 1 ? 0 : s;
    s *= size;
  }
  const total = shapeSize(outShape);
  const offsets = new Array<number>(total);
  const index = new Array<number>(nd).fill(0);
  let offset = 0;
  for (let i = 0; i < total; i++) {
    offsets[i] = offset;
    for (let d = nd - 1; d >= 0; d--) {
      index[d]++;
      offset += strides[d];
      if (index[d] < outShape[d]) break;
      offset -= strides[d] * index[d];
      index[d] = 0;
    }
  }
  return offsets;
}

const matmulOp: (inputs: readonly Tensor[], attrs: MatmulAttrs) => Tensor = registerOp<MatmulAttrs>({
  name: 'matmul',
  saves: { output: false },
  ownsGrads: true, // its gradients are new products (or their sums over broadcast batch dimensions)
  forward: ([a, b], { transA, transB }) => {
    const ar = a.shape[a.ndim - 2];
    const ac = a.shape[a.ndim - 1];
    const br = b.shape[b.ndim - 2];
    const bc = b.shape[b.ndim - 1];
    const m = transA ? ac : ar;
    const k = transA ? ar : ac;
    const n = transB ? br : bc;
    const aBatch = a.shape.slice(0, -2);
    const bBatch = b.shape.slice(0, -2);
    const batch = shapesEqual(aBatch, bBatch) ? aBatch : broadcastShapes(aBatch, bBatch, 'matmul');
    const dtype = promoteTypes(a.dtype, b.dtype);
    const outShape = [...batch, m, n];
    const out = allocate(dtype, shapeSize(outShape), false); // every product overwrites its block
    const kernel = resolveKernel('matmul', matmulKernel);
    const count = shapeSize(batch);
    const bOffsets = batchOffsets(bBatch, batch, k * n);
    if (!transA && shapesEqual(aBatch, batch) && shapeSize(bBatch) === 1) {
      // A batch of matrices times one matrix is a single product with the batch stacked into the rows.
      kernel(a._array, 0, b._array, 0, out, 0, count * m, k, n, false, transB, false);
    } else {
      const aOffsets = batchOffsets(aBatch, batch, m * k);
      for (let i = 0; i < count; i++) {
        const ao = aOffsets === null ? i * m * k : aOffsets[i];
        const bo = bOffsets === null ? i * k * n : bOffsets[i];
        kernel(a._array, ao, b._array, bo, out, i * m * n, m, k, n, transA, transB, false);
      }
    }
    return new Tensor(out, outShape, dtype);
  },
  backward: (g, { inputs: [a, b], attrs: { transA, transB } }) => {
    // With C = op(A)·op(B): dL/dop(A) = G·op(B)ᵀ and dL/dop(B) = op(A)ᵀ·G, transposed back where A or
    // B was read transposed; every product is again this op with other flags, so it differentiates again.
    let ga: Tensor | null = null;
    let gb: Tensor | null = null;
    if (a.requiresGrad) {
      ga = transA
        ? matmulOp([b, g], { transA: transB, transB: true })
        : matmulOp([g, b], { transA: false, transB: !transB });
      ga = sumToShape(ga, a.shape);
    }
    if (b.requiresGrad) {
      gb = transB
        ? matmulOp([g, a], { transA: true, transB: transA })
        : matmulOp([a, g], { transA: !transA, transB: false });
      gb = sumToShape(gb, b.shape);
    }
    return [ga, gb];
  },
});

function checkTensor(fn: string, arg: string, x: unknown): asserts x is Tensor {
  if (!(x instanceof Tensor))
    throw new ValueError(`${fn}: ${arg} must be a Tensor, got ${x === null ? 'null' : typeof x}`);
}

function checkBatch(fn: string, a: Tensor, b: Tensor): void {
  const aBatch = a.shape.slice(0, -2);
  const bBatch = b.shape.slice(0, -2);
  const nd = Math.max(aBatch.length, bBatch.length);
  for (let i = 1; i <= nd; i++) {
    const da = i <= aBatch.length ? aBatch[aBatch.length - i] : 1;
    const db = i <= bBatch.length ? bBatch[bBatch.length - i] : 1;
    if (da !== db && da !== 1 && db !== 1)
      throw new ShapeError(
        `${fn}: batch dimensions of shapes ${formatShape(a.shape)} and ${formatShape(b.shape)} cannot be broadcast (${da} vs ${db})`,
      );
  }
}

/**
 * The matrix product of `a` and `b`, with PyTorch's `torch.matmul` rules: two vectors give their dot
 * product (a 0-d tensor); a 1-D first operand is treated as a row `[1, n]` and a 1-D second operand as
 * a column `[n, 1]`, the added dimension being removed from the result; dimensions before the last
 * two are batch dimensions and broadcast. Mixed dtypes are promoted; int32 products stay int32.
 *
 * Gradient: for `C = A·B`, `dL/dA = G·Bᵀ` and `dL/dB = Aᵀ·G`, summed over broadcast batch dimensions.
 *
 * @example
 * ```ts
 * matmul(tensor([[1, 2], [3, 4]]), tensor([[5], [6]])).toArray(); // [[17], [39]]
 * matmul(tensor([1, 2]), tensor([3, 4])).item(); // 11
 * matmul(zeros([2, 1, 3, 4]), zeros([5, 4, 2])).shape; // [2, 5, 3, 2]
 * ```
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  checkTensor('matmul', 'a', a);
  checkTensor('matmul', 'b', b);
  if (a.ndim === 0 || b.ndim === 0)
    throw new ShapeError(
      `matmul: both arguments need at least 1 dimension, got shapes ${formatShape(a.shape)} and ${formatShape(b.shape)}`,
    );
  const ka = a.shape[a.ndim - 1];
  const kb = b.ndim === 1 ? b.shape[0] : b.shape[b.ndim - 2];
  if (ka !== kb)
    throw new ShapeError(
      `matmul: shapes ${formatShape(a.shape)} and ${formatShape(b.shape)} do not align (${ka} != ${kb})`,
    );
  checkBatch('matmul', a, b);
  const a2 = a.ndim === 1 ? reshape(a, [1, ka]) : a;
  const b2 = b.ndim === 1 ? reshape(b, [kb, 1]) : b;
  const out = matmulOp([a2, b2], PLAIN);
  if (a.ndim > 1 && b.ndim > 1) return out;
  const shape = [...out.shape];
  if (b.ndim === 1) shape.splice(shape.length - 1, 1);
  if (a.ndim === 1) shape.splice(shape.length - (b.ndim === 1 ? 1 : 2), 1);
  return reshape(out, shape);
}

/**
 * The matrix product `op(a) · op(b)` where `op` optionally swaps the last two dimensions, computed
 * without materialising the transposes (the kernel reads the operands transposed). Both operands
 * need at least 2 dimensions; batch dimensions broadcast as in {@link matmul}. This is what a
 * linear layer uses for `x · Wᵀ`.
 *
 * Gradient: the same products with other flags, e.g. for `C = A·Bᵀ`, `dL/dA = G·B` and `dL/dB = Gᵀ·A`.
 *
 * @example
 * ```ts
 * const x = tensor([[1, 2]]);
 * const w = tensor([[1, 0], [0, 1], [1, 1]]);
 * matmulTransposed(x, w, { transB: true }).toArray(); // [[1, 2, 3]]
 * ```
 */
export function matmulTransposed(a: Tensor, b: Tensor, options: MatmulTransposeOptions = {}): Tensor {
  checkOptions('matmulTransposed', options, MATMUL_TRANSPOSE_OPTIONS);
  checkTensor('matmulTransposed', 'a', a);
  checkTensor('matmulTransposed', 'b', b);
  const transA = options.transA ?? false;
  const transB = options.transB ?? false;
  if (a.ndim < 2 || b.ndim < 2)
    throw new ShapeError(
      `matmulTransposed: both arguments need at least 2 dimensions, got shapes ${formatShape(a.shape)} and ${formatShape(b.shape)}`,
    );
  const ka = transA ? a.shape[a.ndim - 2] : a.shape[a.ndim - 1];
  const kb = transB ? b.shape[b.ndim - 1] : b.shape[b.ndim - 2];
  if (ka !== kb)
    throw new ShapeError(
      `matmulTransposed: shapes ${formatShape(a.shape)}${transA ? 'ᵀ' : ''} and ${formatShape(b.shape)}${transB ? 'ᵀ' : ''} do not align (${ka} != ${kb})`,
    );
  checkBatch('matmulTransposed', a, b);
  return matmulOp([a, b], { transA, transB });
}
