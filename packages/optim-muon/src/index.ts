/**
 * `@nablajs/optim-muon`: Muon, MomentUm Orthogonalized by Newton-Schulz (Keller Jordan et al. 2024),
 * for nabla. SGD momentum (Nesterov by default) whose update of each weight matrix is replaced by an
 * approximately orthogonal matrix from a quintic Newton-Schulz iteration, run with core Tensor ops on
 * the backend's matmul. Follows PyTorch 2.9's `torch.optim.Muon` (names, defaults, both learning-rate
 * scalings) and adds Keller Jordan's auxiliary AdamW (`MuonWithAuxAdam`) for the parameters that are not
 * matrices, so that one optimizer trains a whole model.
 *
 * - {@link muon}: the optimizer factory (registered as `'muon'` by the default export).
 * - {@link scaleByMuon}, {@link scaleByAuxAdamW}: its two rule blocks, `chain(scaleByMuon(), scaleByAuxAdamW())`.
 * - {@link zeropowerViaNewtonSchulz}: the orthogonalisation alone.
 * - {@link routesToMuon}, {@link muonMatrixShape}, {@link muonLrScale}: how parameters are routed,
 *   viewed as matrices and scaled.
 *
 * @see https://kellerjordan.github.io/posts/muon/
 * @packageDocumentation
 */
import { definePlugin } from '@nablajs/optim';
import { muon } from './muon';

export { type AuxAdamWState, scaleByAuxAdamW } from './aux-adamw';
export { type MuonOptions, muon } from './muon';
export { MUON_NS_COEFFICIENTS, zeropowerViaNewtonSchulz } from './newton-schulz';
export { muonLrScale, muonMatrixShape, routesToMuon } from './routing';
export { checkMuonParams, type MuonState, scaleByMuon } from './scale-by-muon';

/**
 * The `@nablajs/optim-muon` plugin: registers `muon`.
 *
 * @example
 * ```ts
 * import { createOptimizer, usePlugin } from '@nablajs/optim';
 * import muonPlugin from '@nablajs/optim-muon';
 * usePlugin(muonPlugin);
 * const opt = createOptimizer('muon', model.parameters(), { lr: 0.02 });
 * ```
 */
export default definePlugin({ name: '@nablajs/optim-muon', optimizers: { muon } });
