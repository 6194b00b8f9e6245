// What a TypeScript user of the published packages writes: a small MLP trained with `fit` and an optimizer
// plugin of their own, registered and created by name. test/packaging/install.test.ts copies this file into
// fresh projects that installed the packed tarballs: as train.mts and train.cts (typechecked and compiled
// under `moduleResolution: node16`, then run with Node), and as the Vite entry src/main.ts (typechecked under
// `moduleResolution: bundler`, built by Vite, run in Chromium). It prints one line, `NABLA_RESULT {json}`, with
// the loss before and after training. It is written for both module systems: no top-level await, no
// import.meta.
import { Generator, noGrad, randn } from '@nablajs/core';
import { Linear, mseLoss, Sequential, Tanh } from '@nablajs/nn';
import {
  chain,
  checkNumber,
  createOptimizer,
  defineOptimizer,
  definePlugin,
  scaleByLearningRate,
  traceMomentum,
  type UpdateRule,
  usePlugin,
} from '@nablajs/optim';
import { fit } from '@nablajs/train';

/** Clamp every element of the update to [-limit, limit]. */
function clampEach(limit: number): UpdateRule<null> {
  return {
    init: () => null,
    update(updates) {
      for (const u of updates) {
        if (u === null) continue;
        for (let j = 0; j < u.length; j++) u[j] = Math.max(-limit, Math.min(limit, u[j]));
      }
    },
  };
}

/** Options of the user's optimizer. */
interface ClampedSgdOptions {
  lr?: number;
  momentum?: number;
}

/** SGD with momentum whose steps are clamped elementwise, as a user would define it. */
const clampedSgd = defineOptimizer<ClampedSgdOptions>({
  name: 'clampedSgd',
  defaults: { lr: 0.05, momentum: 0.9 },
  validate: (hp) => checkNumber('clampedSgd', 'momentum', hp.momentum, { min: 0, max: 1, maxInclusive: false }),
  rule: chain(traceMomentum(), clampEach(1), scaleByLearningRate()),
});

usePlugin(definePlugin({ name: 'clamped-sgd', optimizers: { clampedSgd } }));

async function main(): Promise<void> {
  const generator = new Generator(0);
  const x = randn([64, 2], { generator });
  const y = x.sum(1, true).tanh();
  const model = new Sequential(new Linear(2, 16, { generator }), new Tanh(), new Linear(16, 1, { generator }));
  const initial = noGrad(() => mseLoss(model.forward(x), y).item());
  const optimizer = createOptimizer('clampedSgd', model.parameters(), { lr: 0.05, momentum: 0.9 });
  // biome-ignore lint/suspicious/noFocusedTests: fit is nabla's training loop, not a focused test
  const { history } = await fit({ model, data: { x, y }, loss: mseLoss, optimizer, epochs: 60 });
  const final: number = history[history.length - 1].loss;
  console.log(`NABLA_RESULT ${JSON.stringify({ initial, final })}`);
}

main().catch((error: unknown) => console.log(`NABLA_ERROR ${error instanceof Error ? error.stack : String(error)}`));
