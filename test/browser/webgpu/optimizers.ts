// Every registered optimizer on the webgpu backend against the cpu backend: the same MLP, weights and batch,
// a few steps each (with a closure for the optimizers that re-evaluate the loss), the losses and final
// weights reported for the Node side to compare, and which kernels fell back to the cpu.

import {
  endScope,
  getWebGpuStats,
  setBackend,
  startScope,
  syncWebGpuToHost,
  type Tensor,
  tensor,
  tidy,
} from '../../../packages/core/src/index';
import { crossEntropy, Linear, ReLU, Sequential } from '../../../packages/nn/src/index';
import optimPlugin, {
  createOptimizer,
  type HyperValue,
  listOptimizers,
  usePlugin,
} from '../../../packages/optim/src/index';
import adadelta from '../../../packages/optim-adadelta/src/index';
import adagrad from '../../../packages/optim-adagrad/src/index';
import adam from '../../../packages/optim-adam/src/index';
import adan from '../../../packages/optim-adan/src/index';
import ademamix from '../../../packages/optim-ademamix/src/index';
import lamb from '../../../packages/optim-lamb/src/index';
import lbfgs from '../../../packages/optim-lbfgs/src/index';
import lion from '../../../packages/optim-lion/src/index';
import muon from '../../../packages/optim-muon/src/index';
import prodigy from '../../../packages/optim-prodigy/src/index';
import rmsprop from '../../../packages/optim-rmsprop/src/index';
import rprop from '../../../packages/optim-rprop/src/index';
import sam from '../../../packages/optim-sam/src/index';
import schedulefree from '../../../packages/optim-schedulefree/src/index';
import sgd from '../../../packages/optim-sgd/src/index';
import soap from '../../../packages/optim-soap/src/index';

/** One optimizer trained on both backends. */
export interface OptimizerRun {
  name: string;
  cpuLosses: number[];
  gpuLosses: number[];
  /** The largest difference of a final weight, relative to max(1, |cpu weight|). */
  weightError: number;
  /**
   * The same difference between two cpu runs whose inputs differ by one float32 rounding (x(1 + 2⁻²³)):
   * how much float32 noise in the gradients this optimizer amplifies in these steps.
   */
  spread: number;
  /** The cpu kernels the webgpu run fell back to, with their counts. */
  fallbacks: Record<string, number>;
  /** Host tasks of the webgpu run (`runOnHost`): update rules run in JavaScript, Prodigy's copies of its statistics. */
  hostTasks: number;
  /** Bytes the webgpu run copied back from the GPU during its steps (losses, what host tasks read). */
  stepDownloadBytes: number;
  error?: string;
}

const STEPS = 5;
/** Options that differ from the defaults: a learning rate that moves this small model in a few steps. */
const OPTIONS: Record<string, Record<string, HyperValue>> = {
  sgd: { lr: 0.05, momentum: 0.9 },
  asgd: { lr: 0.05 },
  lbfgs: { lr: 0.5, maxIter: 4, historySize: 3 },
  rprop: { lr: 0.01 },
  sam: { base: 'sgd', lr: 0.05, momentum: 0.9 },
  lookahead: { inner: 'adam', lr: 0.01, k: 2, alpha: 0.6 },
};

function decay(opt: { paramGroups: { lr: number }[] }) {
  for (const group of opt.paramGroups) group.lr *= 0.7;
}

/** A fresh MLP with copies of the weights of `init` (a state dict). */
export function modelFrom(init: Record<string, Tensor>) {
  const model = build();
  const state: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(init)) state[k] = tensor(t.values.slice(), { shape: [...t.shape] });
  model.loadStateDict(state);
  return model;
}

export function build() {
  return new Sequential(new Linear(12, 16), new ReLU(), new Linear(16, 8), new ReLU(), new Linear(8, 4));
}

async function run(
  name: string,
  init: Record<string, Tensor>,
  x: Float32Array,
  y: Int32Array,
  backend: 'cpu' | 'webgpu',
): Promise<{
  losses: number[];
  weights: Float32Array[];
  fallbacks: Record<string, number>;
  hostTasks: number;
  stepDownloadBytes: number;
}> {
  setBackend(backend);
  const before = backend === 'webgpu' ? { ...getWebGpuStats().fallbacks } : {};
  const tasksBefore = backend === 'webgpu' ? getWebGpuStats().hostTasks : 0;
  const bytesBefore = backend === 'webgpu' ? getWebGpuStats().downloadBytes : 0;
  const model = modelFrom(init);
  const opt = createOptimizer(name, model.parameters(), OPTIONS[name] ?? {});
  const input = tensor(x.slice(), { shape: [x.length / 12, 12] });
  const target = tensor(y.slice(), { dtype: 'int32' });
  const losses: number[] = [];
  try {
    const closure = () => {
      opt.zeroGrad();
      const l = crossEntropy(model.forward(input) as Tensor, target);
      l.backward();
      return l;
    };
    for (let i = 0; i < STEPS; i++) {
      if (opt.requiresClosure) {
        // stepAsync: SAM's step stays on the GPU and the promise reads back the loss at the start of the step;
        // L-BFGS needs its losses at once, so its parameters come back and the step runs on the host. The
        // step's tensors are disposed before the loss is read.
        const scope = startScope();
        const pending = (opt.stepAsync as NonNullable<typeof opt.stepAsync>).call(opt, closure);
        endScope(scope);
        decay(opt);
        losses.push((await pending) as number);
        continue;
      }
      const loss = tidy(() => {
        const l = closure();
        opt.step();
        return l;
      });
      // a schedule changes the learning rate before the step's values are awaited: a step that waits for
      // the GPU must still use the rate it was called with
      decay(opt);
      losses.push(await loss.itemAsync());
      loss.dispose();
    }
    const stepDownloadBytes = backend === 'webgpu' ? getWebGpuStats().downloadBytes - bytesBefore : 0;
    const weights: Float32Array[] = [];
    for (const p of model.parameters()) weights.push((await p.dataAsync()) as Float32Array);
    const fallbacks: Record<string, number> = {};
    if (backend === 'webgpu') {
      for (const [k, n] of Object.entries(getWebGpuStats().fallbacks))
        if (n > (before[k] ?? 0)) fallbacks[k] = n - (before[k] ?? 0);
    }
    const hostTasks = backend === 'webgpu' ? getWebGpuStats().hostTasks - tasksBefore : 0;
    return { losses, weights, fallbacks, hostTasks, stepDownloadBytes };
  } finally {
    if (backend === 'webgpu') await syncWebGpuToHost();
    setBackend('cpu');
  }
}

/** Train the MLP with every registered optimizer on both backends (the webgpu backend must be initialised). */
export async function runOptimizerChecks(): Promise<OptimizerRun[]> {
  for (const plugin of [
    optimPlugin,
    adadelta,
    adagrad,
    adam,
    adan,
    ademamix,
    lamb,
    lbfgs,
    lion,
    muon,
    prodigy,
    rmsprop,
    rprop,
    sam,
    schedulefree,
    sgd,
    soap,
  ])
    usePlugin(plugin);
  setBackend('cpu');
  const init = build().stateDict();
  const n = 20;
  const x = new Float32Array(n * 12).map((_, i) => Math.sin(i * 0.37) * 1.5);
  const y = new Int32Array(n).map((_, i) => (i * 3) % 4);
  const nudged = x.map((v) => v * (1 + 2 ** -23));
  const differ = (a: Float32Array[], b: Float32Array[]) => {
    let worst = 0;
    a.forEach((w, i) => {
      for (let j = 0; j < w.length; j++)
        worst = Math.max(worst, Math.abs(w[j] - b[i][j]) / Math.max(1, Math.abs(w[j])));
    });
    return worst;
  };
  const out: OptimizerRun[] = [];
  for (const name of listOptimizers()) {
    try {
      const cpu = await run(name, init, x, y, 'cpu');
      const spread = differ(cpu.weights, (await run(name, init, nudged, y, 'cpu')).weights);
      const gpu = await run(name, init, x, y, 'webgpu');
      out.push({
        name,
        cpuLosses: cpu.losses,
        gpuLosses: gpu.losses,
        weightError: differ(cpu.weights, gpu.weights),
        spread,
        fallbacks: gpu.fallbacks,
        hostTasks: gpu.hostTasks,
        stepDownloadBytes: gpu.stepDownloadBytes,
      });
    } catch (e) {
      out.push({
        name,
        cpuLosses: [],
        gpuLosses: [],
        weightError: Number.NaN,
        spread: Number.NaN,
        fallbacks: {},
        hostTasks: 0,
        stepDownloadBytes: 0,
        error: `${(e as Error).name}: ${(e as Error).message}`,
      });
    }
  }
  return out;
}
