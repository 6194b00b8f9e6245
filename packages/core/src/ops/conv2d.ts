import { checkOptions, optionNames } from '../check-options';
import { allocate, isFloatingDType, promoteTypes } from '../dtype';
import { DTypeError, ShapeError, ValueError } from '../errors';
import {
  type Conv2dGeometry,
  conv2dInputGradKernel,
  conv2dKernel,
  conv2dWeightGradKernel,
} from '../kernels/cpu/conv2d';
import { resolveKernel } from '../kernels/registry';
import { registerOp } from '../op';
import { formatShape } from '../shape';
import { Tensor } from '../tensor';
import { reshape } from './reshape';
import { sum } from './sum';

/** A size given once for both spatial dimensions, or as `[height, width]`. */
export type Size2d = number | readonly [number, number];

/** Options of {@link conv2d}, with PyTorch's defaults. */
export interface Conv2dOptions {
  /** Step between windows (default 1). */
  stride?: Size2d;
  /** Zeros added on both sides of each spatial dimension (default 0). */
  padding?: Size2d;
  /** Spacing between kernel taps (default 1). */
  dilation?: Size2d;
  /** Split channels into this many independent groups (default 1). */
  groups?: number;
}

const CONV2D_OPTIONS = optionNames<Conv2dOptions>({ stride: true, padding: true, dilation: true, groups: true });

/**
 * Parse a {@link Size2d} argument into `[height, width]`, checking that both are integers `>= min`.
 * `fn` and `arg` name the caller in errors.
 *
 * @example
 * ```ts
 * pair('conv2d', 'stride', 2, 1); // [2, 2]
 * pair('conv2d', 'padding', [1, 0], 0); // [1, 0]
 * ```
 */
export function pair(fn: string, arg: string, value: Size2d, min: number): [number, number] {
  const list = typeof value === 'number' ? [value, value] : Array.isArray(value) ? [...value] : null;
  if (
    list === null ||
    list.length !== 2 ||
    !list.every((v) => typeof v === 'number' && Number.isInteger(v) && v >= min)
  )
    throw new ValueError(`${fn}: ${arg} must be an integer >= ${min} or a pair of them, got ${JSON.stringify(value)}`);
  return [list[0], list[1]];
}

/** Stride, padding and dilation of a 2-D convolution, as parsed by {@link checkConvArgs}. */
export interface ConvWindow2d {
  readonly strideH: number;
  readonly strideW: number;
  readonly padH: number;
  readonly padW: number;
  readonly dilationH: number;
  readonly dilationW: number;
}

/**
 * Check the arguments shared by {@link conv2d} and `convTranspose2d` (`transposed`): tensors, float dtypes,
 * a 3-D or 4-D input, a 4-D weight, then parse stride, padding, dilation, the output padding (transposed
 * only, else `[0, 0]`) and groups, in that order. `fn` names the caller in errors.
 */
export function checkConvArgs(
  fn: string,
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null | undefined,
  options: Conv2dOptions & { outputPadding?: Size2d },
  transposed: boolean,
): { b: Tensor | null; window: ConvWindow2d; opH: number; opW: number; groups: number } {
  if (!(x instanceof Tensor)) throw new ValueError(`${fn}: input must be a Tensor`);
  if (!(weight instanceof Tensor)) throw new ValueError(`${fn}: weight must be a Tensor`);
  if (bias !== null && bias !== undefined && !(bias instanceof Tensor))
    throw new ValueError(`${fn}: bias must be a Tensor, null or undefined`);
  const b = bias ?? null;
  for (const [name, t] of [
    ['input', x],
    ['weight', weight],
    ['bias', b],
  ] as const)
    if (t !== null && !isFloatingDType(t.dtype))
      throw new DTypeError(`${fn}: ${name} must be float32 or float64, got ${t.dtype}`);
  if (x.ndim !== 3 && x.ndim !== 4)
    throw new ShapeError(`${fn}: expected a 3-D (unbatched) or 4-D (batched) input, got shape ${formatShape(x.shape)}`);
  if (weight.ndim !== 4) {
    const layout = transposed ? '[inChannels, outChannels/groups, kH, kW]' : '[outChannels, inChannels/groups, kH, kW]';
    throw new ShapeError(`${fn}: weight must be 4-D ${layout}, got shape ${formatShape(weight.shape)}`);
  }
  const [strideH, strideW] = pair(fn, 'stride', options.stride ?? 1, 1);
  const [padH, padW] = pair(fn, 'padding', options.padding ?? 0, 0);
  const [dilationH, dilationW] = pair(fn, 'dilation', options.dilation ?? 1, 1);
  const [opH, opW] = transposed ? pair(fn, 'outputPadding', options.outputPadding ?? 0, 0) : [0, 0];
  const groups = options.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1)
    throw new ValueError(`${fn}: groups must be a positive integer, got ${groups}`);
  return { b, window: { strideH, strideW, padH, padW, dilationH, dilationW }, opH, opW, groups };
}

const conv2dOp: (inputs: readonly Tensor[], attrs: Conv2dGeometry) => Tensor = registerOp<Conv2dGeometry>({
  name: 'conv2d',
  forward: (inputs, g) => {
    const [x, w] = inputs;
    const b = inputs.length > 2 ? inputs[2] : null;
    let dtype = promoteTypes(x.dtype, w.dtype);
    if (b !== null) dtype = promoteTypes(dtype, b.dtype);
    const shape = [g.batch, g.outChannels, g.outH, g.outW];
    // The kernel writes every element (no zero-filling needed).
    const out = allocate(dtype, g.batch * g.outChannels * g.outH * g.outW, false);
    resolveKernel('conv2d', conv2dKernel)(x._array, w._array, b === null ? null : b._array, out, g);
    return new Tensor(out, shape, dtype);
  },
  backward: (grad, { inputs, attrs: g }) => {
    const [x, w] = inputs;
    const b = inputs.length > 2 ? inputs[2] : null;
    return [
      x.requiresGrad ? conv2dInputGradOp([grad, w], g) : null,
      w.requiresGrad ? conv2dWeightGradOp([x, grad], g) : null,
      b?.requiresGrad ? sum(grad, [0, 2, 3]) : null,
    ];
  },
});

// The two gradients of conv2d are ops of their own so that they can be differentiated again. With
// B(x, w, y) = <y, conv2d(x, w)>, conv2d, the input gradient and the weight gradient are the three
// partial derivatives of B, so each one's VJP is made of the other two.
const conv2dInputGradOp: (inputs: readonly Tensor[], attrs: Conv2dGeometry) => Tensor = registerOp<Conv2dGeometry>({
  name: 'conv2dInputGrad',
  forward: ([grad, w], g) => {
    const dtype = promoteTypes(grad.dtype, w.dtype);
    const out = allocate(dtype, g.batch * g.inChannels * g.height * g.width);
    resolveKernel('conv2dInputGrad', conv2dInputGradKernel)(grad._array, w._array, out, g);
    return new Tensor(out, [g.batch, g.inChannels, g.height, g.width], dtype);
  },
  backward: (h, { inputs: [grad, w], attrs: g }) => [
    grad.requiresGrad ? conv2dOp([h, w], g) : null,
    w.requiresGrad ? conv2dWeightGradOp([h, grad], g) : null,
  ],
});

const conv2dWeightGradOp: (inputs: readonly Tensor[], attrs: Conv2dGeometry) => Tensor = registerOp<Conv2dGeometry>({
  name: 'conv2dWeightGrad',
  forward: ([x, grad], g) => {
    const dtype = promoteTypes(x.dtype, grad.dtype);
    const cg = g.inChannels / g.groups;
    const out = allocate(dtype, g.outChannels * cg * g.kernelH * g.kernelW, false); // overwritten
    resolveKernel('conv2dWeightGrad', conv2dWeightGradKernel)(x._array, grad._array, out, g);
    return new Tensor(out, [g.outChannels, cg, g.kernelH, g.kernelW], dtype);
  },
  backward: (h, { inputs: [x, grad], attrs: g }) => [
    x.requiresGrad ? conv2dInputGradOp([grad, h], g) : null,
    grad.requiresGrad ? conv2dOp([x, h], g) : null,
  ],
});

/**
 * A 2-D convolution (cross-correlation, as in every deep-learning library) of an NCHW input with
 * OIHW weights, like PyTorch's `torch.nn.functional.conv2d`: input `[N, C_in, H, W]` (or unbatched
 * `[C_in, H, W]`), weight `[C_out, C_in / groups, kH, kW]`, optional bias `[C_out]`. The output is
 * `[N, C_out, H_out, W_out]` with `H_out = floor((H + 2·padding - dilation·(kH - 1) - 1) / stride) + 1`.
 *
 * Gradient: the input gradient is the transposed convolution of the upstream gradient with the
 * weights, the weight gradient correlates the input with the upstream gradient, and the bias
 * gradient sums the upstream gradient over N, H and W. All are differentiable again.
 *
 * @example
 * ```ts
 * const x = randn([1, 3, 32, 32]);
 * const w = randn([8, 3, 3, 3]);
 * conv2d(x, w, null, { padding: 1 }).shape; // [1, 8, 32, 32]
 * conv2d(x, w, zeros([8]), { stride: 2 }).shape; // [1, 8, 15, 15]
 * ```
 */
export function conv2d(x: Tensor, weight: Tensor, bias: Tensor | null = null, options: Conv2dOptions = {}): Tensor {
  checkOptions('conv2d', options, CONV2D_OPTIONS);
  const { b, window, groups } = checkConvArgs('conv2d', x, weight, bias, options, false);
  const { strideH, strideW, padH, padW, dilationH, dilationW } = window;
  const unbatched = x.ndim === 3;
  const [batch, inChannels, height, width] = unbatched ? [1, ...x.shape] : x.shape;
  const [outChannels, perGroup, kernelH, kernelW] = weight.shape;
  if (inChannels % groups !== 0)
    throw new ValueError(`conv2d: input channels (${inChannels}) must be divisible by groups (${groups})`);
  if (outChannels % groups !== 0)
    throw new ValueError(
      `conv2d: output channels (weight.shape[0] = ${outChannels}) must be divisible by groups (${groups})`,
    );
  if (perGroup * groups !== inChannels)
    throw new ShapeError(
      `conv2d: input has ${inChannels} channels but weight expects ${perGroup * groups} (groups = ${groups}); input shape ${formatShape(x.shape)}, weight shape ${formatShape(weight.shape)}`,
    );
  if (b !== null && (b.ndim !== 1 || b.shape[0] !== outChannels))
    throw new ShapeError(`conv2d: bias must have shape [${outChannels}], got ${formatShape(b.shape)}`);
  const effH = dilationH * (kernelH - 1) + 1;
  const effW = dilationW * (kernelW - 1) + 1;
  if (effH > height + 2 * padH || effW > width + 2 * padW || kernelH === 0 || kernelW === 0)
    throw new ShapeError(
      `conv2d: kernel size ${effH}x${effW} (after dilation) is larger than the padded input ${height + 2 * padH}x${width + 2 * padW}`,
    );
  const geometry: Conv2dGeometry = {
    batch,
    inChannels,
    height,
    width,
    outChannels,
    groups,
    kernelH,
    kernelW,
    ...window,
    outH: Math.floor((height + 2 * padH - effH) / strideH) + 1,
    outW: Math.floor((width + 2 * padW - effW) / strideW) + 1,
  };
  const x4 = unbatched ? reshape(x, [1, inChannels, height, width]) : x;
  const out = conv2dOp(b === null ? [x4, weight] : [x4, weight, b], geometry);
  return unbatched ? reshape(out, out.shape.slice(1)) : out;
}
