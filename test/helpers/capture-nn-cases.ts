// The cases of test/capture-nn.test.ts: each nn layer or loss, how to build it, and its inputs.
import { Generator, rand, randint, randn, type Tensor, tensor } from '@nablajs/core';
import {
  AdaptiveAvgPool2d,
  AvgPool2d,
  BatchNorm1d,
  BatchNorm2d,
  binaryCrossEntropy,
  binaryCrossEntropyWithLogits,
  Conv2d,
  ConvTranspose2d,
  cosineEmbeddingLoss,
  crossEntropy,
  Dropout,
  Embedding,
  Flatten,
  GELU,
  GRU,
  GroupNorm,
  hingeEmbeddingLoss,
  huberLoss,
  klDiv,
  LayerNorm,
  Linear,
  LSTM,
  l1Loss,
  MaxPool2d,
  type Module,
  MultiheadAttention,
  marginRankingLoss,
  mseLoss,
  nllLoss,
  ReLU,
  Sequential,
  smoothL1Loss,
  Tanh,
  TransformerEncoderLayer,
} from '@nablajs/nn';

// The layers and losses of @nablajs/nn, captured with their backward (gradients cleared inside the step) and
// replayed on new inputs, on the cpu and wasm backends: a replay must give, bit for bit, what a capture of
// the same step computes as it records (outputs, gradients of the parameters and inputs, buffers such as
// BatchNorm's running statistics), and that must be what eager code computes (to float32 rounding); or the
// capture must refuse the step with a CaptureError. What must never happen is a silently wrong replay.
// packages/core/src/capture-ops.test.ts does the same for the core ops.

/** A built layer: its module (parameters and buffers; none for a loss) and the step's forward. */
export interface Built {
  module?: Module;
  f: (...xs: Tensor[]) => Tensor | (Tensor | null)[];
}

export interface Case {
  name: string;
  /** Build the layer (after `manualSeed(3)`: every build of a case gives the same parameters). */
  build: () => Built;
  /** The step's inputs for input `k` (after `manualSeed(10 + k)`). */
  inputs: (k: number) => Tensor[];
  /** The inputs that require a gradient (default: the first). */
  diff?: number[];
  /** The capture must throw a CaptureError (the step does something a replay could not repeat). */
  refused?: boolean;
}

const ints = (low: number, high: number, shape: number[]) => randint(low, high, shape, { dtype: 'int32' });
/** ±1 labels (float32). */
const signs = (shape: number[]) => ints(0, 2, shape).float().mul(2).sub(1);
/** Rows of class probabilities. */
const probabilities = (shape: number[]) => randn(shape).softmax(-1);
/** Class indices in [0, classes) with `ignoreIndex` at two positions that depend on `k`. */
function withIgnored(k: number, n: number, classes: number, ignoreIndex: number): Tensor {
  const t = Array.from(ints(0, classes, [n]).values);
  t[k % n] = ignoreIndex;
  t[(3 * k + 2) % n] = ignoreIndex;
  return tensor(t, { dtype: 'int32' });
}
/** Class weights for 4 classes. */
const classWeights = () => tensor([1, 2, 0.5, 1.5]);
/** A layer's forward on one tensor (its other arguments, if any, left at their defaults). */
const forwardOf = (module: Module) => (x: Tensor) => (module as unknown as { forward(x: Tensor): Tensor }).forward(x);
/** A layer applied to the first input. */
const layer = (module: Module): Built => ({ module, f: forwardOf(module) });
/** A BatchNorm layer with running statistics moved by two training batches, in eval mode. */
function trained<M extends Module>(m: M, shape: number[]): M {
  forwardOf(m)(randn(shape));
  forwardOf(m)(randn(shape).mul(2).add(0.5));
  return m.eval();
}

export const CASES: Case[] = [
  // layers
  { name: 'Linear', build: () => layer(new Linear(5, 3)), inputs: () => [randn([4, 5])] },
  {
    name: 'Linear without bias, 3-d input',
    build: () => layer(new Linear(5, 3, { bias: false })),
    inputs: () => [randn([2, 3, 5])],
  },
  {
    name: 'Sequential Linear/ReLU/GELU/Tanh',
    build: () =>
      layer(new Sequential(new Linear(6, 8), new ReLU(), new Linear(8, 8), new GELU(), new Linear(8, 4), new Tanh())),
    inputs: () => [randn([5, 6])],
  },
  {
    name: 'Sequential Flatten/Linear',
    build: () => layer(new Sequential(new Flatten(), new Linear(12, 5))),
    inputs: () => [randn([3, 3, 2, 2])],
  },
  { name: 'Flatten', build: () => layer(new Flatten(1, 2)), inputs: () => [randn([2, 3, 2, 2])] },
  {
    name: 'Conv2d padding 1',
    build: () => layer(new Conv2d(3, 4, 3, { padding: 1 })),
    inputs: () => [randn([2, 3, 5, 5])],
  },
  {
    name: 'Conv2d stride 2, groups 2',
    build: () => layer(new Conv2d(4, 6, 3, { stride: 2, groups: 2 })),
    inputs: () => [randn([2, 4, 7, 7])],
  },
  {
    name: 'ConvTranspose2d',
    build: () => layer(new ConvTranspose2d(3, 2, 3, { stride: 2, padding: 1, outputPadding: 1 })),
    inputs: () => [randn([2, 3, 4, 4])],
  },
  { name: 'MaxPool2d', build: () => layer(new MaxPool2d(2)), inputs: () => [randn([2, 3, 6, 6])] },
  {
    name: 'MaxPool2d with indices',
    build: () => {
      const pool = new MaxPool2d(3, { stride: 2, padding: 1, returnIndices: true });
      return { module: pool, f: (x) => pool.forward(x) };
    },
    inputs: () => [randn([2, 2, 5, 5])],
  },
  {
    name: 'AvgPool2d',
    build: () => layer(new AvgPool2d(3, { stride: 2, padding: 1, countIncludePad: false })),
    inputs: () => [randn([2, 3, 6, 6])],
  },
  { name: 'AdaptiveAvgPool2d', build: () => layer(new AdaptiveAvgPool2d([2, 3])), inputs: () => [randn([2, 3, 5, 7])] },
  {
    name: 'Conv2d/BatchNorm2d/ReLU/MaxPool2d (train)',
    build: () =>
      layer(new Sequential(new Conv2d(2, 3, 3, { padding: 1 }), new BatchNorm2d(3), new ReLU(), new MaxPool2d(2))),
    inputs: () => [randn([2, 2, 4, 4])],
  },
  { name: 'BatchNorm1d [N, C] (train)', build: () => layer(new BatchNorm1d(4)), inputs: () => [randn([6, 4]).mul(3)] },
  { name: 'BatchNorm1d [N, C, L] (train)', build: () => layer(new BatchNorm1d(3)), inputs: () => [randn([4, 3, 5])] },
  {
    name: 'BatchNorm1d without running stats (train)',
    build: () => layer(new BatchNorm1d(3, { trackRunningStats: false })),
    inputs: () => [randn([4, 3])],
  },
  {
    name: 'BatchNorm2d (train)',
    build: () => layer(new BatchNorm2d(3, { momentum: 0.3 })),
    inputs: () => [randn([2, 3, 4, 4]).add(1)],
  },
  {
    name: 'BatchNorm1d cumulative average (train: reads the batch count in JavaScript)',
    build: () => layer(new BatchNorm1d(4, { momentum: null })),
    inputs: () => [randn([6, 4])],
    refused: true,
  },
  {
    name: 'BatchNorm1d (eval)',
    build: () => layer(trained(new BatchNorm1d(4), [6, 4])),
    inputs: () => [randn([5, 4])],
  },
  {
    name: 'BatchNorm2d (eval)',
    build: () => layer(trained(new BatchNorm2d(3), [2, 3, 4, 4])),
    inputs: () => [randn([2, 3, 3, 3])],
  },
  { name: 'LayerNorm', build: () => layer(new LayerNorm(8)), inputs: () => [randn([2, 3, 8]).mul(2)] },
  { name: 'LayerNorm [3, 4]', build: () => layer(new LayerNorm([3, 4])), inputs: () => [randn([2, 3, 4])] },
  { name: 'GroupNorm', build: () => layer(new GroupNorm(2, 4)), inputs: () => [randn([3, 4, 5])] },
  { name: 'GroupNorm 2-d', build: () => layer(new GroupNorm(3, 6)), inputs: () => [randn([2, 6, 3, 3])] },
  {
    name: 'Embedding (indices as a second static input)',
    build: () => {
      const emb = new Embedding(10, 4);
      return { module: emb, f: (x, idx) => emb.forward(idx).mul(x) };
    },
    inputs: () => [randn([3, 5, 4]), ints(0, 10, [3, 5])],
  },
  {
    name: 'Embedding paddingIdx',
    build: () => {
      const emb = new Embedding(6, 3, { paddingIdx: 0 });
      return { module: emb, f: (x, idx) => emb.forward(idx).add(x) };
    },
    inputs: () => [randn([8, 3]), ints(0, 6, [8])],
  },
  {
    name: 'Embedding maxNorm',
    build: () => {
      const emb = new Embedding(6, 3, { maxNorm: 1.5 });
      return { module: emb, f: (x, idx) => emb.forward(idx).mul(x) };
    },
    inputs: () => [randn([8, 3]), ints(0, 6, [8])],
  },
  {
    name: 'Dropout (eval)',
    build: () => layer(new Sequential(new Linear(5, 4), new Dropout(0.5)).eval()),
    inputs: () => [randn([3, 5])],
  },
  {
    name: 'Dropout (train: draws a mask)',
    build: () => layer(new Sequential(new Linear(5, 4), new Dropout(0.5))),
    inputs: () => [randn([3, 5])],
    refused: true,
  },
  {
    name: 'Dropout with a generator (train: draws a mask)',
    build: () => layer(new Dropout(0.3, { generator: new Generator(5) })),
    inputs: () => [randn([3, 5])],
    refused: true,
  },
  {
    name: 'MultiheadAttention self-attention',
    build: () => {
      const mha = new MultiheadAttention(8, 2, { batchFirst: true });
      return {
        module: mha,
        f: (x) => {
          const { output, weights } = mha.forward(x, x, x);
          return [output, weights];
        },
      };
    },
    inputs: () => [randn([2, 4, 8])],
  },
  {
    name: 'MultiheadAttention cross-attention with masks',
    build: () => {
      const mha = new MultiheadAttention(8, 2, { kdim: 6, vdim: 5 });
      const pad = tensor(
        [
          [0, 0, 0, 1, 1],
          [0, 0, 0, 0, 1],
        ],
        { dtype: 'int32' },
      );
      const attnMask = tensor(
        [
          [0, 0, 0, 1, 1],
          [0, 0, 1, 0, 1],
          [0, 0, 0, 0, 0],
        ],
        { dtype: 'int32' },
      );
      return {
        module: mha,
        f: (q, k, v) => {
          const { output, weights } = mha.forward(q, k, v, {
            keyPaddingMask: pad,
            attnMask,
            averageAttnWeights: false,
          });
          return [output, weights];
        },
      };
    },
    inputs: () => [randn([3, 2, 8]), randn([5, 2, 6]), randn([5, 2, 5])],
    diff: [0, 1, 2],
  },
  {
    name: 'TransformerEncoderLayer (dropout 0)',
    build: () => layer(new TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0, batchFirst: true })),
    inputs: () => [randn([2, 5, 8])],
  },
  {
    name: 'TransformerEncoderLayer normFirst, gelu, causal (dropout 0)',
    build: () => {
      const enc = new TransformerEncoderLayer(8, 4, {
        dimFeedforward: 12,
        dropout: 0,
        activation: 'gelu',
        normFirst: true,
      });
      const causal = tensor(
        Array.from({ length: 16 }, (_, i) => (i % 4 > Math.floor(i / 4) ? 1 : 0)),
        { dtype: 'int32', shape: [4, 4] },
      );
      return { module: enc, f: (x) => enc.forward(x, { srcMask: causal }) };
    },
    inputs: () => [randn([4, 3, 8])],
  },
  {
    name: 'LSTM 2 layers',
    build: () => {
      const lstm = new LSTM(4, 6, { numLayers: 2 });
      return {
        module: lstm,
        f: (x) => {
          const { output, h, c } = lstm.forward(x);
          return [output, h, c];
        },
      };
    },
    inputs: () => [randn([5, 2, 4])],
  },
  {
    name: 'LSTM with an initial state',
    build: () => {
      const lstm = new LSTM(3, 4, { batchFirst: true });
      return {
        module: lstm,
        f: (x, h0, c0) => {
          const { output, h, c } = lstm.forward(x, { h: h0, c: c0 });
          return [output, h, c];
        },
      };
    },
    inputs: () => [randn([2, 4, 3]), randn([1, 2, 4]), randn([1, 2, 4])],
    diff: [0, 1, 2],
  },
  {
    name: 'GRU bidirectional',
    build: () => {
      const gru = new GRU(4, 5, { bidirectional: true, batchFirst: true });
      return {
        module: gru,
        f: (x) => {
          const { output, h } = gru.forward(x);
          return [output, h];
        },
      };
    },
    inputs: () => [randn([2, 6, 4])],
  },
  // losses
  {
    name: 'mseLoss',
    build: () => ({ f: (x, y) => mseLoss(x, y) }),
    inputs: () => [randn([4, 3]), randn([4, 3])],
    diff: [0, 1],
  },
  {
    name: 'mseLoss sum',
    build: () => ({ f: (x, y) => mseLoss(x, y, { reduction: 'sum' }) }),
    inputs: () => [randn([4, 3]), randn([4, 3])],
  },
  {
    name: 'l1Loss',
    build: () => ({ f: (x, y) => l1Loss(x, y) }),
    inputs: () => [randn([4, 3]), randn([4, 3])],
    diff: [0, 1],
  },
  {
    name: 'smoothL1Loss',
    build: () => ({ f: (x, y) => smoothL1Loss(x, y, { beta: 0.5 }) }),
    inputs: () => [randn([4, 3]), randn([4, 3])],
    diff: [0, 1],
  },
  {
    name: 'huberLoss',
    build: () => ({ f: (x, y) => huberLoss(x, y, { delta: 0.7, reduction: 'none' }) }),
    inputs: () => [randn([4, 3]), randn([4, 3])],
    diff: [0, 1],
  },
  {
    name: 'binaryCrossEntropy of a Linear',
    build: () => {
      const fc = new Linear(4, 3);
      const weight = tensor([0.5, 1, 2]);
      return { module: fc, f: (x, y) => binaryCrossEntropy(fc.forward(x).sigmoid(), y, { weight }) };
    },
    inputs: () => [randn([5, 4]), rand([5, 3])],
    diff: [0, 1],
  },
  {
    name: 'binaryCrossEntropyWithLogits',
    build: () => ({ f: (x, y) => binaryCrossEntropyWithLogits(x, y, { posWeight: tensor([1, 3, 0.5]) }) }),
    inputs: () => [randn([5, 3]).mul(3), rand([5, 3])],
    diff: [0, 1],
  },
  {
    name: 'nllLoss (weight, ignoreIndex)',
    build: () => {
      const weight = classWeights();
      return { f: (x, t) => nllLoss(x.logSoftmax(1), t, { weight, ignoreIndex: 2 }) };
    },
    inputs: () => [randn([6, 4]), ints(0, 4, [6])],
  },
  {
    name: 'crossEntropy of a Linear, class indices',
    build: () => {
      const fc = new Linear(5, 4);
      return { module: fc, f: (x, t) => crossEntropy(fc.forward(x), t) };
    },
    inputs: () => [randn([8, 5]), ints(0, 4, [8])],
  },
  {
    name: 'crossEntropy class indices, weight',
    build: () => {
      const weight = classWeights();
      return { f: (x, t) => crossEntropy(x, t, { weight }) };
    },
    inputs: () => [randn([8, 4]), ints(0, 4, [8])],
  },
  {
    name: 'crossEntropy class indices, ignoreIndex',
    build: () => ({ f: (x, t) => crossEntropy(x, t, { ignoreIndex: -1 }) }),
    inputs: (k) => [randn([8, 4]), withIgnored(k, 8, 4, -1)],
  },
  {
    name: 'crossEntropy class indices, weight and ignoreIndex, sum',
    build: () => {
      const weight = classWeights();
      return { f: (x, t) => crossEntropy(x, t, { weight, reduction: 'sum' }) };
    },
    inputs: (k) => [randn([8, 4]), withIgnored(k, 8, 4, -100)],
  },
  {
    name: 'crossEntropy class indices, labelSmoothing, weight, ignoreIndex',
    build: () => {
      const weight = classWeights();
      return { f: (x, t) => crossEntropy(x, t, { labelSmoothing: 0.1, weight, ignoreIndex: 3 }) };
    },
    inputs: () => [randn([8, 4]), ints(0, 4, [8])],
  },
  // Tensors made from JavaScript values inside the step (`tensor()`: zeroed, then written) that a host task reads
  // before any kernel does (class weights and targets in classPicks, ±1 labels in checkSignLabels): the capture
  // writes their values again before the task on every replay (they were read as zeros before that was fixed).
  {
    name: 'nllLoss with a weight made inside the step',
    build: () => ({ f: (x, t) => nllLoss(x.logSoftmax(1), t, { weight: tensor([1, 2, 0.5, 1.5]), ignoreIndex: 2 }) }),
    inputs: () => [randn([6, 4]), ints(0, 4, [6])],
  },
  {
    name: 'crossEntropy sum with a weight made inside the step',
    build: () => ({ f: (x, t) => crossEntropy(x, t, { weight: tensor([1, 2, 0.5, 1.5]), reduction: 'sum' }) }),
    inputs: (k) => [randn([8, 4]), withIgnored(k, 8, 4, -100)],
  },
  {
    name: 'crossEntropy mean (fused) with a weight made inside the step',
    build: () => ({ f: (x, t) => crossEntropy(x, t, { weight: tensor([1, 2, 0.5, 1.5]) }) }),
    inputs: () => [randn([8, 4]), ints(0, 4, [8])],
  },
  {
    name: 'crossEntropy with targets made inside the step',
    build: () => ({ f: (x) => crossEntropy(x, tensor([3, 1, 2, 0, 2, 1], { dtype: 'int32' })) }),
    inputs: () => [randn([6, 4])],
  },
  {
    name: 'marginRankingLoss with labels made inside the step',
    build: () => ({ f: (a, b) => marginRankingLoss(a, b, tensor([1, -1, 1, 1, -1, -1]), { margin: 0.2 }) }),
    inputs: () => [randn([6]), randn([6])],
    diff: [0, 1],
  },
  {
    name: 'crossEntropy class indices [N, C, d], none',
    build: () => ({ f: (x, t) => crossEntropy(x, t, { reduction: 'none' }) }),
    inputs: () => [randn([3, 4, 5]), ints(0, 4, [3, 5])],
  },
  {
    name: 'crossEntropy probabilities',
    build: () => ({ f: (x, q) => crossEntropy(x, q) }),
    inputs: () => [randn([6, 4]), probabilities([6, 4])],
    diff: [0, 1],
  },
  {
    name: 'crossEntropy probabilities, labelSmoothing and weight',
    build: () => {
      const weight = classWeights();
      return { f: (x, q) => crossEntropy(x, q, { labelSmoothing: 0.2, weight }) };
    },
    inputs: () => [randn([6, 4]), probabilities([6, 4])],
    diff: [0, 1],
  },
  {
    name: 'klDiv batchmean',
    build: () => ({ f: (x, q) => klDiv(x.logSoftmax(1), q, { reduction: 'batchmean' }) }),
    inputs: () => [randn([5, 4]), probabilities([5, 4])],
    diff: [0, 1],
  },
  {
    name: 'klDiv logTarget',
    build: () => ({ f: (x, q) => klDiv(x.logSoftmax(1), q.logSoftmax(1), { logTarget: true }) }),
    inputs: () => [randn([5, 4]), randn([5, 4])],
    diff: [0, 1],
  },
  {
    name: 'cosineEmbeddingLoss',
    build: () => ({ f: (a, b, y) => cosineEmbeddingLoss(a, b, y, { margin: 0.1 }) }),
    inputs: () => [randn([6, 4]), randn([6, 4]), signs([6])],
    diff: [0, 1],
  },
  {
    name: 'marginRankingLoss',
    build: () => ({ f: (a, b, y) => marginRankingLoss(a, b, y, { margin: 0.2 }) }),
    inputs: () => [randn([6]), randn([6]), signs([6])],
    diff: [0, 1],
  },
  {
    name: 'hingeEmbeddingLoss',
    build: () => ({ f: (x, y) => hingeEmbeddingLoss(x, y, { margin: 0.5 }) }),
    inputs: () => [randn([6]).abs(), signs([6])],
  },
];
