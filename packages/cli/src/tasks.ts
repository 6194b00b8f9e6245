import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Generator, indexSelect, randperm, scaledDotProductAttention, Tensor } from '@nablajs/core';
import {
  linearRegression,
  loadDigits,
  quadratic,
  sampleWindows,
  TEST_FUNCTIONS,
  type TestFunction,
  twoSpirals,
} from '@nablajs/data';
import { bundledMnistTestDir, loadMnist, loadTinyShakespeareSync } from '@nablajs/data/node';
import {
  Conv2d,
  crossEntropy,
  Embedding,
  F,
  Flatten,
  GELU,
  init,
  LayerNorm,
  Linear,
  MaxPool2d,
  Module,
  ModuleList,
  mseLoss,
  ReLU,
  Sequential,
} from '@nablajs/nn';
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
  /**
   * The backend `--backend auto` trains it on: the faster one as bench/backends.bench.ts measured it
   * (bench/results-backends.md); cpu when absent.
   */
  preferredBackend?: 'cpu' | 'wasm';
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

/** A pre-norm transformer block without biases: causal self-attention, then a 4x GELU MLP (nanoGPT's Block). */
class CharGptBlock extends Module {
  readonly ln1: LayerNorm;
  readonly qkv: Linear;
  readonly proj: Linear;
  readonly ln2: LayerNorm;
  readonly fc: Linear;
  readonly gelu = new GELU();
  readonly out: Linear;

  constructor(
    readonly width: number,
    readonly heads: number,
    generator: Generator,
    depth: number,
  ) {
    super();
    const linear = (i: number, o: number, std: number) => {
      const l = new Linear(i, o, { bias: false });
      init.normal(l.weight, 0, std, { generator });
      return l;
    };
    const residual = 0.02 / Math.sqrt(2 * depth);
    this.ln1 = this.registerModule('ln_1', new LayerNorm(width, { bias: false }));
    this.qkv = this.registerModule('c_attn', linear(width, 3 * width, 0.02));
    this.proj = this.registerModule('c_proj', linear(width, width, residual));
    this.ln2 = this.registerModule('ln_2', new LayerNorm(width, { bias: false }));
    this.fc = this.registerModule('c_fc', linear(width, 4 * width, 0.02));
    this.registerModule('gelu', this.gelu);
    this.out = this.registerModule('mlp_proj', linear(4 * width, width, residual));
  }

  forward(x: Tensor): Tensor {
    const [b, t, c] = x.shape;
    const [q, k, v] = this.qkv
      .forward(this.ln1.forward(x))
      .split(c, 2)
      .map((z) => z.reshape([b, t, this.heads, c / this.heads]).transpose(1, 2));
    const attended = scaledDotProductAttention(q, k, v, { isCausal: true }).transpose(1, 2).reshape([b, t, c]);
    const h = x.add(this.proj.forward(attended));
    return h.add(this.out.forward(this.gelu.forward(this.fc.forward(this.ln2.forward(h)))));
  }
}

/**
 * A character-level GPT (nanoGPT's model, no biases, no dropout): token and position embeddings, pre-norm
 * blocks, a final LayerNorm and a head tied to the token embedding; weights from N(0, 0.02), the residual
 * projections from N(0, 0.02 / sqrt(2 · depth)). Maps int32 ids `[B, T]` to logits `[B, vocab, T]`, the class
 * axis second as PyTorch's cross-entropy over sequences wants, so that the runner's loss and accuracy apply.
 */
class CharGpt extends Module {
  readonly wte: Embedding;
  readonly wpe: Embedding;
  readonly blocks: ModuleList;
  readonly lnF: LayerNorm;

  constructor(vocab: number, context: number, width: number, depth: number, heads: number, generator: Generator) {
    super();
    this.wte = this.registerModule('wte', new Embedding(vocab, width, { generator }));
    this.wpe = this.registerModule('wpe', new Embedding(context, width, { generator }));
    init.normal(this.wte.weight, 0, 0.02, { generator });
    init.normal(this.wpe.weight, 0, 0.02, { generator });
    const blocks = Array.from({ length: depth }, () => new CharGptBlock(width, heads, generator, depth));
    this.blocks = this.registerModule('h', new ModuleList(blocks));
    this.lnF = this.registerModule('ln_f', new LayerNorm(width, { bias: false }));
  }

  forward(idx: Tensor): Tensor {
    const t = idx.shape[1];
    const pos = new Tensor(
      Int32Array.from({ length: t }, (_, i) => i),
      [t],
      'int32',
    );
    let x = this.wte.forward(idx).add(this.wpe.forward(pos));
    for (const block of this.blocks) x = (block as CharGptBlock).forward(x);
    return F.linear(this.lnF.forward(x), this.wte.weight).transpose(1, 2);
  }
}

/** `count` random windows of `context` ids of `tokens` (inputs and the targets one id later), as one TensorPair. */
function windows(tokens: Int32Array, count: number, context: number, generator: Generator): TensorPair {
  return sampleWindows(tokens, { batchSize: count, contextLength: context, generator });
}

function functionTask(name: string, fn: TestFunction, description: string, defaults: TaskDefaults): FunctionTask {
  return { kind: 'function', name, description, fn, defaults };
}

/**
 * Every task of `nabla compare`, by name: networks trained with `fit` (digits, MNIST, spirals, a
 * line, a character-level GPT on tiny Shakespeare) and 2-D test functions (each optimizer walks from the function's customary start).
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
