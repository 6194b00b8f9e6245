import { allocate, type Tensor, type TypedArray, tensor, ValueError } from '@nablajs/core';
import {
  addWeightDecay,
  chain,
  checkBoolean,
  checkNumber,
  decodeState,
  defineOptimizer,
  flipIfMaximize,
  type Hyperparams,
  type Optimizer,
  type UpdateRule,
} from '@nablajs/optim';
import { fusedAsgd } from './fused-asgd';

/** Options of {@link asgd}: PyTorch's `torch.optim.ASGD` keyword arguments in lowerCamelCase. */
export interface AsgdOptions {
  /** Learning rate: the initial step size `eta`. Default `0.01`. */
  lr?: number;
  /** Decay term, `>= 0`: the parameters shrink by `1 - lambd · eta` each step. Default `1e-4`. */
  lambd?: number;
  /** Power of the step-size decay `eta = lr / (1 + lambd · lr · t)^alpha`, `>= 0`. Default `0.75`. */
  alpha?: number;
  /** Step after which averaging starts, `>= 0`. Default `1e6`. */
  t0?: number;
  /** L2 penalty added to the gradient, `>= 0`. Default `0`. */
  weightDecay?: number;
  /** Maximize the objective instead of minimizing it. Default `false`. */
  maximize?: boolean;
}

/** The state of {@link scaleByAsgd}, per parameter, with PyTorch's `ASGD` state in camelCase. */
export interface AsgdState {
  /** PyTorch's `step`: updates so far (starts at 0, is 1 after the first update). */
  step: number[];
  /** PyTorch's `eta`: the step size the next update uses (`lr` before the first update). */
  eta: number[];
  /** PyTorch's `mu`: the averaging weight the next update uses (1 before the first update). */
  mu: number[];
  /** PyTorch's `ax`: the averaged iterate (zeros before the first update). */
  ax: TypedArray[];
}

/** Where the ASGD block sits in the recipe's chain (its state is `stateDict().state[group][ASGD_BLOCK]`). */
const ASGD_BLOCK = 2;

/**
 * ASGD's step (PyTorch's `ASGD`): it applies its own decaying step size `eta` instead of `lr`, so
 * it computes the final update itself and ends the chain (no `scaleByLearningRate()` after it; the
 * sign flips here). With `t` this parameter's step count from 1, and `eta`, `mu` from the state:
 *
 * ```text
 * p' = p · (1 - lambd · eta) - eta · g        (u ← p' - p)
 * ax ← p' if mu = 1, else ax ← ax + mu · (p' - ax)
 * eta ← lr / (1 + lambd · lr · t)^alpha;  mu ← 1 / max(1, t - t0)   (used by step t + 1)
 * ```
 *
 * `eta` starts at the group's `lr` at the parameter's first step and `mu` at 1; the averaged iterate
 * `ax` never feeds back into `p`. Reads `lr`, `lambd`, `alpha` and `t0` at every step.
 *
 * @example
 * ```ts
 * const asgdRule = chain(flipIfMaximize(), addWeightDecay(), scaleByAsgd());
 * ```
 */
export function scaleByAsgd(): UpdateRule<AsgdState> {
  return {
    init: (params, hp) => ({
      step: params.map(() => 0),
      eta: params.map(() => hp.lr),
      mu: params.map(() => 1),
      ax: params.map((p) => allocate(p.dtype, p.size)),
    }),
    update(updates, state, ctx) {
      const lr = ctx.hp.lr;
      const lambd = ctx.hp.lambd as number;
      const alpha = ctx.hp.alpha as number;
      const t0 = ctx.hp.t0 as number;
      for (let i = 0; i < updates.length; i++) {
        const u = updates[i];
        if (u === null) continue;
        // PyTorch creates eta from the group's lr when the parameter's state is first built.
        if (state.step[i] === 0) state.eta[i] = lr;
        const t = ++state.step[i];
        const eta = state.eta[i];
        const mu = state.mu[i];
        const shrink = 1 - lambd * eta;
        const p = ctx.params[i].values;
        const ax = state.ax[i];
        for (let j = 0; j < u.length; j++) {
          const pj = p[j];
          u[j] = pj * shrink - eta * u[j] - pj;
          // NOTE: pj + u[j] is exactly what the runtime will store in p (same dtype, same rounding).
          const next = pj + u[j];
          ax[j] = mu === 1 ? next : ax[j] + mu * (next - ax[j]);
        }
        state.eta[i] = lr / (1 + lambd * lr * t) ** alpha;
        state.mu[i] = 1 / Math.max(1, t - t0);
      }
    },
  };
}

function validateAsgd(hp: Readonly<Hyperparams>): void {
  checkNumber('asgd', 'lr', hp.lr, { min: 0 });
  checkNumber('asgd', 'lambd', hp.lambd, { min: 0 });
  checkNumber('asgd', 'alpha', hp.alpha, { min: 0 });
  checkNumber('asgd', 't0', hp.t0, { min: 0 });
  checkNumber('asgd', 'weightDecay', hp.weightDecay, { min: 0 });
  checkBoolean('asgd', 'maximize', hp.maximize);
}

/**
 * Averaged stochastic gradient descent (Polyak–Juditsky averaging), exactly as PyTorch's
 * `torch.optim.ASGD`. Each step, with `eta` and `mu` computed at the end of the previous step:
 *
 * ```text
 * g ← -g if maximize;  g ← g + weightDecay · p
 * p ← p · (1 - lambd · eta) - eta · g
 * ax ← p if mu = 1, else ax ← ax + mu · (p - ax)
 * eta ← lr / (1 + lambd · lr · t)^alpha;  mu ← 1 / max(1, t - t0)
 * ```
 *
 * Step 1 uses `eta = lr`; with an integer `t0`, `ax` copies `p` up to step `t0 + 2` and averages
 * from step `t0 + 3` on. The averaged iterate `ax` is what ASGD is for, but it never feeds back into
 * the parameters: read it with {@link asgdAverages} (or from `stateDict().state[g][2].ax[i]`).
 *
 * Defaults: `lr = 0.01`, `lambd = 1e-4`, `alpha = 0.75`, `t0 = 1e6`, `weightDecay = 0`,
 * `maximize = false`. Recipe: `chain(flipIfMaximize(), addWeightDecay(), scaleByAsgd())`. Runs as one
 * fused kernel per parameter (`asgdUpdate`, which the webgpu backend runs on the GPU).
 *
 * Paper: Polyak & Juditsky 1992, "Acceleration of stochastic approximation by averaging"; the step
 * size schedule and the `lambd` shrinkage follow Bottou's SGD code and Xu 2011 ("Towards optimal
 * one pass large scale learning with averaged stochastic gradient descent"), as PyTorch does. nabla
 * follows PyTorch: averaging starts after `t0` steps rather than from the first, and `eta`/`mu` lag
 * one step behind the step counter.
 *
 * @example
 * ```ts
 * import { asgd, asgdAverages } from '@nablajs/optim-sgd';
 * const opt = asgd(model.parameters(), { lr: 0.05, t0: 100 });
 * // ... train with opt.step() ...
 * const averaged = asgdAverages(opt); // one Tensor per parameter, to evaluate with
 * ```
 */
export const asgd = defineOptimizer<AsgdOptions>({
  name: 'asgd',
  defaults: { lr: 0.01, lambd: 1e-4, alpha: 0.75, t0: 1e6, weightDecay: 0, maximize: false },
  validate: validateAsgd,
  rule: chain(flipIfMaximize(), addWeightDecay(), scaleByAsgd()),
  fused: fusedAsgd(ASGD_BLOCK),
});

/**
 * The averaged parameters (`ax`) of an {@link asgd} optimizer: one new Tensor per parameter, in
 * the order of `optimizer.paramGroups` (group by group), with the parameter's shape and dtype. A
 * parameter that has not been updated yet has no average: its current values are returned.
 *
 * @example
 * ```ts
 * const averaged = asgdAverages(opt);
 * model.parameters().forEach((p, i) => p.data.set(averaged[i].data)); // evaluate with the average
 * ```
 */
export function asgdAverages(optimizer: Optimizer): Tensor[] {
  if (optimizer.name !== 'asgd')
    throw new ValueError(`asgdAverages: expected an asgd optimizer, got ${JSON.stringify(optimizer.name)}`);
  const { state } = optimizer.stateDict();
  const out: Tensor[] = [];
  optimizer.paramGroups.forEach((group, g) => {
    const s = (decodeState(state[g]) as unknown[])[ASGD_BLOCK] as AsgdState;
    group.params.forEach((p, i) => {
      const values = s.step[i] > 0 ? s.ax[i] : p.values;
      out.push(tensor(values, { dtype: p.dtype, shape: p.shape }));
    });
  });
  return out;
}
