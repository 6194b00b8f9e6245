import { allocate, type DType, isFloatingDType, promoteTypes } from '../dtype';
import { DTypeError, ValueError } from '../errors';
import { clampBackwardKernel, clampKernel } from '../kernels/cpu/elementwise';
import { resolveKernel } from '../kernels/registry';
import { registerOp } from '../op';
import { Tensor } from '../tensor';

interface ClampAttrs {
  /** The lower bound, `-Infinity` when absent. */
  readonly lo: number;
  /** The upper bound, `Infinity` when absent. */
  readonly hi: number;
}

// The gradient of clamp: g where lo <= x <= hi (inclusive at both ends, as in PyTorch), 0 elsewhere.
// Linear in g, so its own VJP is itself applied to gg.
const clampBackwardOp: (inputs: readonly Tensor[], attrs: ClampAttrs) => Tensor = registerOp<ClampAttrs>({
  name: 'clampBackward',
  forward: ([g, x], { lo, hi }) => {
    const dtype = promoteTypes(g.dtype, x.dtype);
    const out = allocate(dtype, x.size, false);
    resolveKernel('clampBackward', clampBackwardKernel)(g._array, x._array, out, lo, hi);
    return new Tensor(out, x.shape, dtype);
  },
  backward: (gg, { inputs: [g, x], attrs }) => [g.requiresGrad ? clampBackwardOp([gg, x], attrs) : null, null],
});

const clampOp = registerOp<ClampAttrs>({
  name: 'clamp',
  forward: ([x], { lo, hi }) => {
    const integral = Number.isInteger(lo) || lo === -Infinity;
    const dtype: DType =
      isFloatingDType(x.dtype) || (integral && (Number.isInteger(hi) || hi === Infinity)) ? x.dtype : 'float32';
    const out = allocate(dtype, x.size, false);
    // NOTE: a float32 tensor is compared with its bounds rounded to float32, as PyTorch does.
    const l = dtype === 'float32' ? Math.fround(lo) : lo;
    const h = dtype === 'float32' ? Math.fround(hi) : hi;
    resolveKernel('clamp', clampKernel)(x._array, out, l, h);
    return new Tensor(out, x.shape, dtype);
  },
  backward: (g, { inputs: [x], attrs: { lo, hi } }) => {
    const f32 = x.dtype === 'float32';
    return [clampBackwardOp([g, x], { lo: f32 ? Math.fround(lo) : lo, hi: f32 ? Math.fround(hi) : hi })];
  },
});

function checkBound(name: string, value: unknown): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || Number.isNaN(value))
    throw new ValueError(`clamp: ${name} must be a number or null, got ${String(value)}`);
  return value;
}

/**
 * Elementwise clamp into `[min, max]`, like `torch.clamp`: `min(max(x, min), max)`, so `max` wins when
 * `min > max`. Either bound may be omitted (`null`/`undefined`), but not both. An int32 tensor stays
 * int32 with integer bounds and becomes float32 with fractional ones. NaN stays NaN.
 *
 * Gradient: 1 where `min <= x <= max`, **inclusive at both bounds** (PyTorch's convention, so
 * `clamp(x, 0)` has gradient 1 at 0 where `relu` has 0), and 0 elsewhere.
 *
 * @param min - the lower bound, or `null`/`undefined` for none
 * @param max - the upper bound, or `null`/`undefined` for none
 *
 * @example
 * ```ts
 * clamp(tensor([-2, 0.3, 5]), -1, 1).toArray(); // [-1, 0.3, 1] (0.3 rounded to float32)
 * clamp(tensor([-2, 3]), 0).toArray(); // [0, 3]
 * ```
 */
export function clamp(x: Tensor, min?: number | null, max?: number | null): Tensor {
  if (!(x instanceof Tensor)) throw new DTypeError(`clamp: x must be a Tensor, got ${typeof x}`);
  const lo = checkBound('min', min);
  const hi = checkBound('max', max);
  if (lo === null && hi === null) throw new ValueError('clamp: at least one of min and max must be given, got neither');
  return clampOp([x], { lo: lo ?? -Infinity, hi: hi ?? Infinity });
}
