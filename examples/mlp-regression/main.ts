// An MLP regression (10 -> 20 -> 1, ReLU, MSE) trained with Adam, RMSprop and Adagrad from the same
// initial weights, by a training loop written out by hand.
import { Generator, indexSelect, noGrad, randn, randperm, type Tensor } from '@nablajs/core';
import { Linear, mseLoss, ReLU, Sequential } from '@nablajs/nn';
import type { Optimizer } from '@nablajs/optim';
import { adagrad } from '@nablajs/optim-adagrad';
import { adam } from '@nablajs/optim-adam';
import { rmsprop } from '@nablajs/optim-rmsprop';

/** A regression data set: inputs `[n, 10]`, targets `[n, 1]`. */
export interface Split {
  x: Tensor;
  y: Tensor;
}

/**
 * A seeded synthetic regression: `y = 2 sin(0.5 x·a) + 0.5 relu(x·b)` for random directions `a` and
 * `b`, with `x ~ N(0, I₁₀)`, plus N(0, 0.1²) noise on the training targets (the test targets are exact).
 */
export function makeData(seed = 0, trainSize = 512, testSize = 256): { train: Split; test: Split } {
  const gen = new Generator(seed);
  const a = randn([10, 1], { generator: gen });
  const b = randn([10, 1], { generator: gen });
  const f = (x: Tensor) => x.matmul(a).mul(0.5).sin().mul(2).add(x.matmul(b).relu().mul(0.5));
  const x = randn([trainSize, 10], { generator: gen });
  const y = f(x).add(randn([trainSize, 1], { generator: gen }).mul(0.1));
  const xTest = randn([testSize, 10], { generator: gen });
  return { train: { x, y }, test: { x: xTest, y: f(xTest) } };
}

/** The model: 10 -> 20 -> 1 with a ReLU, initialised as PyTorch does, from `seed`. */
export function makeModel(seed = 1): Sequential {
  const generator = new Generator(seed);
  return new Sequential(new Linear(10, 20, { generator }), new ReLU(), new Linear(20, 1, { generator }));
}

/** The optimizers compared, with their learning rates. */
export const OPTIMIZERS: Record<string, (params: Tensor[]) => Optimizer> = {
  adam: (params) => adam(params, { lr: 1e-2 }),
  rmsprop: (params) => rmsprop(params, { lr: 1e-2 }),
  adagrad: (params) => adagrad(params, { lr: 1e-1 }),
};

/** What {@link train} returns: the mean squared errors before training and after every epoch. */
export interface History {
  trainLoss: number[];
  testLoss: number[];
}

function evaluate(model: Sequential, split: Split): number {
  return noGrad(() => mseLoss(model.forward(split.x), split.y).item());
}

/** Train `model` with `opt` for `epochs` epochs of shuffled mini-batches; the plain PyTorch loop. */
export function train(
  model: Sequential,
  opt: Optimizer,
  data: { train: Split; test: Split },
  epochs: number,
  batchSize = 32,
  seed = 2,
): History {
  const gen = new Generator(seed);
  const n = data.train.x.shape[0];
  const history: History = { trainLoss: [evaluate(model, data.train)], testLoss: [evaluate(model, data.test)] };
  for (let epoch = 0; epoch < epochs; epoch++) {
    model.train();
    const order = randperm(n, { generator: gen });
    for (let start = 0; start < n; start += batchSize) {
      const idx = order.slice([[start, Math.min(start + batchSize, n)]]);
      const xb = indexSelect(data.train.x, 0, idx);
      const yb = indexSelect(data.train.y, 0, idx);
      opt.zeroGrad();
      const loss = mseLoss(model.forward(xb), yb);
      loss.backward();
      opt.step();
    }
    model.eval();
    history.trainLoss.push(evaluate(model, data.train));
    history.testLoss.push(evaluate(model, data.test));
  }
  return history;
}

/** Train one model per optimizer, all from the same initial weights, on the same batches. */
export function compareOptimizers(epochs = 60, seed = 0): Record<string, History> {
  const data = makeData(seed);
  const model = makeModel(seed + 1);
  const initial = model.stateDict();
  const out: Record<string, History> = {};
  for (const [name, make] of Object.entries(OPTIMIZERS)) {
    model.loadStateDict(initial);
    out[name] = train(model, make(model.parameters()), data, epochs, 32, seed + 2);
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const epochs = 60;
  const results = compareOptimizers(epochs);
  const names = Object.keys(results);
  const { test } = makeData(0);
  const variance = test.y.sub(test.y.mean()).square().mean().item();
  console.log(`test MSE per epoch (predicting the mean would score ${variance.toFixed(3)})`);
  console.log(`${'epoch'.padStart(5)} ${names.map((n) => n.padStart(9)).join(' ')}`);
  for (const epoch of [0, 1, 5, 10, 20, 40, 60])
    console.log(
      `${String(epoch).padStart(5)} ${names.map((n) => results[n].testLoss[epoch].toFixed(4).padStart(9)).join(' ')}`,
    );
}
