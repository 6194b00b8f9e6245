import {
  addWeightDecay,
  chain,
  checkBoolean,
  checkNumber,
  defineOptimizer,
  flipIfMaximize,
  type Hyperparams,
  scaleByLearningRate,
} from '@nablajs/optim';
import { fusedAdadelta } from './fused';
import { scaleByAdadelta } from './scale-by-adadelta';

/** Options of {@link adadelta}: PyTorch's `torch.optim.Adadelta` keyword arguments in lowerCamelCase. */
export interface AdadeltaOptions {
  /** Coefficient that scales the update `Δ` before it is applied. Default `1.0`. */
  lr?: number;
  /** Decay of the running averages of `g²` and `Δ²`, in `[0, 1]`. Default `0.9`. */
  rho?: number;
  /** Added inside both square roots, `>= 0`. Default `1e-6`. */
  eps?: number;
  /** L2 penalty added to the gradient, `>= 0`. Default `0`. */
  weightDecay?: number;
  /** Maximize the objective instead of minimizing it. Default `false`. */
  maximize?: boolean;
}

function validateAdadelta(hp: Readonly<Hyperparams>): void {
  checkNumber('adadelta', 'lr', hp.lr, { min: 0 });
  checkNumber('adadelta', 'rho', hp.rho, { min: 0, max: 1 });
  checkNumber('adadelta', 'eps', hp.eps, { min: 0 });
  checkNumber('adadelta', 'weightDecay', hp.weightDecay, { min: 0 });
  checkBoolean('adadelta', 'maximize', hp.maximize);
}

/**
 * Adadelta, exactly as PyTorch's `torch.optim.Adadelta`:
 *
 * ```text
 * g ← -g if maximize;  g ← g + weightDecay · p
 * v ← rho · v + (1 - rho) · g²
 * Δ = sqrt(a + eps) / sqrt(v + eps) · g
 * a ← rho · a + (1 - rho) · Δ²
 * p ← p - lr · Δ
 * ```
 *
 * Defaults: `lr = 1.0`, `rho = 0.9`, `eps = 1e-6`, `weightDecay = 0`, `maximize = false`. Recipe:
 * `chain(flipIfMaximize(), addWeightDecay(), scaleByAdadelta(), scaleByLearningRate())`, run as one fused
 * kernel per parameter (`adadeltaUpdate`, which the webgpu backend runs on the GPU). State per parameter:
 * `step`, `squareAvg` and `accDelta`.
 *
 * Paper: Zeiler 2012, "ADADELTA: An Adaptive Learning Rate Method". Where they differ, nabla follows
 * PyTorch: the paper has no learning rate (PyTorch's `lr` multiplies `Δ`; with the default 1 the
 * two agree), and both put eps inside the square roots (`RMS[x] = sqrt(E[x²] + eps)`).
 *
 * @example
 * ```ts
 * import { adadelta } from '@nablajs/optim-adadelta';
 * const opt = adadelta(model.parameters(), { rho: 0.95 });
 * ```
 */
export const adadelta = defineOptimizer<AdadeltaOptions>({
  name: 'adadelta',
  defaults: { lr: 1.0, rho: 0.9, eps: 1e-6, weightDecay: 0, maximize: false },
  validate: validateAdadelta,
  rule: chain(flipIfMaximize(), addWeightDecay(), scaleByAdadelta(), scaleByLearningRate()),
  fused: fusedAdadelta(2),
});
