// Issue 15's attention functions (the F namespace re-exports this file): core's fused attention, so that
// `F.scaledDotProductAttention` reads as `torch.nn.functional.scaled_dot_product_attention` does.
import type { ScaledDotProductAttentionOptions as CoreAttentionOptions } from '@nablajs/core';

export { scaledDotProductAttention, scaledDotProductAttentionWeights } from '@nablajs/core';

/**
 * The options of `scaledDotProductAttention` (a mask or an additive bias, causal, dropout, scale), as
 * `@nablajs/core` defines them. Declared here as an alias rather than re-exported, so that the F
 * namespace's bundled declarations name it as a type.
 *
 * @example
 * ```ts
 * const options: F.ScaledDotProductAttentionOptions = { isCausal: true };
 * ```
 */
export type ScaledDotProductAttentionOptions = CoreAttentionOptions;
