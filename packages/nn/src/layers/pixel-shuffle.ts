import type { Tensor } from '@nablajs/core';
import { pixelShuffle, pixelUnshuffle } from '../functional/pixel-shuffle';
import { Module } from '../module';
import { checkInput, checkInt } from './util';

/**
 * Rearrange `[..., C·r², H, W]` into `[..., C, H·r, W·r]` as a module, like `torch.nn.PixelShuffle`;
 * `forward` calls {@link pixelShuffle}. No parameters.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.PixelShuffle.html
 *
 * @example
 * ```ts
 * new PixelShuffle(3).forward(zeros([2, 18, 4, 4])).shape; // [2, 2, 12, 12]
 * ```
 */
export class PixelShuffle extends Module {
  /** The factor `r` by which the height and the width grow. */
  readonly upscaleFactor: number;

  constructor(upscaleFactor: number) {
    super();
    this.upscaleFactor = checkInt('PixelShuffle', 'upscaleFactor', upscaleFactor, 1);
  }

  /** `input` with its channels folded into the height and the width. */
  forward(input: Tensor): Tensor {
    checkInput(`PixelShuffle(${this.upscaleFactor})`, input);
    return pixelShuffle(input, this.upscaleFactor);
  }

  override extraRepr(): string {
    return `upscaleFactor=${this.upscaleFactor}`;
  }
}

/**
 * Rearrange `[..., C, H·r, W·r]` into `[..., C·r², H, W]` as a module, like `torch.nn.PixelUnshuffle`;
 * `forward` calls {@link pixelUnshuffle}, the inverse of {@link PixelShuffle}. No parameters.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.PixelUnshuffle.html
 *
 * @example
 * ```ts
 * new PixelUnshuffle(2).forward(zeros([2, 3, 8, 6])).shape; // [2, 12, 4, 3]
 * ```
 */
export class PixelUnshuffle extends Module {
  /** The factor `r` by which the height and the width shrink. */
  readonly downscaleFactor: number;

  constructor(downscaleFactor: number) {
    super();
    this.downscaleFactor = checkInt('PixelUnshuffle', 'downscaleFactor', downscaleFactor, 1);
  }

  /** `input` with its height and width folded into the channels. */
  forward(input: Tensor): Tensor {
    checkInput(`PixelUnshuffle(${this.downscaleFactor})`, input);
    return pixelUnshuffle(input, this.downscaleFactor);
  }

  override extraRepr(): string {
    return `downscaleFactor=${this.downscaleFactor}`;
  }
}
