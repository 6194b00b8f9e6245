import { isFloatingDType } from '../dtype';
import { DTypeError, ShapeError, ValueError } from '../errors';
import { formatShape } from '../shape';
import { Tensor } from '../tensor';
import { gatherMap, resampleAxis } from './interpolate';

/**
 * The non-constant padding modes: mirror without the edge (`'reflect'`), repeat the edge
 * (`'replicate'`), or wrap around (`'circular'`).
 *
 * @example
 * ```ts
 * const mode: PadMode = 'reflect';
 * ```
 */
export type PadMode = 'reflect' | 'replicate' | 'circular';

function sourceIndex(mode: PadMode, i: number, n: number): number {
  if (mode === 'replicate') return i < 0 ? 0 : i >= n ? n - 1 : i;
  if (mode === 'circular') return ((i % n) + n) % n;
  if (n === 1) return 0;
  let j = i < 0 ? -i : i;
  if (j >= n) j = 2 * (n - 1) - j;
  return j;
}

function padWith(fn: string, mode: PadMode, x: Tensor, padding: readonly number[]): Tensor {
  if (!(x instanceof Tensor)) throw new ValueError(`${fn}: x must be a Tensor, got ${typeof x}`);
  if (!isFloatingDType(x.dtype)) throw new DTypeError(`${fn}: x must be float32 or float64, got ${x.dtype}`);
  if (!Array.isArray(padding) || padding.length % 2 !== 0 || padding.length === 0)
    throw new ValueError(`${fn}: padding must hold [before, after] pairs, got ${JSON.stringify(padding)}`);
  if (padding.length / 2 > x.ndim)
    throw new ValueError(
      `${fn}: padding ${JSON.stringify(padding)} has ${padding.length / 2} pairs but the tensor has only ${x.ndim} dims`,
    );
  for (const p of padding)
    if (typeof p !== 'number' || !Number.isInteger(p))
      throw new ValueError(`${fn}: padding must hold integers, got ${JSON.stringify(padding)}`);
  for (let k = 0; k < padding.length / 2; k++) {
    const d = x.ndim - 1 - k;
    const n = x.shape[d];
    const lo = padding[2 * k];
    const hi = padding[2 * k + 1];
    if (n + lo + hi < 1)
      throw new ShapeError(
        `${fn}: padding [${lo}, ${hi}] leaves no element of dim ${d} (size ${n}, input shape ${formatShape(x.shape)})`,
      );
    if (mode === 'reflect' && (lo >= n || hi >= n))
      throw new ShapeError(
        `${fn}: reflect padding [${lo}, ${hi}] must be smaller than the size ${n} of dim ${d} (input shape ${formatShape(x.shape)})`,
      );
    const kept = n - Math.max(0, -lo) - Math.max(0, -hi);
    if (mode === 'circular' && (kept < 1 || lo > kept || hi > kept))
      throw new ShapeError(
        `${fn}: circular padding [${lo}, ${hi}] must wrap around at most once: at most the size ${kept} of dim ${d} after cropping (input shape ${formatShape(x.shape)})`,
      );
  }
  let y = x;
  for (let k = 0; k < padding.length / 2; k++) {
    const d = x.ndim - 1 - k;
    const n = x.shape[d];
    const lo = padding[2 * k];
    const hi = padding[2 * k + 1];
    if (lo === 0 && hi === 0) continue;
    const index = new Int32Array(n + lo + hi);
    if (mode === 'circular') {
      // NOTE: as PyTorch, negative padding crops first and the positive side wraps around what is left.
      const start = Math.max(0, -lo);
      const kept = n - start - Math.max(0, -hi);
      const before = Math.max(0, lo);
      for (let j = 0; j < index.length; j++) index[j] = start + sourceIndex('circular', j - before, kept);
    } else for (let j = 0; j < index.length; j++) index[j] = sourceIndex(mode, j - lo, n);
    y = resampleAxis(y, d, gatherMap(n, index));
  }
  return y;
}

/**
 * Pad `x` by mirroring it about its edges (the edge itself not repeated), like `torch.nn.functional.pad`
 * in `'reflect'` mode: `padding` holds `[before, after]` pairs from the LAST dim, each smaller than that
 * dim's size (negative values crop). Output position `j` reads input `|j - before|`, folded back at the
 * far end.
 *
 * Gradient: each output gradient added back onto the input element it copies.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.functional.pad.html
 *
 * @example
 * ```ts
 * reflectionPad(tensor([[[1, 2, 3]]]), [2, 1]).toArray(); // [[[3, 2, 1, 2, 3, 2]]]
 * ```
 */
export function reflectionPad(x: Tensor, padding: readonly number[]): Tensor {
  return padWith('reflectionPad', 'reflect', x, padding);
}

/**
 * Pad `x` by repeating its edge values, like `torch.nn.functional.pad` in `'replicate'` mode: `padding`
 * holds `[before, after]` pairs from the LAST dim (negative values crop). Output position `j` reads input
 * `clamp(j - before, 0, size - 1)`.
 *
 * Gradient: each output gradient added back onto the input element it copies.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.functional.pad.html
 *
 * @example
 * ```ts
 * replicationPad(tensor([[[1, 2, 3]]]), [2, 1]).toArray(); // [[[1, 1, 1, 2, 3, 3]]]
 * ```
 */
export function replicationPad(x: Tensor, padding: readonly number[]): Tensor {
  return padWith('replicationPad', 'replicate', x, padding);
}

/**
 * Pad `x` by wrapping it around (periodic padding), like `torch.nn.functional.pad` in `'circular'` mode:
 * `padding` holds `[before, after]` pairs from the LAST dim, each at most that dim's size. Output
 * position `j` reads input `(j - before) mod size`. Negative values crop first, and the other side then
 * wraps around what is left (as PyTorch).
 *
 * Gradient: each output gradient added back onto the input element it copies.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.functional.pad.html
 *
 * @example
 * ```ts
 * circularPad(tensor([[[1, 2, 3]]]), [2, 1]).toArray(); // [[[2, 3, 1, 2, 3, 1]]]
 * ```
 */
export function circularPad(x: Tensor, padding: readonly number[]): Tensor {
  return padWith('circularPad', 'circular', x, padding);
}
