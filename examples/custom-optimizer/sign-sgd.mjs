// sign-SGD as a plain ES module, for `nabla compare --plugin examples/custom-optimizer/sign-sgd.mjs`
// (Node 20 cannot import TypeScript by itself). The same plugin as sign-sgd.ts, without the types.
import { chain, checkNumber, defineOptimizer, definePlugin, scaleByLearningRate, traceMomentum } from '@nablajs/optim';

/** `u ← sign(u)`: keep only the sign of every element of the update. */
export function scaleBySign() {
  return {
    init: () => null,
    update(updates) {
      for (const u of updates) {
        if (u === null) continue;
        for (let j = 0; j < u.length; j++) u[j] = Math.sign(u[j]);
      }
    },
  };
}

/** sign-SGD: `buf ← momentum·buf + g` (PyTorch's SGD buffer), `p ← p - lr·sign(buf)`. */
export const signSgd = defineOptimizer({
  name: 'signSgd',
  defaults: { lr: 0.01, momentum: 0 },
  validate: (hp) => {
    checkNumber('signSgd', 'lr', hp.lr, { min: 0 });
    checkNumber('signSgd', 'momentum', hp.momentum, { min: 0, max: 1, maxInclusive: false });
  },
  rule: chain(traceMomentum(), scaleBySign(), scaleByLearningRate()),
});

export default definePlugin({ name: 'sign-sgd', optimizers: { signSgd } });
