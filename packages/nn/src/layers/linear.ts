import {
  checkOptions,
  type FusedActivation,
  type Generator,
  optionNames,
  ShapeError,
  type Tensor,
  zeros,
} from '@nablajs/core';
import { linearWith } from '../functional/linear';
import { kaimingUniform, uniform } from '../init';
import { Module } from '../module';
import { checkFloatDType, checkInput, checkInt, type FloatDType, formatShape, generatorOf } from './util';

/** Options of {@link Linear}. */
export interface LinearOptions {
  /** Learn an additive bias (default true). */
  bias?: boolean;
  /** The parameters' dtype (default float32). */
  dtype?: FloatDType;
  /** The generator of the initial weights (default: core's global generator, see `manualSeed`). */
  generator?: Generator;
}

const LINEAR_OPTIONS = optionNames<LinearOptions>({ bias: true, dtype: true, generator: true });

/**
 * A fully connected layer `y = x Wᵀ + b`, like `torch.nn.Linear`: input `[..., inFeatures]`, output
 * `[..., outFeatures]`, `weight` of shape `[outFeatures, inFeatures]`, `bias` of shape `[outFeatures]`.
 *
 * Initialised exactly as PyTorch does: `weight` by `kaimingUniform(a = √5)` and `bias` uniformly, both
 * in `U(-1/√inFeatures, 1/√inFeatures)`.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.Linear.html
 *
 * @example
 * ```ts
 * const fc = new Linear(4, 8, { generator: new Generator(0) });
 * fc.forward(randn([2, 4])).shape; // [2, 8]
 * ```
 */
export class Linear extends Module {
  /** The size of each input sample. */
  readonly inFeatures: number;
  /** The size of each output sample. */
  readonly outFeatures: number;
  /** The weight, `[outFeatures, inFeatures]`. */
  readonly weight: Tensor;
  /** The bias, `[outFeatures]`, or null without one. */
  readonly bias: Tensor | null;

  constructor(inFeatures: number, outFeatures: number, options: LinearOptions = {}) {
    super();
    const label = `Linear(${inFeatures}, ${outFeatures})`;
    checkOptions(label, options, LINEAR_OPTIONS);
    this.inFeatures = checkInt(label, 'inFeatures', inFeatures, 1);
    this.outFeatures = checkInt(label, 'outFeatures', outFeatures, 1);
    const dtype = checkFloatDType(label, options.dtype);
    const generator = generatorOf(options);
    this.weight = this.registerParameter('weight', zeros([outFeatures, inFeatures], { dtype }));
    kaimingUniform(this.weight, { a: Math.sqrt(5), generator });
    if (options.bias ?? true) {
      const bound = 1 / Math.sqrt(inFeatures);
      this.bias = this.registerParameter(
        'bias',
        uniform(zeros([outFeatures], { dtype }), -bound, bound, { generator }),
      );
    } else this.bias = this.registerParameter('bias', null);
  }

  /** `input Wᵀ + b` over the last dimension of `input`. */
  forward(input: Tensor): Tensor {
    return this.run(input, 'none');
  }

  /**
   * `relu(forward(input))` as one op: what {@link Sequential} runs for a `Linear` followed by a `ReLU`.
   *
   * @internal
   */
  _forwardRelu(input: Tensor): Tensor {
    return this.run(input, 'relu');
  }

  private run(input: Tensor, activation: FusedActivation): Tensor {
    const label = `Linear(${this.inFeatures}, ${this.outFeatures})`;
    checkInput(label, input);
    if (input.ndim === 0 || input.shape[input.ndim - 1] !== this.inFeatures)
      throw new ShapeError(
        `${label}: input has ${input.ndim === 0 ? 'no' : input.shape[input.ndim - 1]} features in its last dimension, expected ${this.inFeatures} (input shape ${formatShape(input.shape)})`,
      );
    return linearWith(input, this.weight, this.bias, activation);
  }

  override extraRepr(): string {
    return `inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}
