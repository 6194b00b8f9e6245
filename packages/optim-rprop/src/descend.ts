import type { UpdateRule } from '@nablajs/optim';

/**
 * Turn an ascent direction whose magnitude is already final into a descent step: `u ← -u`. This is
 * where the sign flips in a chain that does not end with `scaleByLearningRate()` (Rprop, whose `lr`
 * is only the initial step size).
 *
 * @example
 * ```ts
 * const rpropRule = chain(flipIfMaximize(), scaleByRprop(), descend());
 * ```
 */
export function descend(): UpdateRule<null> {
  return {
    init: () => null,
    update(updates) {
      for (let i = 0; i < updates.length; i++) {
        const u = updates[i];
        if (u === null) continue;
        for (let j = 0; j < u.length; j++) u[j] = -u[j];
      }
    },
  };
}
