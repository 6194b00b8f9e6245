import { keep, runOnHost, Tensor, type TypedArray, ValueError } from '@nablajs/core';
import type { Hyperparams, StepContext } from './types';

/**
 * Options of {@link stepContext}.
 *
 * @example
 * ```ts
 * // Two groups sharing one `global`, as an optimizer's do; a fake closure for ctx.evaluate().
 * const global = {};
 * const options: StepContextOptions = { updates: [u0], global, groupIndex: 0, groupCount: 2, evaluate: () => 0.5 };
 * const ctx0 = stepContext([p0], hp, options);
 * const ctx1 = stepContext([p1], hp, { updates: [u1], global, groupIndex: 1, groupCount: 2 });
 * ```
 */
export interface StepContextOptions {
  /** The updates that `updateTensor(i)` views (default: none, and `updateTensor` throws). */
  updates?: readonly (TypedArray | null)[];
  /** The cross-group data (default: a fresh object). */
  global?: Record<string, unknown>;
  /** What `evaluate()` does (default: throws, as a step without a closure). */
  evaluate?: () => number;
  /** The group's index and the number of groups (default 0 of 1). */
  groupIndex?: number;
  /** The number of groups (default 1). */
  groupCount?: number;
}

/**
 * A {@link StepContext} for one group, to call a rule's `update` directly in a unit test, outside an
 * optimizer (the runtime makes its own).
 *
 * @example
 * ```ts
 * const rule = scaleByAdam();
 * const p = tensor([1, 2], { dtype: 'float64' });
 * const u = Float64Array.from([0.1, -0.2]);
 * const hp = { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, amsgrad: false };
 * rule.update([u], rule.init([p], hp), stepContext([p], hp, { updates: [u] }));
 * ```
 */
export function stepContext(
  params: readonly Tensor[],
  hp: Readonly<Hyperparams>,
  options: StepContextOptions = {},
): StepContext {
  const updates = options.updates ?? [];
  return {
    params,
    hp,
    groupIndex: options.groupIndex ?? 0,
    groupCount: options.groupCount ?? 1,
    global: options.global ?? {},
    updateTensor(i: number): Tensor {
      const u = updates[i];
      if (u === null || u === undefined)
        throw new ValueError(`stepContext: updateTensor(${i}): no update ${i} was given`);
      return keep(new Tensor(u, params[i].shape));
    },
    hostTask(reads, writes, task) {
      runOnHost(reads, writes, task);
    },
    evaluate:
      options.evaluate ??
      (() => {
        throw new ValueError('stepContext: evaluate(): no closure (pass options.evaluate)');
      }),
  };
}
