// Pooling ops added for issue 15: 1-d pooling, max pooling with indices, adaptive pooling and max unpooling.

export {
  type AdaptiveOutputSize2d,
  adaptiveAvgPool1d,
  adaptiveMaxPool2d,
  adaptiveMaxPool2dWithIndices,
} from './adaptive-pool';
export { type MaxUnpool2dOptions, type MaxUnpool3dOptions, maxUnpool2d, maxUnpool3d } from './max-unpool2d';
export { maxPool2dWithIndices } from './pool-max2d-indices';
export { type AvgPool1dOptions, avgPool1d, type MaxPool1dOptions, maxPool1d, maxPool1dWithIndices } from './pool1d';
