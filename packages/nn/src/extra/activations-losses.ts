// Issue 15: activation layers and losses (classes and option types; the functions are in F).

export type { EmbeddingFunctionOptions } from '../functional/embedding';
export {
  CELU,
  type CELUOptions,
  GLU,
  type GLUOptions,
  Hardsigmoid,
  Hardswish,
  Hardtanh,
  type HardtanhOptions,
  Mish,
  PReLU,
  type PReLUOptions,
  ReLU6,
  SELU,
} from './act-layers';
export { type GaussianNLLLossOptions, gaussianNllLoss } from './loss-gaussian-nll';
export {
  GaussianNLLLoss,
  MultiLabelSoftMarginLoss,
  MultiMarginLoss,
  PoissonNLLLoss,
  SoftMarginLoss,
  TripletMarginLoss,
} from './loss-modules';
export { type MultiMarginLossOptions, multiMarginLoss } from './loss-multi-margin';
export { type PoissonNLLLossOptions, poissonNllLoss } from './loss-poisson-nll';
export { type MultiLabelSoftMarginLossOptions, multilabelSoftMarginLoss, softMarginLoss } from './loss-soft-margin';
export { type TripletMarginLossOptions, tripletMarginLoss } from './loss-triplet-margin';
