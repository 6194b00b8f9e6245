import { checkOptions, optionNames } from '../check-options';
import { allocate } from '../dtype';
import { DTypeError, ShapeError, ValueError } from '../errors';
import { isGradEnabled } from '../grad-mode';
import { nllMeanKernel, nllOneHotKernel, nllPickBackwardKernel, nllPickKernel } from '../kernels/cpu/nll';
import { sumKernel } from '../kernels/cpu/reduce';
import { softmaxBackwardKernel, softmaxKernel } from '../kernels/cpu/softmax';
import { resolveKernel } from '../kernels/registry';
import { registerOp } from '../op';
import { formatShape } from '../shape';
import { Tensor } from '../tensor';
import { mul } from './mul';
import { reshape } from './reshape';
import { softmax } from './softmax';
import { sub } from './sub';

/** The reductions of {@link logSoftmaxNll}. */
export type NllReduction = 'none' | 'sum' | 'mean';

/**
 * The classes {@link logSoftmaxNll} picks, one per row, with their weights.
 *
 * @example
 * ```ts
 * const picks: ClassPicks = { index: Int32Array.of(2, 0), weight: Float32Array.of(1, 1), denominator: 2 };
 * ```
 */
export interface ClassPicks {
  /** The class of each row, in `[0, C)` (length N). */
  readonly index: Int32Array;
  /**
   * The weight of each row's term (length N), rounded to the logits' dtype: 1 for a plain mean, 0 for a
   * row left out, `w[class]` with class weights.
   */
  readonly weight: Float32Array | Float64Array;
  /** What the `'mean'` reduction divides the sum by (usually the sum of `weight`). */
  readonly denominator: number;
}

const CLASS_PICKS_FIELDS = optionNames<ClassPicks>({ index: true, weight: true, denominator: true });

interface NllAttrs {
  /** Each row's class. */
  readonly index: Int32Array;
  /** Each row's weight, in the logits' dtype. */
  readonly weight: Float32Array | Float64Array;
  /** What the `'mean'` divides by, in its element 0 (an array, so that a host task may compute it). */
  readonly denominator: Float32Array | Float64Array;
  readonly reduction: NllReduction;
  /** The log-probabilities the forward computed, for the backward (set by the forward). */
  logp: Tensor | null;
}

// log_softmax, the picked terms -(logp[i, tᵢ] · wᵢ) and their reduction in one op, with a backward that
// writes the logits' gradient with one kernel. Its results are those of the composite
// neg(mul(gather(logSoftmax(x)), w)) then sum (and div by the denominator), to the bit: the same kernels
// in the same order, with each float32 product, negation and quotient rounded as those ops round them.
// Every step that reads the picks is a kernel, so that capture() records it.
const logSoftmaxNllOp = registerOp<NllAttrs>({
  name: 'logSoftmaxNll',
  saves: { inputs: [], output: false },
  forward: ([x], attrs) => {
    const { index, weight, denominator, reduction } = attrs;
    const [rows, classes] = x.shape;
    const dtype = x.dtype;
    const logp = allocate(dtype, x.size, false);
    resolveKernel('logSoftmax', softmaxKernel)(x._array, rows, classes, 1, logp, true);
    attrs.logp = new Tensor(logp, x.shape, dtype);
    // (every array from allocate() goes into a tensor: a block of wasm memory goes back to the pool when
    // its tensor is disposed, here or at the end of the enclosing tidy)
    const termsTensor = new Tensor(allocate(dtype, rows, false), [rows], dtype);
    const terms = termsTensor._array;
    resolveKernel('nllPick', nllPickKernel)(logp, rows, classes, index, weight, terms, dtype);
    if (reduction === 'none') return termsTensor;
    const total = allocate(dtype, 1, false);
    resolveKernel('sum', sumKernel)(terms, [rows], [0], total);
    termsTensor.dispose();
    if (reduction === 'mean') resolveKernel('nllMean', nllMeanKernel)(total, denominator, dtype);
    return new Tensor(total, [], dtype);
  },
  backward: (g, { inputs: [x], attrs: { index, weight, denominator, reduction, logp } }) => {
    if (logp === null) throw new ValueError('logSoftmaxNll: the backward ran before the forward');
    const [rows, classes] = x.shape;
    const dtype = x.dtype;
    const mean = reduction === 'mean';
    if (isGradEnabled()) {
      // createGraph: (onehot - softmax(x)) · cᵢ with cᵢ = -gᵢ wᵢ (/ denominator), written with ops so that it
      // differentiates again (in x and in g).
      const onehot = allocate(dtype, x.size, false);
      const coef = allocate(dtype, rows, false);
      resolveKernel('nllOneHot', nllOneHotKernel)(index, weight, denominator, mean, onehot, coef, rows, classes);
      const perRow = mul(reduction === 'none' ? g : reshape(g, [1]), new Tensor(coef, [rows], dtype));
      return [mul(sub(new Tensor(onehot, x.shape, dtype), softmax(x, 1)), reshape(perRow, [rows, 1]))];
    }
    // The gradient of each picked log-probability, as div, sum, neg and mul's backwards give it; the
    // others are 0.
    const gzTensor = new Tensor(allocate(dtype, x.size, false), x.shape, dtype);
    const gz = gzTensor._array;
    resolveKernel('nllPickBackward', nllPickBackwardKernel)(
      g._array,
      reduction === 'none',
      mean,
      index,
      weight,
      denominator,
      gz,
      rows,
      classes,
      dtype,
    );
    const out = allocate(dtype, x.size, false);
    resolveKernel('logSoftmaxBackward', softmaxBackwardKernel)(gz, logp._array, rows, classes, 1, out, true);
    gzTensor.dispose();
    return [new Tensor(out, x.shape, dtype)];
  },
});

function checkLogits(fn: string, logits: Tensor, reduction: NllReduction): void {
  if (!(logits instanceof Tensor)) throw new ValueError(`${fn}: logits must be a Tensor`);
  if (logits.dtype !== 'float32' && logits.dtype !== 'float64')
    throw new DTypeError(`${fn}: logits must be float32 or float64, got ${logits.dtype}`);
  if (logits.ndim !== 2) throw new ShapeError(`${fn}: logits must be [N, C], got shape ${formatShape(logits.shape)}`);
  if (reduction !== 'none' && reduction !== 'sum' && reduction !== 'mean')
    throw new ValueError(`${fn}: reduction must be 'none', 'sum' or 'mean', got ${JSON.stringify(reduction)}`);
}

function checkPicks(fn: string, picks: ClassPicks, rows: number, classes: number): void {
  if (typeof picks !== 'object' || picks === null) throw new ValueError(`${fn}: picks must be an object`);
  checkOptions(fn, picks, CLASS_PICKS_FIELDS, 'picks field');
  const { index, weight, denominator } = picks;
  if (!(index instanceof Int32Array) || index.length !== rows)
    throw new ValueError(`${fn}: picks.index must be an Int32Array of length ${rows} (one class per row)`);
  if (!(weight instanceof Float32Array || weight instanceof Float64Array) || weight.length !== rows)
    throw new ValueError(`${fn}: picks.weight must be a Float32Array or Float64Array of length ${rows}`);
  if (typeof denominator !== 'number' || Number.isNaN(denominator))
    throw new ValueError(`${fn}: picks.denominator must be a number, got ${String(denominator)}`);
  for (let i = 0; i < rows; i++) {
    const c = index[i];
    if (c < 0 || c >= classes)
      throw new ValueError(
        `${fn}: picks.index[${i}] is ${c}, out of range for ${classes} classes (expected [0, ${classes}))`,
      );
  }
}

/**
 * The negative log-likelihood of one class per row under the log-softmax of `logits` (`[N, C]`), in one
 * op: `ℓᵢ = -wᵢ · log_softmax(logits)[i, indexᵢ]`, then summed (`'sum'`), summed and divided by
 * `picks.denominator` (`'mean'`, the default) or returned per row (`'none'`). It is what
 * `crossEntropy` of `@nablajs/nn` runs for class-index targets on the cpu and wasm backends (PyTorch's
 * `nll_loss(log_softmax(x))`): the same values, to the bit, as `logSoftmax`, `gather`, `mul`, `neg`,
 * `sum` and `div` one after the other, with one node in the graph instead of seven and a backward that
 * writes `(softmax(x) - onehot) · cᵢ` with one kernel. float32 or float64 logits; the picks are plain
 * arrays read on the host, checked and copied here. Gradients of gradients work.
 *
 * @param logits - `[N, C]` float32 or float64 scores
 * @param picks - each row's class, weight and the mean's denominator (see {@link ClassPicks})
 * @param reduction - `'mean'` (default), `'sum'` or `'none'`
 *
 * @example
 * ```ts
 * const x = tensor([[2, 0, 1], [0, 3, 0]], { requiresGrad: true });
 * const loss = logSoftmaxNll(x, { index: Int32Array.of(0, 1), weight: Float32Array.of(1, 1), denominator: 2 });
 * loss.backward(); // x.grad = (softmax(x) - onehot) / 2
 * ```
 */
export function logSoftmaxNll(logits: Tensor, picks: ClassPicks, reduction: NllReduction = 'mean'): Tensor {
  const fn = 'logSoftmaxNll';
  checkLogits(fn, logits, reduction);
  checkPicks(fn, picks, logits.shape[0], logits.shape[1]);
  // Copies, so that a later change to the caller's arrays cannot change the gradient.
  const weight = picks.weight.slice();
  const denominator = Float64Array.of(picks.denominator);
  return logSoftmaxNllOp([logits], { index: picks.index.slice(), weight, denominator, reduction, logp: null });
}

/**
 * {@link logSoftmaxNll} on the caller's arrays as they are, not copies, with the mean's denominator in
 * element 0 of an array: for picks that a host task computes from the targets (`crossEntropy` of
 * `@nablajs/nn` does), so that a replay of a {@link capture} reads what the task computed again. The
 * arrays are checked now (lengths, class range); the caller must not change them until the backward ran,
 * except through such a task, which checks what it writes.
 *
 * @param logits - `[N, C]` float32 or float64 scores
 * @param index - each row's class, in `[0, C)` (length N)
 * @param weight - each row's weight, rounded to the logits' dtype (length N)
 * @param denominator - what the `'mean'` divides by, in element 0
 * @param reduction - `'mean'`, `'sum'` or `'none'`
 *
 * @example
 * ```ts
 * const x = tensor([[2, 0, 1], [0, 3, 0]], { requiresGrad: true });
 * const loss = logSoftmaxNllOfArrays(x, Int32Array.of(0, 1), Float32Array.of(1, 1), Float64Array.of(2), 'mean');
 * ```
 */
export function logSoftmaxNllOfArrays(
  logits: Tensor,
  index: Int32Array,
  weight: Float32Array | Float64Array,
  denominator: Float32Array | Float64Array,
  reduction: NllReduction,
): Tensor {
  const fn = 'logSoftmaxNllOfArrays';
  checkLogits(fn, logits, reduction);
  if (!(denominator instanceof Float32Array || denominator instanceof Float64Array) || denominator.length !== 1)
    throw new ValueError(`${fn}: denominator must be a Float32Array or Float64Array of length 1`);
  checkPicks(fn, { index, weight, denominator: denominator[0] }, logits.shape[0], logits.shape[1]);
  return logSoftmaxNllOp([logits], { index, weight, denominator, reduction, logp: null });
}
