// Two interlocking spirals, classified by a small MLP trained with fit() and Adam: a decision
// boundary no linear model can draw, learnt in a few seconds.
import { Generator, Tensor } from '@nablajs/core';
import { twoSpirals } from '@nablajs/data';
import { crossEntropy, Linear, Sequential, Tanh } from '@nablajs/nn';
import { adam } from '@nablajs/optim-adam';
import { fit, type Logs, predict } from '@nablajs/train';

/** Options of {@link trainSpirals}. */
export interface SpiralsOptions {
  /** Training points (default 800); the test set has half as many, drawn independently. */
  n?: number;
  /** Epochs of mini-batches of 32 (default 60). */
  epochs?: number;
  /** Units of each of the two hidden layers (default 32). */
  hidden?: number;
  /** Adam's learning rate (default 0.01). */
  lr?: number;
  /** Seed of the data, the initial weights and the shuffling (default 0). */
  seed?: number;
}

/** What {@link trainSpirals} returns. */
export interface SpiralsResult {
  /** One entry per epoch: loss, accuracy, valLoss, valAccuracy, lr, epochTime, stepsPerSecond. */
  history: Logs[];
  /** Accuracy on the independent test points after the last epoch. */
  testAccuracy: number;
  /** Wall time of the training, in seconds. */
  seconds: number;
  /** The trained model, 2 -> hidden -> hidden -> 2. */
  model: Sequential;
}

/** Two spirals of 1.5 turns with noise 0.05, `n` points, shuffled. */
export function spirals(n: number, generator: Generator): { x: Tensor; y: Tensor } {
  return twoSpirals({ n, turns: 1.5, noise: 0.05, generator });
}

/** Train a 2 -> hidden -> hidden -> 2 tanh MLP on two spirals with Adam and report the test accuracy. */
export async function trainSpirals(options: SpiralsOptions = {}): Promise<SpiralsResult> {
  const { n = 800, epochs = 60, hidden = 32, lr = 0.01, seed = 0 } = options;
  const train = spirals(n, new Generator(seed));
  const test = spirals(Math.ceil(n / 2), new Generator(seed + 1000));
  const init = new Generator(seed + 1);
  const model = new Sequential(
    new Linear(2, hidden, { generator: init }),
    new Tanh(),
    new Linear(hidden, hidden, { generator: init }),
    new Tanh(),
    new Linear(hidden, 2, { generator: init }),
  );
  const start = performance.now();
  const { history } = await fit({
    model,
    data: train,
    validation: test,
    batchSize: 32,
    generator: new Generator(seed + 2),
    loss: crossEntropy,
    optimizer: adam(model.parameters(), { lr }),
    epochs,
    metrics: { accuracy: true },
  });
  const seconds = (performance.now() - start) / 1000;
  return { history, testAccuracy: history[history.length - 1].valAccuracy, seconds, model };
}

/** The model's class on a `size` x `size` grid over [-1.2, 1.2]², as text: 'o' for class 0, 'x' for class 1. */
export function decisionMap(model: Sequential, size = 32): string {
  const grid = new Float32Array(size * size * 2);
  for (let i = 0; i < size; i++)
    for (let j = 0; j < size; j++) {
      grid[2 * (i * size + j)] = -1.2 + (2.4 * (j + 0.5)) / size;
      grid[2 * (i * size + j) + 1] = 1.2 - (2.4 * (i + 0.5)) / size;
    }
  const classes = predict(model, new Tensor(grid, [size * size, 2])).argmax(1).data;
  const rows: string[] = [];
  for (let i = 0; i < size; i++)
    rows.push(Array.from(classes.subarray(i * size, (i + 1) * size), (c) => (c === 0 ? 'o' : 'x')).join(''));
  return rows.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { history, testAccuracy, seconds, model } = await trainSpirals();
  for (const epoch of [0, 9, 19, 39, 59]) {
    const h = history[epoch];
    console.log(
      `epoch ${String(epoch + 1).padStart(2)}  loss ${h.loss.toFixed(4)}  accuracy ${(h.accuracy * 100).toFixed(1)}%  ` +
        `test accuracy ${(h.valAccuracy * 100).toFixed(1)}%`,
    );
  }
  console.log(
    `test accuracy ${(testAccuracy * 100).toFixed(1)}% after ${history.length} epochs, ${seconds.toFixed(1)} s`,
  );
  console.log(decisionMap(model));
}
