import type { Tensor, TypedArray } from '@nablajs/core';
import type { Hyperparams, StepContext, UpdateRule } from './types';

/**
 * Compose update rules left to right, as Optax's `chain`: each rule transforms the updates that the
 * previous one produced, and each keeps its own state (the chain's state is the list of them).
 *
 * @example
 * ```ts
 * // Adam with decoupled weight decay (AdamW), as a recipe of building blocks:
 * const rule = chain(flipIfMaximize(), scaleByAdam(), addDecoupledWeightDecay(), scaleByLearningRate());
 * ```
 */
export function chain(...rules: UpdateRule<unknown>[]): UpdateRule<unknown[]> {
  return {
    init(params: readonly Tensor[], hp: Readonly<Hyperparams>): unknown[] {
      return rules.map((r) => r.init(params, hp));
    },
    update(updates: readonly (TypedArray | null)[], state: unknown[], ctx: StepContext): void {
      for (let i = 0; i < rules.length; i++) rules[i].update(updates, state[i], ctx);
    },
  };
}
