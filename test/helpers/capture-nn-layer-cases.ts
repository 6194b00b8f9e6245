// The nn layers of test/capture-nn.test.ts: how to build each, and its inputs.
import { Generator, randn, tensor } from '@nablajs/core';
import {
  AdaptiveAvgPool2d,
  AvgPool2d,
  BatchNorm1d,
  BatchNorm2d,
  Conv2d,
  ConvTranspose2d,
  Dropout,
  Embedding,
  Flatten,
  GELU,
  GRU,
  GroupNorm,
  LayerNorm,
  Linear,
  LSTM,
  MaxPool2d,
  MultiheadAttention,
  ReLU,
  Sequential,
  Tanh,
  TransformerEncoderLayer,
} from '@nablajs/nn';

import { type Case, ints, layer, trained } from './capture-nn-cases';

export const LAYER_CASES: Case[] = [
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
];
