/**
 * `@nablajs/optim-adam`: Adam, AdamW, Adamax, NAdam and RAdam, exact to PyTorch, and the cautious AdamW
 * of Liang et al. (2024), exact to the authors' code, as a nabla optimizer plugin: the factories and
 * their rule blocks.
 *
 * @example
 * ```ts
 * import { adamw } from '@nablajs/optim-adam';
 * const opt = adamw(model.parameters(), { lr: 3e-4, weightDecay: 0.05 });
 * ```
 *
 * @packageDocumentation
 */
import { definePlugin } from '@nablajs/optim';
import { adam } from './adam';
import { adamax } from './adamax';
import { adamw } from './adamw';
import { cautiousAdamw } from './cautious-adamw';
import { nadam } from './nadam';
import { radam } from './radam';

export { type AdamOptions, adam } from './adam';
export { type AdamaxOptions, type AdamaxState, adamax, scaleByAdamax } from './adamax';
export { type AdamWOptions, adamw } from './adamw';
export {
  type CautiousAdamWOptions,
  cautiousAdamw,
  type EfficientAdamState,
  scaleByEfficientAdam,
} from './cautious-adamw';
export { type NadamOptions, type NadamState, nadam, scaleByNadam } from './nadam';
export { type RadamOptions, type RadamState, radam, scaleByRadam } from './radam';

/**
 * The `@nablajs/optim-adam` plugin: registers `adam`, `adamw`, `adamax`, `nadam`, `radam` and
 * `cautiousAdamw`.
 *
 * @example
 * ```ts
 * import { createOptimizer, usePlugin } from '@nablajs/optim';
 * import adamPlugin from '@nablajs/optim-adam';
 * usePlugin(adamPlugin);
 * const opt = createOptimizer('adamw', model.parameters(), { lr: 3e-4 });
 * ```
 */
export default definePlugin({
  name: '@nablajs/optim-adam',
  optimizers: { adam, adamw, adamax, nadam, radam, cautiousAdamw },
});
