import {
  elu,
  type GeluApproximation,
  gelu,
  leakyRelu,
  logSoftmax,
  relu,
  sigmoid,
  silu,
  softmax,
  softplus,
  type Tensor,
  tanh,
  ValueError,
} from '@nablajs/core';
import { Module } from '../module';
import { checkAxis, checkFinite, checkInput } from './util';

/**
 * The base of the parameter-free elementwise activation layers ({@link ReLU}, {@link SiLU}, {@link Sigmoid},
 * {@link Tanh}, `ReLU6`, `Hardswish`, `Hardsigmoid`, `Mish`, `SELU`): `forward` checks that the input is a
 * Tensor, naming the layer, and applies the function given to the constructor.
 *
 * @example
 * ```ts
 * class Square extends ElementwiseActivation {
 *   constructor() {
 *     super('Square', square);
 *   }
 * }
 * ```
 */
export abstract class ElementwiseActivation extends Module {
  readonly #label: string;
  readonly #fn: (input: Tensor) => Tensor;

  protected constructor(label: string, fn: (input: Tensor) => Tensor) {
    super();
    this.#label = label;
    this.#fn = fn;
  }

  /** The activation of `input`, elementwise. */
  forward(input: Tensor): Tensor {
    checkInput(this.#label, input);
    return this.#fn(input);
  }
}

/**
 * The rectified linear unit `max(0, x)` as a layer, like `torch.nn.ReLU`.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.ReLU.html
 *
 * @example
 * ```ts
 * new ReLU().forward(tensor([-1, 2])).toArray(); // [0, 2]
 * ```
 */
export class ReLU extends ElementwiseActivation {
  constructor() {
    super('ReLU', relu);
  }
}

/**
 * Leaky ReLU `x if x >= 0 else negativeSlope·x` as a layer, like `torch.nn.LeakyReLU`.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.LeakyReLU.html
 *
 * @example
 * ```ts
 * new LeakyReLU(0.2).forward(tensor([-1, 2])).toArray(); // [-0.2, 2]
 * ```
 */
export class LeakyReLU extends Module {
  /** The slope for negative inputs (default 0.01). */
  readonly negativeSlope: number;

  constructor(negativeSlope = 0.01) {
    super();
    this.negativeSlope = checkFinite('LeakyReLU', 'negativeSlope', negativeSlope);
  }

  /** Leaky ReLU of `input`. */
  forward(input: Tensor): Tensor {
    checkInput('LeakyReLU', input);
    return leakyRelu(input, this.negativeSlope);
  }

  override extraRepr(): string {
    return `negativeSlope=${this.negativeSlope}`;
  }
}

/**
 * The exponential linear unit `x if x > 0 else alpha·(exp(x) - 1)` as a layer, like `torch.nn.ELU`.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.ELU.html
 *
 * @example
 * ```ts
 * new ELU().forward(tensor([-1, 2])); // [-0.632, 2]
 * ```
 */
export class ELU extends Module {
  /** The scale of the negative part (default 1). */
  readonly alpha: number;

  constructor(alpha = 1) {
    super();
    this.alpha = checkFinite('ELU', 'alpha', alpha);
  }

  /** ELU of `input`. */
  forward(input: Tensor): Tensor {
    checkInput('ELU', input);
    return elu(input, this.alpha);
  }

  override extraRepr(): string {
    return `alpha=${this.alpha}`;
  }
}

/**
 * The Gaussian error linear unit `x·Φ(x)` as a layer, like `torch.nn.GELU`: exact
 * `0.5x(1 + erf(x/√2))`, or with `'tanh'` the approximation `0.5x(1 + tanh(√(2/π)(x + 0.044715x³)))`.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.GELU.html
 *
 * @example
 * ```ts
 * new GELU().forward(x);
 * new GELU('tanh').forward(x); // GPT-2's variant
 * ```
 */
export class GELU extends Module {
  /** `'none'` (exact, the default) or `'tanh'`. */
  readonly approximate: GeluApproximation;

  constructor(approximate: GeluApproximation = 'none') {
    super();
    if (approximate !== 'none' && approximate !== 'tanh')
      throw new ValueError(`GELU: approximate must be 'none' or 'tanh', got ${JSON.stringify(approximate)}`);
    this.approximate = approximate;
  }

  /** GELU of `input`. */
  forward(input: Tensor): Tensor {
    checkInput('GELU', input);
    return gelu(input, this.approximate);
  }

  override extraRepr(): string {
    return `approximate=${JSON.stringify(this.approximate)}`;
  }
}

/**
 * The sigmoid linear unit (swish) `x·σ(x)` as a layer, like `torch.nn.SiLU`.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.SiLU.html
 *
 * @example
 * ```ts
 * new SiLU().forward(tensor([0, 1])); // [0, 0.731]
 * ```
 */
export class SiLU extends ElementwiseActivation {
  constructor() {
    super('SiLU', silu);
  }
}

/**
 * The logistic sigmoid `1 / (1 + exp(-x))` as a layer, like `torch.nn.Sigmoid`.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.Sigmoid.html
 *
 * @example
 * ```ts
 * new Sigmoid().forward(tensor([0])).toArray(); // [0.5]
 * ```
 */
export class Sigmoid extends ElementwiseActivation {
  constructor() {
    super('Sigmoid', sigmoid);
  }
}

/**
 * The hyperbolic tangent as a layer, like `torch.nn.Tanh`.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.Tanh.html
 *
 * @example
 * ```ts
 * new Tanh().forward(tensor([0])).toArray(); // [0]
 * ```
 */
export class Tanh extends ElementwiseActivation {
  constructor() {
    super('Tanh', tanh);
  }
}

/**
 * Softplus `log(1 + exp(beta·x)) / beta` as a layer, like `torch.nn.Softplus`; it returns `x` itself
 * where `beta·x > threshold`, for numerical stability.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.Softplus.html
 *
 * @example
 * ```ts
 * new Softplus().forward(tensor([0])); // [0.6931]
 * ```
 */
export class Softplus extends Module {
  /** The sharpness (default 1). */
  readonly beta: number;
  /** Above `beta·x > threshold` the layer is linear (default 20). */
  readonly threshold: number;

  constructor(beta = 1, threshold = 20) {
    super();
    this.beta = checkFinite('Softplus', 'beta', beta);
    this.threshold = checkFinite('Softplus', 'threshold', threshold);
  }

  /** Softplus of `input`. */
  forward(input: Tensor): Tensor {
    checkInput('Softplus', input);
    return softplus(input, this.beta, this.threshold);
  }

  override extraRepr(): string {
    return `beta=${this.beta}, threshold=${this.threshold}`;
  }
}

/**
 * Softmax along `axis` as a layer, `exp(x_i) / Σ_j exp(x_j)`, like `torch.nn.Softmax`. Unlike
 * PyTorch's deprecated implicit `dim=None`, the axis defaults to the last one.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.Softmax.html
 *
 * @example
 * ```ts
 * new Softmax(1).forward(logits); // rows sum to 1
 * ```
 */
export class Softmax extends Module {
  /** The axis that sums to 1 (default -1). */
  readonly axis: number;

  constructor(axis = -1) {
    super();
    this.axis = checkAxis('Softmax', 'axis', axis);
  }

  /** Softmax of `input` along the axis. */
  forward(input: Tensor): Tensor {
    checkInput('Softmax', input);
    return softmax(input, this.axis);
  }

  override extraRepr(): string {
    return `axis=${this.axis}`;
  }
}

/**
 * Log-softmax along `axis` as a layer, `x_i - log Σ_j exp(x_j)` computed stably, like
 * `torch.nn.LogSoftmax`. The axis defaults to the last one.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.LogSoftmax.html
 *
 * @example
 * ```ts
 * new LogSoftmax(1).forward(logits); // log-probabilities, for nllLoss
 * ```
 */
export class LogSoftmax extends Module {
  /** The axis that is normalised (default -1). */
  readonly axis: number;

  constructor(axis = -1) {
    super();
    this.axis = checkAxis('LogSoftmax', 'axis', axis);
  }

  /** Log-softmax of `input` along the axis. */
  forward(input: Tensor): Tensor {
    checkInput('LogSoftmax', input);
    return logSoftmax(input, this.axis);
  }

  override extraRepr(): string {
    return `axis=${this.axis}`;
  }
}
