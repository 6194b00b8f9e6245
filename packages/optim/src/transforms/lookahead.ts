import {
  allocate,
  copyKernel,
  hostReadsMayWait,
  lookaheadSyncKernel,
  resolveKernel,
  type Tensor,
  type TypedArray,
} from '@nablajs/core';
import type { Hyperparams, StepContext, UpdateRule } from '../types';
import { checkNumber } from '../validate';
import { defineWrapper, type FusedBlock, type WrapperFactory } from '../wrapper';

/** The state of {@link lookaheadSync}: plain data, saved and restored with the optimizer. */
export interface LookaheadState {
  /** Per parameter: the slow weights, in the parameter's dtype (the parameter values at `init`). */
  slow: TypedArray[];
  /** Per parameter: inner steps taken (a parameter without a gradient does not count the step). */
  steps: number[];
}

/**
 * Lookahead's synchronisation (Zhang, Lucas, Hinton & Ba, 2019) as a block chained after any rule:
 * the parameters are the *fast* weights, moved by the rules before it; the state keeps *slow* weights
 * φ (the parameters at `init`). Every `k`-th step of a parameter, after the fast update θ ← θ + u:
 *
 * `φ ← φ + α (θ - φ)`, then `θ ← φ`,
 *
 * expressed as the update `u ← φ_new - θ_old`, so that the runtime's `θ_old + u` lands on the synced
 * value; the slow weights then take exactly that stored value (fast and slow weights are equal after a
 * sync; they may differ from the paper's `φ + α(θ - φ)` by one rounding). `k` (an integer ≥ 1) and
 * `alpha` (in [0, 1]) are read from the group's hyperparameters at every step. Steps are counted per
 * parameter: one without a gradient this step neither moves nor counts.
 *
 * @see https://arxiv.org/abs/1907.08610
 * @example
 * ```ts
 * const lookaheadSgd = defineOptimizer({
 *   name: 'lookaheadSgd',
 *   defaults: { lr: 0.1, k: 5, alpha: 0.5 },
 *   rule: chain(scaleByLearningRate(), lookaheadSync()),
 * });
 * ```
 */
export function lookaheadSync(): UpdateRule<LookaheadState> {
  return {
    init(params: readonly Tensor[]): LookaheadState {
      const slow = params.map((p) => {
        const s = allocate(p.dtype, p.size);
        // a kernel: on the webgpu backend the parameters' newest values may be on the GPU, and stay there
        resolveKernel('copy', copyKernel)(p._array, s);
        return s;
      });
      return { slow, steps: params.map(() => 0) };
    },
    update(updates: readonly (TypedArray | null)[], state: LookaheadState, ctx: StepContext): void {
      const k = ctx.hp.k as number;
      const alpha = ctx.hp.alpha as number;
      const steps = state.steps;
      for (let i = 0; i < updates.length; i++) {
        const u = updates[i];
        if (u === null) continue;
        steps[i] += 1;
        if (steps[i] % k !== 0) continue;
        const p = ctx.params[i].values;
        const s = state.slow[i];
        for (let j = 0; j < u.length; j++) {
          const fast = p[j] + u[j];
          u[j] = s[j] + alpha * (fast - s[j]) - p[j];
          // NOTE: the runtime stores p + u (rounded to the dtype); the slow weights take that exact value.
          s[j] = p[j] + u[j];
        }
      }
    },
  };
}

/**
 * {@link lookaheadSync}'s fused step, after the inner optimizer's fused step where the values live on the
 * GPU (webgpu): each parameter's step counted, and every `k`-th the `lookaheadSync` kernel
 * (`φ ← φ + α(θ - φ)`, `θ ← φ`, from the fast weights the inner step wrote). Float32 parameters only; on
 * the cpu and wasm backends the rule runs, whose numbers the tests pin.
 *
 * @example
 * ```ts
 * defineWrapper({ name: 'lookahead', innerOption: 'inner', defaults: { k: 5, alpha: 0.5 },
 *   after: lookaheadSync(), afterFused: lookaheadFused() });
 * ```
 */
export function lookaheadFused(): FusedBlock {
  return {
    when: (ctx) => hostReadsMayWait() && ctx.params.every((p) => p.dtype === 'float32'),
    run(state, ctx) {
      const { slow, steps } = state as LookaheadState;
      const k = ctx.hp.k as number;
      const alpha = ctx.hp.alpha as number;
      const sync = resolveKernel('lookaheadSync', lookaheadSyncKernel);
      ctx.params.forEach((p, i) => {
        if (p.grad === null) return;
        steps[i] += 1;
        if (steps[i] % k === 0) sync(p._array, slow[i], alpha);
      });
    },
  };
}

/** Options of {@link lookahead}: the wrapped optimizer by name, its options, and Lookahead's own. */
export interface LookaheadOptions {
  /** The registered name of the fast optimizer (`'adam'`, `'sgd'`, ...). Required. */
  inner?: string;
  /** The fast optimizer's own options (`{ lr: 1e-3, betas: [0.9, 0.99] }`). */
  innerOptions?: Readonly<Record<string, import('../types').HyperValue>>;
  /** Synchronise the slow weights every `k` steps (an integer ≥ 1). Default 5, the paper's. */
  k?: number;
  /** The slow weights' step toward the fast weights, in [0, 1]. Default 0.5, the paper's. */
  alpha?: number;
  /** Any option of the inner optimizer, given directly (`lr`). */
  [name: string]: unknown;
}

/**
 * Lookahead (Zhang, Lucas, Hinton & Ba, 2019, "Lookahead Optimizer: k steps forward, 1 step back")
 * around any registered optimizer, by name: the inner optimizer moves the fast weights θ at every
 * step; every `k` steps the slow weights move `φ ← φ + α (θ - φ)` and the fast weights restart from
 * them (`θ ← φ`), as {@link lookaheadSync} describes. Defaults `k = 5`, `alpha = 0.5` (the paper's).
 *
 * `k`, `alpha` and every option of the inner optimizer are per group and appear in `paramGroups`; an
 * inner option whose name is also Lookahead's (RMSprop's `alpha`) is `inner.alpha` there. The paper's
 * code keeps the slow weights per parameter and counts steps per optimizer; nabla counts them per
 * parameter (a parameter without a gradient does not count), which is the same when all have gradients.
 *
 * @see https://arxiv.org/abs/1907.08610
 * @example
 * ```ts
 * usePlugin(adamPlugin);
 * const opt = lookahead(model.parameters(), { inner: 'adam', innerOptions: { betas: [0.9, 0.99] }, k: 5, alpha: 0.5 });
 * ```
 */
export const lookahead: WrapperFactory<LookaheadOptions> = defineWrapper<LookaheadOptions>({
  name: 'lookahead',
  innerOption: 'inner',
  defaults: { k: 5, alpha: 0.5 },
  validate(hp: Readonly<Hyperparams>) {
    checkNumber('lookahead', 'k', hp.k, { min: 1, integer: true });
    checkNumber('lookahead', 'alpha', hp.alpha, { min: 0, max: 1 });
  },
  after: lookaheadSync() as UpdateRule<unknown>,
  afterFused: lookaheadFused(),
});
