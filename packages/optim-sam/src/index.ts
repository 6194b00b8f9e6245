/**
 * `@nablajs/optim-sam`: SAM, Sharpness-Aware Minimization (Foret, Kleiner, Mobahi & Neyshabur 2021),
 * and its adaptive variant ASAM (Kwon, Kim, Park & Choi 2021), wrapped around any optimizer
 * registered by name (`sgd`, `adam`, ...). Each step evaluates the loss twice through
 * `step(closure)`: at `w`, to find the worst point `w + ε` within radius `rho`, and at `w + ε`, whose
 * gradient the base optimizer then applies from `w`. Follows davda54/sam, the community's PyTorch
 * implementation; {@link sam} lists where it differs from the papers and the official code.
 *
 * @example
 * ```ts
 * import { usePlugin } from '@nablajs/optim';
 * import sgdPlugin from '@nablajs/optim-sgd';
 * import { sam } from '@nablajs/optim-sam';
 * usePlugin(sgdPlugin);
 * const opt = sam(model.parameters(), { base: 'sgd', baseOptions: { lr: 0.1, momentum: 0.9 }, rho: 0.05 });
 * opt.step(() => {
 *   opt.zeroGrad();
 *   const loss = lossFn(model.forward(x), y);
 *   loss.backward();
 *   return loss;
 * });
 * ```
 *
 * @packageDocumentation
 */
import { definePlugin } from '@nablajs/optim';
import { sam } from './sam';

export { samOnDevice } from './device';
export { type SamOptions, sam, samPerturbation } from './sam';
export { SAM_GRAD_NORM, SAM_GRAD_NORM_SQ, type SamState } from './state';

/**
 * The `@nablajs/optim-sam` plugin: registers `sam`. Register the base optimizer's plugin too.
 *
 * @example
 * ```ts
 * import { createOptimizer, usePlugin } from '@nablajs/optim';
 * import adamPlugin from '@nablajs/optim-adam';
 * import samPlugin from '@nablajs/optim-sam';
 * usePlugin(adamPlugin);
 * usePlugin(samPlugin);
 * const opt = createOptimizer('sam', model.parameters(), { base: 'adam', baseOptions: { lr: 1e-3 }, rho: 0.05 });
 * ```
 */
export default definePlugin({ name: '@nablajs/optim-sam', optimizers: { sam } });
