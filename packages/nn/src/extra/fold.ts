// Barrel of the fold area (modules): filled by its implementation files.

export { Fold, Unfold } from './fold-layers';
export type { SlidingBlockOptions } from './fold-ops';
