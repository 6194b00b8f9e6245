// Issue 15's attention layers (the nn barrel re-exports this file).
export {
  MultiheadAttention,
  type MultiheadAttentionForwardOptions,
  type MultiheadAttentionOptions,
  type MultiheadAttentionOutput,
} from './multihead-attention';
export {
  Transformer,
  type TransformerActivation,
  TransformerDecoder,
  TransformerDecoderLayer,
  type TransformerDecoderLayerForwardOptions,
  TransformerEncoder,
  type TransformerEncoderForwardOptions,
  TransformerEncoderLayer,
  type TransformerEncoderLayerForwardOptions,
  type TransformerEncoderOptions,
  type TransformerForwardOptions,
  type TransformerLayerOptions,
  type TransformerOptions,
  type TransformerStackOptions,
} from './transformer';
