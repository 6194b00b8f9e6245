import { allocate, cast, defaultGenerator, type Generator, mul, ShapeError, Tensor } from '@nablajs/core';
import { checkFloating, checkNumberIn, describeShape } from './check';

/**
 * Channel-wise inverted dropout, like `torch.nn.functional.dropout2d`: in training, each channel (the
 * whole `[H, W]` map of one sample) is zeroed with probability `p` and the others are scaled by
 * `1 / (1 - p)`; outside training (or with `p = 0`) the input is returned as it is. Channels are
 * `input[n, c]` of a 4-D `[N, C, H, W]` input.
 *
 * A 3-D input is read as PyTorch 1.13 reads it, as `[N, C, L]`: each `input[n, c]` row is zeroed as a
 * whole (1.13 warns that this is channel-wise 1-D dropout and that a later release will read 3-D as an
 * unbatched `[C, H, W]`). For an unbatched image `[C, H, W]`, add the batch dimension: `unsqueeze(x, 0)`.
 * Other numbers of dimensions, which 1.13 accepts with a deprecation warning, are a ShapeError.
 *
 * One uniform is drawn per channel from `generator` (default: the global generator), in row-major
 * `(n, c)` order, so a seeded generator gives the same mask on every platform (not PyTorch's stream).
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.functional.dropout2d.html
 *
 * @param x - `[N, C, H, W]`, or `[N, C, L]` (see above)
 * @param p - the probability of zeroing a channel, in `[0, 1]` (default 0.5)
 * @param training - apply dropout (default true); false returns `x`
 * @param generator - the random stream of the mask
 *
 * @example
 * ```ts
 * const y = dropout2d(ones([8, 16, 4, 4]), 0.25, true, new Generator(0));
 * // each of the 8·16 maps of 4×4 is all 0 or all 4/3; about a quarter are 0
 * dropout2d(x, 0.5, false) === x; // true
 * ```
 */
export function dropout2d(x: Tensor, p = 0.5, training = true, generator?: Generator): Tensor {
  const fn = 'dropout2d';
  checkNumberIn(fn, 'p', p, 0, 1);
  checkFloating(fn, 'input', x);
  if (x.ndim !== 3 && x.ndim !== 4)
    throw new ShapeError(
      `${fn}: expected a 4-D [N, C, H, W] or 3-D [N, C, L] input, got shape ${describeShape(x.shape)}`,
    );
  if (!training || p === 0) return x;
  const g = generator ?? defaultGenerator();
  const keep = 1 - p;
  const [n, c] = x.shape;
  // NOTE: a 16-bit input stores bit patterns, not numbers: its mask is built in float32, then cast.
  const maskDType = x.dtype === 'float64' ? 'float64' : 'float32';
  const mask = allocate(maskDType, n * c);
  // NOTE: as in dropout, a uniform is drawn even when p = 1, so the stream does not depend on p.
  for (let i = 0; i < mask.length; i++) mask[i] = g.uniform() < keep ? 1 / keep : 0;
  const maskTensor = new Tensor(mask, x.ndim === 4 ? [n, c, 1, 1] : [n, c, 1], maskDType);
  return mul(x, maskDType === x.dtype ? maskTensor : cast(maskTensor, x.dtype));
}
