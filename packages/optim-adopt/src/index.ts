/**
 * `@nablajs/optim-adopt`: ADOPT (Taniguchi et al. 2024, "ADOPT: Modified Adam Can Converge with Any β₂
 * with the Optimal Rate"), exact to the authors' PyTorch code (iShohei220/adopt), as a nabla optimizer
 * plugin: the `adopt` factory, its rule block ({@link scaleByAdopt}) and the definition behind it
 * ({@link adoptDefinition}).
 *
 * @example
 * ```ts
 * import { adopt } from '@nablajs/optim-adopt';
 * const opt = adopt(model.parameters(), { lr: 1e-3, weightDecay: 0.01, decouple: true });
 * ```
 *
 * @packageDocumentation
 */
import { definePlugin } from '@nablajs/optim';
import { adopt } from './adopt';

export { type AdoptOptions, adopt, adoptDefinition } from './adopt';
export { type AdoptClip, type AdoptState, defaultAdoptClip, scaleByAdopt } from './scale-by-adopt';

/**
 * The `@nablajs/optim-adopt` plugin: registers `adopt`.
 *
 * @example
 * ```ts
 * import { createOptimizer, usePlugin } from '@nablajs/optim';
 * import adoptPlugin from '@nablajs/optim-adopt';
 * usePlugin(adoptPlugin);
 * const opt = createOptimizer('adopt', model.parameters(), { lr: 1e-3, clipLambda: null });
 * ```
 */
export default definePlugin({ name: '@nablajs/optim-adopt', optimizers: { adopt } });
