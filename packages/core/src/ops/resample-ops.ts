// Convolution and resampling ops added for issue 15: transposed convolution, interpolation and the
// non-constant padding modes.

export { type ConvTranspose2dOptions, convTranspose2d, convTransposeOutputSize } from './conv-transpose';
export { INTERPOLATE_MODES, type InterpolateMode, type InterpolateOptions, interpolate } from './interpolate';
export { circularPad, type PadMode, reflectionPad, replicationPad } from './pad-modes';
