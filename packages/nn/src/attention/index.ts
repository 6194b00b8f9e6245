// Issue 15's attention layers (the nn barrel re-exports this file).
export {
  MultiheadAttention,
  type MultiheadAttentionForwardOptions,
  type MultiheadAttentionOptions,
  type MultiheadAttentionOutput,
} from './multihead-attention';
export {
  type TransformerActivation,
  TransformerDecoder,
  TransformerDecoderLayer,
  type TransformerDecoderLayerForwardOptions,
  TransformerEncoder,
  type TransformerEncoderForwardOptions,
  TransformerEncoderLayer,
  type TransformerEncoderLayerForwardOptions,
  type TransformerLayerOptions,
  type TransformerStackOptions,
} from './transformer';
