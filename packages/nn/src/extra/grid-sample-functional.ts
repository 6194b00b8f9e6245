// Barrel of the grid-sample area (functional forms, part of `F`): filled by its implementation files.
export { type AffineGridOptions, affineGrid, type GridSampleOptions, gridSample } from './grid-sample-ops';
