// Barrel of the more-layers area (functional forms, part of `F`): filled by its implementation files.
export { alphaDropout, dropout1d, dropout3d, featureAlphaDropout } from './dropout-more';
