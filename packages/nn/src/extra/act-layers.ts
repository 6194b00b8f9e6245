import { checkOptions, full, optionNames, type Tensor, ValueError } from '@nablajs/core';
import { ElementwiseActivation } from '../layers/activations';
import { checkAxis, checkFinite, checkFloatDType, checkInput, checkInt, type FloatDType } from '../layers/util';
import { Module } from '../module';
import { celu, glu, hardsigmoid, hardswish, hardtanh, mish, prelu, relu6, selu } from './act-functional';

/**
 * Options of {@link PReLU}.
 *
 * @example
 * ```ts
 * const options: PReLUOptions = { numParameters: 16, init: 0.1 };
 * ```
 */
export interface PReLUOptions {
  /** The number of learned slopes: 1 (shared, the default) or the number of input channels (dimension 1). */
  numParameters?: number;
  /** The initial value of every slope (default 0.25). */
  init?: number;
  /** The weight's dtype (default float32). */
  dtype?: FloatDType;
}

/**
 * The parametric ReLU as a layer, like `torch.nn.PReLU`: `x` where `x > 0`, `a · x` elsewhere, with the
 * slopes `a` learned. The parameter `weight` has shape `[numParameters]` and starts at `init`; with more
 * than one parameter, the slopes apply per channel (dimension 1 of the input).
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.PReLU.html
 *
 * @example
 * ```ts
 * const act = new PReLU({ numParameters: 3 });
 * act.forward(randn([2, 3, 4])).shape; // [2, 3, 4]
 * ```
 */
export class PReLU extends Module {
  /** The number of slopes. */
  readonly numParameters: number;
  /** The learned slopes, `[numParameters]`. */
  readonly weight: Tensor;

  constructor(options: PReLUOptions = {}) {
    super();
    checkOptions('PReLU', options, optionNames<PReLUOptions>({ numParameters: true, init: true, dtype: true }));
    this.numParameters = checkInt('PReLU', 'numParameters', options.numParameters ?? 1, 1);
    const init = checkFinite('PReLU', 'init', options.init ?? 0.25);
    const dtype = checkFloatDType('PReLU', options.dtype);
    this.weight = this.registerParameter('weight', full([this.numParameters], init, { dtype }));
  }

  /** PReLU of `input` (the channel is dimension 1). */
  forward(input: Tensor): Tensor {
    checkInput('PReLU', input);
    return prelu(input, this.weight);
  }

  override extraRepr(): string {
    return `numParameters=${this.numParameters}`;
  }
}

/**
 * Options of {@link Hardtanh}.
 *
 * @example
 * ```ts
 * const options: HardtanhOptions = { minVal: -2, maxVal: 2 };
 * ```
 */
export interface HardtanhOptions {
  /** The lower bound (default -1). */
  minVal?: number;
  /** The upper bound (default 1); must be above `minVal`. */
  maxVal?: number;
}

/**
 * The hard hyperbolic tangent as a layer, like `torch.nn.Hardtanh`: `min(max(x, minVal), maxVal)`;
 * calls `F.hardtanh` (gradient 0 at exactly the bounds).
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.Hardtanh.html
 *
 * @example
 * ```ts
 * new Hardtanh({ minVal: -2, maxVal: 2 }).forward(tensor([-3, 1, 3])).toArray(); // [-2, 1, 2]
 * ```
 */
export class Hardtanh extends Module {
  /** The lower bound. */
  readonly minVal: number;
  /** The upper bound. */
  readonly maxVal: number;

  constructor(options: HardtanhOptions = {}) {
    super();
    checkOptions('Hardtanh', options, optionNames<HardtanhOptions>({ minVal: true, maxVal: true }));
    this.minVal = checkFinite('Hardtanh', 'minVal', options.minVal ?? -1);
    this.maxVal = checkFinite('Hardtanh', 'maxVal', options.maxVal ?? 1);
    if (!(this.maxVal > this.minVal))
      throw new ValueError(`Hardtanh: maxVal (${this.maxVal}) must be greater than minVal (${this.minVal})`);
  }

  /** Hardtanh of `input`. */
  forward(input: Tensor): Tensor {
    checkInput('Hardtanh', input);
    return hardtanh(input, this.minVal, this.maxVal);
  }

  override extraRepr(): string {
    return `minVal=${this.minVal}, maxVal=${this.maxVal}`;
  }
}

/**
 * ReLU capped at 6 as a layer, like `torch.nn.ReLU6`: `min(max(0, x), 6)`; calls `F.relu6`
 * (gradient 0 at exactly 0 and 6).
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.ReLU6.html
 *
 * @example
 * ```ts
 * new ReLU6().forward(tensor([-1, 3, 8])).toArray(); // [0, 3, 6]
 * ```
 */
export class ReLU6 extends ElementwiseActivation {
  constructor() {
    super('ReLU6', relu6);
  }
}

/**
 * The hard swish as a layer, like `torch.nn.Hardswish`: `x · min(max(x + 3, 0), 6) / 6`; calls
 * `F.hardswish`.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.Hardswish.html
 *
 * @example
 * ```ts
 * new Hardswish().forward(tensor([-4, 4])).toArray(); // [0, 4]
 * ```
 */
export class Hardswish extends ElementwiseActivation {
  constructor() {
    super('Hardswish', hardswish);
  }
}

/**
 * The hard sigmoid as a layer, like `torch.nn.Hardsigmoid`: `min(max((x + 3) / 6, 0), 1)`; calls
 * `F.hardsigmoid`.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.Hardsigmoid.html
 *
 * @example
 * ```ts
 * new Hardsigmoid().forward(tensor([-4, 0, 4])).toArray(); // [0, 0.5, 1]
 * ```
 */
export class Hardsigmoid extends ElementwiseActivation {
  constructor() {
    super('Hardsigmoid', hardsigmoid);
  }
}

/**
 * Mish as a layer, like `torch.nn.Mish`: `x · tanh(softplus(x))`; calls `F.mish`.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.Mish.html
 *
 * @example
 * ```ts
 * new Mish().forward(tensor([0])).toArray(); // [0]
 * ```
 */
export class Mish extends ElementwiseActivation {
  constructor() {
    super('Mish', mish);
  }
}

/**
 * The scaled exponential linear unit as a layer, like `torch.nn.SELU`:
 * `scale · (max(0, x) + min(0, α (eᵡ - 1)))` with PyTorch's α ≈ 1.6733 and scale ≈ 1.0507; calls
 * `F.selu`.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.SELU.html
 *
 * @example
 * ```ts
 * new SELU().forward(tensor([0])).toArray(); // [0]
 * ```
 */
export class SELU extends ElementwiseActivation {
  constructor() {
    super('SELU', selu);
  }
}

/**
 * Options of {@link CELU}.
 *
 * @example
 * ```ts
 * const options: CELUOptions = { alpha: 2 };
 * ```
 */
export interface CELUOptions {
  /** α (default 1); must not be 0. */
  alpha?: number;
}

/**
 * The continuously differentiable ELU as a layer, like `torch.nn.CELU`:
 * `max(0, x) + min(0, α (exp(x/α) - 1))`; calls `F.celu`.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.CELU.html
 *
 * @example
 * ```ts
 * new CELU({ alpha: 2 }).forward(tensor([2])).toArray(); // [2]
 * ```
 */
export class CELU extends Module {
  /** α. */
  readonly alpha: number;

  constructor(options: CELUOptions = {}) {
    super();
    checkOptions('CELU', options, optionNames<CELUOptions>({ alpha: true }));
    this.alpha = checkFinite('CELU', 'alpha', options.alpha ?? 1);
    if (this.alpha === 0) throw new ValueError('CELU: alpha must not be 0 (it divides the input), got 0');
  }

  /** CELU of `input`. */
  forward(input: Tensor): Tensor {
    checkInput('CELU', input);
    return celu(input, this.alpha);
  }

  override extraRepr(): string {
    return `alpha=${this.alpha}`;
  }
}

/**
 * Options of {@link GLU}.
 *
 * @example
 * ```ts
 * const options: GLUOptions = { dim: 1 };
 * ```
 */
export interface GLUOptions {
  /** The axis that is halved (default -1). */
  dim?: number;
}

/**
 * The gated linear unit as a layer, like `torch.nn.GLU`: the input is split in half along `dim` into `a`
 * and `b` and the result is `a ⊗ σ(b)`; calls `F.glu`.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.GLU.html
 *
 * @example
 * ```ts
 * new GLU().forward(randn([4, 6])).shape; // [4, 3]
 * ```
 */
export class GLU extends Module {
  /** The halved axis. */
  readonly dim: number;

  constructor(options: GLUOptions = {}) {
    super();
    checkOptions('GLU', options, optionNames<GLUOptions>({ dim: true }));
    this.dim = checkAxis('GLU', 'dim', options.dim ?? -1);
  }

  /** GLU of `input` along the axis. */
  forward(input: Tensor): Tensor {
    checkInput('GLU', input);
    return glu(input, this.dim);
  }

  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}
