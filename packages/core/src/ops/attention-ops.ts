// Issue 15's attention op (the core barrel re-exports this file).
export {
  type ScaledDotProductAttentionOptions,
  scaledDotProductAttention,
  scaledDotProductAttentionWeights,
} from './attention';
