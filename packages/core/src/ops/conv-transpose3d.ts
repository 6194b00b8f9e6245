import { checkOptions, optionNames } from '../check-options';
import { ShapeError, ValueError } from '../errors';
import { formatShape } from '../shape';
import type { Tensor } from '../tensor';
import { add } from './add';
import { convTranspose2d, convTransposeOutputSize } from './conv-transpose';
import { checkConv3dArgs, type Size3d, triple } from './conv3d';
import { pad } from './pad';
import { permute } from './permute';
import { reshape } from './reshape';
import { slice } from './slice';
import { squeeze } from './squeeze';
import { unsqueeze } from './unsqueeze';

/** Options of {@link convTranspose3d}, with PyTorch's defaults. */
export interface ConvTranspose3dOptions {
  /** Step of the convolution this op transposes (default 1). */
  stride?: Size3d;
  /** Padding of the convolution this op transposes: `dilation·(k - 1) - padding` is trimmed from each side (default 0). */
  padding?: Size3d;
  /** Extra planes, rows and columns added at the end of each dim of the output, smaller than stride or dilation (default 0). */
  outputPadding?: Size3d;
  /** Split channels into this many independent groups (default 1). */
  groups?: number;
  /** Spacing between kernel taps (default 1). */
  dilation?: Size3d;
}

const CONV_TRANSPOSE3D_OPTIONS = optionNames<ConvTranspose3dOptions>({
  stride: true,
  padding: true,
  outputPadding: true,
  groups: true,
  dilation: true,
});

/**
 * The 3-D transposed convolution ("deconvolution", the gradient of {@link conv3d} with respect to its input) of
 * `input` (`[N, C_in, D, H, W]`, or unbatched `[C_in, D, H, W]`) with `weight` (`[C_in, C_out / groups, kD, kH,
 * kW]`) plus the optional `bias` (`[C_out]`), like `torch.nn.functional.conv_transpose3d`: the output is
 * `[N, C_out, D_out, H_out, W_out]` with `D_out = (D - 1)·stride - 2·padding + dilation·(kD - 1) + outputPadding + 1`,
 * and likewise for H and W.
 *
 * It runs as `kD` 2-D transposed convolutions ({@link convTranspose2d}), one per depth tap of the kernel over
 * every input depth at once, whose planes are placed `stride` apart along depth and summed; so it has gradients
 * (and gradients of gradients) in the input, the weight and the bias wherever `convTranspose2d` has them.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.functional.conv_transpose3d.html
 *
 * @example
 * ```ts
 * const x = randn([1, 8, 4, 8, 8]);
 * convTranspose3d(x, randn([8, 4, 2, 2, 2]), null, { stride: 2 }).shape; // [1, 4, 8, 16, 16]
 * ```
 */
export function convTranspose3d(
  input: Tensor,
  weight: Tensor,
  bias?: Tensor | null,
  options: ConvTranspose3dOptions = {},
): Tensor {
  const fn = 'convTranspose3d';
  checkOptions(fn, options, CONV_TRANSPOSE3D_OPTIONS);
  const { b, groups } = checkConv3dArgs(
    fn,
    input,
    weight,
    bias,
    options.groups,
    '[inChannels, outChannels/groups, kD, kH, kW]',
  );
  const stride = triple(fn, 'stride', options.stride ?? 1, 1);
  const padding = triple(fn, 'padding', options.padding ?? 0, 0);
  const outputPadding = triple(fn, 'outputPadding', options.outputPadding ?? 0, 0);
  const dilation = triple(fn, 'dilation', options.dilation ?? 1, 1);
  for (let i = 0; i < 3; i++)
    if (outputPadding[i] >= stride[i] && outputPadding[i] >= dilation[i])
      throw new ValueError(
        `${fn}: outputPadding ${formatShape(outputPadding)} must be smaller than either stride ${formatShape(stride)} or dilation ${formatShape(dilation)}`,
      );
  const x = input.ndim === 5 ? input : unsqueeze(input, 0);
  const [n, channels, depth, h, w] = x.shape;
  const [wIn, perGroup, kD, kH, kW] = weight.shape;
  if (wIn !== channels)
    throw new ShapeError(
      `${fn}: input has ${channels} channels but weight expects ${wIn} (weight.shape[0]); input shape ${formatShape(input.shape)}, weight shape ${formatShape(weight.shape)}`,
    );
  const outChannels = perGroup * groups;
  if (b !== null && (b.ndim !== 1 || b.shape[0] !== outChannels))
    throw new ShapeError(`${fn}: bias must have shape [${outChannels}], got ${formatShape(b.shape)}`);
  const outDepth = convTransposeOutputSize(depth, kD, stride[0], padding[0], dilation[0], outputPadding[0]);
  if (outDepth < 1)
    throw new ShapeError(
      `${fn}: the output depth ${outDepth} is not positive (input shape ${formatShape(input.shape)})`,
    );
  // Every input depth's plane through each depth tap at once, then placed along the (uncropped) output depth:
  // plane d of tap k lands at d·stride + k·dilation.
  const full = (depth - 1) * stride[0] + dilation[0] * (kD - 1) + 1 + outputPadding[0];
  const planes = reshape(permute(x, [0, 2, 1, 3, 4]), [n * depth, channels, h, w]);
  let sum: Tensor | null = null;
  let outH = 0;
  let outW = 0;
  for (let k = 0; k < kD; k++) {
    const tap = reshape(slice(weight, [null, null, [k, k + 1]]), [channels, perGroup, kH, kW]);
    const y = convTranspose2d(planes, tap, null, {
      stride: [stride[1], stride[2]],
      padding: [padding[1], padding[2]],
      outputPadding: [outputPadding[1], outputPadding[2]],
      dilation: [dilation[1], dilation[2]],
      groups,
    });
    [, , outH, outW] = y.shape;
    const cells = outChannels * outH * outW;
    // the planes `stride` apart: a zero block after each, then the last block's zeros cut off
    let spread = reshape(y, [n, depth, 1, cells]);
    if (stride[0] > 1) spread = pad(spread, [0, 0, 0, stride[0] - 1]);
    spread = reshape(spread, [n, depth * stride[0], cells]);
    const used = (depth - 1) * stride[0] + 1;
    if (stride[0] > 1) spread = slice(spread, [null, [0, used]]);
    const before = k * dilation[0];
    const placed = pad(spread, [0, 0, before, full - before - used]);
    sum = sum === null ? placed : add(sum, placed);
  }
  const cropped = slice(sum as Tensor, [null, [padding[0], padding[0] + outDepth]]);
  let out = permute(reshape(cropped, [n, outDepth, outChannels, outH, outW]), [0, 2, 1, 3, 4]);
  if (b !== null) out = add(out, reshape(b, [1, outChannels, 1, 1, 1]));
  return input.ndim === 5 ? out : squeeze(out, 0);
}
