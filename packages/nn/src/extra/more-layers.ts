// Barrel of the more-layers area (modules): filled by its implementation files.
export {
  AlphaDropout,
  Dropout1d,
  Dropout3d,
  type DropoutLayerOptions,
  FeatureAlphaDropout,
} from './dropout-more-layers';
export {
  CircularPad1d,
  CircularPad2d,
  CircularPad3d,
  ConstantPad1d,
  ConstantPad3d,
  ReflectionPad3d,
  ReplicationPad3d,
  ZeroPad1d,
  ZeroPad3d,
} from './pad-more-layers';
