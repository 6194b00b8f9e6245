import {
  add,
  allocate,
  checkOptions,
  div,
  log,
  logSigmoid,
  maximum,
  mul,
  optionNames,
  promoteTypes,
  registerOp,
  resolveKernel,
  runOnHost,
  sub,
  Tensor,
  type TypedArray,
  ValueError,
} from '@nablajs/core';
import { checkBroadcastsTo, checkFloating, checkSameShape } from '../functional/check';
import { applyReduction, checkReduction, REDUCTION_OPTIONS, type ReductionOptions } from './reduction';

/**
 * Options of {@link binaryCrossEntropy}.
 *
 * @example
 * ```ts
 * const options: BinaryCrossEntropyOptions = { weight: tensor([1, 2, 1]), reduction: 'sum' };
 * ```
 */
export interface BinaryCrossEntropyOptions extends ReductionOptions {
  /** A rescaling weight that broadcasts to the input's shape (multiplies each element's loss). */
  weight?: Tensor | null;
}

/**
 * Options of {@link binaryCrossEntropyWithLogits}.
 *
 * @example
 * ```ts
 * const options: BinaryCrossEntropyWithLogitsOptions = { posWeight: tensor([3]) };
 * ```
 */
export interface BinaryCrossEntropyWithLogitsOptions extends BinaryCrossEntropyOptions {
  /** A weight of the positive term, broadcast along the last (class) dimension, e.g. `negatives / positives`. */
  posWeight?: Tensor | null;
}

/** The option names of the loss, for core's `checkOptions` (shared with its module class). */
export const BCE_OPTIONS = [
  ...REDUCTION_OPTIONS,
  ...optionNames<Omit<BinaryCrossEntropyOptions, 'reduction'>>({ weight: true }),
];
/** The option names of the loss, for core's `checkOptions` (shared with its module class). */
export const BCE_WITH_LOGITS_OPTIONS = [
  ...BCE_OPTIONS,
  ...optionNames<Omit<BinaryCrossEntropyWithLogitsOptions, keyof BinaryCrossEntropyOptions>>({ posWeight: true }),
];

// PyTorch's floor for the denominator of the BCE gradient, x (1 - x).
const EPSILON = 1e-12;

/**
 * The cpu kernel of {@link binaryCrossEntropy}'s forward: at each element,
 * `out[i] = -(y·max(log x, -100) + (1-y)·max(log(1-x), -100))` in doubles, rounded once to `out`'s dtype.
 */
function bceKernel(x: TypedArray, y: TypedArray, out: TypedArray): void {
  for (let i = 0; i < out.length; i++) {
    const xi = x[i];
    const yi = y[i];
    const logX = Math.max(Math.log(xi), -100);
    const log1mX = Math.max(Math.log1p(-xi), -100);
    out[i] = -(yi * logX + (1 - yi) * log1mX);
  }
}

// Elementwise -(y·max(log x, -100) + (1-y)·max(log(1-x), -100)), with PyTorch's gradients:
// (x - y) / max(x (1-x), 1e-12) for x and log(1-x) - log(x) for y, both written with tensor ops so that
// second derivatives work. A composite of clamped logs would give 0·∞ = NaN at x = 0 or 1.
const bceOp = registerOp<undefined>({
  name: 'nn.binaryCrossEntropy',
  forward: ([x, y]) => {
    const dtype = promoteTypes(x.dtype, y.dtype);
    const out = allocate(dtype, x.size);
    // NOTE: through the kernel registry, so that on the webgpu backend it waits for its inputs' values
    // (a backend may register a GPU kernel under this name).
    resolveKernel('binaryCrossEntropy', bceKernel)(x._array, y._array, out);
    return new Tensor(out, x.shape, dtype);
  },
  backward: (g, { inputs: [x, y] }) => [
    x.requiresGrad ? div(mul(g, sub(x, y)), maximum(mul(x, sub(1, x)), EPSILON)) : null,
    y.requiresGrad ? mul(g, sub(log(sub(1, x)), log(x))) : null,
  ],
});

/**
 * The binary cross entropy between probabilities `input` (in `[0, 1]`) and targets of the same shape,
 * like `torch.nn.functional.binary_cross_entropy`:
 * `ℓᵢ = -wᵢ (yᵢ log xᵢ + (1 - yᵢ) log(1 - xᵢ))`, each log clamped to `>= -100` as PyTorch does, so
 * `xᵢ = 0` gives 100 rather than infinity. The gradient in `x` is PyTorch's
 * `w (x - y) / max(x (1 - x), 1e-12)`; the target gets `w (log(1 - x) - log x)`. Prefer
 * {@link binaryCrossEntropyWithLogits} on logits: it is stable where `sigmoid` saturates. An input
 * outside `[0, 1]` is a `ValueError`: at once on the cpu and wasm backends, and on the webgpu backend, for
 * an input on the GPU, when a value is next awaited. The elementwise loss is one kernel
 * (`'binaryCrossEntropy'`), which the webgpu backend runs as a cpu fallback: for inputs on the GPU, it
 * waits for their values until the next await.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.functional.binary_cross_entropy.html
 *
 * @example
 * ```ts
 * binaryCrossEntropy(tensor([0.8, 0.1]), tensor([1, 0])).item(); // -(log 0.8 + log 0.9) / 2 = 0.1643
 * ```
 */
export function binaryCrossEntropy(input: Tensor, target: Tensor, options: BinaryCrossEntropyOptions = {}): Tensor {
  const fn = 'binaryCrossEntropy';
  checkOptions(fn, options, BCE_OPTIONS);
  const reduction = checkReduction(fn, options.reduction);
  checkFloating(fn, 'input', input);
  checkFloating(fn, 'target', target);
  checkSameShape(fn, input, target);
  // Checked where the values are (see runOnHost): on the webgpu backend, for an input on the GPU, when a
  // value is next awaited.
  const probabilities = input._array;
  runOnHost([probabilities], [], () => {
    for (let i = 0; i < probabilities.length; i++) {
      const v = probabilities[i];
      if (!(v >= 0 && v <= 1))
        throw new ValueError(
          `${fn}: every element of input must be in [0, 1] (a probability), got ${v} at flat index ${i}`,
        );
    }
  });
  let loss = bceOp([input, target], undefined);
  const weight = options.weight ?? null;
  if (weight !== null) {
    checkFloating(fn, 'weight', weight);
    checkBroadcastsTo(fn, 'weight', weight, input.shape);
    loss = mul(loss, weight);
  }
  return applyReduction(loss, reduction);
}

/**
 * The binary cross entropy of logits `input` and targets of the same shape, like
 * `torch.nn.functional.binary_cross_entropy_with_logits`, in the stable form
 * `ℓᵢ = wᵢ ((1 - yᵢ) xᵢ - (1 + (pw - 1) yᵢ) log σ(xᵢ))`, which without `posWeight` is
 * `max(x, 0) - x y + log(1 + e^{-|x|})`: logits of ±800 give finite values and gradients.
 * `posWeight` multiplies only the positive term, `-(pw·y·log σ(x) + (1 - y) log(1 - σ(x)))`.
 * Both `input` and `target` get gradients (the target's is `-x` per element without `posWeight`).
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.BCEWithLogitsLoss.html
 *
 * @example
 * ```ts
 * binaryCrossEntropyWithLogits(tensor([800, -800]), tensor([1, 0])).item(); // 0
 * binaryCrossEntropyWithLogits(tensor([0]), tensor([1]), { posWeight: tensor([3]) }).item(); // 3 log 2
 * ```
 */
export function binaryCrossEntropyWithLogits(
  input: Tensor,
  target: Tensor,
  options: BinaryCrossEntropyWithLogitsOptions = {},
): Tensor {
  const fn = 'binaryCrossEntropyWithLogits';
  checkOptions(fn, options, BCE_WITH_LOGITS_OPTIONS);
  const reduction = checkReduction(fn, options.reduction);
  checkFloating(fn, 'input', input);
  checkFloating(fn, 'target', target);
  checkSameShape(fn, input, target);
  const weight = options.weight ?? null;
  const posWeight = options.posWeight ?? null;
  let logWeight: Tensor | number = 1;
  if (posWeight !== null) {
    checkFloating(fn, 'posWeight', posWeight);
    checkBroadcastsTo(fn, 'posWeight', posWeight, input.shape);
    logWeight = add(mul(sub(posWeight, 1), target), 1);
  }
  let loss = sub(mul(sub(1, target), input), mul(logSigmoid(input), logWeight));
  if (weight !== null) {
    checkFloating(fn, 'weight', weight);
    checkBroadcastsTo(fn, 'weight', weight, input.shape);
    loss = mul(loss, weight);
  }
  return applyReduction(loss, reduction);
}
