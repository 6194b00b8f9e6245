import { checkOptions, type Generator, optionNames, type Tensor, ValueError } from '@nablajs/core';
import { dropout2d } from '../functional/dropout2d';
import { Module } from '../module';
import { checkInput, checkNdim } from './util';

/** Options of {@link Dropout2d}. */
export interface Dropout2dOptions {
  /** The generator of the masks (default: core's global generator at each call). */
  generator?: Generator;
}

const DROPOUT2D_OPTIONS = optionNames<Dropout2dOptions>({ generator: true });

/**
 * Channel-wise inverted dropout as a layer, like `torch.nn.Dropout2d`: in training mode each channel
 * (`input[n, c]`, a whole `[H, W]` map) is zeroed with probability `p` and the others are scaled by
 * `1 / (1 - p)`; in eval mode (and for `p = 0`) it is the identity. Calls {@link dropout2d}, whose notes
 * apply: a 3-D input is `[N, C, L]` as in PyTorch 1.13 (each row `input[n, c]` is dropped whole), not an
 * unbatched `[C, H, W]`; other ranks are a ShapeError. Masks come from `generator`, so a seeded generator
 * gives reproducible masks. No parameters or buffers.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.Dropout2d.html
 *
 * @example
 * ```ts
 * const drop = new Dropout2d(0.2, { generator: new Generator(0) });
 * drop.forward(ones([4, 8, 5, 5])); // each 5×5 map all 0 or all 1.25
 * drop.eval().forward(x) === x; // true
 * ```
 */
export class Dropout2d extends Module {
  /** The probability of zeroing a channel. */
  readonly p: number;
  /** The generator of the masks, or undefined for the global one. */
  readonly generator: Generator | undefined;

  constructor(p = 0.5, options: Dropout2dOptions = {}) {
    super();
    if (typeof p !== 'number' || !(p >= 0 && p <= 1))
      throw new ValueError(`Dropout2d: p must be in [0, 1], got ${String(p)}`);
    checkOptions('Dropout2d', options, DROPOUT2D_OPTIONS);
    this.p = p;
    this.generator = options.generator;
  }

  /** Drop out whole channels of `input` in training mode; return `input` itself otherwise. */
  forward(input: Tensor): Tensor {
    const label = `Dropout2d(p=${this.p})`;
    checkInput(label, input);
    checkNdim(label, input, [3, 4], '4-D [N, C, H, W] or 3-D [N, C, L]');
    return dropout2d(input, this.p, this.training, this.generator);
  }

  override extraRepr(): string {
    return `p=${this.p}`;
  }
}
