import { checkOptions, optionNames, type Tensor, ValueError } from '@nablajs/core';

/** A metric: the mean of some per-sample score over a batch, from the model's output and the targets. */
export type MetricFn = (output: Tensor, targets: Tensor) => number;

/** Which metrics to compute: the built-in accuracy and any custom functions, by log name. */
export interface MetricsOptions {
  /** Classification accuracy (argmax over the class axis, see {@link accuracy}). Default false. */
  accuracy?: boolean;
  /** Custom metrics by name: each returns the batch mean; logged as `name` and `val<Name>`. */
  custom?: Readonly<Record<string, MetricFn>>;
}

function formatShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

/**
 * Classification accuracy: the fraction of samples whose highest-scoring class is the target class,
 * `mean(argmax(output, axis=1) == targets)`.
 *
 * `output` has shape `[N, C, ...]` (logits or probabilities, class axis 1 as in PyTorch's
 * `cross_entropy`); `targets` is either class indices of shape `[N, ...]` or one-hot / probability rows
 * of the same shape as `output` (compared by their argmax). Ties go to the first class, as `argmax`.
 * Follows `torchmetrics.functional.accuracy` (multiclass, micro average) and Keras' `accuracy`.
 *
 * A single output column (`C = 1`, a binary classifier trained with `binaryCrossEntropyWithLogits` or
 * `binaryCrossEntropy`) is binary accuracy, as torchmetrics' `task='binary'` computes it: the output is
 * taken as logits when any value of the batch lies outside `[0, 1]` (then a sample is predicted positive
 * when its logit is above 0, i.e. its sigmoid above 0.5), else as probabilities (positive above 0.5); the
 * targets, of the output's shape or without its axis 1, must be 0 or 1. A NaN output counts as wrong.
 *
 * @example
 * ```ts
 * accuracy(tensor([[2, 1], [0, 3]]), tensor([0, 0], { dtype: 'int32' })); // 0.5
 * accuracy(tensor([[2], [-1], [0.5], [-3]]), tensor([[1], [1], [1], [1]])); // 0.5 (logits: 2 and 0.5 are positive)
 * ```
 */
export function accuracy(output: Tensor, targets: Tensor): number {
  const fn = 'accuracy';
  if (output.ndim < 2)
    throw new ValueError(
      `${fn}: output must have a class axis (shape [N, C, ...]), got shape ${formatShape(output.shape)}; for binary outputs pass a custom metric`,
    );
  const n = output.shape[0];
  const classes = output.shape[1];
  const rest = output.shape.slice(2);
  const inner = rest.reduce((a, b) => a * b, 1);
  const oneHot = targets.ndim === output.ndim && targets.shape.every((d, i) => d === output.shape[i]);
  const indexShape = [n, ...rest];
  if (!oneHot && (targets.ndim !== indexShape.length || targets.shape.some((d, i) => d !== indexShape[i])))
    throw new ValueError(
      `${fn}: targets of shape ${formatShape(targets.shape)} do not match output of shape ${formatShape(output.shape)}; expected class indices of shape ${formatShape(indexShape)} or one-hot targets of shape ${formatShape(output.shape)}`,
    );
  const total = n * inner;
  if (total === 0) return 0;
  const out = output.values;
  const tgt = targets.values;
  if (classes === 1) return binaryCorrect(out, tgt) / total;
  let correct = 0;
  for (let s = 0; s < n; s++) {
    const base = s * classes * inner;
    for (let r = 0; r < inner; r++) {
      const predicted = argmaxAt(out, base + r, classes, inner);
      const expected = oneHot ? argmaxAt(tgt, base + r, classes, inner) : tgt[s * inner + r];
      if (predicted === expected) correct++;
    }
  }
  return correct / total;
}

/**
 * How many of the single-column outputs `out` predict their 0/1 target: logits (threshold 0) when any output
 * lies outside [0, 1], else probabilities (threshold 0.5), as torchmetrics' binary accuracy decides.
 */
function binaryCorrect(out: ArrayLike<number>, tgt: ArrayLike<number>): number {
  let logits = false;
  for (let i = 0; i < out.length; i++) if (out[i] < 0 || out[i] > 1) logits = true;
  const threshold = logits ? 0 : 0.5;
  let correct = 0;
  for (let i = 0; i < out.length; i++) {
    const t = tgt[i];
    if (t !== 0 && t !== 1)
      throw new ValueError(`accuracy: a single output column is binary, so targets must be 0 or 1, got ${t}`);
    // NOTE: NaN > threshold is false and NaN <= threshold too: a NaN output is wrong for either target.
    if (t === 1 ? out[i] > threshold : out[i] <= threshold) correct++;
  }
  return correct;
}

function argmaxAt(data: ArrayLike<number>, start: number, count: number, stride: number): number {
  let best = 0;
  let bestValue = data[start];
  for (let c = 1; c < count; c++) {
    const v = data[start + c * stride];
    // NOTE: NaN wins, as in PyTorch's argmax, so a diverged model scores as wrong, not as class 0.
    if (v > bestValue || (Number.isNaN(v) && !Number.isNaN(bestValue))) {
      best = c;
      bestValue = v;
    }
  }
  return Number.isNaN(bestValue) ? -1 : best;
}

/**
 * The metric functions of {@link MetricsOptions}, by log name (`accuracy`, then the custom ones in order).
 * Throws when a custom metric is not a function or reuses a name the loop logs itself.
 *
 * @example
 * ```ts
 * resolveMetrics('fit', { accuracy: true, custom: { mae } }); // { accuracy, mae }
 * ```
 */
export function resolveMetrics(fn: string, options: MetricsOptions): Record<string, MetricFn> {
  if (typeof options !== 'object' || options === null)
    throw new ValueError(`${fn}: metrics must be an object like { accuracy: true, custom: { name: fn } }`);
  checkOptions(fn, options, optionNames<MetricsOptions>({ accuracy: true, custom: true }), 'metrics option');
  const out: Record<string, MetricFn> = {};
  if (options.accuracy !== undefined && typeof options.accuracy !== 'boolean')
    throw new ValueError(`${fn}: accuracy must be true or false, got ${JSON.stringify(options.accuracy)}`);
  if (options.accuracy === true) out.accuracy = accuracy;
  for (const [name, metric] of Object.entries(options.custom ?? {})) {
    if (typeof metric !== 'function') throw new ValueError(`${fn}: custom metric '${name}' must be a function`);
    if (RESERVED.has(name) || name.startsWith('val'))
      throw new ValueError(
        `${fn}: custom metric name '${name}' is reserved for the loop's own logs; pick another name`,
      );
    if (name in out) throw new ValueError(`${fn}: metric '${name}' is given twice`);
    out[name] = metric;
  }
  return out;
}

const RESERVED: ReadonlySet<string> = new Set(['loss', 'lr', 'epochTime', 'stepsPerSecond']);

/**
 * The log name of a metric computed on validation data: `val` + the name with its first letter in
 * upper case (`loss` -> `valLoss`, `accuracy` -> `valAccuracy`), Keras' `val_` prefix in lowerCamelCase.
 *
 * @example
 * ```ts
 * validationName('accuracy'); // 'valAccuracy'
 * ```
 */
export function validationName(name: string): string {
  return `val${name.charAt(0).toUpperCase()}${name.slice(1)}`;
}

/**
 * A mean weighted by batch size, for epoch logs: `Σ value_b · n_b / Σ n_b`.
 *
 * @example
 * ```ts
 * const m = new RunningMean();
 * m.add(1, 3); m.add(4, 1);
 * m.value; // 1.75
 * ```
 */
export class RunningMean {
  private sum = 0;
  private count = 0;

  /** Add a batch's mean `value` over `n` samples. */
  add(value: number, n: number): void {
    this.sum += value * n;
    this.count += n;
  }

  /** The weighted mean so far (NaN before anything was added). */
  get value(): number {
    return this.count === 0 ? Number.NaN : this.sum / this.count;
  }

  /** The number of samples added. */
  get samples(): number {
    return this.count;
  }

  /** Forget everything. */
  reset(): void {
    this.sum = 0;
    this.count = 0;
  }
}
