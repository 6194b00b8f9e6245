// A user's optimizer plugin, as `nabla compare --plugin ./sign-sgd.mjs` loads it: sign-SGD
// (Bernstein et al. 2018), x <- x - lr * sign(g), in a few lines with the host's helpers.
import { chain, defineOptimizer, definePlugin, scaleByLearningRate } from '@nablajs/optim';

const scaleBySign = () => ({
  init: () => null,
  update(updates) {
    for (const u of updates) {
      if (u === null) continue;
      for (let i = 0; i < u.length; i++) u[i] = Math.sign(u[i]);
    }
  },
});

export const signSgd = defineOptimizer({
  name: 'signSgd',
  defaults: { lr: 0.01 },
  rule: chain(scaleBySign(), scaleByLearningRate()),
});

export default definePlugin({ name: 'sign-sgd-fixture', optimizers: { signSgd } });
