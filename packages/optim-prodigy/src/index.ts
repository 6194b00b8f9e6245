/**
 * `@nablajs/optim-prodigy`: Prodigy (Mishchenko & Defazio 2023, "Prodigy: An Expeditiously Adaptive
 * Parameter-Free Learner"), Adam whose step size estimates itself, exactly as the authors'
 * `prodigyopt.Prodigy` (github.com/konstmish/prodigy).
 *
 * - {@link prodigy}: the optimizer factory (`lr` stays 1; tune `dCoef` instead).
 * - {@link prodigyD} / {@link prodigyStats}: read the current estimate `d` (and the statistics behind it).
 * - {@link scaleByProdigy}: the rule block, for recipes of your own.
 * - the default export: the plugin that registers `prodigy` by name.
 *
 * @example
 * ```ts
 * import { prodigy, prodigyD } from '@nablajs/optim-prodigy';
 * const opt = prodigy(model.parameters(), { weightDecay: 0.01 });
 * opt.zeroGrad();
 * loss.backward();
 * opt.step();
 * prodigyD(opt); // the step size Prodigy estimated
 * ```
 *
 * @packageDocumentation
 */
import { definePlugin } from '@nablajs/optim';
import { prodigy } from './prodigy';

export { type ProdigyOptions, prodigy } from './prodigy';
export { type ProdigyState, scaleByProdigy } from './scale-by-prodigy';
export { type ProdigyStats, prodigyD, prodigyStats } from './stats';

/**
 * The `@nablajs/optim-prodigy` plugin: registers `prodigy`.
 *
 * @example
 * ```ts
 * import { createOptimizer, usePlugin } from '@nablajs/optim';
 * import prodigyPlugin from '@nablajs/optim-prodigy';
 * usePlugin(prodigyPlugin);
 * const opt = createOptimizer('prodigy', model.parameters(), { dCoef: 0.5 });
 * ```
 */
export default definePlugin({ name: '@nablajs/optim-prodigy', optimizers: { prodigy } });
