import { checkOptions, optionNames } from '../check-options';
import { allocate, promoteTypes } from '../dtype';
import { ShapeError, ValueError } from '../errors';
import { type Conv2dGeometry, conv2dInputGradKernel, conv2dWeightGradKernel } from '../kernels/cpu/conv2d';
import { resolveKernel } from '../kernels/registry';
import { registerOp } from '../op';
import { formatShape } from '../shape';
import { Tensor } from '../tensor';
import { add } from './add';
import { checkConvArgs, conv2d, type Size2d } from './conv2d';
import { pad } from './pad';
import { reshape } from './reshape';
import { crop } from './slice';

/** Options of {@link convTranspose2d}, with PyTorch's defaults. */
export interface ConvTranspose2dOptions {
  /** Step of the convolution this op transposes (default 1). */
  stride?: Size2d;
  /** Padding of the convolution this op transposes: `dilation·(k - 1) - padding` is trimmed from each side (default 0). */
  padding?: Size2d;
  /** Extra rows/columns added on the bottom/right side of the output, smaller than stride or dilation (default 0). */
  outputPadding?: Size2d;
  /** Split channels into this many independent groups (default 1). */
  groups?: number;
  /** Spacing between kernel taps (default 1). */
  dilation?: Size2d;
}

const CONV_TRANSPOSE2D_OPTIONS = optionNames<ConvTranspose2dOptions>({
  stride: true,
  padding: true,
  outputPadding: true,
  groups: true,
  dilation: true,
});

// The geometry is that of the convolution being transposed: its input is this op's output
// ([batch, inChannels, height, width] = [N, C_out, H_out, W_out]) and its output is this op's input
// ([N, outChannels, outH, outW] = [N, C_in, H_in, W_in]); the weight [C_in, C_out/groups, kH, kW] is that
// convolution's [outChannels, inChannels/groups, kH, kW].

/** The same convolution through the public conv2d, cropped to `outH x outW` (output padding may add a row). */
function convOf(y: Tensor, w: Tensor, g: Conv2dGeometry): Tensor {
  const out = conv2d(y, w, null, {
    stride: [g.strideH, g.strideW],
    padding: [g.padH, g.padW],
    dilation: [g.dilationH, g.dilationW],
    groups: g.groups,
  });
  if (out.shape[2] === g.outH && out.shape[3] === g.outW) return out;
  return crop(out, [0, 0, 0, 0], [g.batch, g.outChannels, g.outH, g.outW]);
}

// B(x, w, y) = <y, convT(x, w)> = <x, conv(y, w)>: the transposed convolution, the convolution and the
// weight gradient are its three partial derivatives, so the VJP of each is made of the other two.
const convTransposeOp: (inputs: readonly Tensor[], attrs: Conv2dGeometry) => Tensor = registerOp<Conv2dGeometry>({
  name: 'convTranspose2d',
  saves: { inputs: [0, 1], output: false },
  forward: ([x, w], g) => {
    const dtype = promoteTypes(x.dtype, w.dtype);
    const out = allocate(dtype, g.batch * g.inChannels * g.height * g.width);
    resolveKernel('conv2dInputGrad', conv2dInputGradKernel)(x._array, w._array, out, g);
    return new Tensor(out, [g.batch, g.inChannels, g.height, g.width], dtype);
  },
  backward: (grad, { inputs: [x, w], attrs: g }) => [
    x.requiresGrad ? convOf(grad, w, g) : null,
    w.requiresGrad ? convTransposeWeightGradOp([grad, x], g) : null,
  ],
});

const convTransposeWeightGradOp: (inputs: readonly Tensor[], attrs: Conv2dGeometry) => Tensor =
  registerOp<Conv2dGeometry>({
    name: 'convTranspose2dWeightGrad',
    forward: ([y, x], g) => {
      const dtype = promoteTypes(y.dtype, x.dtype);
      const out = allocate(dtype, g.outChannels * (g.inChannels / g.groups) * g.kernelH * g.kernelW);
      resolveKernel('conv2dWeightGrad', conv2dWeightGradKernel)(y._array, x._array, out, g);
      return new Tensor(out, [g.outChannels, g.inChannels / g.groups, g.kernelH, g.kernelW], dtype);
    },
    backward: (h, { inputs: [y, x], attrs: g }) => [
      y.requiresGrad ? convTransposeOp([x, h], g) : null,
      x.requiresGrad ? convOf(y, h, g) : null,
    ],
  });

/**
 * The output size of a transposed convolution along one dim:
 * `(in - 1)·stride - 2·padding + dilation·(k - 1) + outputPadding + 1`.
 *
 * @example
 * ```ts
 * convTransposeOutputSize(4, 3, 2, 1, 1, 1); // 8
 * ```
 */
export function convTransposeOutputSize(
  inSize: number,
  kernel: number,
  stride: number,
  padding: number,
  dilation: number,
  outputPadding: number,
): number {
  return (inSize - 1) * stride - 2 * padding + dilation * (kernel - 1) + outputPadding + 1;
}

/**
 * A 2-D transposed convolution ("deconvolution"), the gradient of {@link conv2d} with respect to its
 * input, like PyTorch's `torch.nn.functional.conv_transpose2d`: input `[N, C_in, H, W]` (or unbatched
 * `[C_in, H, W]`), weight `[C_in, C_out / groups, kH, kW]`, optional bias `[C_out]`; output
 * `[N, C_out, H_out, W_out]` with `H_out = (H - 1)·stride - 2·padding + dilation·(kH - 1) + outputPadding + 1`.
 * Each input pixel scatters `x[n, c, i, j] · weight[c, :, :, :]` onto the output window at
 * `(i·stride - padding, j·stride - padding)`.
 *
 * Gradient: the input gradient is the convolution ({@link conv2d}) of the upstream gradient with the
 * same weights, the weight gradient correlates the upstream gradient with the input, the bias
 * gradient sums over N, H and W. All are differentiable again.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.functional.conv_transpose2d.html
 *
 * @example
 * ```ts
 * const x = randn([1, 4, 5, 5]);
 * convTranspose2d(x, randn([4, 2, 3, 3]), null, { stride: 2, padding: 1, outputPadding: 1 }).shape; // [1, 2, 10, 10]
 * ```
 */
export function convTranspose2d(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null = null,
  options: ConvTranspose2dOptions = {},
): Tensor {
  const fn = 'convTranspose2d';
  checkOptions(fn, options, CONV_TRANSPOSE2D_OPTIONS);
  const { b, window, opH, opW, groups } = checkConvArgs(fn, x, weight, bias, options, true);
  const { strideH, strideW, padH, padW, dilationH, dilationW } = window;
  if ((opH >= strideH && opH >= dilationH) || (opW >= strideW && opW >= dilationW))
    throw new ValueError(
      `${fn}: outputPadding ${formatShape([opH, opW])} must be smaller than either stride ${formatShape([strideH, strideW])} or dilation ${formatShape([dilationH, dilationW])}`,
    );
  const unbatched = x.ndim === 3;
  const [batch, inChannels, height, width] = unbatched ? [1, ...x.shape] : x.shape;
  const [wIn, perGroup, kernelH, kernelW] = weight.shape;
  if (wIn !== inChannels)
    throw new ShapeError(
      `${fn}: input has ${inChannels} channels but weight expects ${wIn} (weight.shape[0]); input shape ${formatShape(x.shape)}, weight shape ${formatShape(weight.shape)}`,
    );
  if (inChannels % groups !== 0)
    throw new ValueError(`${fn}: input channels (${inChannels}) must be divisible by groups (${groups})`);
  const outChannels = perGroup * groups;
  if (b !== null && (b.ndim !== 1 || b.shape[0] !== outChannels))
    throw new ShapeError(`${fn}: bias must have shape [${outChannels}], got ${formatShape(b.shape)}`);
  if (kernelH === 0 || kernelW === 0 || perGroup === 0)
    throw new ShapeError(`${fn}: weight must not be empty, got shape ${formatShape(weight.shape)}`);
  const outH = convTransposeOutputSize(height, kernelH, strideH, padH, dilationH, opH);
  const outW = convTransposeOutputSize(width, kernelW, strideW, padW, dilationW, opW);
  if (outH < 1 || outW < 1)
    throw new ShapeError(
      `${fn}: the output size ${outH}x${outW} is not positive (input shape ${formatShape(x.shape)}, weight shape ${formatShape(weight.shape)}, padding ${formatShape([padH, padW])})`,
    );
  // NOTE: a 1x1 kernel with stride 1 and no padding is a plain matrix product in the conv kernels, which
  // assume an output as large as the input; output padding (allowed there by a dilation > 1) only adds
  // rows and columns that no input reaches, so it is applied afterwards as zero padding.
  const pointwise = kernelH === 1 && kernelW === 1 && strideH === 1 && strideW === 1 && padH === 0 && padW === 0;
  const extra = pointwise && (opH > 0 || opW > 0);
  const geometry: Conv2dGeometry = {
    batch,
    inChannels: outChannels,
    height: extra ? height : outH,
    width: extra ? width : outW,
    outChannels: inChannels,
    groups,
    kernelH,
    kernelW,
    ...window,
    outH: height,
    outW: width,
  };
  const x4 = unbatched ? reshape(x, [1, inChannels, height, width]) : x;
  let out = convTransposeOp([x4, weight], geometry);
  if (extra) out = pad(out, [0, opW, 0, opH]);
  if (b !== null) out = add(out, reshape(b, [1, outChannels, 1, 1]));
  return unbatched ? reshape(out, out.shape.slice(1)) : out;
}
