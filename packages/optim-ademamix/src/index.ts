/**
 * `@nablajs/optim-ademamix`: AdEMAMix (Pagliardini, Ablin & Grangier 2024), Adam with a mixture of a
 * fast and a slow EMA of the gradient, exact to the authors' PyTorch code (apple/ml-ademamix), as a
 * nabla optimizer plugin: the `ademamix` factory, its rule block ({@link scaleByAdemamix}) and the
 * warm-up schedules of `alpha` and `beta3` ({@link linearWarmup}, {@link linearHalfLifeWarmup}).
 *
 * @example
 * ```ts
 * import { ademamix } from '@nablajs/optim-ademamix';
 * const opt = ademamix(model.parameters(), { alpha: 8, alphaWarmup: 10_000, beta3Warmup: 10_000 });
 * ```
 *
 * @packageDocumentation
 */
import { definePlugin } from '@nablajs/optim';
import { ademamix } from './ademamix';

export { type AdemamixOptions, ademamix } from './ademamix';
export { type AdemamixState, scaleByAdemamix } from './scale-by-ademamix';
export { linearHalfLifeWarmup, linearWarmup } from './schedulers';

/**
 * The `@nablajs/optim-ademamix` plugin: registers `ademamix`.
 *
 * @example
 * ```ts
 * import { createOptimizer, usePlugin } from '@nablajs/optim';
 * import ademamixPlugin from '@nablajs/optim-ademamix';
 * usePlugin(ademamixPlugin);
 * const opt = createOptimizer('ademamix', model.parameters(), { lr: 1e-3, weightDecay: 0.1 });
 * ```
 */
export default definePlugin({ name: '@nablajs/optim-ademamix', optimizers: { ademamix } });
