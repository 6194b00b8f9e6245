import { checkOptions, optionNames } from '../check-options';
import { allocate, type DType, isFloatingDType } from '../dtype';
import { ValueError } from '../errors';
import { varianceKernel } from '../kernels/cpu/reduce';
import { resolveKernel } from '../kernels/registry';
import { registerOp } from '../op';
import { reducedShape, shapeSize } from '../shape';
import { type Axis, Tensor } from '../tensor';
import { eq } from './compare';
import { div } from './div';
import { mean } from './mean';
import { mul } from './mul';
import { reshape } from './reshape';
import { sqrt } from './sqrt';
import { sub } from './sub';
import { type ReduceAttrs, reducedCount, reductionAxes } from './sum';
import { where } from './where';

/** Options of {@link variance} and {@link std}. */
export interface VarianceOptions {
  /** Keep the reduced axes as size-1 dimensions (default false). */
  keepdims?: boolean;
  /** Divide by `N - 1` (Bessel's correction, the default, like PyTorch) rather than by `N`. */
  unbiased?: boolean;
  /** Divide by `N - correction`; overrides `unbiased` (PyTorch's `correction`). */
  correction?: number;
}

const VARIANCE_OPTIONS = optionNames<VarianceOptions>({ keepdims: true, unbiased: true, correction: true });

function resolveCorrection(fn: string, options: VarianceOptions): number {
  if (options === null || typeof options !== 'object')
    throw new ValueError(`${fn}: options must be an object like { unbiased: false }, got ${String(options)}`);
  checkOptions(fn, options, VARIANCE_OPTIONS);
  const { unbiased = true, correction } = options;
  if (correction !== undefined) {
    if (typeof correction !== 'number' || !Number.isFinite(correction))
      throw new ValueError(`${fn}: correction must be a finite number, got ${String(correction)}`);
    return correction;
  }
  if (typeof unbiased !== 'boolean') throw new ValueError(`${fn}: unbiased must be a boolean, got ${String(unbiased)}`);
  return unbiased ? 1 : 0;
}

interface VarianceAttrs extends ReduceAttrs {
  readonly correction: number;
}

/** `N - correction`, clamped at 0 like PyTorch's forward (the result is then Infinity or NaN). */
function divisorOf(shape: readonly number[], { axes, correction }: VarianceAttrs): number {
  return Math.max(0, reducedCount(shape, axes) - correction);
}

/** `x - mean(x)` over the reduced axes, recomputed in the graph so that second derivatives work. */
function centeredOf(x: Tensor, { axes }: VarianceAttrs): Tensor {
  return sub(x, mean(x, axes, true));
}

// NOTE: the backwards divide by the unclamped `N - correction`, as PyTorch's var_backward does, so a
// correction >= N gives a finite gradient (or ±Infinity/NaN when N - correction is 0), not NaN.
const varianceOp = registerOp<VarianceAttrs>({
  name: 'variance',
  forward: ([x], attrs) => {
    const dtype: DType = isFloatingDType(x.dtype) ? x.dtype : 'float32';
    const shape = reducedShape(x.shape, attrs.axes, attrs.keepdims);
    const out = allocate(dtype, shapeSize(shape));
    resolveKernel('variance', varianceKernel)(x._array, x.shape, attrs.axes, out, divisorOf(x.shape, attrs));
    return new Tensor(out, shape, dtype);
  },
  backward: (g, { inputs: [x], attrs }) => {
    const n = reducedCount(x.shape, attrs.axes) - attrs.correction;
    return [mul(centeredOf(x, attrs), mul(reshape(g, reducedShape(x.shape, attrs.axes, true)), 2 / n))];
  },
});

const stdOp = registerOp<VarianceAttrs>({
  name: 'std',
  forward: ([x], attrs) => sqrt(varianceOp([x], attrs)),
  backward: (g, { inputs: [x], output, attrs }) => {
    // PyTorch's std_backward: var_backward(g / (2 std)), with g / (2 std) taken as 0 where std is 0.
    // The denominator is 1 there too, so that the gradient of this gradient stays finite.
    const zero = eq(output, 0);
    const scaled = where(zero, 0, div(g, where(zero, 1, output)));
    const n = reducedCount(x.shape, attrs.axes) - attrs.correction;
    return [mul(centeredOf(x, attrs), mul(reshape(scaled, reducedShape(x.shape, attrs.axes, true)), 1 / n))];
  },
});

function attrsOf(fn: string, x: Tensor, axis: Axis, options: VarianceOptions): VarianceAttrs {
  const axes = reductionAxes(fn, x, axis);
  const correction = resolveCorrection(fn, options);
  return { axes, keepdims: options.keepdims ?? false, correction };
}

/**
 * The variance over `axis` (one axis, several, or all of them when omitted), like `torch.var`:
 * `sum((x - mean)²) / (N - correction)`, unbiased (`correction = 1`) by default. An int32 input gives
 * a float32 result. The forward is one fused two-pass kernel; the gradient is written with tensor ops,
 * so gradients of any order work.
 *
 * Gradient: `2 (x - mean) / (N - correction)` times the upstream gradient. As in PyTorch, the forward
 * clamps `N - correction` at 0 (a correction of `N` or more gives Infinity, or NaN for a constant
 * group) while the gradient divides by `N - correction` itself, so it stays finite when it is negative.
 *
 * @param x - the tensor to reduce
 * @param axis - the axis or axes to reduce, negative from the end; all of them when omitted or `null`,
 *   none when `[]` (NumPy's rule; PyTorch 1.13 reduces all of them, see {@link Axis})
 * @param options - `keepdims`, `unbiased` (default true) or `correction` (overrides `unbiased`)
 *
 * @example
 * ```ts
 * const x = tensor([1, 2, 3, 4]);
 * variance(x).item(); // 1.6666666 (divides by N - 1 = 3)
 * variance(x, null, { unbiased: false }).item(); // 1.25
 * variance(tensor([[1, 3], [2, 6]]), 1).toArray(); // [2, 8]
 * ```
 */
export function variance(x: Tensor, axis?: Axis, options: VarianceOptions = {}): Tensor {
  return varianceOp([x], attrsOf('variance', x, axis, options));
}

/**
 * The standard deviation over `axis`, `sqrt(variance(x, axis, options))`, like `torch.std`; unbiased
 * by default.
 *
 * Gradient: `(x - mean) / ((N - correction) · std)` times the upstream gradient, and 0 for every
 * element of a group whose standard deviation is 0 (a constant group), as PyTorch's `std_backward`
 * does; the gradient of that gradient is finite there too. `N - correction` is not clamped in the
 * gradient (see {@link variance}).
 *
 * @param x - the tensor to reduce
 * @param axis - the axis or axes to reduce, negative from the end; all of them when omitted or `null`,
 *   none when `[]` (NumPy's rule; PyTorch 1.13 reduces all of them, see {@link Axis})
 * @param options - `keepdims`, `unbiased` (default true) or `correction` (overrides `unbiased`)
 *
 * @example
 * ```ts
 * std(tensor([2, 4, 4, 4, 5, 5, 7, 9]), null, { unbiased: false }).item(); // 2
 * const x = tensor([3, 3, 3], { requiresGrad: true });
 * std(x).backward();
 * x.grad!.toArray(); // [0, 0, 0] (not NaN)
 * ```
 */
export function std(x: Tensor, axis?: Axis, options: VarianceOptions = {}): Tensor {
  return stdOp([x], attrsOf('std', x, axis, options));
}
