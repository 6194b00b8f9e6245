// Barrel of the more-losses area (functional forms, part of `F`): filled by its implementation files.
export { gumbelSoftmax } from './gumbel-softmax';
export { multilabelMarginLoss } from './loss-multilabel-margin';
export { tripletMarginWithDistanceLoss } from './loss-triplet-distance';
