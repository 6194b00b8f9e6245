/**
 * `@nablajs/optim-adafactor`: Adafactor (Shazeer & Stern 2018): second moments kept as row and column
 * factors of each matrix (memory sublinear in its size), relative step sizes and update clipping, as
 * PyTorch's `torch.optim.Adafactor`.
 *
 * @example
 * ```ts
 * import { adafactor } from '@nablajs/optim-adafactor';
 * const opt = adafactor(model.parameters(), { lr: 1e-2 });
 * ```
 *
 * @packageDocumentation
 */
import { definePlugin } from '@nablajs/optim';
import { adafactor } from './adafactor';

export { type AdafactorOptions, type AdafactorState, adafactor, scaleByAdafactor } from './adafactor';

/**
 * The `@nablajs/optim-adafactor` plugin: registers `adafactor`.
 *
 * @example
 * ```ts
 * import { createOptimizer, usePlugin } from '@nablajs/optim';
 * import adafactorPlugin from '@nablajs/optim-adafactor';
 * usePlugin(adafactorPlugin);
 * const opt = createOptimizer('adafactor', model.parameters(), { lr: 1e-2 });
 * ```
 */
export default definePlugin({ name: '@nablajs/optim-adafactor', optimizers: { adafactor } });
