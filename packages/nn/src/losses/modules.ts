// The loss modules, by family: regression-modules.ts (MSELoss, L1Loss, SmoothL1Loss, HuberLoss),
// classification-modules.ts (CrossEntropyLoss, NLLLoss, BCELoss, BCEWithLogitsLoss, KLDivLoss) and
// pairwise-modules.ts (CosineEmbeddingLoss, MarginRankingLoss, HingeEmbeddingLoss). Each holds its options
// and calls the loss function in `forward`; a class weight is registered as a (copied) buffer, as in
// PyTorch, so it appears in the state dict.
export { BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, KLDivLoss, NLLLoss } from './classification-modules';
export { CosineEmbeddingLoss, HingeEmbeddingLoss, MarginRankingLoss } from './pairwise-modules';
export { HuberLoss, L1Loss, MSELoss, SmoothL1Loss } from './regression-modules';
