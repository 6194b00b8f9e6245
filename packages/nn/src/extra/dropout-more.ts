// The dropout variants of F beyond dropout and dropout2d: channel-wise dropout1d and dropout3d, and the
// SELU-preserving alphaDropout and featureAlphaDropout, like torch.nn.functional's functions of those names.

import {
  add,
  allocate,
  cast,
  defaultGenerator,
  type Generator,
  mul,
  ShapeError,
  Tensor,
  ValueError,
} from '@nablajs/core';
import { checkFloating, checkNumberIn, describeShape } from '../functional/check';

/**
 * SELU's `alpha * scale` (1.6732632423543772 · 1.0507009873554805): a dropped unit of alpha dropout is set to
 * `-ALPHA_SCALE`, the value SELU tends to at minus infinity.
 */
const ALPHA_SCALE = 1.7580993408473766;

/** Check the arguments every variant takes (the input and `p`, `training` when given). */
function checkArgs(fn: string, x: unknown, p: unknown, training: unknown): number {
  if (typeof training !== 'boolean')
    throw new ValueError(`${fn}: training must be a boolean, got ${JSON.stringify(training)}`);
  const prob = checkNumberIn(fn, 'p', p as number, 0, 1);
  checkFloating(fn, 'input', x as Tensor);
  return prob;
}

/**
 * Multiply `x` by a random mask of `maskShape` (broadcast against `x`): each mask entry keeps with probability
 * `1 - p` (one uniform per entry, row-major, drawn even when `p = 1` so that the stream does not depend on `p`).
 * Plain dropout scales the kept values by `1 / (1 - p)`; alpha dropout computes `a·x + b` for the kept values and
 * `a·(-ALPHA_SCALE) + b` for the dropped ones, with `a = ((1 - p)(1 + p·ALPHA_SCALE²))^(-1/2)` and
 * `b = a·ALPHA_SCALE·p`, which keeps a zero mean and unit variance. `p = 1` gives zeros in both cases.
 */
function drop(x: Tensor, p: number, generator: Generator | undefined, maskShape: number[], alpha: boolean): Tensor {
  const g = generator ?? defaultGenerator();
  const keep = 1 - p;
  let count = 1;
  for (const d of maskShape) count *= d;
  // NOTE: a 16-bit input stores bit patterns, not numbers: its mask is built in float32, then cast.
  const maskDType = x.dtype === 'float64' ? 'float64' : 'float32';
  const scale = allocate(maskDType, count);
  const shift = alpha ? allocate(maskDType, count) : null;
  const a = p === 1 ? 0 : alpha ? 1 / Math.sqrt((ALPHA_SCALE * ALPHA_SCALE * p + 1) * keep) : 1 / keep;
  const keptShift = a * ALPHA_SCALE * p;
  const droppedShift = keptShift - a * ALPHA_SCALE;
  for (let i = 0; i < count; i++) {
    const kept = g.uniform() < keep;
    scale[i] = kept ? a : 0;
    if (shift !== null) shift[i] = kept ? keptShift : droppedShift;
  }
  const asInput = (t: Tensor) => (maskDType === x.dtype ? t : cast(t, x.dtype));
  const scaled = mul(x, asInput(new Tensor(scale, maskShape, maskDType)));
  return shift === null ? scaled : add(scaled, asInput(new Tensor(shift, maskShape, maskDType)));
}

/** `[N, C, 1, ...]` for the channel-wise variants: one mask entry per `(n, c)`. */
function channelMaskShape(shape: readonly number[]): number[] {
  return shape.map((d, i) => (i < 2 ? d : 1));
}

/**
 * Channel-wise inverted dropout of 1-D signals, like `torch.nn.functional.dropout1d`: in training, each
 * channel (a whole row `input[n, c]` of a `[N, C, L]` input, or `input[c]` of an unbatched `[C, L]` one) is
 * zeroed with probability `p` and the others are scaled by `1 / (1 - p)`; outside training (or with `p = 0`)
 * the input is returned as it is. Other numbers of dims are a ShapeError, as in PyTorch.
 *
 * One uniform is drawn per channel from `generator` in row-major `(n, c)` order, so a seeded generator gives
 * the same mask on every platform (not PyTorch's stream).
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.functional.dropout1d.html
 *
 * @param x - `[N, C, L]` or `[C, L]`, float
 * @param p - the probability of dropping, in `[0, 1]` (default 0.5)
 * @param training - apply dropout (default true, as in PyTorch); false returns `x` itself
 * @param generator - the random stream of the mask (default: core's global generator)
 *
 * @example
 * ```ts
 * const y = F.dropout1d(ones([8, 16, 10]), 0.25, true, new Generator(0));
 * // each row y[n, c] is all 0 or all 4/3
 * F.dropout1d(x, 0.5, false) === x; // true
 * ```
 */
export function dropout1d(x: Tensor, p = 0.5, training = true, generator?: Generator): Tensor {
  const fn = 'dropout1d';
  p = checkArgs(fn, x, p, training);
  if (x.ndim !== 2 && x.ndim !== 3)
    throw new ShapeError(`${fn}: expected a 3-D [N, C, L] or 2-D [C, L] input, got shape ${describeShape(x.shape)}`);
  if (!training || p === 0 || x.size === 0) return x;
  const shape = x.ndim === 3 ? channelMaskShape(x.shape) : [x.shape[0], 1];
  return drop(x, p, generator, shape, false);
}

/**
 * Channel-wise inverted dropout of volumes, like `torch.nn.functional.dropout3d`: in training, each channel
 * (a whole `[D, H, W]` volume `input[n, c]` of a `[N, C, D, H, W]` input, or `input[c]` of an unbatched
 * `[C, D, H, W]` one) is zeroed with probability `p` and the others are scaled by `1 / (1 - p)`; outside
 * training (or with `p = 0`) the input is returned as it is. Other numbers of dims, which PyTorch 1.13 accepts
 * with a deprecation warning, are a ShapeError.
 *
 * One uniform is drawn per channel from `generator` in row-major `(n, c)` order (not PyTorch's stream).
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.functional.dropout3d.html
 *
 * @param x - `[N, C, D, H, W]` or `[C, D, H, W]`, float
 * @param p - the probability of dropping, in `[0, 1]` (default 0.5)
 * @param training - apply dropout (default true, as in PyTorch); false returns `x` itself
 * @param generator - the random stream of the mask (default: core's global generator)
 *
 * @example
 * ```ts
 * const y = F.dropout3d(ones([2, 4, 3, 3, 3]), 0.5, true, new Generator(0));
 * // each 3×3×3 volume y[n, c] is all 0 or all 2
 * ```
 */
export function dropout3d(x: Tensor, p = 0.5, training = true, generator?: Generator): Tensor {
  const fn = 'dropout3d';
  p = checkArgs(fn, x, p, training);
  if (x.ndim !== 4 && x.ndim !== 5)
    throw new ShapeError(
      `${fn}: expected a 5-D [N, C, D, H, W] or 4-D [C, D, H, W] input, got shape ${describeShape(x.shape)}`,
    );
  if (!training || p === 0 || x.size === 0) return x;
  const shape = x.ndim === 5 ? channelMaskShape(x.shape) : [x.shape[0], 1, 1, 1];
  return drop(x, p, generator, shape, false);
}

/**
 * Alpha dropout, like `torch.nn.functional.alpha_dropout`, for self-normalizing networks (SELU, Klambauer et al.,
 * 2017): in training, each element is set with probability `p` to `α' = -1.7580993408473766` (SELU's value at
 * minus infinity), then every element goes through the affine map `a·v + b` with
 * `a = ((1 - p)(1 + p·α'²))^(-1/2)` and `b = -a·α'·p`, so an input of zero mean and unit variance keeps them.
 * Kept elements become `a·x + b`, dropped ones `a·α' + b`; the gradient of a kept element is `a`, of a dropped
 * one 0. `p = 1` gives zeros (as PyTorch). Outside training (or with `p = 0`) the input is returned as it is;
 * as in PyTorch, `training` defaults to false here.
 *
 * One uniform is drawn per element from `generator` in row-major order (not PyTorch's stream).
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.functional.alpha_dropout.html
 *
 * @param x - any shape, float
 * @param p - the probability of dropping, in `[0, 1]` (default 0.5)
 * @param training - apply dropout (default false, as in PyTorch); false returns `x` itself
 * @param generator - the random stream of the mask (default: core's global generator)
 *
 * @example
 * ```ts
 * const y = F.alphaDropout(randn([1000]), 0.1, true, new Generator(0));
 * // mean about 0, variance about 1; about 100 entries equal a·α' + b ≈ -1.4577
 * F.alphaDropout(x, 0.1) === x; // true: training defaults to false
 * ```
 */
export function alphaDropout(x: Tensor, p = 0.5, training = false, generator?: Generator): Tensor {
  p = checkArgs('alphaDropout', x, p, training);
  if (!training || p === 0 || x.size === 0) return x;
  return drop(x, p, generator, [...x.shape], true);
}

/**
 * Channel-wise alpha dropout, like `torch.nn.functional.feature_alpha_dropout`: as {@link alphaDropout}, but a
 * whole channel `input[n, c]` (everything after the first two dims) is dropped together, to `a·α' + b`, and
 * the kept ones become `a·x + b`. As in PyTorch 1.13, the channels are always the first two dims, so an
 * unbatched `[C, D, H, W]` input drops each `input[c, d]` separately: add the batch dim first
 * (`unsqueeze(x, 0)`) to drop whole channels. In training the input needs at least 2 dims (a ShapeError
 * otherwise; PyTorch's check is also only made when it drops).
 * `training` defaults to false, as in PyTorch.
 *
 * One uniform is drawn per channel from `generator` in row-major `(n, c)` order (not PyTorch's stream).
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.functional.feature_alpha_dropout.html
 *
 * @param x - `[N, C, ...]`, float
 * @param p - the probability of dropping, in `[0, 1]` (default 0.5)
 * @param training - apply dropout (default false, as in PyTorch); false returns `x` itself
 * @param generator - the random stream of the mask (default: core's global generator)
 *
 * @example
 * ```ts
 * const y = F.featureAlphaDropout(randn([4, 8, 5, 5]), 0.2, true, new Generator(0));
 * // each dropped 5×5 map is constant (a·α' + b); the kept ones are a·x + b
 * ```
 */
export function featureAlphaDropout(x: Tensor, p = 0.5, training = false, generator?: Generator): Tensor {
  const fn = 'featureAlphaDropout';
  p = checkArgs(fn, x, p, training);
  if (!training || p === 0 || x.size === 0) return x;
  if (x.ndim < 2)
    throw new ShapeError(
      `${fn}: expected an input with at least 2 dims [N, C, ...] in training, got shape ${describeShape(x.shape)}`,
    );
  return drop(x, p, generator, channelMaskShape(x.shape), true);
}
