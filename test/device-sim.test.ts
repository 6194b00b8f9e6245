// Ops, layers and training steps on a simulated device (test/helpers/device-sim.ts): a backend whose
// float32/int32 kernel outputs cannot be read synchronously until awaited, as on the webgpu backend. Each
// case runs on the cpu backend, then on the simulated device from inputs computed there, and must give the
// cpu's results without a refused synchronous read; checks of values on the device throw at the await.
import {
  adaptiveMaxPool2dWithIndices,
  bringToHost,
  cast,
  HostReadError,
  IndexError,
  manualSeed,
  max,
  maxPool2dWithIndices,
  maxUnpool2d,
  norm,
  oneHot,
  pow,
  prod,
  randn,
  scaledDotProductAttention,
  scatterAdd,
  type Tensor,
  take,
  tensor,
  ValueError,
  zeros,
} from '@nablajs/core';
import {
  BatchNorm1d,
  BatchNorm2d,
  Conv2d,
  crossEntropy,
  Embedding,
  Flatten,
  InstanceNorm2d,
  init,
  Linear,
  MaxPool2d,
  ReLU,
  Sequential,
} from '@nablajs/nn';
import { reduceLROnPlateau } from '@nablajs/optim';
import { adam } from '@nablajs/optim-adam';
import {
  earlyStopping,
  gradientAccumulation,
  gradientClipping,
  gradientMonitor,
  lrScheduler,
  nanGuard,
  fit as trainLoop,
} from '@nablajs/train';
import { afterEach, describe, expect, it } from 'vitest';
import { type DeviceSimStats, startDeviceSim, stopDeviceSim } from './helpers/device-sim';

afterEach(() => stopDeviceSim());

/** `fn` on the cpu backend, then on the simulated device (same seed): both results and the device's counts. */
async function onBoth(fn: () => Tensor[]): Promise<{ cpu: number[][]; device: number[][]; stats: DeviceSimStats }> {
  manualSeed(7);
  const cpu = fn().map((t) => Array.from(t.values));
  const stats = startDeviceSim();
  manualSeed(7);
  const outs = fn();
  await bringToHost(outs);
  const device = outs.map((t) => Array.from(t.values));
  stopDeviceSim();
  return { cpu, device, stats };
}

/** The largest absolute difference between two lists of arrays of the same shapes. */
function maxDiff(a: number[][], b: number[][]): number {
  let d = 0;
  a.forEach((row, i) => {
    expect(b[i].length).toBe(row.length);
    row.forEach((v, j) => {
      d = Math.max(d, Math.abs(v - b[i][j]));
    });
  });
  return d;
}

describe('the simulated device', () => {
  it('refuses a synchronous read of a kernel output until it is awaited, and counts the refusal', async () => {
    const stats = startDeviceSim();
    const x = tensor([1, -2, 3]);
    expect(Array.from(x.values)).toEqual([1, -2, 3]); // made on the host
    const y = x.relu();
    expect(() => y.values).toThrow(HostReadError);
    expect(stats.refused).toEqual(['Tensor.values']);
    expect(await y.toArrayAsync()).toEqual([1, 0, 3]);
    expect(stats.deviceKernels).toBeGreaterThan(0);
  });
});

describe('ops whose backward or checks read values, on the simulated device', () => {
  it('norm (p = 2, 3, inf) and prod backward, and max over an axis, give the cpu gradients', async () => {
    for (const p of [2, 3, Number.POSITIVE_INFINITY]) {
      const r = await onBoth(() => {
        const x = randn([4, 5], { requiresGrad: true });
        // a zero row: the safe-norm path; ties in the inf norm split the gradient
        const y = x.mul(tensor([[1], [0], [1], [1]]));
        norm(y, p, 1).sum().backward();
        return [x.grad as Tensor];
      });
      expect(r.stats.refused, `p ${p}`).toEqual([]);
      expect(r.device, `p ${p}`).toEqual(r.cpu);
    }
    const r = await onBoth(() => {
      const x = randn([3, 4], { requiresGrad: true });
      prod(x.mul(1), 1).sum().backward();
      (max(x.mul(2), 1) as Tensor).sum().backward();
      return [x.grad as Tensor];
    });
    expect(r.stats.refused).toEqual([]);
    // on a device prod's backward always takes the exact product of the others (no scan for zeros)
    expect(maxDiff(r.cpu, r.device)).toBeLessThan(1e-6);
  });

  it('take, scatterAdd and maxUnpool2d with indices computed on the device', async () => {
    const r = await onBoth(() => {
      const x = randn([3, 4]);
      const index = tensor(
        [
          [0, -1],
          [5, -12],
        ],
        { dtype: 'int32' },
      ).mul(1);
      const taken = take(x.mul(1), index);
      const added = scatterAdd(x.mul(1), 0, tensor([[2, 0, 1, 2]], { dtype: 'int32' }).add(0), randn([1, 4]));
      const { values, indices } = maxPool2dWithIndices(randn([1, 2, 4, 4]).mul(1), { kernelSize: 2 });
      // the adaptive pool's index kernel waits for its input (a cpu kernel): its indices are copied behind it
      const adaptive = adaptiveMaxPool2dWithIndices(randn([1, 2, 5, 5]).mul(1), 2);
      return [taken, added, maxUnpool2d(values, indices, 2), adaptive.values, cast(adaptive.indices, 'float32')];
    });
    expect(r.stats.refused).toEqual([]);
    expect(r.device).toEqual(r.cpu);
  });

  it('oneHot with numClasses, and an int32 attention mask, checked on the device', async () => {
    const r = await onBoth(() => {
      const classes = oneHot(tensor([2, 0, 1], { dtype: 'int32' }).add(0), 4);
      const q = randn([2, 3, 4]);
      const mask = tensor(
        [
          [1, 0, 1],
          [1, 1, 0],
          [0, 1, 1],
        ],
        { dtype: 'int32' },
      ).mul(1);
      return [classes, scaledDotProductAttention(q, q.mul(1), q, { attnMask: mask })];
    });
    expect(r.stats.refused).toEqual([]);
    expect(r.device).toEqual(r.cpu);
  });

  it('throws the checks of values on the device when they are awaited, with the cpu messages', async () => {
    const cases: [string, () => Tensor, RegExp, typeof ValueError | typeof IndexError][] = [
      [
        'gather index',
        () => take(randn([2, 2]), tensor([4], { dtype: 'int32' }).add(0)),
        /^take: index 4 is out of range/,
        IndexError,
      ],
      [
        'oneHot',
        () => oneHot(tensor([1, 5], { dtype: 'int32' }).add(0), 3),
        /^oneHot: class index 5 is out of range for numClasses 3/,
        IndexError,
      ],
      [
        'pow',
        () => pow(tensor([2], { dtype: 'int32' }), tensor([-1], { dtype: 'int32' }).add(0)),
        /exponent -1 on int32 tensors/,
        ValueError,
      ],
      [
        'attention mask',
        () => {
          const q = randn([1, 2, 2]);
          return scaledDotProductAttention(q, q, q, {
            attnMask: tensor(
              [
                [1, 2],
                [1, 1],
              ],
              { dtype: 'int32' },
            ).mul(1),
          });
        },
        /an int32 attnMask is a boolean mask and must hold only 0 and 1, got 2 at flat index 1/,
        ValueError,
      ],
    ];
    for (const [name, make, message, kind] of cases) {
      // on the cpu backend the same check throws at once
      expect(make, name).toThrow(message);
      startDeviceSim();
      const out = make();
      const read = bringToHost([out]);
      await expect(read, name).rejects.toThrow(message);
      await expect(read, name).rejects.toBeInstanceOf(kind);
      stopDeviceSim();
    }
  });
});

describe('layers and training on the simulated device', () => {
  it('trains a CNN with batch norm (Adam): the parameters of the cpu backend, the running statistics within float32 rounding', async () => {
    let model: Sequential | null = null;
    const r = await onBoth(() => {
      const m = new Sequential(
        new Conv2d(1, 4, 3),
        new BatchNorm2d(4),
        new ReLU(),
        new MaxPool2d(2),
        new Flatten(),
        new Linear(36, 3),
      );
      model = m;
      const opt = adam(m.parameters(), { lr: 1e-2 });
      const x = randn([5, 1, 8, 8]);
      const y = tensor([0, 1, 2, 1, 0], { dtype: 'int32' });
      for (let i = 0; i < 3; i++) {
        opt.zeroGrad();
        crossEntropy(m.forward(x), y).backward();
        opt.step();
      }
      return [...m.parameters(), ...m.buffers()];
    });
    expect(r.stats.refused).toEqual([]);
    const params = (model as unknown as Sequential).parameters().length;
    expect(r.device.slice(0, params)).toEqual(r.cpu.slice(0, params));
    // running mean and variance: float32 ops on the device, one rounding in doubles on the cpu
    const stats = maxDiff(r.cpu.slice(params), r.device.slice(params));
    expect(stats).toBeLessThan(1e-6);
    expect(r.cpu.slice(params)).not.toEqual([]);
  });

  it('BatchNorm1d and InstanceNorm2d (running statistics) from inputs on the device', async () => {
    const r = await onBoth(() => {
      const bn = new BatchNorm1d(6);
      const inorm = new InstanceNorm2d(3, { trackRunningStats: true });
      const x = randn([5, 6], { requiresGrad: true });
      const img = randn([2, 3, 4, 4], { requiresGrad: true });
      bn.forward(x.mul(1)).square().sum().backward();
      inorm.forward(img.mul(1)).square().sum().backward();
      return [x.grad as Tensor, img.grad as Tensor, ...bn.buffers(), ...inorm.buffers()];
    });
    expect(r.stats.refused).toEqual([]);
    expect(maxDiff(r.cpu, r.device)).toBeLessThan(1e-6);
    expect(r.device.slice(0, 2)).toEqual(r.cpu.slice(0, 2)); // the gradients: the same ops
  });

  it('Embedding with indices from the device, a padding row and maxNorm', async () => {
    const r = await onBoth(() => {
      const e = new Embedding(10, 4, { paddingIdx: 1, maxNorm: 0.5 });
      const i = tensor(
        [
          [1, 2],
          [3, 2],
        ],
        { dtype: 'int32' },
      ).add(0);
      e.forward(i).square().sum().backward();
      return [e.weight.grad as Tensor, e.weight];
    });
    expect(r.stats.refused).toEqual([]);
    expect(r.device).toEqual(r.cpu);
    const bad = new Embedding(4, 2);
    startDeviceSim();
    const out = bad.forward(tensor([0, 4], { dtype: 'int32' }).add(0));
    await expect(bringToHost([out])).rejects.toThrow(/^Embedding\(4, 2\): index 4 is out of range for 4 embeddings/);
  });

  it('loads a state dict and re-initialises weights whose values are on the device, in the cpu order of draws', async () => {
    const r = await onBoth(() => {
      const a = new Linear(3, 2);
      const b = new Linear(3, 2);
      const opt = adam(a.parameters(), { lr: 0.1 });
      a.forward(randn([4, 3]))
        .square()
        .sum()
        .backward();
      opt.step(); // a's weights are now kernel outputs
      b.loadStateDict(a.stateDict());
      init.normal(a.weight, 0, 1); // drawn now, copied in by a kernel
      const kept = randn([2]); // the next draw: the same one on both backends
      return [b.weight, b.bias as Tensor, a.weight, kept];
    });
    // stateDict() and the initialiser ask whether the weights are on the host (they are not) and copy or
    // draw into new arrays instead; a read that threw would have failed the run
    expect(new Set(r.stats.refused)).toEqual(new Set(['Tensor.values']));
    expect(r.device).toEqual(r.cpu);
    expect(r.cpu[0]).not.toEqual(r.cpu[2]);
  });

  it('zeros, a scatter into them and a cross-entropy on the device', async () => {
    const r = await onBoth(() => {
      const logits = randn([4, 3], { requiresGrad: true });
      const l = crossEntropy(logits.mul(1), tensor([0, 2, 1, 2], { dtype: 'int32' }));
      l.backward();
      return [l, logits.grad as Tensor, scatterAdd(zeros([2]), 0, tensor([1], { dtype: 'int32' }), tensor([5]))];
    });
    expect(r.stats.refused).toEqual([]);
    expect(r.device).toEqual(r.cpu);
  });
});

describe('fit() on the simulated device', () => {
  it('trains a CNN with batch norm and every built-in plugin that reads values, to the cpu history', async () => {
    const n = 12;
    const histories: Record<string, number>[][] = [];
    let sim: DeviceSimStats | null = null;
    for (const device of [false, true]) {
      manualSeed(3);
      const model = new Sequential(
        new Conv2d(1, 3, 3),
        new BatchNorm2d(3),
        new ReLU(),
        new Flatten(),
        new Linear(3 * 4 * 4, 3),
      );
      const x = randn([n, 1, 6, 6]);
      const y = tensor(
        Array.from({ length: n }, (_, i) => (i * 5) % 3),
        { dtype: 'int32' },
      );
      if (device) sim = startDeviceSim();
      const optimizer = adam(model.parameters(), { lr: 0.02 });
      const batches: Record<string, number>[] = [];
      const { history } = await trainLoop({
        model,
        data: { x, y },
        validation: { x: x.mul(1), y },
        loss: crossEntropy,
        optimizer,
        epochs: 3,
        batchSize: 4,
        shuffle: true,
        generator: manualSeed(5),
        metrics: { accuracy: true },
        plugins: [
          gradientAccumulation(2),
          gradientClipping({ maxNorm: 0.5 }),
          nanGuard(),
          gradientMonitor({ logNorms: true, warn: () => {} }),
          lrScheduler(reduceLROnPlateau(optimizer, { patience: 0, factor: 0.5 }), { monitor: 'valLoss' }),
          earlyStopping({ monitor: 'valLoss', patience: 5, restoreBestWeights: true }),
          {
            name: 'recordBatches',
            batchEnd(ctx) {
              batches.push({ ...ctx.batchLogs } as Record<string, number>);
            },
          },
        ],
      });
      expect(history.length).toBe(3);
      histories.push([
        ...batches,
        ...history.map(({ loss, accuracy, valLoss, valAccuracy, lr }) => ({
          loss,
          accuracy,
          valLoss,
          valAccuracy,
          lr,
        })),
      ]);
      if (device) stopDeviceSim();
    }
    expect((sim as DeviceSimStats | null)?.refused).toEqual([]);
    expect((sim as DeviceSimStats | null)?.deviceKernels).toBeGreaterThan(100);
    expect(histories[1].length).toBe(histories[0].length);
    histories[0].forEach((row, i) => {
      for (const [k, v] of Object.entries(row)) {
        expect(typeof v, `${i} ${k}`).toBe('number');
        // the running statistics round once per op on the device (validation runs in eval mode)
        expect(Math.abs(histories[1][i][k] - v), `${i} ${k}`).toBeLessThan(1e-5 * Math.max(1, Math.abs(v)));
      }
    });
  });
});
