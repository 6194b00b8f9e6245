// Issue 15: the functional forms of the normalisation and pooling layers (part of `F`). The pooling
// functions are core ops, re-exported here so that `F.maxPool1d` reads as in PyTorch.

export {
  adaptiveAvgPool1d,
  adaptiveMaxPool2d,
  adaptiveMaxPool2dWithIndices,
  adaptiveMaxPool3d,
  adaptiveMaxPool3dWithIndices,
  avgPool1d,
  maxPool1d,
  maxPool1dWithIndices,
  maxPool2dWithIndices,
  maxPool3dWithIndices,
  maxUnpool2d,
  maxUnpool3d,
} from '@nablajs/core';
export { groupNorm, instanceNorm, rmsNorm } from './norm-functional';
