import { checkOptions, type Generator, optionNames, type Tensor, zeros } from '@nablajs/core';
import { bilinear } from '../functional/bilinear';
import { uniform } from '../init';
import { Module } from '../module';
import { checkFloatDType, checkInput, checkInt, type FloatDType, generatorOf } from './util';

/** Options of {@link Bilinear}. */
export interface BilinearOptions {
  /** Learn an additive bias (default true). */
  bias?: boolean;
  /** The parameters' dtype (default float32). */
  dtype?: FloatDType;
  /** The generator of the initial weights (default: core's global generator, see `manualSeed`). */
  generator?: Generator;
}

const BILINEAR_OPTIONS = optionNames<BilinearOptions>({ bias: true, dtype: true, generator: true });

/**
 * A bilinear layer `y = x1ᵀ A x2 + b`, like `torch.nn.Bilinear`: inputs `[..., in1Features]` and
 * `[..., in2Features]` with the same leading dims, output `[..., outFeatures]`; `weight` is
 * `[outFeatures, in1Features, in2Features]` and `bias` `[outFeatures]`. Initialised as PyTorch does: both
 * from `U(-1/√in1Features, 1/√in1Features)`. See {@link bilinear} for the function.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.Bilinear.html
 *
 * @example
 * ```ts
 * const layer = new Bilinear(3, 4, 5);
 * layer.forward(randn([8, 3]), randn([8, 4])).shape; // [8, 5]
 * ```
 */
export class Bilinear extends Module {
  /** The size of each sample of the first input. */
  readonly in1Features: number;
  /** The size of each sample of the second input. */
  readonly in2Features: number;
  /** The size of each output sample. */
  readonly outFeatures: number;
  /** The weight, `[outFeatures, in1Features, in2Features]`. */
  readonly weight: Tensor;
  /** The bias, `[outFeatures]`, or null without one. */
  readonly bias: Tensor | null;

  constructor(in1Features: number, in2Features: number, outFeatures: number, options: BilinearOptions = {}) {
    super();
    const label = `Bilinear(${in1Features}, ${in2Features}, ${outFeatures})`;
    checkOptions(label, options, BILINEAR_OPTIONS);
    this.in1Features = checkInt(label, 'in1Features', in1Features, 1);
    this.in2Features = checkInt(label, 'in2Features', in2Features, 1);
    this.outFeatures = checkInt(label, 'outFeatures', outFeatures, 1);
    const dtype = checkFloatDType(label, options.dtype);
    const generator = generatorOf(options);
    const bound = 1 / Math.sqrt(in1Features);
    this.weight = this.registerParameter(
      'weight',
      uniform(zeros([outFeatures, in1Features, in2Features], { dtype }), -bound, bound, { generator }),
    );
    this.bias =
      (options.bias ?? true)
        ? this.registerParameter('bias', uniform(zeros([outFeatures], { dtype }), -bound, bound, { generator }))
        : this.registerParameter('bias', null);
  }

  /** `x1ᵀ A x2 + b` over the last dims of `input1` and `input2`. */
  forward(input1: Tensor, input2: Tensor): Tensor {
    const label = `Bilinear(${this.in1Features}, ${this.in2Features}, ${this.outFeatures})`;
    checkInput(label, input1, 'input1');
    checkInput(label, input2, 'input2');
    return bilinear(input1, input2, this.weight, this.bias);
  }

  override extraRepr(): string {
    return `in1Features=${this.in1Features}, in2Features=${this.in2Features}, outFeatures=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}
