import {
  checkOptions,
  INTERPOLATE_MODES,
  type InterpolateMode,
  interpolate,
  optionNames,
  type Tensor,
  ValueError,
} from '@nablajs/core';
import { checkInput } from '../layers/util';
import { Module } from '../module';

/** Options of {@link Upsample}, with PyTorch's defaults. */
export interface UpsampleOptions {
  /** The output spatial size, one number or one per spatial dim (give this or `scaleFactor`). */
  size?: number | readonly number[] | null;
  /** The multiplier of the spatial size, one number or one per spatial dim (give this or `size`). */
  scaleFactor?: number | readonly number[] | null;
  /**
   * `'nearest'` (default), `'linear'` (3-D input), `'bilinear'`, `'bicubic'` (4-D input) or `'trilinear'`
   * (5-D input); `'nearest-exact'` and `'area'` are passed on to {@link interpolate} too, as PyTorch's does.
   */
  mode?: InterpolateMode;
  /** `'linear'`, `'bilinear'`, `'bicubic'` and `'trilinear'` only: align the centres of the corner pixels (default false). */
  alignCorners?: boolean | null;
  /** Recompute the scale from the output size (default false). */
  recomputeScaleFactor?: boolean | null;
}

const ALIGNABLE: readonly InterpolateMode[] = ['linear', 'bilinear', 'bicubic', 'trilinear'];

const UPSAMPLE_OPTIONS = optionNames<UpsampleOptions>({
  size: true,
  scaleFactor: true,
  mode: true,
  alignCorners: true,
  recomputeScaleFactor: true,
});

/**
 * Upsample (or downsample) the spatial dims of an `[N, C, ...]` input, like `torch.nn.Upsample`: it calls
 * {@link interpolate} with its options. `'nearest'` copies input pixel `min(floor(j · in / out), in - 1)`;
 * `'linear'` / `'bilinear'` / `'trilinear'` interpolate at source position `(j + ½)·in/out - ½` (or
 * `j·(in - 1)/(out - 1)` with `alignCorners`) and `'bicubic'` weighs the four pixels around it with the cubic
 * convolution kernel (`A = -0.75`). PyTorch documents these five modes; as its module passes the mode on,
 * `'nearest-exact'` and `'area'` work too. Defaults: mode `'nearest'`, alignCorners false; exactly one of
 * `size` and `scaleFactor` must be given. No parameters.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.Upsample.html
 *
 * @example
 * ```ts
 * new Upsample({ scaleFactor: 2, mode: 'bilinear' }).forward(randn([1, 3, 8, 8])).shape; // [1, 3, 16, 16]
 * ```
 */
export class Upsample extends Module {
  /** The output size, or null. */
  readonly size: number | readonly number[] | null;
  /** The scale factor, or null. */
  readonly scaleFactor: number | readonly number[] | null;
  /** The interpolation mode. */
  readonly mode: InterpolateMode;
  /** Whether the corner pixels are aligned (linear and cubic modes), or null. */
  readonly alignCorners: boolean | null;
  /** Whether the scale is recomputed from the output size, or null. */
  readonly recomputeScaleFactor: boolean | null;

  constructor(options: UpsampleOptions = {}) {
    super();
    checkOptions('Upsample', options, UPSAMPLE_OPTIONS);
    const mode = options.mode ?? 'nearest';
    if (!INTERPOLATE_MODES.includes(mode))
      throw new ValueError(
        `Upsample: mode must be one of ${INTERPOLATE_MODES.map((m) => `'${m}'`).join(', ')}, got ${JSON.stringify(mode)}`,
      );
    const size = options.size ?? null;
    const scaleFactor = options.scaleFactor ?? null;
    if (size !== null && scaleFactor !== null)
      throw new ValueError('Upsample: only one of size and scaleFactor may be given');
    if (size === null && scaleFactor === null)
      throw new ValueError('Upsample: either size or scaleFactor must be given');
    const alignCorners = options.alignCorners ?? null;
    if (!ALIGNABLE.includes(mode) && alignCorners !== null)
      throw new ValueError(
        `Upsample: alignCorners can only be set with the interpolating modes 'linear', 'bilinear', 'bicubic' and 'trilinear', not '${mode}'`,
      );
    this.size = size;
    this.scaleFactor = scaleFactor;
    this.mode = mode;
    this.alignCorners = alignCorners;
    this.recomputeScaleFactor = options.recomputeScaleFactor ?? null;
  }

  /** Resample `input`. */
  forward(input: Tensor): Tensor {
    checkInput('Upsample', input);
    return interpolate(input, {
      size: this.size,
      scaleFactor: this.scaleFactor,
      mode: this.mode,
      alignCorners: this.alignCorners,
      recomputeScaleFactor: this.recomputeScaleFactor,
    });
  }

  override extraRepr(): string {
    const what =
      this.size !== null ? `size=${JSON.stringify(this.size)}` : `scaleFactor=${JSON.stringify(this.scaleFactor)}`;
    return `${what}, mode='${this.mode}'${this.alignCorners !== null ? `, alignCorners=${this.alignCorners}` : ''}`;
  }
}
