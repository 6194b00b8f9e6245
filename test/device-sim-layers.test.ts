// Every kind of layer, activation and loss on the simulated device (test/helpers/device-sim.ts): forward and
// backward from inputs computed there must give the cpu backend's outputs and gradients bit for bit, with no
// synchronous read refused, as on the webgpu backend, where such a read throws a HostReadError.
import { bringToHost, manualSeed, randn, type Tensor, tensor } from '@nablajs/core';
import * as nn from '@nablajs/nn';
import { afterEach, describe, expect, it } from 'vitest';
import { startDeviceSim, stopDeviceSim } from './helpers/device-sim';

afterEach(() => stopDeviceSim());

type Case = [string, () => Tensor[]];

/** The output and the input's gradient of the sum of squares of `y`. */
function grad(x: Tensor, y: Tensor): Tensor[] {
  y.square().sum().backward();
  return [y, x.grad as Tensor];
}

type AnyLayer = new (...args: unknown[]) => { forward(...args: unknown[]): unknown; parameters(): Tensor[] };
const LAYERS = nn as unknown as Record<string, AnyLayer>;

/** Layer `name` made with `args`, on an input of `shape`: its output, the input's gradient and its parameters' gradients. */
function layer(
  name: string,
  args: unknown[],
  shape: number[],
  pick: (o: unknown) => Tensor = (o) => o as Tensor,
): Case {
  return [
    name,
    () => {
      const m = new LAYERS[name](...args);
      const x = randn(shape, { requiresGrad: true });
      const y = pick(m.forward(x.mul(1)));
      y.square().sum().backward();
      return [y, x.grad as Tensor, ...m.parameters().map((p) => p.grad ?? p)];
    },
  ];
}

const recurrentOutput = (o: unknown) => (o as { output: Tensor }).output;

const CASES: Case[] = [
  layer('LSTM', [4, 5], [3, 2, 4], recurrentOutput),
  layer('GRU', [4, 5], [3, 2, 4], recurrentOutput),
  layer('RNN', [4, 5], [3, 2, 4], recurrentOutput),
  layer('Conv1d', [2, 3, 3], [2, 2, 9]),
  layer('ConvTranspose2d', [2, 3, 3, { stride: 2 }], [1, 2, 4, 4]),
  layer('ConvTranspose1d', [2, 3, 3], [1, 2, 6]),
  layer('Upsample', [{ scaleFactor: 2, mode: 'bilinear' }], [1, 2, 3, 3]),
  layer('Upsample', [{ scaleFactor: 2 }], [1, 2, 3, 3]),
  layer('ReflectionPad2d', [1], [1, 2, 3, 3]),
  layer('ReplicationPad1d', [2], [1, 2, 4]),
  layer('GroupNorm', [2, 4], [2, 4, 3]),
  layer('RMSNorm', [4], [3, 4]),
  layer('InstanceNorm1d', [3], [2, 3, 5]),
  layer('AdaptiveAvgPool1d', [3], [2, 2, 7]),
  layer('AdaptiveMaxPool2d', [[2, 3]], [1, 2, 5, 7]),
  layer('AvgPool1d', [2], [1, 2, 6]),
  layer('AvgPool2d', [2], [1, 2, 6, 6]),
  layer('MaxPool2d', [2], [1, 2, 6, 6]),
  layer('PReLU', [], [3, 4]),
  layer('GLU', [], [3, 4]),
  layer('CELU', [], [3, 4]),
  layer('SELU', [], [3, 4]),
  layer('Mish', [], [3, 4]),
  layer('Hardswish', [], [3, 4]),
  layer('Hardsigmoid', [], [3, 4]),
  layer('Hardtanh', [], [3, 4]),
  layer('ReLU6', [], [3, 4]),
  layer('ELU', [], [3, 4]),
  layer('GELU', [], [3, 4]),
  layer('SiLU', [], [3, 4]),
  layer('Softplus', [], [3, 4]),
  layer('LeakyReLU', [], [3, 4]),
  layer('Softmax', [1], [3, 4]),
  layer('LogSoftmax', [1], [3, 4]),
  layer('Tanh', [], [3, 4]),
  layer('Sigmoid', [], [3, 4]),
  [
    'decoder',
    () => {
      const m = new nn.TransformerDecoderLayer(8, 2, { dimFeedforward: 16, dropout: 0 } as never);
      const x = randn([3, 2, 8], { requiresGrad: true });
      const y = m.forward(x.mul(1), x.mul(2)) as Tensor;
      return grad(x, y);
    },
  ],
  [
    'mha weights',
    () => {
      const m = new nn.MultiheadAttention(8, 2);
      const x = randn([3, 2, 8], { requiresGrad: true });
      const o = m.forward(x.mul(1), x.mul(1), x.mul(1), { needWeights: true } as never);
      o.output
        .sum()
        .add((o.weights as Tensor).sum())
        .backward();
      return [o.output, o.weights as Tensor, x.grad as Tensor];
    },
  ],
  [
    'poissonNll',
    () => {
      const x = randn([4], { requiresGrad: true });
      return grad(x, nn.poissonNllLoss(x.mul(1), tensor([1, 2, 0, 3]).mul(1)) as Tensor);
    },
  ],
  [
    'softMargin',
    () => {
      const x = randn([4], { requiresGrad: true });
      return grad(x, nn.softMarginLoss(x.mul(1), tensor([1, -1, 1, -1]).mul(1)) as Tensor);
    },
  ],
  [
    'multilabelSoftMargin',
    () => {
      const x = randn([2, 3], { requiresGrad: true });
      return grad(
        x,
        nn.multilabelSoftMarginLoss(
          x.mul(1),
          tensor([
            [1, 0, 1],
            [0, 1, 0],
          ]).mul(1),
        ) as Tensor,
      );
    },
  ],
  [
    'tripletMargin',
    () => {
      const x = randn([2, 3], { requiresGrad: true });
      return grad(x, nn.tripletMarginLoss(x.mul(1), x.mul(2), x.mul(-1)) as Tensor);
    },
  ],
  [
    'klDiv',
    () => {
      const x = randn([2, 3], { requiresGrad: true });
      return grad(x, nn.klDiv(x.logSoftmax(1), randn([2, 3]).softmax(1)) as Tensor);
    },
  ],
  [
    'huber',
    () => {
      const x = randn([2, 3], { requiresGrad: true });
      return grad(x, nn.huberLoss(x.mul(1), randn([2, 3]).mul(1)) as Tensor);
    },
  ],
  [
    'smoothL1',
    () => {
      const x = randn([2, 3], { requiresGrad: true });
      return grad(x, nn.smoothL1Loss(x.mul(1), randn([2, 3]).mul(1)) as Tensor);
    },
  ],
  [
    'l1',
    () => {
      const x = randn([2, 3], { requiresGrad: true });
      return grad(x, nn.l1Loss(x.mul(1), randn([2, 3]).mul(1)) as Tensor);
    },
  ],
  [
    'F.dropout',
    () => {
      const x = randn([4, 4], { requiresGrad: true });
      return grad(x, nn.F.dropout(x.mul(1), 0.3, true) as Tensor);
    },
  ],
  [
    'F.pad reflect',
    () => {
      const x = randn([1, 2, 4], { requiresGrad: true });
      return grad(x, nn.F.pad(x.mul(1), [1, 1], { mode: 'reflect' }) as Tensor);
    },
  ],
  [
    'F.interpolate',
    () => {
      const x = randn([1, 1, 3, 3], { requiresGrad: true });
      return grad(x, nn.F.interpolate(x.mul(1), { size: [5, 4], mode: 'bilinear' } as never) as Tensor);
    },
  ],
  [
    'F.oneHot-less ce probs',
    () => {
      const x = randn([3, 4], { requiresGrad: true });
      return grad(x, nn.crossEntropy(x.mul(1), randn([3, 4]).softmax(1)) as Tensor);
    },
  ],
];

describe('layers, activations and losses on the simulated device', () => {
  for (const [name, fn] of CASES)
    it(`${name}: the cpu outputs and gradients, no synchronous read`, async () => {
      manualSeed(3);
      const cpu = fn().map((t) => Array.from(t.values));
      const stats = startDeviceSim();
      manualSeed(3);
      const outs = fn();
      await bringToHost(outs);
      expect(stats.refused).toEqual([]);
      expect(stats.deviceKernels).toBeGreaterThan(0);
      expect(outs.map((t) => Array.from(t.values))).toEqual(cpu);
    });
});
