import { checkOptions, optionNames } from '../check-options';
import { isFloatingDType } from '../dtype';
import { DTypeError, ShapeError, ValueError } from '../errors';
import { formatShape } from '../shape';
import { Tensor } from '../tensor';
import { add } from './add';
import { conv2d } from './conv2d';
import { pad } from './pad';
import { permute } from './permute';
import { reshape } from './reshape';
import { slice } from './slice';
import { squeeze } from './squeeze';
import { unsqueeze } from './unsqueeze';

/** A size of a 3-D convolution: one number for depth, height and width, or `[depth, height, width]`. */
export type Size3d = number | readonly [number, number, number];

/** Options of {@link conv3d}, with PyTorch's defaults. */
export interface Conv3dOptions {
  /** Step between windows (default 1). */
  stride?: Size3d;
  /** Zeros added on both sides of each spatial dim (default 0), or `'valid'` (none) or `'same'` (output size = input size; stride 1 only). */
  padding?: Size3d | 'valid' | 'same';
  /** Spacing between kernel taps (default 1). */
  dilation?: Size3d;
  /** Split the channels into this many independent groups (default 1). */
  groups?: number;
}

const CONV3D_OPTIONS = optionNames<Conv3dOptions>({ stride: true, padding: true, dilation: true, groups: true });

/**
 * Parse a {@link Size3d} argument into `[depth, height, width]`, checking that each is an integer `>= min`.
 *
 * @example
 * ```ts
 * triple('conv3d', 'stride', 2, 1); // [2, 2, 2]
 * ```
 */
export function triple(fn: string, arg: string, value: unknown, min: number): [number, number, number] {
  const list = typeof value === 'number' ? [value, value, value] : Array.isArray(value) ? [...value] : null;
  if (
    list === null ||
    list.length !== 3 ||
    !list.every((v) => typeof v === 'number' && Number.isInteger(v) && v >= min)
  )
    throw new ValueError(`${fn}: ${arg} must be an integer >= ${min} or three of them, got ${JSON.stringify(value)}`);
  return [list[0], list[1], list[2]];
}

/**
 * Check the arguments shared by {@link conv3d} and `convTranspose3d`: tensors, float dtypes, a 4-D or 5-D input, a
 * 5-D weight (`layout` names its dims in errors) and the groups. Returns the bias (null when absent) and the groups.
 */
export function checkConv3dArgs(
  fn: string,
  input: Tensor,
  weight: Tensor,
  bias: Tensor | null | undefined,
  groupsOption: number | undefined,
  layout: string,
): { b: Tensor | null; groups: number } {
  if (!(input instanceof Tensor)) throw new ValueError(`${fn}: input must be a Tensor`);
  if (!(weight instanceof Tensor)) throw new ValueError(`${fn}: weight must be a Tensor`);
  if (bias !== null && bias !== undefined && !(bias instanceof Tensor))
    throw new ValueError(`${fn}: bias must be a Tensor, null or undefined`);
  const b = bias ?? null;
  for (const [name, t] of [
    ['input', input],
    ['weight', weight],
    ['bias', b],
  ] as const)
    if (t !== null && !isFloatingDType(t.dtype))
      throw new DTypeError(`${fn}: ${name} must be float32 or float64, got ${t.dtype}`);
  if (input.ndim !== 4 && input.ndim !== 5)
    throw new ShapeError(
      `${fn}: expected a 4-D [C, D, H, W] (unbatched) or 5-D [N, C, D, H, W] input, got shape ${formatShape(input.shape)}`,
    );
  if (weight.ndim !== 5)
    throw new ShapeError(`${fn}: weight must be 5-D ${layout}, got shape ${formatShape(weight.shape)}`);
  const groups = groupsOption ?? 1;
  if (!Number.isInteger(groups) || groups < 1)
    throw new ValueError(`${fn}: groups must be a positive integer, got ${groups}`);
  return { b, groups };
}

/**
 * The 3-D convolution (a cross-correlation) of `input` (`[N, C, D, H, W]`, or unbatched `[C, D, H, W]`) with
 * `weight` (`[outChannels, C / groups, kD, kH, kW]`) plus the optional `bias` (`[outChannels]`), like
 * `torch.nn.functional.conv3d`: the output is `[N, outChannels, D_out, H_out, W_out]` with
 * `D_out = floor((D + 2·padding - dilation·(kD - 1) - 1) / stride) + 1`, and likewise for H and W.
 *
 * It runs as `kD` 2-D convolutions ({@link conv2d}), one per depth tap of the kernel, each over every output
 * depth at once, and their sum; so it has gradients (and gradients of gradients) in the input, the weight and
 * the bias, and runs wherever `conv2d` runs.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.functional.conv3d.html
 *
 * @example
 * ```ts
 * const video = randn([2, 3, 8, 32, 32]); // [N, C, frames, H, W]
 * const w = randn([16, 3, 3, 3, 3]);
 * conv3d(video, w, null, { padding: 1 }).shape; // [2, 16, 8, 32, 32]
 * conv3d(video, w, null, { stride: [1, 2, 2] }).shape; // [2, 16, 6, 15, 15]
 * ```
 */
export function conv3d(input: Tensor, weight: Tensor, bias?: Tensor | null, options: Conv3dOptions = {}): Tensor {
  const fn = 'conv3d';
  checkOptions(fn, options, CONV3D_OPTIONS);
  const { b, groups } = checkConv3dArgs(
    fn,
    input,
    weight,
    bias,
    options.groups,
    '[outChannels, inChannels/groups, kD, kH, kW]',
  );
  const x = input.ndim === 5 ? input : unsqueeze(input, 0);
  const [n, channels, depth] = x.shape;
  const [outChannels, perGroup, kD, kH, kW] = weight.shape;
  if (channels !== perGroup * groups)
    throw new ShapeError(
      `${fn}: input has ${channels} channels but weight ${formatShape(weight.shape)} with groups ${groups} expects ${perGroup * groups}`,
    );
  if (outChannels % groups !== 0)
    throw new ShapeError(`${fn}: weight's ${outChannels} output channels are not divisible by groups ${groups}`);
  if (b !== null && (b.ndim !== 1 || b.shape[0] !== outChannels))
    throw new ShapeError(`${fn}: bias must have shape [${outChannels}], got ${formatShape(b.shape)}`);
  const stride = triple(fn, 'stride', options.stride ?? 1, 1);
  const dilation = triple(fn, 'dilation', options.dilation ?? 1, 1);
  const kernel = [kD, kH, kW];
  let pads: [number, number][];
  const padding = options.padding ?? 0;
  if (padding === 'same') {
    if (stride.some((s) => s !== 1))
      throw new ValueError(
        `${fn}: padding 'same' is not supported for strided convolutions (stride ${JSON.stringify(stride)})`,
      );
    // PyTorch's split of an odd total: the extra zero after
    pads = kernel.map((k, i) => {
      const total = dilation[i] * (k - 1);
      return [Math.floor(total / 2), total - Math.floor(total / 2)];
    });
  } else {
    const p = padding === 'valid' ? [0, 0, 0] : triple(fn, 'padding', padding, 0);
    pads = p.map((v) => [v, v]);
  }
  // Depth is padded here (and height and width too when a side gets more than the other); symmetric height
  // and width padding goes to conv2d.
  const symmetric = pads[1][0] === pads[1][1] && pads[2][0] === pads[2][1];
  const explicit = [pads[0], symmetric ? [0, 0] : pads[1], symmetric ? [0, 0] : pads[2]];
  const padded = explicit.some(([lo, hi]) => lo !== 0 || hi !== 0)
    ? pad(x, [explicit[2][0], explicit[2][1], explicit[1][0], explicit[1][1], explicit[0][0], explicit[0][1]])
    : x;
  const outDepth = Math.floor((depth + pads[0][0] + pads[0][1] - dilation[0] * (kD - 1) - 1) / stride[0]) + 1;
  if (outDepth < 1)
    throw new ShapeError(
      `${fn}: the input's depth ${depth} (padded ${depth + pads[0][0] + pads[0][1]}) is smaller than the dilated kernel depth ${dilation[0] * (kD - 1) + 1}`,
    );
  const [, , , hp, wp] = padded.shape;
  let sum: Tensor | null = null;
  for (let kd = 0; kd < kD; kd++) {
    // every output depth's input plane for this tap of the kernel, as one batch of 2-D images
    const start = kd * dilation[0];
    const planes = slice(padded, [null, null, [start, start + (outDepth - 1) * stride[0] + 1, stride[0]]]);
    const images = reshape(permute(planes, [0, 2, 1, 3, 4]), [n * outDepth, channels, hp, wp]);
    const tap = reshape(slice(weight, [null, null, [kd, kd + 1]]), [outChannels, perGroup, kH, kW]);
    const y = conv2d(images, tap, null, {
      stride: [stride[1], stride[2]],
      padding: symmetric ? [pads[1][0], pads[2][0]] : [0, 0],
      dilation: [dilation[1], dilation[2]],
      groups,
    });
    sum = sum === null ? y : add(sum, y);
  }
  const [, , outH, outW] = (sum as Tensor).shape;
  let out = permute(reshape(sum as Tensor, [n, outDepth, outChannels, outH, outW]), [0, 2, 1, 3, 4]);
  if (b !== null) out = add(out, reshape(b, [1, outChannels, 1, 1, 1]));
  return input.ndim === 5 ? out : squeeze(out, 0);
}
