// The sparse initialiser, like torch.nn.init.sparse_: a normal matrix with a fixed share of each column zeroed.

import { checkOptions, type Generator, optionNames, type Tensor, ValueError } from '@nablajs/core';
import { checkFinite, checkTensor, generatorOf, stored, writable } from './init-common';

/**
 * Options of {@link sparse}.
 *
 * @example
 * ```ts
 * const options: SparseOptions = { std: 0.02, generator: new Generator(0) };
 * ```
 */
export interface SparseOptions {
  /** The standard deviation of the non-zero values (default 0.01). */
  std?: number;
  /** The generator to draw from (default: core's global generator, see `manualSeed`). */
  generator?: Generator;
}

const SPARSE_OPTIONS = optionNames<SparseOptions>({ std: true, generator: true });

/**
 * Fill the 2-D `tensor` in place as a sparse matrix, like `torch.nn.init.sparse_` (Martens, 2010): every
 * value is drawn from `N(0, std²)`, then in each column `ceil(sparsity · rows)` entries, at rows chosen at
 * random without repetition, are set to zero. The count is computed in double precision as in PyTorch, so
 * `sparsity` 0.07 with 100 rows zeroes 8 per column (`0.07 · 100` is slightly above 7). Returns `tensor`.
 *
 * The draws are nabla's (a seeded `Generator`), not PyTorch's: the zero count per column and the
 * distribution match, the positions and values do not.
 *
 * See https://pytorch.org/docs/1.13/nn.init.html#torch.nn.init.sparse_
 *
 * @param tensor - a 2-D floating tensor `[rows, cols]`, overwritten
 * @param sparsity - the share of each column to zero, in `[0, 1]`
 * @param options - `std` (default 0.01) and `generator`
 * @returns the same tensor
 *
 * @example
 * ```ts
 * const w = init.sparse(zeros([10, 4]), 0.2, { generator: new Generator(0) });
 * // each of the 4 columns holds exactly 2 zeros; the other values are N(0, 0.01²)
 * ```
 */
export function sparse(tensor: Tensor, sparsity: number, options: SparseOptions = {}): Tensor {
  const fn = 'sparse';
  checkTensor(fn, tensor, true);
  checkOptions(fn, options, SPARSE_OPTIONS);
  if (tensor.ndim !== 2)
    throw new ValueError(`${fn}: only 2-D tensors are supported, got tensor of shape ${JSON.stringify(tensor.shape)}`);
  if (typeof sparsity !== 'number' || !(sparsity >= 0 && sparsity <= 1))
    throw new ValueError(`${fn}: sparsity must be a number in [0, 1], got ${String(sparsity)}`);
  const std = options.std ?? 0.01;
  checkFinite(fn, 'std', std);
  if (std < 0) throw new ValueError(`${fn}: std must be >= 0, got ${std}`);
  const g = generatorOf(fn, { generator: options.generator });
  const [rows, cols] = tensor.shape;
  const zerosPerColumn = Math.ceil(sparsity * rows);
  const data = writable(tensor);
  for (let i = 0; i < data.length; i++) data[i] = std * g.normal();
  const order = new Int32Array(rows);
  for (let c = 0; c < cols; c++) {
    // the first `zerosPerColumn` steps of a Fisher-Yates shuffle pick that many distinct rows
    for (let r = 0; r < rows; r++) order[r] = r;
    for (let k = 0; k < zerosPerColumn; k++) {
      const j = g.integer(k, rows);
      const picked = order[j];
      order[j] = order[k];
      order[k] = picked;
      data[picked * cols + c] = 0;
    }
  }
  return stored(tensor, data);
}
