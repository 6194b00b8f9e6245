import { permute, reshape, ShapeError, type Tensor, ValueError } from '@nablajs/core';
import { checkTensor, describeShape } from './check';

function checkFactor(fn: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1)
    throw new ValueError(`${fn}: ${name} must be an integer >= 1, got ${JSON.stringify(value)}`);
  return value;
}

function checkImages(fn: string, x: Tensor): void {
  if (x.ndim < 3)
    throw new ShapeError(
      `${fn}: input must have at least 3 dimensions [..., C, H, W], got shape ${describeShape(x.shape)}`,
    );
}

/**
 * Rearrange `[..., C·r², H, W]` into `[..., C, H·r, W·r]`, like `torch.nn.functional.pixel_shuffle`:
 * output `[c, h·r + i, w·r + j]` is input `[c·r² + i·r + j, h, w]`, for any number of leading (batch)
 * dimensions. The sub-pixel convolution's upsampling step (Shi et al., 2016); {@link pixelUnshuffle}
 * undoes it. Works on any dtype; the gradient is the inverse rearrangement (a reshape, a permute, a
 * reshape).
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.functional.pixel_shuffle.html
 *
 * @param x - `[..., C·r², H, W]`, at least 3-D
 * @param upscaleFactor - `r`, an integer >= 1
 *
 * @example
 * ```ts
 * const x = arange(8).reshape([1, 4, 1, 2]); // 4 channels of 1×2
 * pixelShuffle(x, 2).toArray(); // [[[[0, 2, 1, 3], [4, 6, 5, 7]]]], shape [1, 1, 2, 4]
 * ```
 */
export function pixelShuffle(x: Tensor, upscaleFactor: number): Tensor {
  const fn = 'pixelShuffle';
  checkTensor(fn, 'input', x);
  const r = checkFactor(fn, 'upscaleFactor', upscaleFactor);
  checkImages(fn, x);
  const batch = x.shape.slice(0, -3);
  const [c, h, w] = x.shape.slice(-3);
  if (c % (r * r) !== 0)
    throw new ShapeError(
      `${fn}: the channel dimension of input shape ${describeShape(x.shape)} (${c}) must be divisible by upscaleFactor² = ${r * r}`,
    );
  const b = batch.length;
  const split = reshape(x, [...batch, c / (r * r), r, r, h, w]);
  // [..., C, i, j, H, W] -> [..., C, H, i, W, j]
  const moved = permute(split, [...batch.keys(), b, b + 3, b + 1, b + 4, b + 2]);
  return reshape(moved, [...batch, c / (r * r), h * r, w * r]);
}

/**
 * Rearrange `[..., C, H·r, W·r]` into `[..., C·r², H, W]`, like `torch.nn.functional.pixel_unshuffle`:
 * output `[c·r² + i·r + j, h, w]` is input `[c, h·r + i, w·r + j]`, for any number of leading (batch)
 * dimensions; the inverse of {@link pixelShuffle}. Works on any dtype; the gradient is the inverse
 * rearrangement.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.functional.pixel_unshuffle.html
 *
 * @param x - `[..., C, H·r, W·r]`, at least 3-D
 * @param downscaleFactor - `r`, an integer >= 1 that divides the height and the width
 *
 * @example
 * ```ts
 * const x = tensor([[[0, 2, 1, 3], [4, 6, 5, 7]]]); // 1 channel of 2×4
 * pixelUnshuffle(x, 2).toArray(); // [[[0, 1]], [[2, 3]], [[4, 5]], [[6, 7]]], shape [4, 1, 2]
 * ```
 */
export function pixelUnshuffle(x: Tensor, downscaleFactor: number): Tensor {
  const fn = 'pixelUnshuffle';
  checkTensor(fn, 'input', x);
  const r = checkFactor(fn, 'downscaleFactor', downscaleFactor);
  checkImages(fn, x);
  const batch = x.shape.slice(0, -3);
  const [c, h, w] = x.shape.slice(-3);
  if (h % r !== 0 || w % r !== 0)
    throw new ShapeError(
      `${fn}: the height and width of input shape ${describeShape(x.shape)} (${h}, ${w}) must be divisible by downscaleFactor = ${r}`,
    );
  const b = batch.length;
  const split = reshape(x, [...batch, c, h / r, r, w / r, r]);
  // [..., C, H, i, W, j] -> [..., C, i, j, H, W]
  const moved = permute(split, [...batch.keys(), b, b + 2, b + 4, b + 1, b + 3]);
  return reshape(moved, [...batch, c * r * r, h / r, w / r]);
}
