// Barrel of the more-activations area (modules): filled by its implementation files.
export {
  Hardshrink,
  type HardshrinkOptions,
  LogSigmoid,
  RReLU,
  type RReLUOptions,
  Softmax2d,
  Softmin,
  type SoftminOptions,
  Softshrink,
  type SoftshrinkOptions,
  Softsign,
  Tanhshrink,
  Threshold,
  type ThresholdOptions,
} from './more-act-layers';
