// sign-SGD (Bernstein et al. 2018, "signSGD: compressed optimisation for non-convex problems") as a
// nabla optimizer plugin. With momentum > 0 it is their Signum: the sign of the momentum buffer.
import {
  chain,
  checkNumber,
  defineOptimizer,
  definePlugin,
  scaleByLearningRate,
  traceMomentum,
  type UpdateRule,
} from '@nablajs/optim';

/** `u ← sign(u)`: keep only the sign of every element of the update. */
export function scaleBySign(): UpdateRule<null> {
  return {
    init: () => null,
    update(updates) {
      for (const u of updates) {
        if (u === null) continue; // a parameter without a gradient this step
        for (let j = 0; j < u.length; j++) u[j] = Math.sign(u[j]);
      }
    },
  };
}

/** Options of {@link signSgd}. */
export interface SignSgdOptions {
  /** Every element moves by exactly `lr` per step. Default 0.01. */
  lr?: number;
  /** Momentum of the buffer whose sign is taken (0: plain sign-SGD). Default 0. */
  momentum?: number;
}

/** sign-SGD: `buf ← momentum·buf + g` (PyTorch's SGD buffer), `p ← p - lr·sign(buf)`. */
export const signSgd = defineOptimizer<SignSgdOptions>({
  name: 'signSgd',
  defaults: { lr: 0.01, momentum: 0 },
  validate: (hp) => {
    checkNumber('signSgd', 'lr', hp.lr, { min: 0 });
    checkNumber('signSgd', 'momentum', hp.momentum, { min: 0, max: 1, maxInclusive: false });
  },
  // traceMomentum is PyTorch's SGD buffer, b ← μb + g; Signum's b ← μb + (1 - μ)g differs from it by a
  // positive factor, which the sign ignores.
  rule: chain(traceMomentum(), scaleBySign(), scaleByLearningRate()),
});

/** The plugin: `usePlugin(signSgdPlugin)` makes `createOptimizer('signSgd', ...)` work. */
export default definePlugin({ name: 'sign-sgd', optimizers: { signSgd } });
