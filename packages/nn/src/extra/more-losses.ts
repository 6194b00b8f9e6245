// Barrel of the more-losses area (modules): filled by its implementation files.
export { type GumbelSoftmaxOptions, gumbelSoftmax } from './gumbel-softmax';
export { type MultiLabelMarginLossOptions, multilabelMarginLoss } from './loss-multilabel-margin';
export {
  type DistanceFunction,
  type TripletMarginWithDistanceLossOptions,
  tripletMarginWithDistanceLoss,
} from './loss-triplet-distance';
export { MultiLabelMarginLoss, TripletMarginWithDistanceLoss } from './more-loss-modules';
