import { allocate, type TypedArray } from '../dtype';
import { ShapeError, ValueError } from '../errors';
import { resolveKernel } from '../kernels/registry';
import { registerOp } from '../op';
import { Tensor } from '../tensor';

/**
 * The cpu kernel of tril and triu over `batch` row-major `rows x cols` matrices: keep `x[i][j]` where
 * `j - i <= diagonal` (lower) or `j - i >= diagonal` (upper), write 0 elsewhere (NaN included).
 */
export function triangleKernel(
  x: TypedArray,
  batch: number,
  rows: number,
  cols: number,
  diagonal: number,
  upper: boolean,
  out: TypedArray,
): void {
  let p = 0;
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < rows; i++) {
      // The kept columns of row i are [0, i + diagonal] (lower) or [i + diagonal, cols) (upper).
      const edge = Math.min(Math.max(upper ? i + diagonal : i + diagonal + 1, 0), cols);
      const keepFrom = upper ? edge : 0;
      const keepTo = upper ? cols : edge;
      for (let j = 0; j < cols; j++, p++) out[p] = j >= keepFrom && j < keepTo ? x[p] : 0;
    }
  }
}

interface TriangleAttrs {
  readonly diagonal: number;
  readonly upper: boolean;
}

function applyTriangle(x: Tensor, attrs: TriangleAttrs): Tensor {
  const rows = x.shape[x.ndim - 2];
  const cols = x.shape[x.ndim - 1];
  const batch = rows * cols === 0 ? 0 : x.size / (rows * cols);
  const out = allocate(x.dtype, x.size, false);
  resolveKernel('triangle', triangleKernel)(x._array, batch, rows, cols, attrs.diagonal, attrs.upper, out);
  return new Tensor(out, x.shape, x.dtype);
}

const trilOp: (inputs: readonly Tensor[], attrs: TriangleAttrs) => Tensor = registerOp<TriangleAttrs>({
  name: 'tril',
  saves: { inputs: [], output: false },
  forward: ([x], attrs) => applyTriangle(x, attrs),
  backward: (g, { attrs }) => [trilOp([g], attrs)],
});

const triuOp: (inputs: readonly Tensor[], attrs: TriangleAttrs) => Tensor = registerOp<TriangleAttrs>({
  name: 'triu',
  saves: { inputs: [], output: false },
  forward: ([x], attrs) => applyTriangle(x, attrs),
  backward: (g, { attrs }) => [triuOp([g], attrs)],
});

function checkArgs(fn: string, x: unknown, diagonal: unknown): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new ValueError(`${fn}: x must be a Tensor, got ${typeof x}`);
  if (x.ndim < 2)
    throw new ShapeError(`${fn}: x must have at least 2 dims (a matrix or a batch of them), got ${x.ndim}`);
  if (typeof diagonal !== 'number' || !Number.isInteger(diagonal))
    throw new ValueError(`${fn}: diagonal must be an integer, got ${JSON.stringify(diagonal)}`);
}

/**
 * The lower triangle of the matrices in the last two dims of `x`, like `torch.tril`: elements with
 * `column - row <= diagonal` are kept, the others become 0 (NaN and infinities included). `diagonal = 0` is
 * the main diagonal, a positive one lies above it, a negative one below.
 *
 * Gradient: the upstream gradient with the same elements zeroed.
 *
 * @param x - a matrix, or a batch of matrices in its last two dims
 * @param diagonal - the last diagonal kept (default 0)
 *
 * @example
 * ```ts
 * const x = tensor([[1, 2, 3], [4, 5, 6], [7, 8, 9]]);
 * tril(x).toArray(); // [[1, 0, 0], [4, 5, 0], [7, 8, 9]]
 * tril(x, -1).toArray(); // [[0, 0, 0], [4, 0, 0], [7, 8, 0]]
 * ```
 */
export function tril(x: Tensor, diagonal = 0): Tensor {
  checkArgs('tril', x, diagonal);
  return trilOp([x], { diagonal, upper: false });
}

/**
 * The upper triangle of the matrices in the last two dims of `x`, like `torch.triu`: elements with
 * `column - row >= diagonal` are kept, the others become 0 (NaN and infinities included). `diagonal = 0` is
 * the main diagonal, a positive one lies above it, a negative one below.
 *
 * Gradient: the upstream gradient with the same elements zeroed.
 *
 * @param x - a matrix, or a batch of matrices in its last two dims
 * @param diagonal - the first diagonal kept (default 0)
 *
 * @example
 * ```ts
 * const x = tensor([[1, 2, 3], [4, 5, 6], [7, 8, 9]]);
 * triu(x).toArray(); // [[1, 2, 3], [0, 5, 6], [0, 0, 9]]
 * triu(x, 1).toArray(); // [[0, 2, 3], [0, 0, 6], [0, 0, 0]]
 * ```
 */
export function triu(x: Tensor, diagonal = 0): Tensor {
  checkArgs('triu', x, diagonal);
  return triuOp([x], { diagonal, upper: true });
}
