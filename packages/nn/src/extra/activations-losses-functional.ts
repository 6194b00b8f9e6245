// Issue 15: the functional forms of the activations and losses (re-exported as `F`).
export { celu, glu, hardsigmoid, hardswish, hardtanh, mish, prelu, relu6, selu } from './act-functional';
export { gaussianNllLoss } from './loss-gaussian-nll';
export { multiMarginLoss } from './loss-multi-margin';
export { poissonNllLoss } from './loss-poisson-nll';
export { multilabelSoftMarginLoss, softMarginLoss } from './loss-soft-margin';
export { tripletMarginLoss } from './loss-triplet-margin';
