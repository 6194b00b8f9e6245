import { allocate } from '../dtype';
import { AxisError, ValueError } from '../errors';
import { resolveKernel } from '../kernels/registry';
import { registerOp } from '../op';
import { normalizeAxis } from '../shape';
import { Tensor } from '../tensor';
import { remapAxesKernel } from './flip';

interface RollAttrs {
  /** The shape the roll walks: the tensor's, or `[size]` for a roll of the flattened tensor. */
  readonly shape: readonly number[];
  /** The net shift of each dimension of `shape`. */
  readonly shifts: readonly number[];
}

const rollOp: (inputs: readonly Tensor[], attrs: RollAttrs) => Tensor = registerOp<RollAttrs>({
  name: 'roll',
  saves: { inputs: [], output: false },
  forward: ([x], { shape, shifts }) => {
    const out = allocate(x.dtype, x.size, false);
    const maps = shape.map((n, d) => {
      const s = n === 0 ? 0 : ((shifts[d] % n) + n) % n;
      return s === 0 ? null : Int32Array.from({ length: n }, (_, c) => (c - s + n) % n);
    });
    resolveKernel('roll', remapAxesKernel)(x._array, shape, maps, out);
    return new Tensor(out, x.shape, x.dtype);
  },
  backward: (g, { attrs }) => [rollOp([g], { shape: attrs.shape, shifts: attrs.shifts.map((s) => -s) })],
});

function integers(name: string, value: number | readonly number[]): number[] {
  const list = typeof value === 'number' ? [value] : Array.isArray(value) ? [...value] : null;
  if (list === null || list.some((v) => typeof v !== 'number' || !Number.isInteger(v)))
    throw new ValueError(`roll: ${name} must be an integer or an array of integers, got ${JSON.stringify(value)}`);
  return list;
}

/**
 * `x` with its elements shifted circularly by `shifts[i]` positions along `axes[i]`, like `torch.roll`:
 * elements moved past the end come back at the start (a negative shift moves them the other way). Without
 * `axes`, the tensor is rolled as if flattened (then `shifts` is one number) and keeps its shape. An axis
 * may appear more than once (its shifts add up).
 *
 * Gradient: the upstream gradient rolled back by the opposite shifts.
 *
 * @param x - the tensor to roll
 * @param shifts - one shift, or one per axis of `axes`
 * @param axes - the axes to roll along, negative from the end; omitted or `null` to roll the flattened tensor
 *
 * @example
 * ```ts
 * const x = tensor([[1, 2, 3], [4, 5, 6]]);
 * roll(x, 1).toArray(); // [[6, 1, 2], [3, 4, 5]]
 * roll(x, 1, 1).toArray(); // [[3, 1, 2], [6, 4, 5]]
 * roll(x, [1, -1], [0, 1]).toArray(); // [[5, 6, 4], [2, 3, 1]]
 * ```
 */
export function roll(x: Tensor, shifts: number | readonly number[], axes?: number | readonly number[] | null): Tensor {
  if (!(x instanceof Tensor)) throw new ValueError(`roll: x must be a Tensor, got ${typeof x}`);
  const s = integers('shifts', shifts);
  if (s.length === 0) throw new ValueError('roll: shifts must hold at least one shift');
  if (axes === undefined || axes === null) {
    if (s.length !== 1)
      throw new ValueError(
        `roll: without axes, shifts must be one integer (the flattened tensor is rolled), got ${JSON.stringify(shifts)}`,
      );
    return rollOp([x], { shape: [x.size], shifts: s });
  }
  if (typeof axes !== 'number' && !Array.isArray(axes))
    throw new AxisError(`roll: axes must be an integer or an array of integers, got ${JSON.stringify(axes)}`);
  const a = typeof axes === 'number' ? [axes] : [...axes];
  if (a.length !== s.length)
    throw new ValueError(
      `roll: shifts and axes must have the same length, got ${s.length} shifts and ${a.length} axes`,
    );
  if (x.ndim === 0)
    throw new AxisError('roll: a 0-d tensor has no axis to roll along (omit axes to roll it flattened)');
  const net = x.shape.map(() => 0);
  a.forEach((axis, i) => {
    net[normalizeAxis(axis, x.ndim, 'roll')] += s[i];
  });
  return rollOp([x], { shape: x.shape, shifts: net });
}
