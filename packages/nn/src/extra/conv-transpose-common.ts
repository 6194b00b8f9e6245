// What the transposed convolution layers share (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d): the forward's
// `outputSize` option and the output padding it picks, the output padding's check, and the repr.
import { convTransposeOutputSize, optionNames, type Tensor, ValueError } from '@nablajs/core';
import { formatShape } from '../layers/util';

/** The extra argument of a transposed convolution layer's forward: PyTorch's `output_size`. */
export interface ConvTransposeForwardOptions {
  /** The wanted spatial output size (or the full shape, batch and channels first); picks the output padding. */
  outputSize?: readonly number[] | null;
}

/** The option names of a transposed convolution layer's forward. */
export const FORWARD_OPTIONS = optionNames<ConvTransposeForwardOptions>({ outputSize: true });

/** Check a transposed convolution layer's outputPadding against its stride and dilation. */
export function checkOutputPadding(
  label: string,
  outputPadding: readonly number[],
  stride: readonly number[],
  dilation: readonly number[],
): void {
  for (let i = 0; i < outputPadding.length; i++)
    if (outputPadding[i] >= stride[i] && outputPadding[i] >= dilation[i])
      throw new ValueError(
        `${label}: outputPadding ${formatShape(outputPadding)} must be smaller than either stride ${formatShape(stride)} or dilation ${formatShape(dilation)}`,
      );
}

/** The `extraRepr` of a 2-D or 3-D transposed convolution layer: what differs from the defaults, as PyTorch prints it. */
export function convTransposeExtraRepr(layer: {
  inChannels: number;
  outChannels: number;
  kernelSize: readonly number[];
  stride: readonly number[];
  padding: readonly number[];
  outputPadding: readonly number[];
  dilation: readonly number[];
  groups: number;
  bias: Tensor | null;
}): string {
  const parts = [
    `${layer.inChannels}, ${layer.outChannels}, kernelSize=${formatShape(layer.kernelSize)}, stride=${formatShape(layer.stride)}`,
  ];
  if (layer.padding.some((p) => p !== 0)) parts.push(`padding=${formatShape(layer.padding)}`);
  if (layer.outputPadding.some((p) => p !== 0)) parts.push(`outputPadding=${formatShape(layer.outputPadding)}`);
  if (layer.dilation.some((v) => v !== 1)) parts.push(`dilation=${formatShape(layer.dilation)}`);
  if (layer.groups !== 1) parts.push(`groups=${layer.groups}`);
  if (layer.bias === null) parts.push('bias=false');
  return parts.join(', ');
}

/** PyTorch's `_output_padding`: the output padding giving `outputSize`, or the layer's own. */
export function outputPaddingFor(
  label: string,
  input: Tensor,
  spatial: number,
  outputSize: readonly number[] | null | undefined,
  geometry: {
    kernel: readonly number[];
    stride: readonly number[];
    padding: readonly number[];
    dilation: readonly number[];
  },
  own: readonly number[],
): number[] {
  if (outputSize === null || outputSize === undefined) return [...own];
  if (!Array.isArray(outputSize) || !outputSize.every((v) => Number.isInteger(v) && v >= 0))
    throw new ValueError(
      `${label}: outputSize must be a list of non-negative integers, got ${JSON.stringify(outputSize)}`,
    );
  const nonSpatial = input.ndim === spatial + 2 ? 2 : 1;
  const size = outputSize.length === spatial + nonSpatial ? outputSize.slice(nonSpatial) : [...outputSize];
  if (size.length !== spatial)
    throw new ValueError(
      `${label}: outputSize must have ${spatial} or ${spatial + nonSpatial} elements (got ${outputSize.length}: ${formatShape(outputSize)})`,
    );
  const inSizes = input.shape.slice(input.ndim - spatial);
  return size.map((want, i) => {
    const { kernel, stride, padding, dilation } = geometry;
    const min = convTransposeOutputSize(inSizes[i], kernel[i], stride[i], padding[i], dilation[i], 0);
    const max = min + stride[i] - 1;
    if (want < min || want > max)
      throw new ValueError(
        `${label}: requested an output size of ${formatShape(size)}, but valid sizes range from ${min} to ${max} in dim ${i} (for an input of shape ${formatShape(input.shape)})`,
      );
    return want - min;
  });
}
