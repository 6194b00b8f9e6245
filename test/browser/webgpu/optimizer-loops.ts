// What the webgpu backend does around the optimizers, against the cpu backend: a rule step that waits for
// the GPU (its state dict refused until then), closure steps (L-BFGS, SAM) on the host, fit() with closure
// steps and with the built-in plugins that read values, and an EMA of the weights.

import {
  bringToHost,
  getBackend,
  getWebGpuStats,
  manualSeed,
  runOnHost,
  setBackend,
  syncWebGpuToHost,
  type Tensor,
  tensor,
  tidy,
} from '../../../packages/core/src/index';
import { crossEntropy } from '../../../packages/nn/src/index';
import { createOptimizer, emaWeights, type Optimizer, setFusedUpdates } from '../../../packages/optim/src/index';
import {
  earlyStopping,
  gradientClipping,
  gradientMonitor,
  nanGuard,
  fit as trainLoop,
} from '../../../packages/train/src/index';
import { build, modelFrom } from './optimizers';

/** What waiting steps and closure steps do on the webgpu backend. */
export interface WaitingReport {
  /** `stateDict()` right after a rule step that waits for the GPU, and after the values were awaited. */
  stateDictWhileWaiting: string;
  stateDictAfter: string;
  /** Prodigy's fused step: `stateDict()` before the step's values were awaited, after a sync, and its step count `k`. */
  fusedWhileWaiting: string;
  fusedAfterSync: string;
  prodigyK: number;
  /** A closure step (L-BFGS) over parameters whose newest values are on the GPU, and after bringToHost. */
  closureOnGpu: string;
  closureAfterBring: string;
  /**
   * A host task over an array computed on the GPU, then a GPU op that reads the array before anything is
   * awaited: the awaited result (the task ran first and could read its array).
   */
  taskBeforeKernel: number[] | string;
  /**
   * Lookahead around Adam, fused for 2 steps and then its rule (fused steps off) for 3: the largest
   * difference of the final weights from the cpu backend's (the rule must read the moments and slow weights
   * that the fused kernels left on the GPU).
   */
  fusedThenRule: number;
  /** fit() with SAM and with L-BFGS (closure steps), the loss of every epoch on each backend. */
  fitClosure: { name: string; cpu: number[]; gpu: number[]; gpuBytes: number }[];
  /**
   * fit() with the plugins that read values (clipping, NaN guard, gradient monitor, early stopping): the logs
   * of every batch on each backend, and the loss after early stopping restored the best weights.
   */
  fitPlugins: { cpu: Record<string, number>[]; gpu: Record<string, number>[]; restored: number };
  /** Adam with an EMA of the weights (updated every step, then swapped in): the averages on each backend. */
  ema: { error: number; moved: number };
}

/** fit() with the built-in plugins that read values in JavaScript, on both backends. */
async function fitWithPlugins(): Promise<WaitingReport['fitPlugins']> {
  setBackend('cpu');
  const init = build().stateDict();
  const n = 24;
  const x = new Float32Array(n * 12).map((_, i) => Math.sin(i * 0.23) * 2);
  const y = new Int32Array(n).map((_, i) => (i * 7) % 4);
  const histories: Record<string, number>[][] = [];
  let restored = 0;
  for (const backend of ['cpu', 'webgpu'] as const) {
    setBackend(backend);
    const model = modelFrom(init);
    const batches: Record<string, number>[] = [];
    const { history } = await trainLoop({
      model,
      data: { x: tensor(x.slice(), { shape: [n, 12] }), y: tensor(y.slice(), { dtype: 'int32' }) },
      loss: crossEntropy,
      optimizer: createOptimizer('adam', model.parameters(), { lr: 0.05 }),
      epochs: 4,
      batchSize: 8,
      shuffle: false,
      plugins: [
        gradientClipping({ maxNorm: 0.3, clipValue: 0.2 }),
        nanGuard(),
        gradientMonitor({ logNorms: true, warn: () => {} }),
        earlyStopping({ monitor: 'loss', patience: 10, restoreBestWeights: true }),
        {
          name: 'recordBatches',
          batchEnd(ctx) {
            batches.push({ ...ctx.batchLogs } as Record<string, number>);
          },
        },
      ],
    });
    histories.push(batches);
    if (history.length !== 4) throw new Error(`fitWithPlugins: ${history.length} epochs on ${backend}`);
    // early stopping restored the best weights: the loss of the restored model is the best epoch's start
    const loss = crossEntropy(
      model.forward(tensor(x.slice(), { shape: [n, 12] })) as Tensor,
      tensor(y.slice(), { dtype: 'int32' }),
    );
    restored = await loss.itemAsync();
    if (backend === 'webgpu') await syncWebGpuToHost();
    setBackend('cpu');
  }
  return { cpu: histories[0], gpu: histories[1], restored };
}

/** Adam steps with an EMA of the weights on both backends: the averages, read after swapping them in. */
async function emaOnBoth(): Promise<WaitingReport['ema']> {
  setBackend('cpu');
  const init = build().stateDict();
  const input = new Float32Array(6 * 12).map((_, i) => Math.cos(i * 0.7));
  const averages: Float32Array[][] = [];
  let moved = 0;
  for (const backend of ['cpu', 'webgpu'] as const) {
    setBackend(backend);
    const model = modelFrom(init);
    const opt = createOptimizer('adam', model.parameters(), { lr: 0.05 });
    const ema = emaWeights(model.parameters(), { decay: 0.8 });
    const x = tensor(input.slice(), { shape: [6, 12] });
    const target = tensor([0, 1, 2, 3, 0, 1], { dtype: 'int32' });
    for (let i = 0; i < 6; i++) {
      const loss = trainStep(opt, model, x, target);
      ema.update(); // waits for the step's parameters on the webgpu backend
      await loss.itemAsync();
      loss.dispose();
    }
    ema.swap();
    const got: Float32Array[] = [];
    for (const p of model.parameters()) got.push((await p.dataAsync()) as Float32Array);
    averages.push(got);
    moved = Math.max(moved, Math.abs(got[0][0] - (init['0.weight'] as Tensor).values[0]));
    if (backend === 'webgpu') await syncWebGpuToHost();
    setBackend('cpu');
  }
  let error = 0;
  averages[0].forEach((a, i) => {
    for (let j = 0; j < a.length; j++) error = Math.max(error, Math.abs(a[j] - averages[1][i][j]));
  });
  return { error, moved };
}

/** fit() with the closure optimizers on both backends: the training plugin brings their values back first. */
async function fitWithClosures(): Promise<WaitingReport['fitClosure']> {
  const out: WaitingReport['fitClosure'] = [];
  setBackend('cpu');
  // its own seed: the weights do not depend on what ran before (L-BFGS at lr 0.2 is sensitive to them)
  manualSeed(11);
  const init = build().stateDict();
  const n = 24;
  const x = new Float32Array(n * 12).map((_, i) => Math.cos(i * 0.41));
  const y = new Int32Array(n).map((_, i) => (i * 5) % 4);
  for (const [name, options] of [
    ['sam', { base: 'sgd', lr: 0.1 }],
    ['lbfgs', { lr: 0.2, maxIter: 3 }],
  ] as const) {
    const losses: number[][] = [];
    let gpuBytes = 0;
    for (const backend of ['cpu', 'webgpu'] as const) {
      setBackend(backend);
      const model = modelFrom(init);
      const bytesBefore = backend === 'webgpu' ? getWebGpuStats().downloadBytes : 0;
      const { history } = await trainLoop({
        model,
        data: { x: tensor(x.slice(), { shape: [n, 12] }), y: tensor(y.slice(), { dtype: 'int32' }) },
        loss: crossEntropy,
        optimizer: createOptimizer(name, model.parameters(), options),
        epochs: 3,
        batchSize: 12,
        shuffle: false,
      });
      losses.push(history.map((h) => h.loss as number));
      if (backend === 'webgpu') {
        gpuBytes = getWebGpuStats().downloadBytes - bytesBefore;
        await syncWebGpuToHost();
      }
      setBackend('cpu');
    }
    out.push({ name, cpu: losses[0], gpu: losses[1], gpuBytes });
  }
  return out;
}

async function fusedThenRule(): Promise<number> {
  setBackend('cpu');
  const init = build().stateDict();
  const x = new Float32Array(8 * 12).map((_, i) => Math.sin(i * 0.3));
  const y = new Int32Array(8).map((_, i) => i % 4);
  const weights: Float32Array[][] = [];
  for (const backend of ['cpu', 'webgpu'] as const) {
    setBackend(backend);
    const model = modelFrom(init);
    const opt = createOptimizer('lookahead', model.parameters(), { inner: 'adam', lr: 0.02, k: 2 });
    const input = tensor(x.slice(), { shape: [8, 12] });
    const target = tensor(y.slice(), { dtype: 'int32' });
    for (let s = 0; s < 5; s++) {
      setFusedUpdates(s < 2);
      const loss = trainStep(opt, model, input, target);
      await loss.itemAsync();
      loss.dispose();
    }
    setFusedUpdates(true);
    const out: Float32Array[] = [];
    for (const p of model.parameters()) out.push((await p.dataAsync()) as Float32Array);
    weights.push(out);
    if (backend === 'webgpu') await syncWebGpuToHost();
    setBackend('cpu');
  }
  let worst = 0;
  weights[0].forEach((w, i) => {
    for (let j = 0; j < w.length; j++) worst = Math.max(worst, Math.abs(w[j] - weights[1][i][j]));
  });
  return worst;
}

/** One step (zeroGrad, cross-entropy, backward, step) in a tidy; its loss, still to be read. */
function trainStep(opt: Optimizer, model: ReturnType<typeof build>, x: Tensor, target: Tensor): Tensor {
  return tidy(() => {
    opt.zeroGrad();
    const l = crossEntropy(model.forward(x) as Tensor, target);
    l.backward();
    opt.step();
    return l;
  });
}

function messageOf(fn: () => unknown): string {
  try {
    fn();
    return 'no error';
  } catch (e) {
    return `${(e as Error).name}: ${(e as Error).message}`;
  }
}

/** A rule step that waits (its state dict is refused until a value is awaited) and a closure step. */
export async function runWaitingChecks(): Promise<WaitingReport> {
  setBackend('webgpu');
  try {
    const model = build();
    const input = tensor(new Float32Array(3 * 12).fill(0.5), { shape: [3, 12] });
    const target = tensor([0, 1, 2], { dtype: 'int32' });
    const loss = () => {
      const l = crossEntropy(model.forward(input) as Tensor, target);
      l.backward();
      return l;
    };
    // SOAP's rule (its fused step turned off) runs in JavaScript as a host task
    const rule = createOptimizer('soap', model.parameters());
    setFusedUpdates(false);
    const first = tidy(() => {
      rule.zeroGrad();
      const l = loss();
      rule.step();
      return l;
    });
    setFusedUpdates(true);
    const stateDictWhileWaiting = messageOf(() => rule.stateDict());
    await first.itemAsync();
    const stateDictAfter = messageOf(() => rule.stateDict());
    // Prodigy's fused step: its statistics come to the state at the next await, its moments at a sync
    const prodigyOpt = createOptimizer('prodigy', model.parameters());
    const second = tidy(() => {
      prodigyOpt.zeroGrad();
      const l = loss();
      prodigyOpt.step();
      return l;
    });
    const fusedWhileWaiting = messageOf(() => prodigyOpt.stateDict());
    await second.itemAsync();
    await syncWebGpuToHost();
    const fusedAfterSync = messageOf(() => prodigyOpt.stateDict());
    const prodigyK = (prodigyOpt.stateDict().global as Record<string, unknown>)['prodigy.k'];
    // Adam's fused step writes the parameters on the GPU
    const fused = createOptimizer('adam', model.parameters());
    tidy(() => {
      fused.zeroGrad();
      loss();
      fused.step();
    });
    const closureStep = createOptimizer('lbfgs', model.parameters(), { maxIter: 2 });
    const closure = () => {
      closureStep.zeroGrad();
      return loss();
    };
    const closureOnGpu = messageOf(() => tidy(() => closureStep.step(closure)));
    await bringToHost(model.parameters());
    const closureAfterBring = messageOf(() => tidy(() => closureStep.step(closure)));
    let taskBeforeKernel: number[] | string;
    try {
      const a = tensor([1, -2, 3, -4]).mul(2); // on the GPU
      const arr = a._array;
      runOnHost([arr], [arr], () => {
        const v = a.values;
        for (let i = 0; i < v.length; i++) v[i] = Math.max(0, v[i]);
        a.markModified();
      });
      const b = a.add(1); // queued behind the task, which it reads
      taskBeforeKernel = Array.from((await b.dataAsync()) as Float32Array);
    } catch (e) {
      taskBeforeKernel = `${(e as Error).name}: ${(e as Error).message}`;
    }
    await syncWebGpuToHost();
    setBackend('cpu');
    return {
      stateDictWhileWaiting,
      fusedWhileWaiting,
      fusedAfterSync,
      prodigyK: prodigyK as number,
      stateDictAfter,
      closureOnGpu,
      closureAfterBring,
      taskBeforeKernel,
      fusedThenRule: await fusedThenRule(),
      fitClosure: await fitWithClosures(),
      fitPlugins: await fitWithPlugins(),
      ema: await emaOnBoth(),
    };
  } finally {
    if (getBackend() === 'webgpu') {
      await syncWebGpuToHost();
      setBackend('cpu');
    }
  }
}
