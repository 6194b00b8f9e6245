// The dropout layers beyond Dropout and Dropout2d: Dropout1d, Dropout3d, AlphaDropout and FeatureAlphaDropout,
// like the torch.nn modules of those names, each calling its functional form of dropout-more.ts.

import { checkOptions, type Generator, optionNames, type Tensor, ValueError } from '@nablajs/core';
import { checkInput, checkNdim } from '../layers/util';
import { Module } from '../module';
import { alphaDropout, dropout1d, dropout3d, featureAlphaDropout } from './dropout-more';

/**
 * Options of {@link Dropout1d}, {@link Dropout3d}, {@link AlphaDropout} and {@link FeatureAlphaDropout}.
 *
 * @example
 * ```ts
 * const options: DropoutLayerOptions = { generator: new Generator(0) };
 * new Dropout1d(0.2, options);
 * ```
 */
export interface DropoutLayerOptions {
  /** The generator of the masks (default: core's global generator at each call). */
  generator?: Generator;
}

const LAYER_OPTIONS = optionNames<DropoutLayerOptions>({ generator: true });

type DropoutFunction = (x: Tensor, p: number, training: boolean, generator?: Generator) => Tensor;

/** The shared body of the dropout variants: `p`, the generator, and a forward that calls `F`'s function. */
abstract class DropoutVariant extends Module {
  /** The probability of dropping an element or a channel. */
  readonly p: number;
  /** The generator of the masks, or undefined for the global one. */
  readonly generator: Generator | undefined;
  /** The functional form this layer applies. */
  protected abstract readonly dropoutFn: DropoutFunction;

  constructor(
    /** The layer's class name, in error messages. */
    protected readonly label: string,
    p: number,
    options: DropoutLayerOptions,
  ) {
    super();
    if (typeof p !== 'number' || !(p >= 0 && p <= 1))
      throw new ValueError(`${label}: p must be in [0, 1], got ${String(p)}`);
    checkOptions(label, options, LAYER_OPTIONS);
    this.p = p;
    this.generator = options.generator;
  }

  /** Check the input's number of dims (none by default). */
  protected checkShape(_input: Tensor, _name: string): void {}

  /** Apply dropout to `input` in training mode; return `input` itself otherwise. */
  forward(input: Tensor): Tensor {
    const name = `${this.label}(p=${this.p})`;
    checkInput(name, input);
    this.checkShape(input, name);
    return this.dropoutFn(input, this.p, this.training, this.generator);
  }

  override extraRepr(): string {
    return `p=${this.p}`;
  }
}

/**
 * Channel-wise inverted dropout of 1-D signals as a layer, like `torch.nn.Dropout1d`: in training mode each
 * channel (a whole row `input[n, c]` of `[N, C, L]`, or `input[c]` of an unbatched `[C, L]`) is zeroed with
 * probability `p` and the others are scaled by `1 / (1 - p)`; in eval mode (and for `p = 0`) it is the
 * identity. Calls {@link dropout1d}. No parameters or buffers.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.Dropout1d.html
 *
 * @example
 * ```ts
 * const drop = new Dropout1d(0.2, { generator: new Generator(0) });
 * drop.forward(ones([4, 8, 16])); // each row of 16 all 0 or all 1.25
 * drop.eval().forward(x) === x; // true
 * ```
 */
export class Dropout1d extends DropoutVariant {
  /** Calls {@link dropout1d}. */
  protected readonly dropoutFn = dropout1d;
  constructor(p = 0.5, options: DropoutLayerOptions = {}) {
    super('Dropout1d', p, options);
  }
  protected override checkShape(input: Tensor, name: string): void {
    checkNdim(name, input, [2, 3], '3-D [N, C, L] or 2-D [C, L]');
  }
}

/**
 * Channel-wise inverted dropout of volumes as a layer, like `torch.nn.Dropout3d`: in training mode each channel
 * (a whole `[D, H, W]` volume `input[n, c]` of `[N, C, D, H, W]`, or `input[c]` of an unbatched
 * `[C, D, H, W]`) is zeroed with probability `p` and the others are scaled by `1 / (1 - p)`; in eval mode (and
 * for `p = 0`) it is the identity. Calls {@link dropout3d}. No parameters or buffers.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.Dropout3d.html
 *
 * @example
 * ```ts
 * const drop = new Dropout3d(0.5, { generator: new Generator(0) });
 * drop.forward(ones([2, 4, 3, 3, 3])); // each 3×3×3 volume all 0 or all 2
 * ```
 */
export class Dropout3d extends DropoutVariant {
  /** Calls {@link dropout3d}. */
  protected readonly dropoutFn = dropout3d;
  constructor(p = 0.5, options: DropoutLayerOptions = {}) {
    super('Dropout3d', p, options);
  }
  protected override checkShape(input: Tensor, name: string): void {
    checkNdim(name, input, [4, 5], '5-D [N, C, D, H, W] or 4-D [C, D, H, W]');
  }
}

/**
 * Alpha dropout as a layer, like `torch.nn.AlphaDropout`, for networks of SELU units: in training mode each
 * element is set with probability `p` to SELU's negative saturation value, then an affine map restores zero
 * mean and unit variance (see {@link alphaDropout} for `a` and `b`); in eval mode (and for `p = 0`) it is the
 * identity. Any input shape. No parameters or buffers.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.AlphaDropout.html
 *
 * @example
 * ```ts
 * const net = new Sequential(new Linear(64, 64), new SELU(), new AlphaDropout(0.1));
 * new AlphaDropout(0.2, { generator: new Generator(0) }).forward(randn([1000])); // mean ≈ 0, variance ≈ 1
 * ```
 */
export class AlphaDropout extends DropoutVariant {
  /** Calls {@link alphaDropout}. */
  protected readonly dropoutFn = alphaDropout;
  constructor(p = 0.5, options: DropoutLayerOptions = {}) {
    super('AlphaDropout', p, options);
  }
}

/**
 * Channel-wise alpha dropout as a layer, like `torch.nn.FeatureAlphaDropout`: as {@link AlphaDropout}, but a
 * whole channel `input[n, c]` is dropped together (see {@link featureAlphaDropout}); in eval mode (and for
 * `p = 0`) it is the identity. As in PyTorch 1.13, the channels are the first two dims of any input of 2 or
 * more dims, so an unbatched `[C, D, H, W]` input drops each `input[c, d]` separately (add the batch dim to
 * drop whole channels). No parameters or buffers.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.FeatureAlphaDropout.html
 *
 * @example
 * ```ts
 * const drop = new FeatureAlphaDropout(0.2, { generator: new Generator(0) });
 * drop.forward(randn([2, 8, 4, 4, 4])); // each dropped 4×4×4 volume is constant
 * ```
 */
export class FeatureAlphaDropout extends DropoutVariant {
  /** Calls {@link featureAlphaDropout}. */
  protected readonly dropoutFn = featureAlphaDropout;
  constructor(p = 0.5, options: DropoutLayerOptions = {}) {
    super('FeatureAlphaDropout', p, options);
  }
}
