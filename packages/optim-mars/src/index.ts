/**
 * `@nablajs/optim-mars`: MARS, the variance-reduced preconditioned optimizer of Yuan, Liu, Wu, Zhou & Gu
 * (2024), exact to the authors' PyTorch code (AGI-Arena/MARS), as a nabla optimizer plugin: the `mars`
 * factory (MARS-AdamW, MARS-Lion, MARS-Shampoo, with AdamW for the non-matrix parameters), its rule block
 * ({@link scaleByMars}) and MARS-Shampoo's Newton-Schulz iteration ({@link marsNewtonSchulz}).
 *
 * @example
 * ```ts
 * import { mars } from '@nablajs/optim-mars';
 * const opt = mars(model.parameters(), { lr: 3e-3, weightDecay: 0.1 });
 * ```
 *
 * @packageDocumentation
 */
import { definePlugin } from '@nablajs/optim';
import { mars } from './mars';

export { type MarsOptions, type MarsType, mars } from './mars';
export { MARS_NS_COEFFICIENTS, MARS_NS_STEPS, marsNewtonSchulz } from './newton-schulz';
export { type MarsState, scaleByMars } from './scale-by-mars';

/**
 * The `@nablajs/optim-mars` plugin: registers `mars`.
 *
 * @example
 * ```ts
 * import { createOptimizer, usePlugin } from '@nablajs/optim';
 * import marsPlugin from '@nablajs/optim-mars';
 * usePlugin(marsPlugin);
 * const opt = createOptimizer('mars', model.parameters(), { marsType: 'mars-lion', lr: 3e-4 });
 * ```
 */
export default definePlugin({ name: '@nablajs/optim-mars', optimizers: { mars } });
