// Training on the webgpu backend (tensors resident on the GPU) against the cpu backend: an MLP with Adam and
// a CNN with SGD and momentum, from the same weights and batches; the losses of every step and the final
// weights are reported for the Node side to compare. Also: what a synchronous read of a GPU tensor throws,
// what leaving the backend with values still on the GPU throws, and the backend's counts.

import {
  getWebGpuStats,
  HostReadError,
  manualSeed,
  randn,
  relu,
  setBackend,
  syncWebGpuToHost,
  type Tensor,
  tensor,
  tidy,
} from '../../../packages/core/src/index';
import {
  BatchNorm2d,
  Conv2d,
  crossEntropy,
  Flatten,
  Linear,
  MaxPool2d,
  type Module,
  ReLU,
  Sequential,
} from '../../../packages/nn/src/index';
import { adam } from '../../../packages/optim-adam/src/index';
import { ademamix } from '../../../packages/optim-ademamix/src/index';
import { lion } from '../../../packages/optim-lion/src/index';
import { sgd } from '../../../packages/optim-sgd/src/index';
import { fit as trainLoop } from '../../../packages/train/src/index';

/** One model trained on both backends. */
export interface TrainingRun {
  name: string;
  cpuLosses: number[];
  gpuLosses: number[];
  /** The largest difference of a final weight between the backends, relative to max(1, |cpu weight|). */
  weightError: number;
  weights: number;
}

/** `fit()` on both backends: the history of each (loss, accuracy, validation loss and accuracy per epoch). */
export interface FitRun {
  cpu: Record<string, number>[];
  gpu: Record<string, number>[];
  /** Waits for copies back during the webgpu fit, and the arrays they brought. */
  reads: number;
  downloads: number;
  batches: number;
}

/** What the training checks found. */
export interface TrainingReport {
  runs: TrainingRun[];
  fit: FitRun;
  /** The message of the error a synchronous read of a GPU tensor threw (`item()`, `values`). */
  syncRead: string;
  syncValues: string;
  /** The message of the error `setBackend('cpu')` threw with values still on the GPU, and whether it then worked. */
  leave: string;
  leftAfterSync: string;
  /** The value read asynchronously from the tensor the synchronous read refused. */
  asyncValue: number;
  /** relu of a tensor before and after a write through a `data` array kept from before the first GPU use. */
  keptWrite: number[][];
  /** The backend's counts after the runs. */
  stats: ReturnType<typeof getWebGpuStats>;
}

type Optimizer = { zeroGrad(): void; step(): void };

async function train(
  build: () => Module,
  init: Record<string, Float32Array>,
  makeOptimizer: (model: Module) => Optimizer,
  batches: { x: Float32Array; xShape: number[]; y: Int32Array }[],
  backend: 'cpu' | 'webgpu',
): Promise<{ losses: number[]; weights: Float32Array[] }> {
  setBackend(backend);
  const model = build();
  const state: Record<string, Tensor> = {};
  for (const [name, values] of Object.entries(init))
    state[name] = tensor(values.slice(), { shape: [...(model.stateDict()[name] as Tensor).shape] });
  model.loadStateDict(state);
  const opt = makeOptimizer(model);
  const losses: number[] = [];
  for (const b of batches) {
    const x = tensor(b.x, { shape: b.xShape });
    const y = tensor(b.y, { dtype: 'int32' });
    const loss = tidy(() => {
      opt.zeroGrad();
      const l = crossEntropy(model.forward(x) as Tensor, y);
      l.backward();
      opt.step();
      return l;
    });
    losses.push(await loss.itemAsync());
    loss.dispose();
  }
  // The parameters, then the buffers (BatchNorm's running statistics, updated on the host from GPU batch statistics).
  const weights: Float32Array[] = [];
  for (const p of [...model.parameters(), ...model.buffers()]) weights.push((await p.dataAsync()) as Float32Array);
  if (backend === 'webgpu') await syncWebGpuToHost();
  setBackend('cpu');
  return { losses, weights };
}

/** `count` steps on one seeded batch (so that the loss must go down). */
function batchesFor(seed: number, count: number, batch: number, shape: number[], classes: number) {
  const x = randn([batch, ...shape], { generator: manualSeed(seed) }).values as Float32Array;
  const y = new Int32Array(batch);
  for (let j = 0; j < batch; j++) y[j] = (j * 7 + 3) % classes;
  return Array.from({ length: count }, () => ({ x: x.slice(), xShape: [batch, ...shape], y }));
}

async function compare(
  name: string,
  build: () => Module,
  makeOptimizer: (model: Module) => Optimizer,
  batches: ReturnType<typeof batchesFor>,
): Promise<TrainingRun> {
  setBackend('cpu');
  manualSeed(11);
  const init: Record<string, Float32Array> = {};
  for (const [k, t] of Object.entries(build().stateDict())) init[k] = (t as Tensor).values.slice() as Float32Array;
  const cpu = await train(build, init, makeOptimizer, batches, 'cpu');
  const gpu = await train(build, init, makeOptimizer, batches, 'webgpu');
  let weightError = 0;
  let weights = 0;
  cpu.weights.forEach((w, i) => {
    for (let j = 0; j < w.length; j++) {
      weightError = Math.max(weightError, Math.abs(w[j] - gpu.weights[i][j]) / Math.max(1, Math.abs(w[j])));
      weights++;
    }
  });
  return { name, cpuLosses: cpu.losses, gpuLosses: gpu.losses, weightError, weights };
}

/** fit() with metrics and validation, shuffled batches from one seed, on the cpu and the webgpu backend. */
async function fitOnBoth(): Promise<FitRun> {
  const n = 48;
  const x = randn([n, 12], { generator: manualSeed(21) }).values.slice() as Float32Array;
  const y = new Int32Array(n).map((_, i) => (i * 5) % 4);
  const histories: Record<string, number>[][] = [];
  let downloads = 0;
  let reads = 0;
  manualSeed(4);
  const init = new Sequential(new Linear(12, 20), new ReLU(), new Linear(20, 4)).stateDict();
  for (const backend of ['cpu', 'webgpu'] as const) {
    setBackend(backend);
    const model = new Sequential(new Linear(12, 20), new ReLU(), new Linear(20, 4));
    const state: Record<string, Tensor> = {};
    for (const [k, t] of Object.entries(init)) state[k] = tensor((t as Tensor).values.slice(), { shape: [...t.shape] });
    model.loadStateDict(state);
    const before = backend === 'webgpu' ? getWebGpuStats() : null;
    const { history } = await trainLoop({
      model,
      data: { x: tensor(x.slice(), { shape: [n, 12] }), y: tensor(y.slice(), { dtype: 'int32' }) },
      validation: {
        x: tensor(x.slice(0, 16 * 12), { shape: [16, 12] }),
        y: tensor(y.slice(0, 16), { dtype: 'int32' }),
      },
      loss: crossEntropy,
      optimizer: adam(model.parameters(), { lr: 0.02 }),
      epochs: 4,
      batchSize: 16,
      shuffle: true,
      generator: manualSeed(9),
      metrics: { accuracy: true },
    });
    if (backend === 'webgpu') {
      downloads = getWebGpuStats().downloads - (before?.downloads ?? 0);
      reads = getWebGpuStats().reads - (before?.reads ?? 0);
      await syncWebGpuToHost();
    }
    setBackend('cpu');
    histories.push(
      history.map(
        (h) => Object.fromEntries(Object.entries(h).filter(([k]) => !/time|steps/i.test(k))) as Record<string, number>,
      ),
    );
  }
  return { cpu: histories[0], gpu: histories[1], reads, downloads, batches: 4 * (3 + 1) };
}

/** Run the training checks (the backend must be initialised). */
export async function runTrainingChecks(): Promise<TrainingReport> {
  const runs: TrainingRun[] = [];
  runs.push(
    await compare(
      'MLP 24-40-17-6, batch 20, Adam',
      () => new Sequential(new Linear(24, 40), new ReLU(), new Linear(40, 17), new ReLU(), new Linear(17, 6)),
      (m) => adam(m.parameters(), { lr: 1e-2 }),
      batchesFor(3, 8, 20, [24], 6),
    ),
  );
  runs.push(
    await compare(
      'MLP 24-40-17-6, batch 20, Lion (weight decay 0.1)',
      () => new Sequential(new Linear(24, 40), new ReLU(), new Linear(40, 17), new ReLU(), new Linear(17, 6)),
      (m) => lion(m.parameters(), { lr: 1e-3, weightDecay: 0.1 }),
      batchesFor(7, 8, 20, [24], 6),
    ),
  );
  runs.push(
    await compare(
      'MLP 24-40-17-6, batch 20, AdEMAMix (alpha warm-up)',
      () => new Sequential(new Linear(24, 40), new ReLU(), new Linear(40, 17), new ReLU(), new Linear(17, 6)),
      (m) => ademamix(m.parameters(), { lr: 1e-2, alphaWarmup: 10, beta3Warmup: 10 }),
      batchesFor(8, 8, 20, [24], 6),
    ),
  );
  runs.push(
    await compare(
      'CNN conv 3x3 (4 channels), relu, max pool, linear; batch 6, SGD with momentum',
      () =>
        new Sequential(
          new Conv2d(1, 4, 3, { padding: 1 }),
          new ReLU(),
          new MaxPool2d(2),
          new Flatten(),
          new Linear(4 * 5 * 5, 5),
        ),
      (m) => sgd(m.parameters(), { lr: 0.05, momentum: 0.9 }),
      batchesFor(5, 6, 6, [1, 10, 10], 5),
    ),
  );

  runs.push(
    await compare(
      // SGD, not Adam: the conv bias before a batch norm has a gradient of zero up to rounding, which Adam
      // would scale up to ±lr in the direction of each backend's rounding noise.
      'CNN conv 3x3 (4 channels), batch norm, relu, max pool, linear; batch 6, SGD with momentum',
      () =>
        new Sequential(
          new Conv2d(1, 4, 3, { padding: 1 }),
          new BatchNorm2d(4),
          new ReLU(),
          new MaxPool2d(2),
          new Flatten(),
          new Linear(4 * 5 * 5, 5),
        ),
      (m) => sgd(m.parameters(), { lr: 0.05, momentum: 0.9 }),
      batchesFor(9, 6, 6, [1, 10, 10], 5),
    ),
  );

  const fitRun = await fitOnBoth();

  setBackend('webgpu');
  const source = tensor([1, 2, 3]);
  const kept = source.data; // written later without telling anyone: every GPU use must copy it up again
  const keptWrite = [(await relu(source).toArrayAsync()) as number[]];
  kept.set([-1, 5, -2]);
  keptWrite.push((await relu(source).toArrayAsync()) as number[]);
  await syncWebGpuToHost();
  setBackend('cpu');

  setBackend('webgpu');
  const y = relu(tensor([-1, 2, -3, 4]).sum().reshape([1]));
  const messageOf = (fn: () => unknown) => {
    try {
      fn();
      return 'no error';
    } catch (e) {
      return `${e instanceof HostReadError}:${(e as Error).name}: ${(e as Error).message}`;
    }
  };
  const syncRead = messageOf(() => y.item());
  const syncValues = messageOf(() => y.values);
  const leave = messageOf(() => setBackend('cpu'));
  const asyncValue = await y.itemAsync();
  await syncWebGpuToHost();
  const leftAfterSync = messageOf(() => setBackend('cpu'));
  return {
    runs,
    fit: fitRun,
    keptWrite,
    syncRead,
    syncValues,
    leave,
    leftAfterSync,
    asyncValue,
    stats: getWebGpuStats(),
  };
}
