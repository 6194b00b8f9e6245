// Grokfast-EMA (Lee, Kang, Kim & Lee 2024, "Grokfast: Accelerated Grokking by Amplifying Slow
// Gradients"; authors' code: github.com/ironjr/grokfast): before any optimizer sees the gradient, add
// λ times its exponential moving average, amplifying its slow component. A wrapper: it runs around an
// optimizer chosen by name, `grokfast(params, { inner: 'adam', lr: 1e-3, alpha: 0.98, lamb: 2 })`.
import { allocate, type TypedArray } from '@nablajs/core';
import { checkNumber, defineWrapper, type HyperValue, type UpdateRule } from '@nablajs/optim';

/** The state of {@link amplifySlowGradients}. */
export interface GrokfastState {
  /** The moving average of each parameter's gradient. */
  ema: TypedArray[];
  /** Steps taken by each parameter (the average starts at its first gradient). */
  steps: number[];
}

/** `μ ← α·μ + (1 - α)·g` (`μ ← g` at the first step), then `g ← g + λ·μ`. */
export function amplifySlowGradients(): UpdateRule<GrokfastState> {
  return {
    init: (params) => ({ ema: params.map((p) => allocate(p.dtype, p.size)), steps: params.map(() => 0) }),
    update(updates, state, ctx) {
      const alpha = ctx.hp.alpha as number;
      const lamb = ctx.hp.lamb as number;
      for (let i = 0; i < updates.length; i++) {
        const u = updates[i];
        if (u === null) continue;
        const ema = state.ema[i];
        if (state.steps[i]++ === 0) ema.set(u);
        else for (let j = 0; j < u.length; j++) ema[j] = ema[j] * alpha + u[j] * (1 - alpha);
        for (let j = 0; j < u.length; j++) u[j] += ema[j] * lamb;
      }
    },
  };
}

/** Options of {@link grokfast}: the wrapped optimizer, its options, and Grokfast's own. */
export interface GrokfastOptions {
  /** The registered name of the wrapped optimizer (`'adam'`, `'sgd'`, ...). Required. */
  inner?: string;
  /** The wrapped optimizer's options (they may also be given directly, like `lr`). */
  innerOptions?: Readonly<Record<string, HyperValue>>;
  /** α, the decay of the moving average, in [0, 1]. Default 0.98 (the authors'). */
  alpha?: number;
  /** λ, the amplification, ≥ 0. Default 2 (the authors'). */
  lamb?: number;
  /** Any option of the wrapped optimizer. */
  [name: string]: unknown;
}

/** Grokfast-EMA around any registered optimizer: it steps with `g + λ·EMA(g)` instead of `g`. */
export const grokfast = defineWrapper<GrokfastOptions>({
  name: 'grokfast',
  innerOption: 'inner',
  defaults: { alpha: 0.98, lamb: 2 },
  validate(hp) {
    checkNumber('grokfast', 'alpha', hp.alpha, { min: 0, max: 1 });
    checkNumber('grokfast', 'lamb', hp.lamb, { min: 0 });
  },
  before: amplifySlowGradients(),
});
