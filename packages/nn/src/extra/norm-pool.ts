// Issue 15: normalisation and pooling layers (GroupNorm, InstanceNorm1d/2d/3d, RMSNorm, 1-d pooling,
// adaptive pooling, max pooling with indices and max unpooling).

export {
  GroupNorm,
  type GroupNormOptions,
  InstanceNorm1d,
  InstanceNorm2d,
  InstanceNorm3d,
  type InstanceNormOptions,
  RMSNorm,
  type RMSNormOptions,
} from './norm-layers';
export {
  AdaptiveAvgPool1d,
  AdaptiveMaxPool2d,
  type AdaptiveMaxPool2dOptions,
  AvgPool1d,
  type AvgPool1dOptions,
  MaxPool1d,
  type MaxPool1dOptions,
  MaxUnpool2d,
  type MaxUnpool2dOptions,
  type PoolOutput,
} from './pool-layers';
