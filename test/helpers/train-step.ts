// What the device-sim tests share: a classification step whose loss is awaited, and a base optimizer
// without a fused step (its rule runs as a host task where values live on the device).
import { type Tensor, tidy } from '@nablajs/core';
import { crossEntropy } from '@nablajs/nn';
import { chain, defineOptimizer, type Optimizer, type OptimizerPlugin, scaleByLearningRate } from '@nablajs/optim';

/** One step (zeroGrad, cross-entropy, backward, step) in a tidy; the loss, awaited. */
export async function awaitedStep(
  opt: Optimizer,
  model: { forward(x: Tensor): Tensor },
  x: Tensor,
  y: Tensor,
): Promise<number> {
  const loss = tidy(() => {
    opt.zeroGrad();
    const l = crossEntropy(model.forward(x), y);
    l.backward();
    opt.step();
    return l;
  });
  const value = await loss.itemAsync();
  loss.dispose();
  return value;
}

/** A plugin with `signDescent` (`p ← p - lr·sign(g)`), whose rule has no fused step. */
export const signDescentPlugin: OptimizerPlugin = {
  name: 'test-sign-descent',
  optimizers: {
    signDescent: defineOptimizer({
      name: 'signDescent',
      defaults: { lr: 0.01 },
      rule: chain(
        {
          init: () => null,
          update(updates) {
            for (const u of updates) if (u !== null) for (let j = 0; j < u.length; j++) u[j] = Math.sign(u[j]);
          },
        },
        scaleByLearningRate(),
      ),
    }),
  },
};
