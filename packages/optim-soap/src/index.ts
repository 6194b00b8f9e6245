/**
 * `@nablajs/optim-soap`: SOAP (Vyas et al. 2024, "SOAP: Improving and Stabilizing Shampoo using Adam"),
 * Adam run in the eigenbasis of Shampoo's Kronecker-factored preconditioner, exactly as the authors'
 * code (github.com/nikhilvyas/SOAP). Each matrix (or n-D) parameter keeps one factor per dimension,
 * `GGₖ`, an average of the gradient's mode-k Gram matrices; Adam's moments live in the factors'
 * eigenbasis, computed with `eigh` at the parameter's first step and refreshed every
 * `preconditionFrequency` steps by one power-iteration step and a QR decomposition. The products run
 * through core's `matmul`, so a faster backend speeds them up.
 *
 * - {@link soap}: the optimizer factory (PyTorch-shaped, options in lowerCamelCase with the authors'
 *   defaults).
 * - {@link scaleBySoap}: the update rule as one block, for custom recipes.
 * - {@link soapLayout} / {@link mergeDims}: how a parameter's shape is preconditioned.
 *
 * @example
 * ```ts
 * import { createOptimizer, usePlugin } from '@nablajs/optim';
 * import soapPlugin from '@nablajs/optim-soap';
 * usePlugin(soapPlugin);
 * const opt = createOptimizer('soap', model.parameters(), { lr: 3e-3, weightDecay: 0.01 });
 * ```
 *
 * @packageDocumentation
 */
import { definePlugin } from '@nablajs/optim';
import { soap } from './soap';

export { mergeDims, type SoapLayout, soapLayout } from './layout';
export { type FloatArray, type SoapParamState, type SoapState, scaleBySoap } from './scale-by-soap';
export { type SoapOptions, soap } from './soap';

/**
 * The `@nablajs/optim-soap` plugin: registers `soap`.
 *
 * @example
 * ```ts
 * import { createOptimizer, usePlugin } from '@nablajs/optim';
 * import soapPlugin from '@nablajs/optim-soap';
 * usePlugin(soapPlugin);
 * const opt = createOptimizer('soap', model.parameters(), { lr: 3e-3 });
 * ```
 */
export default definePlugin({ name: '@nablajs/optim-soap', optimizers: { soap } });
