// Barrel of the more-pool area (functional forms, part of `F`): LP pooling, 1-D adaptive max pooling, local
// response normalisation and channel shuffling.
export {
  adaptiveMaxPool1d,
  adaptiveMaxPool1dWithIndices,
  channelShuffle,
  type LocalResponseNormOptions,
  type LPPool1dOptions,
  type LPPool2dOptions,
  localResponseNorm,
  lpPool1d,
  lpPool2d,
} from './more-pool-ops';
