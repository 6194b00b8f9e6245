// Issue 15: transposed convolutions, resampling and padding layers.

export type { ConvPaddingMode } from '../layers/conv-common';
export {
  ConvTranspose1d,
  type ConvTranspose1dFunctionalOptions,
  type ConvTranspose1dOptions,
  ConvTranspose2d,
  type ConvTranspose2dOptions,
  type ConvTransposeForwardOptions,
} from './conv-transpose';
export {
  ConstantPad2d,
  type PadMode,
  type PadOptions,
  ReflectionPad1d,
  ReflectionPad2d,
  ReplicationPad1d,
  ReplicationPad2d,
  ZeroPad2d,
} from './pad-layers';
export { Upsample, type UpsampleOptions } from './resample-upsample';
