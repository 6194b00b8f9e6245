// A Node.js CommonJS user of the published packages (plain JavaScript, `require`): the MLP and optimizer plugin
// of train-mlp.ts, plus every subpath entry and a plugin package by name. test/packaging/install.test.ts runs
// it in a fresh project that installed the packed tarballs; it prints `NABLA_RESULT {json}`.
const { Generator, noGrad, randn, Tensor } = require('@nablajs/core');
const { enableNodeThreads } = require('@nablajs/core/node');
const { bundledMnistTestDir } = require('@nablajs/data/node');
const { Linear, mseLoss, Sequential, Tanh } = require('@nablajs/nn');
const { saveFile } = require('@nablajs/nn/node');
const {
  chain,
  checkNumber,
  createOptimizer,
  defineOptimizer,
  definePlugin,
  listOptimizers,
  scaleByLearningRate,
  traceMomentum,
  usePlugin,
} = require('@nablajs/optim');
const { checkOptimizerConformance } = require('@nablajs/optim/testkit');
// a plugin package's default export is `exports.default` in CommonJS
const adamPlugin = require('@nablajs/optim-adam').default;
const { fit } = require('@nablajs/train');
const { saveCheckpoint } = require('@nablajs/train/node');

const clampEach = (limit) => ({
  init: () => null,
  update(updates) {
    for (const u of updates) {
      if (u === null) continue;
      for (let j = 0; j < u.length; j++) u[j] = Math.max(-limit, Math.min(limit, u[j]));
    }
  },
});

const clampedSgd = defineOptimizer({
  name: 'clampedSgd',
  defaults: { lr: 0.05, momentum: 0.9 },
  validate: (hp) => checkNumber('clampedSgd', 'momentum', hp.momentum, { min: 0, max: 1, maxInclusive: false }),
  rule: chain(traceMomentum(), clampEach(1), scaleByLearningRate()),
});

usePlugin(definePlugin({ name: 'clamped-sgd', optimizers: { clampedSgd } }));
usePlugin(adamPlugin);

async function main() {
  const generator = new Generator(0);
  const x = randn([64, 2], { generator });
  const y = x.sum(1, true).tanh();
  const model = new Sequential(new Linear(2, 16, { generator }), new Tanh(), new Linear(16, 1, { generator }));
  const initial = noGrad(() => mseLoss(model.forward(x), y).item());
  const optimizer = createOptimizer('clampedSgd', model.parameters(), { lr: 0.05, momentum: 0.9 });
  // biome-ignore lint/suspicious/noFocusedTests: fit is nabla's training loop, not a focused test
  const { history } = await fit({ model, data: { x, y }, loss: mseLoss, optimizer, epochs: 60 });
  const final = history[history.length - 1].loss;
  const conformance = checkOptimizerConformance(clampedSgd, {
    name: 'clampedSgd',
    options: { lr: 0.01 },
    invalidOptions: [{ momentum: 1 }],
  });
  const result = {
    initial,
    final,
    oneCore: model.parameters()[0] instanceof Tensor,
    optimizers: listOptimizers(),
    conformanceFailures: conformance.failures.map((f) => `${f.check}: ${f.message}`),
    subpaths: [enableNodeThreads, saveFile, bundledMnistTestDir, saveCheckpoint].map((f) => typeof f),
    mnistDir: bundledMnistTestDir(),
  };
  console.log(`NABLA_RESULT ${JSON.stringify(result)}`);
}

main().catch((error) => console.log(`NABLA_ERROR ${error instanceof Error ? error.stack : String(error)}`));
