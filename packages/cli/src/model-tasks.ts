// The model tasks of `nabla compare`: networks trained with `fit` on the bundled digits, MNIST, two
// spirals, a noisy line and tiny Shakespeare, with their data, split and defaults.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Generator, indexSelect, randperm, type Tensor } from '@nablajs/core';
import { linearRegression, loadDigits, sampleWindows, twoSpirals } from '@nablajs/data';
import { bundledMnistTestDir, loadMnist, loadTinyShakespeareSync } from '@nablajs/data/node';
import { Conv2d, crossEntropy, Flatten, Linear, MaxPool2d, mseLoss, ReLU, Sequential } from '@nablajs/nn';
import { CharGpt } from './char-gpt';
import type { ModelTask, TensorPair } from './tasks';
import { UsageError } from './usage-error';

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

/** The side of an MNIST image in pixels. */
const MNIST_SIZE = 28;

function mnist(dataDir: string | null, shape: 'flat' | 'image'): { data: TensorPair; source: string } {
  const dir = dataDir ?? bundledMnistTestDir();
  if (dataDir !== null && !existsSync(resolve(dataDir)))
    throw new UsageError(`--data: ${resolve(dataDir)} does not exist (expected a directory with the MNIST IDX files)`);
  const hasTrain =
    existsSync(join(dir, 'train-images-idx3-ubyte')) || existsSync(join(dir, 'train-images-idx3-ubyte.gz'));
  const split = hasTrain ? 'train' : 't10k';
  const { images, labels } = loadMnist(dir, { split, shape });
  // The networks take 28x28 images: other sizes, or none at all, are the data's fault, said before any run.
  const raw = join(resolve(dir), `${split}-images-idx3-ubyte`);
  const file = existsSync(raw) ? raw : `${raw}.gz`;
  const [count, ...size] = images.shape;
  const pixels = size.reduce((a, b) => a * b, 1);
  if (count === 0) throw new UsageError(`--data ${dataDir}: ${file} holds no images`);
  if (pixels !== MNIST_SIZE * MNIST_SIZE)
    throw new UsageError(
      `--data ${dataDir}: ${file} holds images of ${size.length === 1 ? `${pixels} pixels` : size.slice(-2).join('x')}, expected ${MNIST_SIZE}x${MNIST_SIZE} (MNIST)`,
    );
  return {
    data: { x: images, y: labels },
    source: `MNIST ${split === 'train' ? 'training' : 'test'} set from ${dataDir === null ? 'the bundled copy in @nablajs/data' : resolve(dir)}`,
  };
}

/** `count` random windows of `context` ids of `tokens` (inputs and the targets one id later), as one TensorPair. */
function windows(tokens: Int32Array, count: number, context: number, generator: Generator): TensorPair {
  return sampleWindows(tokens, { batchSize: count, contextLength: context, generator });
}

/**
 * The model tasks of {@link TASKS}, by name: networks trained with `fit` (digits, MNIST, spirals, a line, a
 * character-level GPT on tiny Shakespeare).
 *
 * @example
 * ```ts
 * MODEL_TASKS.spirals.classification; // true
 * ```
 */
export const MODEL_TASKS: Readonly<Record<string, ModelTask>> = {
  'digits-mlp': {
    kind: 'model',
    name: 'digits-mlp',
    description: 'the bundled 8x8 UCI digits (1797 images), MLP 64-64-10 with ReLU, cross-entropy; 20% held out',
    classification: true,
    usesDataDir: false,
    preferredBackend: 'wasm',
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
    preferredBackend: 'wasm',
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
    preferredBackend: 'wasm',
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
    preferredBackend: 'wasm',
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
  'tiny-shakespeare': {
    kind: 'model',
    name: 'tiny-shakespeare',
    description:
      "character-level GPT on the bundled tiny Shakespeare (nanoGPT's CPU run: 4 layers, 4 heads, width 128, context 64); 24000 windows",
    classification: true,
    usesDataDir: false,
    preferredBackend: 'wasm',
    defaults: {
      optimizers: 'adamw:lr=1e-3,betas=[0.9,0.99],weightDecay=0.1 adam:lr=1e-3,betas=[0.9,0.99]',
      epochs: 1,
      batchSize: 12,
      targetLoss: 2,
    },
    load({ seed, limit }) {
      const { vocab, train, val } = loadTinyShakespeareSync();
      const context = 64;
      // 2000 steps of 12 windows, as nanoGPT's 2000 iterations of get_batch; 240 validation windows (20 batches)
      const trainSet = windows(train, limit ?? 24000, context, new Generator(seed));
      const validation = windows(val, 240, context, new Generator(seed + 1));
      return {
        train: trainSet,
        validation,
        buildModel: (generator) => new CharGpt(vocab.size, context, 128, 4, 4, generator),
        loss: classify,
        details: [
          `${trainSet.x.shape[0]} training windows of ${context} characters (first 90% of the text), ${validation.x.shape[0]} validation windows (last 10%); ${vocab.size} characters`,
          'model: GPT, 4 pre-norm blocks (4-head causal self-attention, MLP 128-512-128 with GELU), width 128, head tied to the embedding; 804096 parameters; loss in nats per character, accuracy of the next character',
        ],
      };
    },
  },
};
