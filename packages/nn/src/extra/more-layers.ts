// Barrel of the more-layers area (modules): filled by its implementation files.
export {
  AlphaDropout,
  Dropout1d,
  Dropout3d,
  type DropoutLayerOptions,
  FeatureAlphaDropout,
} from './dropout-more-layers';
export { ConstantPad1d, ConstantPad3d, ReflectionPad3d, ReplicationPad3d } from './pad-more-layers';
