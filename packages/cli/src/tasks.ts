import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Generator, indexSelect, randperm, type Tensor } from '@nablajs/core';
import { linearRegression, loadDigits, quadratic, TEST_FUNCTIONS, type TestFunction, twoSpirals } from '@nablajs/data';
import { bundledMnistTestDir, loadMnist } from '@nablajs/data/node';
import { Conv2d, crossEntropy, Flatten, Linear, MaxPool2d, type Module, mseLoss, ReLU, Sequential } from '@nablajs/nn';
import { UsageError, validList } from './usage-error';

/** Inputs and targets, samples along the first dimension. */
export interface TensorPair {
  /** The inputs. */
  x: Tensor;
  /** The targets. */
  y: Tensor;
}

/** A network: an nn `Module` whose forward maps a batch of inputs to a batch of outputs. */
export type Network = { forward(input: Tensor): Tensor } & Module;

/** What a model task hands to the runner. */
export interface ModelTaskData {
  /** The training set. */
  train: TensorPair;
  /** The validation set, evaluated after every epoch, or null. */
  validation: TensorPair | null;
  /** Build the network; its initial weights come from `generator`. */
  buildModel(generator: Generator): Network;
  /** The loss, `(output, targets) => scalar`. */
  loss: (output: Tensor, targets: Tensor) => Tensor;
  /** Lines that describe the data and the model (sizes, architecture). */
  details: string[];
}

/** The defaults of a task, used when the command line does not say. */
export interface TaskDefaults {
  /** The optimizers compared, in `--optimizers` syntax. */
  optimizers: string;
  /** Epochs (model tasks). */
  epochs?: number;
  /** Steps (2-D functions). */
  steps?: number;
  /** Batch size (model tasks). */
  batchSize?: number;
  /** The loss the "steps to target" column counts steps to. */
  targetLoss: number;
}

/** A task that trains a network with `fit`. */
export interface ModelTask {
  /** `model`. */
  kind: 'model';
  /** The task's name. */
  name: string;
  /** One line for the help. */
  description: string;
  /** Whether the metric is accuracy (else there is none beyond the loss). */
  classification: boolean;
  /** Whether the task reads `--data`. */
  usesDataDir: boolean;
  /** The defaults. */
  defaults: TaskDefaults;
  /** Build the data and the model factory; `seed` draws the data and its split, `dataDir` is `--data`. */
  load(options: { seed: number; dataDir: string | null; limit: number | null }): ModelTaskData;
}

/** A task that minimises a 2-D test function from its customary start. */
export interface FunctionTask {
  /** `function`. */
  kind: 'function';
  /** The task's name. */
  name: string;
  /** One line for the help. */
  description: string;
  /** The function, its start, minima and plotting box. */
  fn: TestFunction;
  /** The defaults. */
  defaults: TaskDefaults;
}

/** A task of `nabla compare`. */
export type Task = ModelTask | FunctionTask;

/** Split `data` into a training and a validation part (`fraction` of the samples), drawn with `generator`. */
function split(
  data: TensorPair,
  fraction: number,
  generator: Generator,
): { train: TensorPair; validation: TensorPair } {
  const n = data.x.shape[0];
  const nVal = Math.max(1, Math.round(n * fraction));
  const order = randperm(n, { generator });
  const val = order.slice([[0, nVal]]);
  const train = order.slice([[nVal, n]]);
  return {
    train: { x: indexSelect(data.x, 0, train), y: indexSelect(data.y, 0, train) },
    validation: { x: indexSelect(data.x, 0, val), y: indexSelect(data.y, 0, val) },
  };
}

function limitTo(data: TensorPair, limit: number | null): TensorPair {
  const n = data.x.shape[0];
  if (limit === null || limit >= n) return data;
  return { x: data.x.slice([[0, limit]]), y: data.y.slice([[0, limit]]) };
}

const classify = (output: Tensor, targets: Tensor) => crossEntropy(output, targets);

function describeSizes(train: TensorPair, validation: TensorPair | null): string {
  return `${train.x.shape[0]} training samples${validation ? `, ${validation.x.shape[0]} validation samples` : ''}, inputs [${train.x.shape.slice(1).join(', ')}]`;
}

function mnist(dataDir: string | null, shape: 'flat' | 'image'): { data: TensorPair; source: string } {
  const dir = dataDir ?? bundledMnistTestDir();
  if (dataDir !== null && !existsSync(resolve(dataDir)))
    throw new UsageError(`--data: ${resolve(dataDir)} does not exist (expected a directory with the MNIST IDX files)`);
  const hasTrain =
    existsSync(join(dir, 'train-images-idx3-ubyte')) || existsSync(join(dir, 'train-images-idx3-ubyte.gz'));
  const split = hasTrain ? 'train' : 't10k';
  const { images, labels } = loadMnist(dir, { split, shape });
  return {
    data: { x: images, y: labels },
    source: `MNIST ${split === 'train' ? 'training' : 'test'} set from ${dataDir === null ? 'the bundled copy in @nablajs/data' : resolve(dir)}`,
  };
}

function functionTask(name: string, fn: TestFunction, description: string, defaults: TaskDefaults): FunctionTask {
  return { kind: 'function', name, description, fn, defaults };
}

/**
 * Every task of `nabla compare`, by name: networks trained with `fit` (digits, MNIST, spirals, a
 * line) and 2-D test functions (each optimizer walks from the function's customary start).
 *
 * @example
 * ```ts
 * TASKS['digits-mlp'].defaults.epochs; // 10
 * ```
 */
export const TASKS: Readonly<Record<string, Task>> = {
  'digits-mlp': {
    kind: 'model',
    name: 'digits-mlp',
    description: 'the bundled 8x8 UCI digits (1797 images), MLP 64-64-10 with ReLU, cross-entropy; 20% held out',
    classification: true,
    usesDataDir: false,
    defaults: {
      optimizers: 'sgd:lr=0.1 momentum@sgd:lr=0.05,momentum=0.9 rmsprop:lr=1e-3 adagrad:lr=0.05 adam:lr=1e-3',
      epochs: 10,
      batchSize: 32,
      targetLoss: 0.1,
    },
    load({ seed, limit }) {
      const { images, labels } = loadDigits();
      const { train, validation } = split({ x: images, y: labels }, 0.2, new Generator(seed));
      const trainSet = limitTo(train, limit);
      return {
        train: trainSet,
        validation,
        buildModel: (generator) =>
          new Sequential(new Linear(64, 64, { generator }), new ReLU(), new Linear(64, 10, { generator })),
        loss: classify,
        details: [describeSizes(trainSet, validation), 'model: Linear(64, 64) - ReLU - Linear(64, 10)'],
      };
    },
  },
  'mnist-mlp': {
    kind: 'model',
    name: 'mnist-mlp',
    description: 'MNIST from --data DIR (default: the bundled test set, 10000 images), MLP 784-128-10 with ReLU',
    classification: true,
    usesDataDir: true,
    defaults: {
      optimizers: 'sgd:lr=0.1 momentum@sgd:lr=0.05,momentum=0.9 rmsprop:lr=1e-3 adam:lr=1e-3',
      epochs: 3,
      batchSize: 64,
      targetLoss: 0.3,
    },
    load({ seed, dataDir, limit }) {
      const { data, source } = mnist(dataDir, 'flat');
      const { train, validation } = split(data, 1 / 6, new Generator(seed));
      const trainSet = limitTo(train, limit);
      return {
        train: trainSet,
        validation,
        buildModel: (generator) =>
          new Sequential(new Linear(784, 128, { generator }), new ReLU(), new Linear(128, 10, { generator })),
        loss: classify,
        details: [source, describeSizes(trainSet, validation), 'model: Linear(784, 128) - ReLU - Linear(128, 10)'],
      };
    },
  },
  'mnist-cnn': {
    kind: 'model',
    name: 'mnist-cnn',
    description:
      'MNIST from --data DIR (default: the bundled test set), a small CNN: two 3x3 convolutions and max pools',
    classification: true,
    usesDataDir: true,
    defaults: {
      optimizers: 'momentum@sgd:lr=0.05,momentum=0.9 adam:lr=1e-3',
      epochs: 1,
      batchSize: 64,
      targetLoss: 0.5,
    },
    load({ seed, dataDir, limit }) {
      const { data, source } = mnist(dataDir, 'image');
      const { train, validation } = split(data, 1 / 6, new Generator(seed));
      const trainSet = limitTo(train, limit);
      return {
        train: trainSet,
        validation,
        buildModel: (generator) =>
          new Sequential(
            new Conv2d(1, 8, 3, { generator }),
            new ReLU(),
            new MaxPool2d(2),
            new Conv2d(8, 16, 3, { generator }),
            new ReLU(),
            new MaxPool2d(2),
            new Flatten(),
            new Linear(16 * 5 * 5, 10, { generator }),
          ),
        loss: classify,
        details: [
          source,
          describeSizes(trainSet, validation),
          'model: Conv2d(1, 8, 3) - ReLU - MaxPool2d(2) - Conv2d(8, 16, 3) - ReLU - MaxPool2d(2) - Flatten - Linear(400, 10)',
        ],
      };
    },
  },
  spirals: {
    kind: 'model',
    name: 'spirals',
    description: 'two interlocking spirals (400 noisy points, 1.5 turns), MLP 2-64-64-2 with ReLU; 25% held out',
    classification: true,
    usesDataDir: false,
    defaults: {
      optimizers: 'sgd:lr=0.3 momentum@sgd:lr=0.1,momentum=0.9 rmsprop:lr=3e-3 adam:lr=1e-2',
      epochs: 100,
      batchSize: 32,
      targetLoss: 0.1,
    },
    load({ seed, limit }) {
      const all = twoSpirals({ n: 400, noise: 0.02, turns: 1.5, generator: new Generator(seed) });
      const { train, validation } = split(all, 0.25, new Generator(seed + 1));
      const trainSet = limitTo(train, limit);
      return {
        train: trainSet,
        validation,
        buildModel: (generator) =>
          new Sequential(
            new Linear(2, 64, { generator }),
            new ReLU(),
            new Linear(64, 64, { generator }),
            new ReLU(),
            new Linear(64, 2, { generator }),
          ),
        loss: classify,
        details: [
          describeSizes(trainSet, validation),
          'model: Linear(2, 64) - ReLU - Linear(64, 64) - ReLU - Linear(64, 2)',
        ],
      };
    },
  },
  'linear-regression': {
    kind: 'model',
    name: 'linear-regression',
    description: 'fit y = 2x + 1 + noise (200 samples, noise 0.1) with Linear(1, 1) and the mean squared error',
    classification: false,
    usesDataDir: false,
    defaults: {
      optimizers: 'sgd:lr=0.05 momentum@sgd:lr=0.05,momentum=0.9 rmsprop:lr=1e-2 adagrad:lr=0.5 adam:lr=0.05',
      epochs: 20,
      batchSize: 16,
      targetLoss: 0.02,
    },
    load({ seed, limit }) {
      const data = limitTo(linearRegression({ n: 200, noise: 0.1, generator: new Generator(seed) }), limit);
      return {
        train: data,
        validation: null,
        buildModel: (generator) => new Linear(1, 1, { generator }),
        loss: (output, targets) => mseLoss(output, targets),
        details: [describeSizes(data, null), 'model: Linear(1, 1); the best possible loss is the noise variance, 0.01'],
      };
    },
  },
  rosenbrock: functionTask(
    'rosenbrock',
    TEST_FUNCTIONS.rosenbrock,
    "Rosenbrock's banana valley (1 - x)^2 + 100 (y - x^2)^2 from (-1.5, 2); minimum 0 at (1, 1)",
    {
      optimizers: 'sgd:lr=2e-3 momentum@sgd:lr=5e-4,momentum=0.9 rmsprop:lr=1e-2 adagrad:lr=1 adam:lr=0.05',
      steps: 1500,
      targetLoss: 1e-3,
    },
  ),
  beale: functionTask(
    'beale',
    TEST_FUNCTIONS.beale,
    "Beale's function with sharp ridges, from (3, 4); minimum 0 at (3, 0.5)",
    {
      optimizers:
        'sgd:lr=1e-4 momentum@sgd:lr=1e-5,momentum=0.9 rmsprop:lr=0.03 adagrad:lr=2 adam:lr=0.3,betas=[0.9,0.99]',
      steps: 1500,
      targetLoss: 1e-3,
    },
  ),
  himmelblau: functionTask(
    'himmelblau',
    TEST_FUNCTIONS.himmelblau,
    "Himmelblau's function with four minima (value 0), from (0, 0)",
    {
      optimizers: 'sgd:lr=5e-3 momentum@sgd:lr=2e-3,momentum=0.9 rmsprop:lr=1e-2 adagrad:lr=0.5 adam:lr=0.05',
      steps: 500,
      targetLoss: 1e-3,
    },
  ),
  saddle: functionTask(
    'saddle',
    TEST_FUNCTIONS.saddle,
    'the saddle x^2 - y^2 from (1, 0.001), almost on the ridge: how fast does each optimizer escape?',
    {
      optimizers: 'sgd:lr=0.02 momentum@sgd:lr=0.01,momentum=0.9 rmsprop:lr=1e-2 adagrad:lr=0.1 adam:lr=0.01',
      steps: 150,
      targetLoss: -1,
    },
  ),
  quadratic: functionTask(
    'quadratic',
    quadratic(),
    'an ill-conditioned bowl 0.5 (x^2 + 100 y^2) from (-1.5, 0.5); minimum 0 at (0, 0)',
    {
      optimizers: 'sgd:lr=0.015 momentum@sgd:lr=0.015,momentum=0.9 rmsprop:lr=1e-2 adagrad:lr=0.5 adam:lr=0.05',
      steps: 300,
      targetLoss: 1e-4,
    },
  ),
};

/**
 * The task called `name`, or a {@link UsageError} listing the tasks.
 *
 * @example
 * ```ts
 * getTask('rosenbrock').kind; // 'function'
 * ```
 */
export function getTask(name: string): Task {
  if (!Object.hasOwn(TASKS, name))
    throw new UsageError(`unknown task ${JSON.stringify(name)}${validList('tasks', Object.keys(TASKS))}`);
  return TASKS[name];
}
