import { allocate } from '../dtype';
import { ShapeError, ValueError } from '../errors';
import { sliceAssignKernel } from '../kernels/cpu/slice';
import { resolveKernel } from '../kernels/registry';
import { registerOp } from '../op';
import { formatShape, shapeSize } from '../shape';
import { Tensor } from '../tensor';
import { crop } from './slice';

interface PadAttrs {
  /** Elements added before each dimension (non-negative). */
  readonly before: readonly number[];
  /** The padded shape. */
  readonly shape: readonly number[];
  readonly value: number;
}

const padOp = registerOp<PadAttrs>({
  name: 'pad',
  saves: { inputs: [], output: false },
  forward: ([x], { before, shape, value }) => {
    const out = allocate(x.dtype, shapeSize(shape));
    if (value !== 0) out.fill(value);
    const steps = shape.map(() => 1);
    resolveKernel('pad', sliceAssignKernel)(x._array, x.shape, out, shape, before, steps);
    return new Tensor(out, shape, x.dtype);
  },
  backward: (g, { inputs: [x], attrs }) => [crop(g, attrs.before, x.shape)],
});

/**
 * Pad `x` with a constant `value`, like `torch.nn.functional.pad` in `'constant'` mode: `padding`
 * holds `[before, after]` pairs starting from the LAST dimension (`[left, right, top, bottom, ...]`).
 * Negative padding crops.
 *
 * Gradient: the upstream gradient cropped back to `x`'s region (zero for the padding).
 *
 * @example
 * ```ts
 * pad(tensor([[1, 2], [3, 4]]), [1, 0]).toArray(); // [[0, 1, 2], [0, 3, 4]]
 * pad(tensor([1, 2, 3]), [-1, 2], 9).toArray(); // [2, 3, 9, 9]
 * ```
 */
export function pad(x: Tensor, padding: readonly number[], value = 0): Tensor {
  if (!(x instanceof Tensor)) throw new ValueError(`pad: x must be a Tensor, got ${typeof x}`);
  if (!Array.isArray(padding))
    throw new ValueError(`pad: padding must be an array of integers, got ${String(padding)}`);
  if (padding.length % 2 !== 0)
    throw new ValueError(
      `pad: padding must hold [before, after] pairs, got ${padding.length} values ${JSON.stringify(padding)}`,
    );
  if (padding.length / 2 > x.ndim)
    throw new ValueError(
      `pad: padding ${JSON.stringify(padding)} has ${padding.length / 2} pairs but the tensor has only ${x.ndim} dims`,
    );
  for (const p of padding)
    if (!Number.isInteger(p)) throw new ValueError(`pad: padding must hold integers, got ${JSON.stringify(padding)}`);
  if (typeof value !== 'number') throw new ValueError(`pad: value must be a number, got ${typeof value}`);
  const nd = x.ndim;
  const cropStart = new Array<number>(nd).fill(0);
  const cropSize = [...x.shape];
  const before = new Array<number>(nd).fill(0);
  const shape = [...x.shape];
  let crops = false;
  for (let k = 0; k < padding.length / 2; k++) {
    const d = nd - 1 - k;
    const lo = padding[2 * k];
    const hi = padding[2 * k + 1];
    const size = x.shape[d] + lo + hi;
    const kept = x.shape[d] - Math.max(0, -lo) - Math.max(0, -hi);
    if (size < 0 || kept < 0)
      throw new ShapeError(
        `pad: padding [${lo}, ${hi}] crops more than dim ${d} holds (size ${x.shape[d]}, tensor of shape ${formatShape(x.shape)})`,
      );
    if (lo < 0 || hi < 0) crops = true;
    cropStart[d] = Math.max(0, -lo);
    cropSize[d] = kept;
    before[d] = Math.max(0, lo);
    shape[d] = size;
  }
  const inner = crops ? crop(x, cropStart, cropSize) : x;
  return padOp([inner], { before, shape, value });
}
