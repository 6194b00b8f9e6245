import { checkOptions, type Generator, optionNames, type Tensor, ValueError } from '@nablajs/core';
import { dropout } from '../functional/dropout';
import { Module } from '../module';
import { checkInput } from './util';

/** Options of {@link Dropout}. */
export interface DropoutOptions {
  /** The generator of the masks (default: core's global generator at each call). */
  generator?: Generator;
}

const DROPOUT_OPTIONS = optionNames<DropoutOptions>({ generator: true });

/**
 * Inverted dropout as a layer, like `torch.nn.Dropout`: in training mode each element is zeroed with
 * probability `p` and the others are scaled by `1 / (1 - p)`; in eval mode (and for `p = 0`) it is the
 * identity. Masks come from `generator`, so a seeded generator gives reproducible masks.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.Dropout.html
 *
 * @example
 * ```ts
 * const drop = new Dropout(0.2, { generator: new Generator(0) });
 * drop.forward(ones([5])); // some entries 0, the others 1.25
 * drop.eval().forward(x) === x; // true
 * ```
 */
export class Dropout extends Module {
  /** The probability of zeroing an element. */
  readonly p: number;
  /** The generator of the masks, or undefined for the global one. */
  readonly generator: Generator | undefined;

  constructor(p = 0.5, options: DropoutOptions = {}) {
    super();
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new ValueError(`Dropout: p must be in [0, 1], got ${p}`);
    checkOptions('Dropout', options, DROPOUT_OPTIONS);
    this.p = p;
    this.generator = options.generator;
  }

  /** Drop out elements of `input` in training mode; return `input` itself otherwise. */
  forward(input: Tensor): Tensor {
    checkInput(`Dropout(p=${this.p})`, input);
    return dropout(input, this.p, this.training, this.generator);
  }

  override extraRepr(): string {
    return `p=${this.p}`;
  }
}
