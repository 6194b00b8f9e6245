import type { Tensor, TypedArray } from '@nablajs/core';
import type { Hyperparams, RuleCouplings, StepContext, UpdateRule } from './types';

/** The union of the couplings of `rules` (a chain couples what any of its blocks couples). */
export function mergeCouplings(rules: readonly UpdateRule<unknown>[]): RuleCouplings {
  return {
    closure: rules.some((r) => r.couples?.closure === true),
    global: rules.some((r) => r.couples?.global === true),
    trainEval: rules.some((r) => r.couples?.trainEval === true),
  };
}

/**
 * Compose update rules left to right, as Optax's `chain`: each rule transforms the updates that the
 * previous one produced, and each keeps its own state (the chain's state is the list of them). A
 * chain couples what any of its blocks couples; when a block has `passes`, the runtime runs the chain
 * block by block over all groups, so that each block's passes see the updates of the blocks before it.
 *
 * @example
 * ```ts
 * // Adam with decoupled weight decay (AdamW), as a recipe of building blocks:
 * const rule = chain(flipIfMaximize(), scaleByAdam(), addDecoupledWeightDecay(), scaleByLearningRate());
 * ```
 */
export function chain(...rules: UpdateRule<unknown>[]): UpdateRule<unknown[]> {
  const withMode = rules.some((r) => r.setMode !== undefined);
  return {
    init(params: readonly Tensor[], hp: Readonly<Hyperparams>): unknown[] {
      return rules.map((r) => r.init(params, hp));
    },
    update(updates: readonly (TypedArray | null)[], state: unknown[], ctx: StepContext): void {
      for (let i = 0; i < rules.length; i++) rules[i].update(updates, state[i], ctx);
    },
    setMode: withMode
      ? (mode, state, ctx) => {
          for (let i = 0; i < rules.length; i++) rules[i].setMode?.(mode, state[i], ctx);
        }
      : undefined,
    couples: mergeCouplings(rules),
    blocks: rules,
  };
}
