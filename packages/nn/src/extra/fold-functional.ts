// Barrel of the fold area (functional forms, part of `F`): filled by its implementation files.
export { type FoldOptions, fold, type SlidingBlockOptions, type UnfoldOptions, unfold } from './fold-ops';
