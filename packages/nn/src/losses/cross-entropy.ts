import {
  add,
  allocate,
  CaptureError,
  cast,
  checkOptions,
  DTypeError,
  div,
  gather,
  IndexError,
  isCapturing,
  isFloatingDType,
  isHalfDType,
  kernelsOnHost,
  logSoftmax,
  logSoftmaxNllOfArrays,
  mul,
  neg,
  optionNames,
  reshape,
  runOnHost,
  ShapeError,
  squeeze,
  sum,
  Tensor,
  type TypedArray,
  unsqueeze,
  ValueError,
  where,
} from '@nablajs/core';
import { checkFloating, checkNumberIn, checkTensor, describeShape, sameShape } from '../functional/check';
import { checkReduction, type Reduction } from './reduction';

/**
 * Options of {@link nllLoss}.
 *
 * @example
 * ```ts
 * const options: NLLLossOptions = { weight: tensor([1, 5]), ignoreIndex: -1 };
 * ```
 */
export interface NLLLossOptions {
  /** A rescaling weight per class, a 1-D tensor of length C (receives no gradient). */
  weight?: Tensor | null;
  /** A target value that is ignored: it adds nothing to the loss nor to the mean's denominator (default -100). */
  ignoreIndex?: number;
  /** `'mean'` (default; a weighted mean, see {@link crossEntropy}), `'sum'` or `'none'`. */
  reduction?: Reduction;
}

/**
 * Options of {@link crossEntropy}.
 *
 * @example
 * ```ts
 * const options: CrossEntropyOptions = { labelSmoothing: 0.1, reduction: 'sum' };
 * ```
 */
export interface CrossEntropyOptions extends NLLLossOptions {
  /** Mix the one-hot target with the uniform distribution: `ε` in `[0, 1]` (default 0). */
  labelSmoothing?: number;
}

/** The option names of the loss, for core's `checkOptions` (shared with its module class). */
export const NLL_LOSS_OPTIONS = optionNames<NLLLossOptions>({ weight: true, ignoreIndex: true, reduction: true });
/** The option names of the loss, for core's `checkOptions` (shared with its module class). */
export const CROSS_ENTROPY_OPTIONS = [
  ...NLL_LOSS_OPTIONS,
  ...optionNames<Omit<CrossEntropyOptions, keyof NLLLossOptions>>({ labelSmoothing: true }),
];

interface Parsed {
  readonly classAxis: number;
  readonly numClasses: number;
  readonly weight: Tensor | null;
  readonly ignoreIndex: number;
  readonly reduction: Reduction;
}

function parseCommon(fn: string, input: Tensor, target: Tensor, options: NLLLossOptions): Parsed {
  const reduction = checkReduction(fn, options.reduction);
  checkFloating(fn, 'input', input);
  checkTensor(fn, 'target', target);
  if (input.ndim === 0) throw new ShapeError(`${fn}: input must have a class dimension, got a 0-d tensor`);
  const classAxis = input.ndim === 1 ? 0 : 1;
  const numClasses = input.shape[classAxis];
  const ignoreIndex = options.ignoreIndex ?? -100;
  if (!Number.isInteger(ignoreIndex)) throw new ValueError(`${fn}: ignoreIndex must be an integer, got ${ignoreIndex}`);
  const weight = options.weight ?? null;
  if (weight !== null) {
    checkFloating(fn, 'weight', weight);
    if (weight.ndim !== 1 || weight.shape[0] !== numClasses)
      throw new ShapeError(
        `${fn}: weight must be a 1-D tensor with one entry per class (${numClasses}), got shape ${describeShape(weight.shape)}`,
      );
  }
  return { classAxis, numClasses, weight, ignoreIndex, reduction };
}

/** `weight` viewed so that it broadcasts along the class axis of an input with `ndim` dims. */
function classWeight(weight: Tensor, classAxis: number, ndim: number): Tensor {
  const shape = new Array<number>(ndim).fill(1);
  shape[classAxis] = weight.shape[0];
  return reshape(weight.detach(), shape);
}

/** Whether `shape` is `full` without its axis `axis`. */
function sameShapeWithout(shape: readonly number[], full: readonly number[], axis: number): boolean {
  if (shape.length !== full.length - 1) return false;
  for (let d = 0; d < shape.length; d++) if (shape[d] !== full[d < axis ? d : d + 1]) return false;
  return true;
}

/** Check class-index targets against log-probabilities (or logits) `logp`. */
function checkClassTargets(fn: string, logp: Tensor, target: Tensor, classAxis: number): void {
  if (target.dtype === 'int32' && sameShapeWithout(target.shape, logp.shape, classAxis)) return;
  const expected = logp.shape.filter((_, d) => d !== classAxis);
  if (target.dtype !== 'int32')
    throw new DTypeError(
      `${fn}: target must be int32 class indices of shape ${describeShape(expected)}` +
        (fn === 'crossEntropy' ? ` or float class probabilities of shape ${describeShape(logp.shape)}` : '') +
        `, got ${target.dtype} of shape ${describeShape(target.shape)}`,
    );
  if (!sameShape(target.shape, expected))
    throw new ShapeError(
      `${fn}: target has shape ${describeShape(target.shape)} but input of shape ${describeShape(logp.shape)} needs class indices of shape ${describeShape(expected)}`,
    );
}

/** What each class-index target contributes: see {@link classPicks}. */
interface Picks {
  /** The class each target picks (0 when ignored). */
  readonly safe: Int32Array;
  /** Its weight `w[tᵢ]` (0 when ignored). */
  readonly perSample: TypedArray;
  /** 1 where the target counts, 0 where it is ignored. */
  readonly mask: TypedArray;
  /** `Σᵢ w[tᵢ]` over the targets that count (one element). */
  readonly denominator: TypedArray;
  /**
   * With `rowsOf`: 1 when every ignored row's largest logit is finite (its picked log-probability then is
   * too, so the fused op's `0 · log p` is 0), else 0. Always 1 without `rowsOf`.
   */
  readonly finiteIgnored: Int32Array;
}

/** The logits a fused loss reads, so that {@link classPicks} can pick a class with a finite log-probability for ignored rows. */
interface RowsOf {
  readonly logits: TypedArray;
  readonly classes: number;
}

/**
 * Per target: the class it picks, its weight, whether it counts, and `Σᵢ w[tᵢ]`, computed in JavaScript
 * where the targets are (see runOnHost): at once on the cpu and wasm backends and for targets in
 * JavaScript memory; for targets on the GPU (webgpu backend), when a value is next awaited, which then
 * throws a range error. `alloc` makes the float arrays (of the loss's dtype).
 */
function classPicks(
  fn: string,
  target: Tensor,
  p: Parsed,
  alloc: (size: number) => TypedArray,
  rowsOf: RowsOf | null = null,
): Picks {
  const { numClasses, weight, ignoreIndex } = p;
  const n = target.size;
  const targets = target._array;
  // 16-bit weights hold bit patterns: read them as numbers.
  const w = weight === null ? null : (isHalfDType(weight.dtype) ? cast(weight.detach(), 'float32') : weight)._array;
  const safe = allocate('int32', n) as Int32Array;
  const perSample = alloc(n);
  const mask = alloc(n);
  const denominator = alloc(1);
  const finiteIgnored = Int32Array.of(1);
  const reads = w === null ? [targets] : [targets, w];
  if (rowsOf !== null) reads.push(rowsOf.logits);
  runOnHost(reads, [safe, perSample, mask, denominator, finiteIgnored], () => {
    // every element is written on every run (a replay of capture() runs this task again on the same arrays)
    safe.fill(0);
    perSample.fill(0);
    mask.fill(0);
    finiteIgnored[0] = 1;
    let total = 0;
    for (let i = 0; i < n; i++) {
      const t = targets[i];
      if (t === ignoreIndex) {
        if (rowsOf !== null && !pickLargest(rowsOf, i, safe)) finiteIgnored[0] = 0;
        continue;
      }
      if (t < 0 || t >= numClasses)
        throw new IndexError(
          `${fn}: target ${t} is out of range for ${numClasses} classes (expected [0, ${numClasses}) or ignoreIndex ${ignoreIndex})`,
        );
      safe[i] = t;
      mask[i] = 1;
      perSample[i] = w === null ? 1 : w[t];
      total += perSample[i];
    }
    denominator[0] = total;
  });
  return { safe, perSample, mask, denominator, finiteIgnored };
}

/**
 * Point `safe[row]` at the row's largest logit, whose log-probability lies in `[-log C, 0]`, and say
 * whether it is finite (false for a row with NaN, +Inf or only -Inf).
 */
function pickLargest({ logits, classes }: RowsOf, row: number, safe: Int32Array): boolean {
  let best = 0;
  let max = Number.NEGATIVE_INFINITY;
  for (let c = 0; c < classes; c++) {
    const v = logits[row * classes + c];
    if (Number.isNaN(v)) return false;
    if (v > max) {
      max = v;
      best = c;
    }
  }
  safe[row] = best;
  return Number.isFinite(max);
}

/**
 * The weighted negative log-likelihood of class-index targets, from log-probabilities `logp`, with
 * PyTorch's label smoothing: `ℓᵢ = (1-ε)·(-w[tᵢ] log p[i,tᵢ]) + (ε/C)·Σ_c (-w[c] log p[i,c])`, with ignored
 * targets contributing 0. The mean divides the sum by `Σᵢ w[tᵢ]` over the non-ignored targets.
 */
function classIndexLoss(fn: string, logp: Tensor, target: Tensor, p: Parsed, smoothing: number): Tensor {
  const { classAxis, numClasses, weight, reduction } = p;
  checkClassTargets(fn, logp, target, classAxis);
  // 16-bit losses take float32 arrays, cast below.
  const dtype = isHalfDType(logp.dtype) ? 'float32' : logp.dtype;
  const { safe, perSample, mask, denominator } = classPicks(fn, target, p, (size) => allocate(dtype, size));
  const asLoss = (data: TypedArray, shape: readonly number[]) => {
    const t = new Tensor(data, shape, dtype);
    return dtype === logp.dtype ? t : cast(t, logp.dtype);
  };
  // NOTE: ignored targets are selected out with `where`, as PyTorch's masked_fill does, not multiplied by
  // 0: their value and gradient are exactly 0 even where log p is -Inf or the mean's factor 1/0 is Inf
  // (every target ignored), which a product would turn into NaN.
  const counts = new Tensor(mask, target.shape, dtype);
  const dropIgnored = (terms: Tensor) => {
    const kept = where(counts, terms, 0);
    return kept.dtype === terms.dtype ? kept : cast(kept, terms.dtype); // 16-bit terms are selected in float32
  };
  const index = unsqueeze(new Tensor(safe, target.shape, 'int32'), classAxis);
  const picked = squeeze(gather(logp, classAxis, index), classAxis);
  const nll = dropIgnored(neg(mul(picked, asLoss(perSample, target.shape))));
  const reduce = (loss: Tensor) => {
    if (reduction === 'none') return loss;
    if (reduction === 'sum') return sum(loss);
    return div(sum(loss), asLoss(denominator, []));
  };
  if (smoothing === 0) return reduce(nll);
  // PyTorch's order: each part reduced on its own, so that a mean over a total weight of 0 is NaN (0/0 in
  // the first part) as there, not the second part's x/0 = Inf.
  const weighted = weight === null ? logp : mul(logp, classWeight(weight, classAxis, logp.ndim));
  const smooth = dropIgnored(neg(sum(weighted, classAxis)));
  return add(mul(reduce(nll), 1 - smoothing), mul(reduce(smooth), smoothing / numClasses));
}

/**
 * The cross entropy between class-probability targets `q` and `log p`: `ℓᵢ = -Σ_c w[c] q'[i,c] log p[i,c]`
 * with `q' = (1-ε) q + ε/C`; the mean divides by the number of samples (not by the weights).
 */
function classProbabilityLoss(fn: string, logp: Tensor, target: Tensor, p: Parsed, smoothing: number): Tensor {
  const { classAxis, numClasses, weight, ignoreIndex, reduction } = p;
  if (ignoreIndex >= 0)
    throw new ValueError(`${fn}: ignoreIndex (${ignoreIndex}) is not supported with class-probability targets`);
  const q = smoothing > 0 ? add(mul(target, 1 - smoothing), smoothing / numClasses) : target;
  let terms = mul(logp, q);
  if (weight !== null) terms = mul(terms, classWeight(weight, classAxis, logp.ndim));
  if (reduction === 'none') return neg(sum(terms, classAxis));
  if (reduction === 'sum') return neg(sum(terms));
  return div(neg(sum(terms)), logp.size / numClasses);
}

/**
 * The negative log-likelihood loss of log-probabilities `input` (`[N, C]`, `[C]` or `[N, C, d1, ...]`)
 * and int32 class indices `target` (`[N]`, `[]` or `[N, d1, ...]`), like
 * `torch.nn.functional.nll_loss`: `ℓᵢ = -w[tᵢ] · input[i, tᵢ]`. The mean divides by `Σᵢ w[tᵢ]` over the
 * non-ignored targets; targets equal to `ignoreIndex` contribute nothing. Pair it with `logSoftmax`, or
 * use {@link crossEntropy} on logits directly. A target out of range is an `IndexError`: at once on the
 * cpu and wasm backends, and on the webgpu backend, for targets on the GPU, when a value is next awaited.
 * Ignored targets and a total weight of 0 behave as in {@link crossEntropy}.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.NLLLoss.html
 *
 * @example
 * ```ts
 * const logp = logSoftmax(tensor([[2, 0, 1]]), 1);
 * nllLoss(logp, tensor([0], { dtype: 'int32' })).item(); // 0.4076 = -log softmax(x)[0]
 * ```
 */
export function nllLoss(input: Tensor, target: Tensor, options: NLLLossOptions = {}): Tensor {
  checkOptions('nllLoss', options, NLL_LOSS_OPTIONS);
  const p = parseCommon('nllLoss', input, target, options);
  return classIndexLoss('nllLoss', input, target, p, 0);
}

/**
 * The cross-entropy loss between logits `input` and `target`, like `torch.nn.functional.cross_entropy`.
 * `input` is `[N, C]`, `[C]` or `[N, C, d1, ...]` (classes on axis 1). `target` is either int32 class
 * indices of the input's shape without the class axis, or float class probabilities of the input's
 * shape. The log-probabilities come from the fused, stable `logSoftmax` (never `log(softmax(x))`).
 *
 * With class indices, `ℓᵢ = (1-ε)·(-w[tᵢ] log p[i,tᵢ]) + (ε/C)·Σ_c (-w[c] log p[i,c])` where
 * `ε = labelSmoothing`; the `'mean'` reduction divides by `Σᵢ w[tᵢ]` over the non-ignored targets (not
 * by N), and targets equal to `ignoreIndex` (-100) are left out of both sums. With probabilities `q`,
 * `ℓᵢ = -Σ_c w[c] ((1-ε) q[i,c] + ε/C) log p[i,c]` and the mean divides by N; `q` gets a gradient.
 * The class weight gets none. The loss is computed with tensor ops, so it runs where the tensors are; on
 * the cpu and wasm backends, `[N, C]` logits with class indices and no label smoothing run as one op
 * (core's `logSoftmaxNll`, PyTorch's fused `nll_loss(log_softmax(x))`), with the same values to the bit
 * and one graph node instead of seven. A class index out of range is an `IndexError`, thrown at once on
 * the cpu and wasm backends and, on the webgpu backend for targets on the GPU, when a value is next
 * awaited.
 *
 * As in PyTorch, an ignored target is left out, not multiplied by 0: its term and its gradient are exactly
 * 0, even where its logits hold -Inf. When every target is ignored, the `'mean'` is 0/0 = NaN but the
 * gradient is exactly 0, so a batch made only of padding leaves the parameters' gradients at 0 (the
 * `'sum'` and `'none'` losses are 0). When the picked class weights of the targets that count sum to 0,
 * the `'mean'` is NaN and so is the gradient of each row with such a target, as in PyTorch.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.functional.cross_entropy.html
 *
 * @example
 * ```ts
 * const logits = tensor([[2, 0, 1], [0, 3, 0]], { requiresGrad: true });
 * const loss = crossEntropy(logits, tensor([0, 1], { dtype: 'int32' }));
 * loss.backward(); // logits.grad = (softmax(logits) - onehot) / 2
 * crossEntropy(logits, tensor([[0.9, 0.05, 0.05], [0, 1, 0]])); // probability targets
 * ```
 */
export function crossEntropy(input: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  checkOptions('crossEntropy', options, CROSS_ENTROPY_OPTIONS);
  const p = parseCommon('crossEntropy', input, target, options);
  const smoothing = checkNumberIn('crossEntropy', 'labelSmoothing', options.labelSmoothing ?? 0, 0, 1);
  if (
    smoothing === 0 &&
    input.ndim === 2 &&
    (input.dtype === 'float32' || input.dtype === 'float64') &&
    !(isFloatingDType(target.dtype) && target.ndim === 2) &&
    kernelsOnHost()
  ) {
    // Class indices on the cpu or wasm backend: one op (logSoftmaxNll), the same values as the ops below.
    checkClassTargets('crossEntropy', input, target, 1);
    const rowsOf = { logits: input._array, classes: input.shape[1] };
    const picks = classPicks('crossEntropy', target, p, (size) => allocate(input.dtype, size), rowsOf);
    const weights = picks.perSample as Float32Array | Float64Array;
    const denominator = picks.denominator as Float32Array | Float64Array;
    // NOTE: the fused op weights every row, an ignored one by 0: 0 · (1/0) is NaN where PyTorch skips the row,
    // so a mean over a total weight of 0 (every target ignored) and ignored rows without a finite
    // log-probability to pick take the ops below, which leave ignored rows out as PyTorch does.
    const fused = () => (p.reduction !== 'mean' || denominator[0] !== 0) && picks.finiteIgnored[0] === 1;
    const taken = fused();
    // A replay of capture() runs the picks' task again: a batch that needs the other path cannot replay.
    if (isCapturing())
      runOnHost([], [], () => {
        if (fused() !== taken)
          throw new CaptureError(
            'crossEntropy: this batch needs another computation than the captured one (a mean over targets that are all ignored, or ignored rows with non-finite logits); run it without the capture',
          );
      });
    if (taken) return logSoftmaxNllOfArrays(input, picks.safe, weights, denominator, p.reduction);
  }
  const logp = logSoftmax(input, p.classAxis);
  if (isFloatingDType(target.dtype) && target.ndim === input.ndim) {
    if (!sameShape(target.shape, input.shape))
      throw new ShapeError(
        `crossEntropy: class-probability target has shape ${describeShape(target.shape)} but input has shape ${describeShape(input.shape)}; they must be equal`,
      );
    return classProbabilityLoss('crossEntropy', logp, target, p, smoothing);
  }
  return classIndexLoss('crossEntropy', logp, target, p, smoothing);
}
