// Barrel of the more-pool area (modules): LP pooling, 1-D adaptive max pooling, local response normalisation,
// channel shuffling and the fixed-mode 2-D upsampling layers.
export {
  AdaptiveMaxPool1d,
  type AdaptiveMaxPool1dOptions,
  ChannelShuffle,
  LocalResponseNorm,
  LPPool1d,
  LPPool2d,
  type Upsampling2dOptions,
  UpsamplingBilinear2d,
  UpsamplingNearest2d,
} from './more-pool-layers';
export type { LocalResponseNormOptions, LPPool1dOptions, LPPool2dOptions } from './more-pool-ops';
