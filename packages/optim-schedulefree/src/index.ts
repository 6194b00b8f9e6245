/**
 * `@nablajs/optim-schedulefree`: Schedule-Free SGD and AdamW (Defazio, Yang, Mehta, Mishchenko,
 * Khaled & Cutkosky 2024, "The Road Less Scheduled", arXiv:2405.15682), following the authors'
 * reference implementation (github.com/facebookresearch/schedule_free).
 *
 * Schedule-Free optimizers need no learning-rate schedule: they replace momentum with interpolation
 * and averaging over three sequences, the gradient point `y` (what the parameters hold while
 * training), the base sequence `z` (in the optimizer's state) and the average `x` (the point to
 * evaluate). Call `optimizer.eval()` before evaluating or saving, and `optimizer.train()` before
 * stepping again; `fit()` from `@nablajs/train` does it for you.
 *
 * - {@link sgdScheduleFree}, {@link adamwScheduleFree}: the optimizers.
 * - {@link scheduleFree}, {@link scaleByScheduleFreeAdam}: their rule blocks, to compose with `chain`.
 * - the default export: the plugin that registers both by name.
 *
 * @example
 * ```ts
 * import { adamwScheduleFree } from '@nablajs/optim-schedulefree';
 * const opt = adamwScheduleFree(model.parameters(), { lr: 0.0025, warmupSteps: 100 });
 * opt.train();   // before the training steps
 * opt.eval();    // before evaluating or saving: the parameters hold the average x
 * ```
 *
 * @packageDocumentation
 */
import { definePlugin } from '@nablajs/optim';
import { adamwScheduleFree } from './adamw-schedulefree';
import { sgdScheduleFree } from './sgd-schedulefree';

export { type AdamWScheduleFreeOptions, adamwScheduleFree } from './adamw-schedulefree';
export { type ScheduleFreeAdamState, scaleByScheduleFreeAdam } from './scale-by-schedule-free-adam';
export { type ScheduleFreeBeta, type ScheduleFreeState, scheduleFree } from './schedule-free';
export { type SgdScheduleFreeOptions, sgdScheduleFree } from './sgd-schedulefree';

/**
 * The `@nablajs/optim-schedulefree` plugin: registers `sgdScheduleFree` and `adamwScheduleFree`.
 *
 * @example
 * ```ts
 * import { createOptimizer, usePlugin } from '@nablajs/optim';
 * import scheduleFreePlugin from '@nablajs/optim-schedulefree';
 * usePlugin(scheduleFreePlugin);
 * const opt = createOptimizer('adamwScheduleFree', model.parameters(), { lr: 0.0025 });
 * ```
 */
export default definePlugin({
  name: '@nablajs/optim-schedulefree',
  optimizers: { sgdScheduleFree, adamwScheduleFree },
});
