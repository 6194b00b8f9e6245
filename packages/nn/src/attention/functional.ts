// Issue 15's attention functions (the F namespace re-exports this file): core's fused attention, so that
// `F.scaledDotProductAttention` reads as `torch.nn.functional.scaled_dot_product_attention` does.
export {
  type ScaledDotProductAttentionOptions,
  scaledDotProductAttention,
  scaledDotProductAttentionWeights,
} from '@nablajs/core';
