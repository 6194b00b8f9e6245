/**
 * `@nablajs/nn`: modules, layers, initialisers, losses, state dicts and safetensors, with `torch.nn`
 * semantics and PyTorch's default initialisation. The Node-only file API is in `@nablajs/nn/node`.
 *
 * @example
 * ```ts
 * import { Linear, ReLU, Sequential } from '@nablajs/nn';
 * const model = new Sequential(new Linear(4, 16), new ReLU(), new Linear(16, 1));
 * ```
 *
 * @packageDocumentation
 * @mergeModuleWith <project>
 */
import * as F from './functional/index';
import * as init from './init';
import * as parametrizations from './parametrizations';
import * as parametrize from './parametrize-index';

// Issue 15's layers, one barrel per area.
export * from './attention/index';
export * from './extra/activations-losses';
export * from './extra/conv-resample';
export { ConvTranspose3d, type ConvTranspose3dLayerOptions } from './extra/conv-transpose3d';
export * from './extra/fold';
export * from './extra/grid-sample';
export * from './extra/more-activations';
export * from './extra/more-layers';
export * from './extra/more-losses';
export * from './extra/more-pool';
export * from './extra/norm-pool';
export type { CosineSimilarityOptions } from './functional/cosine-similarity';
export type { NormalizeOptions } from './functional/normalize';
export type { PairwiseDistanceOptions } from './functional/pairwise-distance';
export type { FanInAndFanOut, FanMode, InitOptions, KaimingOptions, Nonlinearity } from './init';
export { calculateGain } from './init';
export { ELU, GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, SiLU, Softmax, Softplus, Tanh } from './layers/activations';
export { BatchNorm1d, BatchNorm2d, BatchNorm3d, type BatchNormOptions } from './layers/batch-norm';
export { Bilinear, type BilinearOptions } from './layers/bilinear';
export { Conv1d, type Conv1dOptions, Conv2d, type Conv2dOptions } from './layers/conv';
export { Conv3d, type Conv3dLayerOptions } from './layers/conv3d';
export { CosineSimilarity } from './layers/cosine-similarity';
export { Dropout, type DropoutOptions } from './layers/dropout';
export { Dropout2d, type Dropout2dOptions } from './layers/dropout2d';
export { Embedding, type EmbeddingOptions } from './layers/embedding';
export { EmbeddingBag, type EmbeddingBagLayerOptions } from './layers/embedding-bag';
export { Flatten, Unflatten } from './layers/flatten';
export { Identity } from './layers/identity';
export { LayerNorm, type LayerNormOptions } from './layers/layer-norm';
export { Linear, type LinearOptions } from './layers/linear';
export { PairwiseDistance } from './layers/pairwise-distance';
export { PixelShuffle, PixelUnshuffle } from './layers/pixel-shuffle';
export {
  AdaptiveAvgPool2d,
  type AdaptiveSize2d,
  AvgPool2d,
  type AvgPool2dOptions,
  MaxPool2d,
  type MaxPool2dOptions,
} from './layers/pooling';
export {
  AdaptiveAvgPool3d,
  AdaptiveMaxPool3d,
  type AdaptiveSize3d,
  AvgPool3d,
  type AvgPool3dLayerOptions,
  MaxPool3d,
  type MaxPool3dLayerOptions,
  MaxUnpool3d,
  type MaxUnpool3dLayerOptions,
} from './layers/pooling3d';
export type { FloatDType, Size2d } from './layers/util';
export { type LoadSafetensorsOptions, loadSafetensors, type SafetensorsContents } from './load-safetensors';
export {
  type BinaryCrossEntropyOptions,
  type BinaryCrossEntropyWithLogitsOptions,
  binaryCrossEntropy,
  binaryCrossEntropyWithLogits,
} from './losses/binary-cross-entropy';
export { type CosineEmbeddingLossOptions, cosineEmbeddingLoss } from './losses/cosine-embedding-loss';
export { type CrossEntropyOptions, crossEntropy, type NLLLossOptions, nllLoss } from './losses/cross-entropy';
export { CTCLoss, type CTCLossOptions, ctcLoss } from './losses/ctc-loss';
export { type HingeEmbeddingLossOptions, hingeEmbeddingLoss } from './losses/hinge-embedding-loss';
export { type KLDivOptions, klDiv } from './losses/kl-div';
export { l1Loss } from './losses/l1-loss';
export { type MarginRankingLossOptions, marginRankingLoss } from './losses/margin-ranking-loss';
export {
  BCELoss,
  BCEWithLogitsLoss,
  CosineEmbeddingLoss,
  CrossEntropyLoss,
  HingeEmbeddingLoss,
  HuberLoss,
  KLDivLoss,
  L1Loss,
  MarginRankingLoss,
  MSELoss,
  NLLLoss,
  SmoothL1Loss,
} from './losses/modules';
export { mseLoss } from './losses/mse-loss';
export type { Reduction, ReductionOptions } from './losses/reduction';
export { type HuberLossOptions, huberLoss, type SmoothL1LossOptions, smoothL1Loss } from './losses/smooth-l1-loss';
export {
  type BufferOptions,
  type ForwardHook,
  type ForwardPreHook,
  type FullBackwardHook,
  type FullBackwardPreHook,
  type LoadStateDictOptions,
  type LoadStateDictResult,
  Module,
  parameter,
} from './module';
export { ModuleDict } from './module-dict';
export { ModuleList } from './module-list';
export { ParameterDict } from './parameter-dict';
export { ParameterList } from './parameter-list';
export * from './recurrent/index';
export { SafetensorsError } from './safetensors-error';
export { SAFETENSORS_MAX_ENTRIES, SAFETENSORS_MAX_HEADER_BYTES, type SafetensorsDType } from './safetensors-format';
export { saveSafetensors } from './save-safetensors';
export { Sequential } from './sequential';
export { type ShapeMismatch, StateDictError } from './state-dict-error';
export { type SummaryOptions, summary } from './summary';
export { type UpdateBnBatch, updateBn, updateBnAsync } from './update-bn';
export { F, init, parametrizations, parametrize };
