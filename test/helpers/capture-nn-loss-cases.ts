// The nn losses of test/capture-nn.test.ts: each loss, and its inputs.
import { rand, randn, tensor } from '@nablajs/core';
import {
  binaryCrossEntropy,
  binaryCrossEntropyWithLogits,
  cosineEmbeddingLoss,
  crossEntropy,
  hingeEmbeddingLoss,
  huberLoss,
  klDiv,
  Linear,
  l1Loss,
  marginRankingLoss,
  mseLoss,
  nllLoss,
  smoothL1Loss,
} from '@nablajs/nn';

import { type Case, classWeights, ints, probabilities, signs, withIgnored } from './capture-nn-cases';

export const LOSS_CASES: Case[] = [
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
