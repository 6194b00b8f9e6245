// What the convolution layers share (Conv1d, Conv2d, Conv3d, the transposed ones): the padding modes, the
// checks of channels and inputs, PyTorch's parameter init, the window options and the repr.
import { type Generator, ShapeError, type Tensor, ValueError, zeros } from '@nablajs/core';
import { pad as padWithMode } from '../extra/pad-layers';
import { kaimingUniform, uniform } from '../init';
import type { Module } from '../module';
import { checkFloatDType, checkInput, checkInt, type FloatDType, formatShape, generatorOf } from './util';

/**
 * How a convolution layer pads its input, as PyTorch's `padding_mode`: `'zeros'` pads with zeros inside
 * the convolution; the others pad with `F.pad` in that mode (`'reflect'`, `'replicate'`, `'circular'`)
 * and then convolve without padding.
 *
 * @example
 * ```ts
 * const mode: ConvPaddingMode = 'reflect';
 * new Conv2d(3, 8, 3, { padding: 1, paddingMode: mode });
 * ```
 */
export type ConvPaddingMode = 'zeros' | 'reflect' | 'replicate' | 'circular';

/** Check a layer's `paddingMode` option (default `'zeros'`). */
export function checkPaddingMode(label: string, mode: unknown): ConvPaddingMode {
  const m = mode ?? 'zeros';
  if (m !== 'zeros' && m !== 'reflect' && m !== 'replicate' && m !== 'circular')
    throw new ValueError(
      `${label}: paddingMode must be 'zeros', 'reflect', 'replicate' or 'circular', got ${JSON.stringify(m)}`,
    );
  return m;
}

/** Pad `x` in a non-zeros mode (as PyTorch does before such a convolution), naming the layer in errors. */
export function padInMode(
  label: string,
  x: Tensor,
  padding: number[],
  mode: Exclude<ConvPaddingMode, 'zeros'>,
): Tensor {
  try {
    return padWithMode(x, padding, { mode });
  } catch (e) {
    if (e instanceof ShapeError || e instanceof ValueError)
      throw new (e instanceof ShapeError ? ShapeError : ValueError)(`${label}: paddingMode '${mode}': ${e.message}`);
    throw e;
  }
}

/** Check the channel counts and groups of a (transposed) convolution layer. */
export function checkChannels(label: string, inChannels: number, outChannels: number, groups: number): void {
  checkInt(label, 'inChannels', inChannels, 1);
  checkInt(label, 'outChannels', outChannels, 1);
  checkInt(label, 'groups', groups, 1);
  if (inChannels % groups !== 0)
    throw new ValueError(`${label}: inChannels (${inChannels}) must be divisible by groups (${groups})`);
  if (outChannels % groups !== 0)
    throw new ValueError(`${label}: outChannels (${outChannels}) must be divisible by groups (${groups})`);
}

/**
 * Check the dtype, then register `weight` (of `weightShape`) and `bias` (`[outChannels]`, unless
 * `options.bias` is false) on `module` with PyTorch's default conv init: kaimingUniform(a = √5) on the
 * weight, U(±1/√fanIn) on the bias, `fanIn = weight.size / weight.shape[0]` (for transposed convs the
 * weight's dim 1 times the kernel).
 */
export function createConvParameters(
  module: Module,
  label: string,
  weightShape: readonly number[],
  outChannels: number,
  options: { bias?: boolean; dtype?: FloatDType; generator?: Generator },
): { weight: Tensor; bias: Tensor | null } {
  const dtype = checkFloatDType(label, options.dtype);
  const weight = module.registerParameter('weight', zeros([...weightShape], { dtype }));
  const bias = module.registerParameter('bias', (options.bias ?? true) ? zeros([outChannels], { dtype }) : null);
  const generator = generatorOf(options);
  kaimingUniform(weight, { a: Math.sqrt(5), generator });
  if (bias !== null) {
    const fanIn = weight.size / weight.shape[0];
    const bound = 1 / Math.sqrt(fanIn);
    uniform(bias, -bound, bound, { generator });
  }
  return { weight, bias };
}

/**
 * Check a (transposed) convolution layer's forward input: a Tensor with `spatial.length + 1` (unbatched) or
 * `spatial.length + 2` dims and `inChannels` channels.
 */
export function checkConvInput(
  label: string,
  input: unknown,
  spatial: readonly string[],
  inChannels: number,
): asserts input is Tensor {
  checkInput(label, input);
  const n = spatial.length + 1;
  if (input.ndim !== n && input.ndim !== n + 1) {
    const dims = spatial.join(', ');
    throw new ShapeError(
      `${label}: expected a ${n}-D [C, ${dims}] or ${n + 1}-D [N, C, ${dims}] input, got shape ${formatShape(input.shape)}`,
    );
  }
  const channels = input.shape[input.ndim - n];
  if (channels !== inChannels)
    throw new ShapeError(
      `${label}: input has ${channels} channels, expected ${inChannels} (input shape ${formatShape(input.shape)})`,
    );
}

/** Explicit [before, after] padding per spatial dim for 'same', or the symmetric numbers. */
export function samePadding(kernel: readonly number[], dilation: readonly number[]): Array<[number, number]> {
  return kernel.map((k, i) => {
    const total = dilation[i] * (k - 1);
    const before = Math.floor(total / 2);
    return [before, total - before];
  });
}

/**
 * The window options of a 2-D or 3-D convolution layer, parsed by `parse` (`toPair`, `toTriple`): stride and
 * dilation (default 1), and padding (default 0; `'valid'` for none, `'same'` for stride 1 only).
 */
export function convWindow<T extends readonly number[]>(
  label: string,
  options: { stride?: unknown; padding?: unknown; dilation?: unknown },
  parse: (label: string, arg: string, value: unknown, min: number) => T,
): { stride: T; dilation: T; padding: T | 'same' } {
  const stride = parse(label, 'stride', options.stride ?? 1, 1);
  const dilation = parse(label, 'dilation', options.dilation ?? 1, 1);
  const padding = options.padding ?? 0;
  if (padding !== 'same')
    return { stride, dilation, padding: parse(label, 'padding', padding === 'valid' ? 0 : padding, 0) };
  if (stride.some((v) => v !== 1))
    throw new ValueError(
      `${label}: padding 'same' is not supported for strided convolutions (stride ${JSON.stringify(stride)})`,
    );
  return { stride, dilation, padding: 'same' };
}

/** The `extraRepr` of a 2-D or 3-D convolution layer: what differs from the defaults, as PyTorch prints it. */
export function convExtraRepr(layer: {
  inChannels: number;
  outChannels: number;
  kernelSize: readonly number[];
  stride: readonly number[];
  padding: readonly number[] | 'same';
  dilation: readonly number[];
  groups: number;
  bias: Tensor | null;
  paddingMode: ConvPaddingMode;
}): string {
  const parts = [
    `${layer.inChannels}, ${layer.outChannels}, kernelSize=${formatShape(layer.kernelSize)}, stride=${formatShape(layer.stride)}`,
  ];
  if (layer.padding === 'same') parts.push("padding='same'");
  else if (layer.padding.some((p) => p !== 0)) parts.push(`padding=${formatShape(layer.padding)}`);
  if (layer.dilation.some((d) => d !== 1)) parts.push(`dilation=${formatShape(layer.dilation)}`);
  if (layer.groups !== 1) parts.push(`groups=${layer.groups}`);
  if (layer.bias === null) parts.push('bias=false');
  if (layer.paddingMode !== 'zeros') parts.push(`paddingMode='${layer.paddingMode}'`);
  return parts.join(', ');
}
