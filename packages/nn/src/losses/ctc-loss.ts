import {
  add,
  cat,
  checkOptions,
  DTypeError,
  eq,
  exp,
  full,
  gather,
  log,
  maximum,
  optionNames,
  ShapeError,
  sqrt,
  sub,
  sum,
  type Tensor,
  Tensor as TensorClass,
  tensor,
  ValueError,
  where,
} from '@nablajs/core';
import { checkFloating, describeShape } from '../functional/check';
import { Module } from '../module';
import { checkReduction, type Reduction } from './reduction';

/** Options of {@link ctcLoss} and {@link CTCLoss}, with PyTorch's defaults. */
export interface CTCLossOptions {
  /** The blank label (default 0). */
  blank?: number;
  /** `'mean'` (default: each loss divided by its target length, then the mean over the batch), `'sum'` or `'none'`. */
  reduction?: Reduction;
  /** Replace infinite losses (no alignment of the target fits the input) and their gradients by zeros (default false). */
  zeroInfinity?: boolean;
}

const CTC_OPTIONS = optionNames<CTCLossOptions>({ blank: true, reduction: true, zeroInfinity: true });

/** Lengths given as an int32 tensor, an array or one number (unbatched), as plain numbers. */
function lengthsOf(fn: string, name: string, value: unknown, batch: number): number[] {
  let list: number[];
  if (value instanceof TensorClass) {
    if (value.dtype !== 'int32') throw new DTypeError(`${fn}: ${name} must be an int32 tensor, got ${value.dtype}`);
    list = Array.from(value.values as Int32Array);
  } else if (typeof value === 'number') list = [value];
  else if (Array.isArray(value)) list = [...value];
  else throw new ValueError(`${fn}: ${name} must be an int32 tensor, an array of integers or a number`);
  if (list.length !== batch) throw new ShapeError(`${fn}: ${name} has ${list.length} entries for a batch of ${batch}`);
  for (const v of list)
    if (!Number.isInteger(v) || v < 0) throw new ValueError(`${fn}: ${name} must hold integers >= 0, got ${v}`);
  return list;
}

/**
 * `log(exp(a) + exp(b) + exp(c))` elementwise, `-Infinity` where all three are, with a zero (not NaN) gradient
 * there: the recursion's impossible states stay impossible and cost nothing in backward.
 */
function logAddExp3(a: Tensor, b: Tensor, c: Tensor): Tensor {
  const m = maximum(maximum(a, b), c);
  const impossible = eq(m, Number.NEGATIVE_INFINITY);
  const shift = where(impossible, 0, m);
  const total = add(add(exp(sub(a, shift)), exp(sub(b, shift))), exp(sub(c, shift)));
  return where(impossible, Number.NEGATIVE_INFINITY, add(shift, log(where(impossible, 1, total))));
}

/**
 * Per sample, 0; its gradient is NaN in every element of `lp` (`[T, N, C]`) before the sample's input length
 * when the sample's loss is infinite (`infinite`, `[N]` of 0 and 1), and 0 everywhere else.
 */
function nanGradientAt(lp: Tensor, inLen: readonly number[], infinite: Tensor): Tensor {
  const [steps, batch, classes] = lp.shape;
  const inside = new Int32Array(steps * batch * classes);
  for (let t = 0; t < steps; t++)
    for (let n = 0; n < batch; n++)
      if (t < inLen[n]) inside.fill(1, (t * batch + n) * classes, (t * batch + n + 1) * classes);
  const mask = where(
    infinite.reshape([1, batch, 1]),
    tensor(inside, { dtype: 'int32' }).reshape([steps, batch, classes]),
    0,
  );
  // elsewhere u is 1, where sqrt has a finite slope: a zero gradient stays 0 (at 0 it would be 0 * inf)
  const u = where(eq(mask, 1), sub(lp, lp), 1);
  const root = sqrt(u);
  return sum(sub(root, root.detach()), [0, 2]);
}

/**
 * The Connectionist Temporal Classification loss, like `torch.nn.functional.ctc_loss` (Graves et al., 2006):
 * `-log p(target | input)` summed over every alignment of the target (with blanks between and around its labels,
 * and repeats collapsed) to the input's time steps, by the forward recursion in log space.
 *
 * - `logProbs`: `[T, N, C]` log-probabilities over `C` classes (usually `logSoftmax(logits, 2)`), or `[T, C]`
 *   unbatched.
 * - `targets`: int32 labels, `[N, S]` padded or 1-D with the targets one after another; never the blank.
 * - `inputLengths`, `targetLengths`: per sample (int32 tensors, arrays, or numbers when unbatched), each input
 *   length at most `T`.
 *
 * Reductions as in PyTorch: `'none'` gives `[N]`, `'sum'` their sum, `'mean'` (default) the mean over the
 * batch of each loss divided by its target length (at least 1). A target that no alignment fits (too long for
 * its input) gives `Infinity` and, as in PyTorch, a NaN gradient in its sample's steps before its input length;
 * with `zeroInfinity`, a loss of 0 and a zero gradient.
 *
 * The gradient is that of this loss in `logProbs`. Through a `logSoftmax` (the usual use) it equals PyTorch's;
 * for `logProbs` that are leaves themselves it differs by `exp(logProbs)`, which PyTorch's kernel adds (its
 * result is the gradient of the logits before a log-softmax).
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.CTCLoss.html
 *
 * @example
 * ```ts
 * const logProbs = logSoftmax(randn([50, 4, 20]), 2); // T = 50, N = 4, C = 20 (0 is the blank)
 * const targets = randint(1, 20, [4, 10], { dtype: 'int32' });
 * ctcLoss(logProbs, targets, [50, 50, 45, 40], [10, 8, 10, 6]).item(); // the mean loss per target label
 * ```
 */
export function ctcLoss(
  logProbs: Tensor,
  targets: Tensor,
  inputLengths: Tensor | readonly number[] | number,
  targetLengths: Tensor | readonly number[] | number,
  options: CTCLossOptions = {},
): Tensor {
  const fn = 'ctcLoss';
  checkOptions(fn, options, CTC_OPTIONS);
  checkFloating(fn, 'logProbs', logProbs);
  const reduction = checkReduction(fn, options.reduction);
  const zeroInfinity = options.zeroInfinity ?? false;
  if (typeof zeroInfinity !== 'boolean')
    throw new ValueError(`${fn}: zeroInfinity must be a boolean, got ${JSON.stringify(zeroInfinity)}`);
  if (logProbs.ndim !== 2 && logProbs.ndim !== 3)
    throw new ShapeError(
      `${fn}: logProbs must be [T, N, C] or unbatched [T, C], got shape ${describeShape(logProbs.shape)}`,
    );
  const unbatched = logProbs.ndim === 2;
  const lp = unbatched ? logProbs.reshape([logProbs.shape[0], 1, logProbs.shape[1]]) : logProbs;
  const [steps, batch, classes] = lp.shape;
  const blank = options.blank ?? 0;
  if (!Number.isInteger(blank) || blank < 0 || blank >= classes)
    throw new ValueError(`${fn}: blank must be a class index in [0, ${classes}), got ${blank}`);
  if (!(targets instanceof TensorClass) || targets.dtype !== 'int32')
    throw new DTypeError(`${fn}: targets must be an int32 tensor of labels`);
  const inLen = lengthsOf(fn, 'inputLengths', inputLengths, batch);
  const tgtLen = lengthsOf(fn, 'targetLengths', targetLengths, batch);
  for (let n = 0; n < batch; n++)
    if (inLen[n] > steps)
      throw new ValueError(`${fn}: inputLengths[${n}] = ${inLen[n]} exceeds the ${steps} time steps`);
  // every sample's labels, from a padded [N, S] (or unbatched [S]) or a concatenated 1-D targets tensor
  const t = targets.values as Int32Array;
  const padded = unbatched ? targets.ndim === 1 : targets.ndim === 2;
  const labels: number[][] = [];
  let offset = 0;
  for (let n = 0; n < batch; n++) {
    const width = padded ? (unbatched ? targets.size : targets.shape[1]) : 0;
    if (padded && tgtLen[n] > width)
      throw new ValueError(`${fn}: targetLengths[${n}] = ${tgtLen[n]} exceeds the targets' width ${width}`);
    const start = padded ? n * width : offset;
    if (!padded && start + tgtLen[n] > t.length)
      throw new ValueError(`${fn}: targetLengths sum to more than the ${t.length} concatenated targets`);
    const row = Array.from(t.subarray(start, start + tgtLen[n]));
    for (const c of row)
      if (c < 0 || c >= classes || c === blank)
        throw new ValueError(
          `${fn}: targets must be class indices in [0, ${classes}) other than the blank ${blank}, got ${c}`,
        );
    labels.push(row);
    offset += tgtLen[n];
  }
  if (!padded && targets.ndim !== 1)
    throw new ShapeError(
      `${fn}: targets must be [N, S] or 1-D (concatenated), got shape ${describeShape(targets.shape)}`,
    );
  // The extended targets (blank, l1, blank, l2, ..., blank), padded with blanks to one length L, and where a
  // state may also be reached from two states back (a label differing from the one before the blank).
  const width = 2 * Math.max(0, ...tgtLen) + 1;
  const ext = new Int32Array(batch * width).fill(blank);
  const skip = new Int32Array(batch * width);
  for (let n = 0; n < batch; n++)
    labels[n].forEach((c, i) => {
      const s = 2 * i + 1;
      ext[n * width + s] = c;
      if (i > 0 && labels[n][i - 1] !== c) skip[n * width + s] = 1;
    });
  const dtype = logProbs.dtype;
  const inf = Number.NEGATIVE_INFINITY;
  const index = tensor(ext, { dtype: 'int32' }).reshape([1, batch, width]).expand([steps, batch, width]);
  const emit = gather(lp, 2, index); // [T, N, L]: the log-probability of each state's label at each step
  const emitAt = (step: number) => emit.slice([[step, step + 1]]).reshape([batch, width]);
  const canSkip = eq(tensor(skip, { dtype: 'int32' }).reshape([batch, width]), 1);
  /** `a` moved `k` states along (the first `k` states impossible). */
  const shift = (a: Tensor, k: number) => cat([full([batch, k], inf, { dtype }), a.slice([null, [0, width - k]])], 1);
  /** An int32 [batch, 1] mask of the samples for which `test` holds. */
  const perSample = (test: (n: number) => boolean) =>
    eq(
      tensor(
        Array.from({ length: batch }, (_, n) => (test(n) ? 1 : 0)),
        { dtype: 'int32' },
      ).reshape([batch, 1]),
      1,
    );
  // alpha at the first step: the first blank and the first label; a sample without input steps starts in the
  // blank state without emitting anything
  const first = new Float64Array(batch * width).fill(inf);
  const none = new Float64Array(batch * width).fill(inf);
  for (let n = 0; n < batch; n++) {
    first[n * width] = 0;
    none[n * width] = 0;
    if (tgtLen[n] > 0) first[n * width + 1] = 0;
  }
  let alpha = where(
    perSample((n) => inLen[n] > 0),
    add(tensor(first, { dtype }).reshape([batch, width]), emitAt(0)),
    tensor(none, { dtype }).reshape([batch, width]),
  );
  // no step past the longest input; a sample whose input has ended keeps its alpha (while every input runs, no mask)
  const shortest = Math.min(...inLen);
  const longest = Math.max(...inLen);
  for (let step = 1; step < longest; step++) {
    const fromTwoBack = where(canSkip, shift(alpha, 2), inf);
    const next = add(logAddExp3(alpha, shift(alpha, 1), fromTwoBack), emitAt(step));
    alpha =
      step < shortest
        ? next
        : where(
            perSample((n) => step < inLen[n]),
            next,
            alpha,
          );
  }
  // -log p: the alignments ending in the last label or in the blank after it (only the blank for an empty target)
  const last = gather(
    alpha,
    1,
    tensor(
      tgtLen.flatMap((len) => [2 * len, Math.max(2 * len - 1, 0)]),
      { dtype: 'int32' },
    ).reshape([batch, 2]),
  );
  const endBlank = last.slice([null, [0, 1]]).reshape([batch]);
  const endLabel = where(
    perSample((n) => tgtLen[n] === 0).reshape([batch]),
    inf,
    last.slice([null, [1, 2]]).reshape([batch]),
  );
  let losses = logAddExp3(endBlank, endLabel, full([batch], inf, { dtype })).neg();
  const infinite = eq(losses, Number.POSITIVE_INFINITY);
  if (zeroInfinity) losses = where(infinite, 0, losses);
  // NOTE: PyTorch's kernel gives an infinite loss a NaN gradient in its sample's first inputLengths steps (its
  // exp(logAlpha + logBeta + nll) is exp(-inf + inf)), and zeroInfinity is the documented way out: the same
  // here, by a term whose value is 0 and whose gradient is NaN at those steps (sqrt'(0) times the 1 - 1 of x - x).
  else losses = add(losses, nanGradientAt(lp, inLen, infinite));
  let out: Tensor;
  if (reduction === 'none') out = losses;
  else if (reduction === 'sum') out = sum(losses);
  else
    out = sum(
      losses.div(
        tensor(
          tgtLen.map((len) => Math.max(len, 1)),
          { dtype },
        ),
      ),
    ).div(batch);
  return unbatched && reduction === 'none' ? out.reshape([]) : out;
}

/**
 * The CTC loss as a module, like `torch.nn.CTCLoss`: `forward(logProbs, targets, inputLengths, targetLengths)`
 * is {@link ctcLoss} with the module's `blank`, `reduction` and `zeroInfinity`.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.CTCLoss.html
 *
 * @example
 * ```ts
 * const ctc = new CTCLoss({ blank: 0, zeroInfinity: true });
 * const loss = ctc.forward(logSoftmax(logits, 2), targets, inputLengths, targetLengths);
 * loss.backward();
 * ```
 */
export class CTCLoss extends Module {
  /** The blank label. */
  readonly blank: number;
  /** How per-sample losses are combined. */
  readonly reduction: Reduction;
  /** Whether infinite losses become zeros. */
  readonly zeroInfinity: boolean;

  constructor(options: CTCLossOptions = {}) {
    super();
    checkOptions('CTCLoss', options, CTC_OPTIONS);
    this.blank = options.blank ?? 0;
    if (!Number.isInteger(this.blank) || this.blank < 0)
      throw new ValueError(`CTCLoss: blank must be an integer >= 0, got ${JSON.stringify(options.blank)}`);
    this.reduction = checkReduction('CTCLoss', options.reduction);
    this.zeroInfinity = options.zeroInfinity ?? false;
    if (typeof this.zeroInfinity !== 'boolean')
      throw new ValueError(`CTCLoss: zeroInfinity must be a boolean, got ${JSON.stringify(options.zeroInfinity)}`);
  }

  /** The loss of `logProbs` (`[T, N, C]`) against `targets` (see {@link ctcLoss}). */
  forward(
    logProbs: Tensor,
    targets: Tensor,
    inputLengths: Tensor | readonly number[] | number,
    targetLengths: Tensor | readonly number[] | number,
  ): Tensor {
    return ctcLoss(logProbs, targets, inputLengths, targetLengths, {
      blank: this.blank,
      reduction: this.reduction,
      zeroInfinity: this.zeroInfinity,
    });
  }

  override extraRepr(): string {
    return `blank=${this.blank}, reduction='${this.reduction}', zeroInfinity=${this.zeroInfinity}`;
  }
}
