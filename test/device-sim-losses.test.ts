// The losses and MultiheadAttention's masks on a device backend (test/helpers/device-sim.ts): with inputs
// whose newest values are on the simulated device, they compute the cpu backend's values bit for bit without
// a synchronous host read, and their checks of values wait for the next await, where they throw the cpu
// backend's error.
import {
  bringToHost,
  HostReadError,
  IndexError,
  manualSeed,
  randn,
  type Tensor,
  tensor,
  ValueError,
} from '@nablajs/core';
import {
  BCELoss,
  binaryCrossEntropy,
  binaryCrossEntropyWithLogits,
  CrossEntropyLoss,
  cosineEmbeddingLoss,
  crossEntropy,
  gaussianNllLoss,
  hingeEmbeddingLoss,
  MultiheadAttention,
  MultiMarginLoss,
  marginRankingLoss,
  multiMarginLoss,
  nllLoss,
} from '@nablajs/nn';
import { afterEach, describe, expect, it } from 'vitest';
import { type DeviceSimStats, startDeviceSim, stopDeviceSim } from './helpers/device-sim';

afterEach(() => stopDeviceSim());

const REDUCTIONS = ['mean', 'sum', 'none'] as const;

/** A copy of `t` made by a kernel, so that under the simulation its newest values are on the device. */
const dev = (t: Tensor): Tensor => (t.dtype === 'int32' ? t.add(0) : t.mul(1));
const int = (values: number[], shape?: number[]) => tensor(values, { dtype: 'int32', shape });

/**
 * Run `build` (which makes its inputs with {@link dev}) on the cpu backend, then under the device simulation
 * from the same seed; awaits the results there and expects the same values bit for bit (NaN and -0 included),
 * with no refused host read. Returns the simulation's counts and the values; back on the cpu backend after.
 */
async function expectSameOnDevice(build: () => Tensor[]): Promise<DeviceSimStats & { values: number[][] }> {
  manualSeed(11);
  const cpu = build().map((t) => Array.from(t.values));
  const stats = startDeviceSim();
  try {
    manualSeed(11);
    const outs = build();
    await bringToHost(outs);
    const values = outs.map((t) => Array.from(t.values));
    expect(values).toEqual(cpu);
    expect(stats.refused).toEqual([]);
    expect(stats.deviceKernels).toBeGreaterThan(0);
    return { ...stats, values };
  } finally {
    stopDeviceSim();
  }
}

/**
 * `call` throws `type` with a message matching `message` on the cpu backend; under the device simulation (with
 * its bad values on the device) it returns, and awaiting its result rejects with the same class and message.
 */
async function expectSameErrorAtAwait(
  call: () => Tensor,
  type: typeof IndexError | typeof ValueError,
  message: RegExp,
): Promise<void> {
  let cpuError: unknown = null;
  try {
    call();
  } catch (e) {
    cpuError = e;
  }
  expect(cpuError).toBeInstanceOf(type);
  expect((cpuError as Error).message).toMatch(message);
  const stats = startDeviceSim();
  const outs: Tensor[] = [];
  expect(() => outs.push(call())).not.toThrow();
  expect(stats.waitedTasks).toBeGreaterThan(0);
  const pending = bringToHost(outs);
  await expect(pending).rejects.toThrow(type);
  const deviceError = await pending.then(
    () => null,
    (e: unknown) => e,
  );
  expect((deviceError as Error).message).toBe((cpuError as Error).message);
  expect(stats.refused).toEqual([]);
}

describe('the device simulation', () => {
  it('refuses a synchronous read of a kernel output, so the tests below exercise device values', () => {
    const stats = startDeviceSim();
    const t = dev(int([0, 1, 2]));
    expect(() => t.values).toThrow(HostReadError);
    expect(stats.refused).toEqual(['Tensor.values']);
  });
});

describe('crossEntropy and nllLoss with targets and a class weight on the device', () => {
  it('match the cpu backend, forward and backward, for every reduction, smoothing and ignoreIndex', async () => {
    for (const reduction of REDUCTIONS)
      for (const labelSmoothing of [0, 0.1])
        for (const withWeight of [false, true]) {
          const stats = await expectSameOnDevice(() => {
            const x = randn([5, 3], { requiresGrad: true });
            const weight = withWeight ? dev(tensor([0.2, 1.7, 3.1])) : null;
            const target = dev(int([0, 2, -100, 1, 2]));
            const loss = crossEntropy(dev(x), target, { weight, labelSmoothing, reduction });
            loss.sum().backward();
            return [loss, x.grad as Tensor];
          });
          // The target check waited for the targets, behind the kernel that made them.
          expect(stats.waitedTasks).toBeGreaterThan(0);
        }
  });

  it('match the cpu backend with spatial targets, a custom ignoreIndex and every target ignored', async () => {
    await expectSameOnDevice(() => {
      const x = randn([2, 4, 3], { requiresGrad: true });
      const target = dev(int([0, 3, 1, 2, 2, 1], [2, 3]));
      const loss = crossEntropy(dev(x), target, { weight: dev(tensor([1, 0.5, 2, 4])), ignoreIndex: 2 });
      loss.backward();
      return [loss, x.grad as Tensor];
    });
    // The weighted mean over no target divides 0 by 0.
    const { values } = await expectSameOnDevice(() => [
      crossEntropy(dev(randn([3, 2])), dev(int([-100, -100, -100])), { weight: dev(tensor([2, 3])) }),
    ]);
    expect(values[0][0]).toBeNaN();
  });

  it('nllLoss matches the cpu backend, with a 0-d target and with a batch', async () => {
    for (const reduction of REDUCTIONS)
      await expectSameOnDevice(() => {
        const x = randn([4, 3], { requiresGrad: true });
        const v = randn([3], { requiresGrad: true });
        const weight = dev(tensor([0.3, 2, 1.1]));
        const batch = nllLoss(dev(x).logSoftmax(1), dev(int([2, 0, 1, 1])), { weight, reduction });
        const single = nllLoss(dev(v).logSoftmax(0), dev(int([2], [])), { weight, reduction });
        batch.sum().add(single.sum()).backward();
        return [batch, single, x.grad as Tensor, v.grad as Tensor];
      });
  });

  it('CrossEntropyLoss copies a weight on the device with a kernel', async () => {
    await expectSameOnDevice(() => {
      const criterion = new CrossEntropyLoss({ weight: dev(tensor([1, 2, 3])), labelSmoothing: 0.05 });
      const x = randn([4, 3], { requiresGrad: true });
      const loss = criterion.forward(dev(x), dev(int([2, 1, 0, 2])));
      loss.backward();
      return [loss, x.grad as Tensor, criterion.buffers()[0]];
    });
  });

  it('throw the IndexError of an out-of-range target at the next await', async () => {
    const x = randn([4, 3]);
    await expectSameErrorAtAwait(
      () => crossEntropy(dev(x), dev(int([0, 7, 1, 2]))),
      IndexError,
      /^crossEntropy: target 7 is out of range for 3 classes \(expected \[0, 3\) or ignoreIndex -100\)$/,
    );
  });

  it('throw the IndexError of a negative target (not ignoreIndex) at the next await', async () => {
    const x = randn([3, 3]);
    await expectSameErrorAtAwait(
      () => nllLoss(dev(x).logSoftmax(1), dev(int([1, -100, 2])), { ignoreIndex: 1, weight: dev(tensor([1, 2, 3])) }),
      IndexError,
      /^nllLoss: target -100 is out of range for 3 classes \(expected \[0, 3\) or ignoreIndex 1\)$/,
    );
  });
});

describe('binaryCrossEntropy with inputs on the device', () => {
  it('matches the cpu backend, forward and backward (input, target and weight), for every reduction', async () => {
    for (const reduction of REDUCTIONS) {
      const stats = await expectSameOnDevice(() => {
        const logits = randn([2, 3], { requiresGrad: true });
        const target = tensor([0, 1, 0.25, 1, 0, 0.5], { shape: [2, 3], requiresGrad: true });
        const input = dev(logits).sigmoid();
        const loss = binaryCrossEntropy(input, dev(target), { weight: dev(tensor([1, 2, 0.5])), reduction });
        loss.sum().backward();
        return [loss, logits.grad as Tensor, target.grad as Tensor];
      });
      expect(stats.waitedTasks).toBeGreaterThan(0);
    }
  });

  it('matches the cpu backend at 0 and 1 (the logs clamped to -100), and as BCELoss', async () => {
    await expectSameOnDevice(() => {
      const x = tensor([0, 1, 1e-30, 0.5], { requiresGrad: true });
      const loss = new BCELoss({ reduction: 'none' }).forward(dev(x), dev(tensor([1, 0, 1, 0.5])));
      loss.sum().backward();
      return [loss, x.grad as Tensor];
    });
  });

  it('binaryCrossEntropyWithLogits matches the cpu backend', async () => {
    await expectSameOnDevice(() => {
      const x = randn([3, 2], { requiresGrad: true });
      const loss = binaryCrossEntropyWithLogits(dev(x), dev(tensor([1, 0, 0, 1, 1, 0], { shape: [3, 2] })), {
        posWeight: dev(tensor([3, 0.5])),
      });
      loss.backward();
      return [loss, x.grad as Tensor];
    });
  });

  it('throws the ValueError of an input outside [0, 1] at the next await', async () => {
    await expectSameErrorAtAwait(
      () => binaryCrossEntropy(dev(tensor([0.5, 1.5, 0.25])), dev(tensor([0, 1, 1]))),
      ValueError,
      /^binaryCrossEntropy: every element of input must be in \[0, 1\] \(a probability\), got 1\.5 at flat index 1$/,
    );
  });
});

describe('the ±1-label losses with labels on the device', () => {
  it('match the cpu backend, forward and backward', async () => {
    const stats = await expectSameOnDevice(() => {
      const a = randn([3, 4], { requiresGrad: true });
      const b = randn([3, 4], { requiresGrad: true });
      const y = dev(tensor([1, -1, 1]));
      const cosine = cosineEmbeddingLoss(dev(a), dev(b), y, { margin: 0.1, reduction: 'none' });
      const hinge = hingeEmbeddingLoss(dev(a).sum(1), y, { margin: 2 });
      const ranking = marginRankingLoss(dev(a).sum(1), dev(b).sum(1), y, { margin: 0.5, reduction: 'sum' });
      cosine.sum().add(hinge).add(ranking).backward();
      return [cosine, hinge, ranking, a.grad as Tensor, b.grad as Tensor];
    });
    expect(stats.waitedTasks).toBeGreaterThanOrEqual(3);
  });

  it('throw the ValueError of a label other than ±1 at the next await', async () => {
    await expectSameErrorAtAwait(
      () => hingeEmbeddingLoss(dev(randn([3])), dev(tensor([1, -1, 0.5]))),
      ValueError,
      /^hingeEmbeddingLoss: every element of y must be 1 or -1, got 0\.5 at flat index 2$/,
    );
  });

  it('marginRankingLoss throws it at the next await too', async () => {
    await expectSameErrorAtAwait(
      () => marginRankingLoss(dev(randn([2])), dev(randn([2])), dev(tensor([2, 1]))),
      ValueError,
      /^marginRankingLoss: every element of y must be 1 or -1, got 2 at flat index 0$/,
    );
  });
});

describe('multiMarginLoss with targets and a class weight on the device', () => {
  it('matches the cpu backend, forward and backward, for p 1 and 2 and every reduction', async () => {
    for (const p of [1, 2])
      for (const reduction of REDUCTIONS)
        for (const withWeight of [false, true]) {
          const stats = await expectSameOnDevice(() => {
            const x = randn([4, 3], { requiresGrad: true });
            const weight = withWeight ? dev(tensor([0.5, 2, 1.25])) : null;
            const loss = multiMarginLoss(dev(x), dev(int([2, 0, 1, 2])), { p, margin: 0.8, weight, reduction });
            loss.sum().backward();
            return [loss, x.grad as Tensor];
          });
          expect(stats.waitedTasks).toBeGreaterThan(0);
        }
  });

  it('matches the cpu backend for a [C] input with a 0-d target, and as MultiMarginLoss', async () => {
    await expectSameOnDevice(() => {
      const x = randn([4], { requiresGrad: true });
      const single = multiMarginLoss(dev(x), dev(int([3], [])), { reduction: 'none' });
      const criterion = new MultiMarginLoss({ weight: dev(tensor([1, 3, 0.5, 2])) });
      const batch = criterion.forward(dev(x).reshape([1, 4]), dev(int([1])));
      single.add(batch).backward();
      return [single, batch, x.grad as Tensor, criterion.buffers()[0]];
    });
  });

  it('throws the IndexError of an out-of-range target at the next await', async () => {
    await expectSameErrorAtAwait(
      () => multiMarginLoss(dev(randn([2, 3])), dev(int([1, 3]))),
      IndexError,
      /^multiMarginLoss: target 3 at index 1 is out of range for 3 classes$/,
    );
  });
});

describe('gaussianNllLoss with a variance on the device', () => {
  it('matches the cpu backend, forward and backward, for every reduction and variance shape', async () => {
    for (const reduction of REDUCTIONS) {
      const stats = await expectSameOnDevice(() => {
        const x = randn([3, 2], { requiresGrad: true });
        const v = tensor([0, 1e-9, 0.5, 2, 3, 0.25], { shape: [3, 2], requiresGrad: true });
        const shared = tensor([0.5, 1, 4], { requiresGrad: true });
        const y = dev(randn([3, 2]));
        const full = gaussianNllLoss(dev(x), y, dev(v), { reduction, full: true });
        const perRow = gaussianNllLoss(dev(x), y, dev(shared), { reduction });
        full.sum().add(perRow.sum()).backward();
        return [full, perRow, x.grad as Tensor, v.grad as Tensor, shared.grad as Tensor];
      });
      expect(stats.waitedTasks).toBeGreaterThan(0);
    }
  });

  it('throws the ValueError of a negative variance at the next await', async () => {
    await expectSameErrorAtAwait(
      () => gaussianNllLoss(dev(randn([3])), dev(randn([3])), dev(tensor([1, 2, -0.5]))),
      ValueError,
      /^gaussianNllLoss: var must be non-negative, got -0\.5 at flat index 2$/,
    );
  });
});

describe('MultiheadAttention with int32 masks on the device', () => {
  it('matches the cpu backend, forward and backward', async () => {
    const stats = await expectSameOnDevice(() => {
      const mha = new MultiheadAttention(4, 2);
      const x = randn([3, 2, 4], { requiresGrad: true });
      const keyPaddingMask = dev(int([0, 0, 1, 0, 1, 0], [2, 3]));
      const attnMask = dev(int([0, 1, 0, 0, 0, 1, 0, 0, 0], [3, 3]));
      const { output, weights } = mha.forward(dev(x), dev(x), dev(x), { keyPaddingMask, attnMask });
      output.sum().backward();
      return [output, weights as Tensor, x.grad as Tensor, mha.parameters()[0].grad as Tensor];
    });
    expect(stats.waitedTasks).toBeGreaterThanOrEqual(2);
  });

  it('throws the ValueError of a mask value other than 0 and 1 at the next await', async () => {
    manualSeed(5);
    const mha = new MultiheadAttention(4, 2);
    const x = randn([3, 2, 4]);
    await expectSameErrorAtAwait(
      () => mha.forward(dev(x), dev(x), dev(x), { keyPaddingMask: dev(int([0, 0, 2, 0, 1, 0], [2, 3])) }).output,
      ValueError,
      /^MultiheadAttention: an int32 keyPaddingMask is a boolean mask and must hold only 0 and 1, got 2 at flat index 2$/,
    );
  });
});
