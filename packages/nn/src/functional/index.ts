// The functional namespace (`F`): the stateless forms of the layers and losses, like
// `torch.nn.functional`. Core's activations, convolution and pooling are re-exported here so that
// `F.relu`, `F.conv2d` and `F.softmax` read as they do in PyTorch.

export {
  avgPool2d,
  avgPool3d,
  conv2d,
  conv3d,
  convTranspose3d,
  elu,
  gelu,
  leakyRelu,
  logSigmoid,
  logSoftmax,
  maxPool2d,
  maxPool3d,
  relu,
  sigmoid,
  silu,
  softmax,
  softplus,
  tanh,
} from '@nablajs/core';
export * from '../attention/functional';
export * from '../extra/activations-losses-functional';
export * from '../extra/conv-resample-functional';
export * from '../extra/fold-functional';
export * from '../extra/grid-sample-functional';
export * from '../extra/more-activations-functional';
export * from '../extra/more-layers-functional';
export * from '../extra/more-losses-functional';
export * from '../extra/more-pool-functional';
export * from '../extra/norm-pool-functional';
export { binaryCrossEntropy, binaryCrossEntropyWithLogits } from '../losses/binary-cross-entropy';
export { cosineEmbeddingLoss } from '../losses/cosine-embedding-loss';
export { crossEntropy, nllLoss } from '../losses/cross-entropy';
export { ctcLoss } from '../losses/ctc-loss';
export { hingeEmbeddingLoss } from '../losses/hinge-embedding-loss';
export { klDiv } from '../losses/kl-div';
export { l1Loss } from '../losses/l1-loss';
export { marginRankingLoss } from '../losses/margin-ranking-loss';
export { mseLoss } from '../losses/mse-loss';
export { huberLoss, smoothL1Loss } from '../losses/smooth-l1-loss';
export * from '../recurrent/functional';
export { bilinear } from './bilinear';
export { cosineSimilarity } from './cosine-similarity';
export { dropout } from './dropout';
export { dropout2d } from './dropout2d';
export { embedding } from './embedding';
export { type EmbeddingBagMode, type EmbeddingBagOptions, embeddingBag } from './embedding-bag';
export { linear } from './linear';
export { batchNorm, layerNorm } from './normalization';
export { normalize } from './normalize';
export { pairwiseDistance } from './pairwise-distance';
export { pixelShuffle, pixelUnshuffle } from './pixel-shuffle';
