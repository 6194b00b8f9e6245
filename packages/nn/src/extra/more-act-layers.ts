import {
  checkOptions,
  type Generator,
  logSigmoid,
  optionNames,
  ShapeError,
  softmax,
  type Tensor,
  ValueError,
} from '@nablajs/core';
import { ElementwiseActivation } from '../layers/activations';
import { checkAxis, checkFinite, checkInput, formatShape } from '../layers/util';
import { Module } from '../module';
import { hardshrink, rrelu, softmin, softshrink, softsign, tanhshrink, threshold } from './more-act-functional';

/** Check that a required option is present, naming the layer and the option. */
function required(layer: string, arg: string, value: unknown): void {
  if (value === undefined) throw new ValueError(`${layer}: option ${arg} is required`);
}

/** Check that `value` is a number other than NaN (infinities allowed). */
function notNaN(layer: string, arg: string, value: unknown): number {
  if (typeof value !== 'number' || Number.isNaN(value))
    throw new ValueError(`${layer}: ${arg} must be a number (not NaN), got ${JSON.stringify(value) ?? String(value)}`);
  return value;
}

/**
 * Options of {@link Softmin}.
 *
 * @example
 * ```ts
 * const options: SoftminOptions = { dim: 1 };
 * ```
 */
export interface SoftminOptions {
  /** The axis that sums to 1, negative from the end; required (PyTorch's implicit `dim=None` is not supported). */
  dim: number;
}

/**
 * Softmin along `dim` as a layer, like `torch.nn.Softmin`: `exp(-x_i) / Σ_j exp(-x_j)`; calls `F.softmin`.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.Softmin.html
 *
 * @example
 * ```ts
 * new Softmin({ dim: 1 }).forward(randn([4, 10])).sum(1).toArray(); // four 1s, up to rounding
 * ```
 */
export class Softmin extends Module {
  /** The axis that sums to 1. */
  readonly dim: number;

  constructor(options: SoftminOptions) {
    super();
    checkOptions('Softmin', options, optionNames<SoftminOptions>({ dim: true }));
    required('Softmin', 'dim', options?.dim);
    this.dim = checkAxis('Softmin', 'dim', options.dim);
  }

  /** Softmin of `input` along the axis. */
  forward(input: Tensor): Tensor {
    checkInput('Softmin', input);
    return softmin(input, this.dim);
  }

  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

/**
 * Softsign as a layer, like `torch.nn.Softsign`: `x / (1 + |x|)`; calls `F.softsign`.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.Softsign.html
 *
 * @example
 * ```ts
 * new Softsign().forward(tensor([-3, 1])).toArray(); // [-0.75, 0.5]
 * ```
 */
export class Softsign extends ElementwiseActivation {
  constructor() {
    super('Softsign', softsign);
  }
}

/**
 * Tanhshrink as a layer, like `torch.nn.Tanhshrink`: `x - tanh(x)`; calls `F.tanhshrink`.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.Tanhshrink.html
 *
 * @example
 * ```ts
 * new Tanhshrink().forward(tensor([0])).toArray(); // [0]
 * ```
 */
export class Tanhshrink extends ElementwiseActivation {
  constructor() {
    super('Tanhshrink', tanhshrink);
  }
}

/**
 * `log σ(x)` as a layer, like `torch.nn.LogSigmoid`; calls core's `logSigmoid` (`F.logSigmoid`), which is
 * stable for large negative inputs.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.LogSigmoid.html
 *
 * @example
 * ```ts
 * new LogSigmoid().forward(tensor([0, -1000], { dtype: 'float64' })).toArray(); // [-0.6931471805599453, -1000]
 * ```
 */
export class LogSigmoid extends ElementwiseActivation {
  constructor() {
    super('LogSigmoid', logSigmoid);
  }
}

/**
 * Options of {@link Threshold}.
 *
 * @example
 * ```ts
 * const options: ThresholdOptions = { threshold: 0.1, value: 20 };
 * ```
 */
export interface ThresholdOptions {
  /** The value to compare with; required, as in PyTorch (infinities allowed). */
  threshold: number;
  /** The replacement at or below the threshold; required, as in PyTorch (infinities allowed). */
  value: number;
}

/**
 * Threshold as a layer, like `torch.nn.Threshold`: `x` where `x > threshold`, `value` elsewhere; calls
 * `F.threshold` (gradient 0 at exactly the threshold).
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.Threshold.html
 *
 * @example
 * ```ts
 * new Threshold({ threshold: 0.1, value: 20 }).forward(tensor([0, 0.1, 0.5])).toArray(); // [20, 20, 0.5]
 * ```
 */
export class Threshold extends Module {
  /** The value to compare with. */
  readonly threshold: number;
  /** The replacement at or below the threshold. */
  readonly value: number;

  constructor(options: ThresholdOptions) {
    super();
    checkOptions('Threshold', options, optionNames<ThresholdOptions>({ threshold: true, value: true }));
    required('Threshold', 'threshold', options?.threshold);
    required('Threshold', 'value', options.value);
    this.threshold = notNaN('Threshold', 'threshold', options.threshold);
    this.value = notNaN('Threshold', 'value', options.value);
  }

  /** Threshold of `input`. */
  forward(input: Tensor): Tensor {
    checkInput('Threshold', input);
    return threshold(input, this.threshold, this.value);
  }

  override extraRepr(): string {
    return `threshold=${this.threshold}, value=${this.value}`;
  }
}

/**
 * Options of {@link Hardshrink}.
 *
 * @example
 * ```ts
 * const options: HardshrinkOptions = { lambd: 0.25 };
 * ```
 */
export interface HardshrinkOptions {
  /** The half-width of the zeroed band (default 0.5); a negative one makes the layer the identity. */
  lambd?: number;
}

/**
 * Options of {@link Softshrink}.
 *
 * @example
 * ```ts
 * const options: SoftshrinkOptions = { lambd: 0.25 };
 * ```
 */
export interface SoftshrinkOptions {
  /** The half-width of the zeroed band (default 0.5); must be at least 0. */
  lambd?: number;
}

/**
 * The hard shrinkage as a layer, like `torch.nn.Hardshrink`: `x` where `|x| > lambd`, 0 elsewhere; calls
 * `F.hardshrink` (gradient 0 at exactly ±lambd).
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.Hardshrink.html
 *
 * @example
 * ```ts
 * new Hardshrink({ lambd: 1 }).forward(tensor([-2, 0.5, 1, 3])).toArray(); // [-2, 0, 0, 3]
 * ```
 */
export class Hardshrink extends Module {
  /** The half-width of the zeroed band. */
  readonly lambd: number;

  constructor(options: HardshrinkOptions = {}) {
    super();
    checkOptions('Hardshrink', options, optionNames<HardshrinkOptions>({ lambd: true }));
    this.lambd = checkFinite('Hardshrink', 'lambd', options.lambd ?? 0.5);
  }

  /** Hardshrink of `input`. */
  forward(input: Tensor): Tensor {
    checkInput('Hardshrink', input);
    return hardshrink(input, this.lambd);
  }

  override extraRepr(): string {
    return `lambd=${this.lambd}`;
  }
}

/**
 * The soft shrinkage as a layer, like `torch.nn.Softshrink`: `x ∓ lambd` where `|x| > lambd`, 0
 * elsewhere; calls `F.softshrink` (gradient 0 at exactly ±lambd).
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.Softshrink.html
 *
 * @example
 * ```ts
 * new Softshrink({ lambd: 1 }).forward(tensor([-2, 0.5, 3])).toArray(); // [-1, 0, 2]
 * ```
 */
export class Softshrink extends Module {
  /** The half-width of the zeroed band (at least 0). */
  readonly lambd: number;

  constructor(options: SoftshrinkOptions = {}) {
    super();
    checkOptions('Softshrink', options, optionNames<SoftshrinkOptions>({ lambd: true }));
    this.lambd = checkFinite('Softshrink', 'lambd', options.lambd ?? 0.5);
    if (this.lambd < 0) throw new ValueError(`Softshrink: lambd must be at least 0, got ${this.lambd}`);
  }

  /** Softshrink of `input`. */
  forward(input: Tensor): Tensor {
    checkInput('Softshrink', input);
    return softshrink(input, this.lambd);
  }

  override extraRepr(): string {
    return `lambd=${this.lambd}`;
  }
}

/**
 * Options of {@link RReLU}.
 *
 * @example
 * ```ts
 * const options: RReLUOptions = { lower: 0.1, upper: 0.3, generator: new Generator(0) };
 * ```
 */
export interface RReLUOptions {
  /** The smallest random slope (default 1/8). */
  lower?: number;
  /** The largest random slope (default 1/3); must not be below `lower`. */
  upper?: number;
  /** The generator of the slopes in training mode (default: core's global generator at each call). */
  generator?: Generator;
}

/**
 * The randomized leaky ReLU as a layer, like `torch.nn.RReLU`: `x` where `x > 0`, `a · x` elsewhere,
 * with a slope `a` drawn uniformly from `[lower, upper]` per element in training mode and
 * `a = (lower + upper) / 2` in eval mode; calls `F.rrelu` with `training` set to the module's mode.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.RReLU.html
 *
 * @example
 * ```ts
 * const act = new RReLU({ generator: new Generator(0) });
 * act.forward(x); // random slopes in [1/8, 1/3]
 * act.eval().forward(tensor([-1, 2], { dtype: 'float64' })).toArray(); // [-0.22916666666666666, 2]
 * ```
 */
export class RReLU extends Module {
  /** The smallest slope. */
  readonly lower: number;
  /** The largest slope. */
  readonly upper: number;
  /** The generator of the slopes, or undefined for the global one. */
  readonly generator: Generator | undefined;

  constructor(options: RReLUOptions = {}) {
    super();
    checkOptions('RReLU', options, optionNames<RReLUOptions>({ lower: true, upper: true, generator: true }));
    this.lower = checkFinite('RReLU', 'lower', options.lower ?? 1 / 8);
    this.upper = checkFinite('RReLU', 'upper', options.upper ?? 1 / 3);
    if (this.upper < this.lower)
      throw new ValueError(`RReLU: upper (${this.upper}) must not be below lower (${this.lower})`);
    this.generator = options.generator;
  }

  /** RReLU of `input`: random slopes in training mode, their mean in eval mode. */
  forward(input: Tensor): Tensor {
    checkInput('RReLU', input);
    return rrelu(input, this.lower, this.upper, this.training, this.generator);
  }

  override extraRepr(): string {
    return `lower=${this.lower}, upper=${this.upper}`;
  }
}

/**
 * Softmax over the channels at every spatial position, like `torch.nn.Softmax2d`: the input is
 * `[N, C, H, W]` or `[C, H, W]` and the softmax runs along `C` (dim -3), so `output.sum(-3)` is 1
 * everywhere.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.Softmax2d.html
 *
 * @example
 * ```ts
 * new Softmax2d().forward(randn([2, 5, 4, 4])).sum(1).shape; // [2, 4, 4], every value 1 up to rounding
 * ```
 */
export class Softmax2d extends Module {
  /** The softmax of `input` along its channel dim (-3). */
  forward(input: Tensor): Tensor {
    checkInput('Softmax2d', input);
    if (input.ndim !== 3 && input.ndim !== 4)
      throw new ShapeError(
        `Softmax2d: expected a 3-D [C, H, W] or 4-D [N, C, H, W] input, got shape ${formatShape(input.shape)}`,
      );
    return softmax(input, -3);
  }
}
