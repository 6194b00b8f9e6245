// Barrel of the grid-sample area (modules): PyTorch has no modules for gridSample and affineGrid (they are in
// `F`); their option types are exported here so that they can be named without `F.`.
export type { AffineGridOptions, GridSampleOptions } from './grid-sample-ops';
