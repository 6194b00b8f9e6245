/**
 * nabla's cases of the WebGPU bench page:
 *
 * - matmul: `matmulWebGpu` (the kernel behind `matmul` on the webgpu backend) on operands uploaded once; a
 *   run is `reps` products then a wait for the queue.
 * - the MLP train step as a user writes it, on `setBackend('webgpu')` (tensors resident on the GPU,
 *   autograd, the fused Adam kernel), with one asynchronous read of the loss per step. Its first losses
 *   are checked against the same step on nabla's cpu backend ({@link nablaCpuMlpLosses}).
 * - the transformer train step written with core ops on `setBackend('webgpu')` ({@link nablaGpt}).
 */
import {
  gelu,
  layerNorm,
  matmulTransposed,
  permute,
  scaledDotProductAttention,
  setBackend,
  split,
  syncWebGpuToHost,
  type Tensor,
  tensor,
  tidy,
  zeros,
} from '@nablajs/core';
import { crossEntropy, F, Linear, ReLU, Sequential } from '@nablajs/nn';
import { adam } from '@nablajs/optim-adam';
import { getWebGpuContext } from '../../packages/core/src/backends/webgpu/init';
import { matmulWebGpu } from '../../packages/core/src/backends/webgpu/kernels/matmul';
import { MLP, mlpData, mlpInit, normals, transpose2d } from '../wasm/common';
import { type GptSizes, gptSetup, type Runner } from './common';

/** Wait until the GPU has run everything recorded so far, and surface any device error. */
async function finish(): Promise<void> {
  const context = getWebGpuContext();
  context.flush();
  await context.device.queue.onSubmittedWorkDone();
  await context.settle('webgpu bench');
}

/** `reps` products `A·B` of n x n float32 matrices per run (operands uploaded once): GFLOP/s. */
export async function nablaMatmul(n: number, reps: number): Promise<Runner> {
  const context = getWebGpuContext();
  const a = context.upload(normals(n * n, 1));
  const b = context.upload(normals(n * n, 2));
  const c = context.createArray(n * n);
  const run = async (): Promise<void> => {
    for (let r = 0; r < reps; r++) matmulWebGpu(a, 0, b, 0, c, 0, n, n, n, false, false, false);
    await finish();
  };
  await run(); // compiles the kernel
  return {
    run,
    value: (ms) => (reps * 2 * n ** 3) / (ms * 1e6),
    dispose: () => {
      for (const x of [a, b, c]) context.release(x);
    },
  };
}

/**
 * The MLP train step as a user writes it, on `setBackend('webgpu')`: `Sequential` of `Linear`/`ReLU`,
 * `crossEntropy`, autograd and `@nablajs/optim-adam` in a `tidy`, then one asynchronous read of the loss.
 * The tensors stay on the GPU between steps. A runner (steps/s) and its first losses.
 */
export async function nablaMlp(checkSteps: number): Promise<{ runner: Runner; losses: number[] }> {
  nablaCpuMlpLosses(checkSteps); // the reference, on the cpu backend, before the webgpu backend takes over
  setBackend('webgpu');
  const { model, x, y } = mlpModel();
  return gpuTraining(
    () => crossEntropy(model.forward(x) as Tensor, y),
    adam(model.parameters(), { lr: MLP.lr }),
    checkSteps,
  );
}

/**
 * Train steps on the webgpu backend as a user writes them: in a `tidy`, zeroGrad, `loss()`, backward and
 * the optimizer's step, then one asynchronous read of the loss. Its first `checkSteps` losses, and a
 * runner (steps/s) whose dispose copies everything back and leaves the backend (the next case may run on
 * another one).
 */
async function gpuTraining(
  loss: () => Tensor,
  opt: { zeroGrad(): void; step(): void },
  checkSteps: number,
): Promise<{ runner: Runner; losses: number[] }> {
  const trainStep = async (): Promise<number> => {
    const l = tidy(() => {
      opt.zeroGrad();
      const value = loss();
      value.backward();
      opt.step();
      return value;
    });
    const value = await l.itemAsync();
    l.dispose();
    return value;
  };
  const losses: number[] = [];
  for (let i = 0; i < checkSteps; i++) losses.push(await trainStep());
  return {
    losses,
    runner: {
      run: async () => {
        await trainStep();
      },
      value: (ms) => 1000 / ms,
      dispose: async () => {
        await syncWebGpuToHost();
        setBackend('cpu');
      },
    },
  };
}

/** The bench's MLP with its initial parameters, and its batch, on the active backend. */
function mlpModel(): { model: Sequential; x: Tensor; y: Tensor } {
  const d = MLP.sizes;
  const layers = [new Linear(d[0], d[1]), new Linear(d[1], d[2]), new Linear(d[2], d[3])];
  const load = (t: Tensor | null, values: Float32Array) => {
    if (t === null) return;
    t.values.set(values);
    t.markModified();
  };
  layers.forEach((layer, i) => {
    load(layer.weight, transpose2d(mlpInit.w[i], d[i], d[i + 1])); // Linear holds [out, in]
    load(layer.bias, mlpInit.b[i]);
  });
  const model = new Sequential(layers[0], new ReLU(), layers[1], new ReLU(), layers[2]);
  const x = zeros([MLP.batch, d[0]]);
  load(x, mlpData.x);
  const y = zeros([MLP.batch], { dtype: 'int32' });
  y.values.set(mlpData.y);
  y.markModified();
  return { model, x, y };
}

/**
 * The same MLP step on nabla's cpu backend (`Sequential` of `Linear`/`ReLU`, `crossEntropy`, autograd,
 * `@nablajs/optim-adam`), from the same initial parameters and batch: the losses of its first `steps` steps
 * (computed once; later calls return them without touching the active backend).
 */
export function nablaCpuMlpLosses(steps: number): number[] {
  const cached = cpuLosses.get(steps);
  if (cached !== undefined) return cached;
  setBackend('cpu');
  const { model, x, y } = mlpModel();
  const opt = adam(model.parameters(), { lr: MLP.lr });
  const losses: number[] = [];
  for (let i = 0; i < steps; i++)
    losses.push(
      tidy(() => {
        opt.zeroGrad();
        const loss = crossEntropy(model.forward(x) as Tensor, y);
        loss.backward();
        opt.step();
        return loss.item();
      }),
    );
  cpuLosses.set(steps, losses);
  return losses;
}

/** {@link nablaCpuMlpLosses} by number of steps (computed once, before the webgpu backend is active). */
const cpuLosses = new Map<number, number[]>();

/**
 * The transformer step of `tfGpt` (token and position embeddings, pre-norm blocks with causal attention
 * and a GELU MLP, LayerNorms without bias, the head tied to the token embedding, mean cross-entropy, Adam)
 * written with nabla's ops on `setBackend('webgpu')`, from `gptSetup`'s parameters and batch; every kernel
 * of the step runs on the GPU.
 */
export async function nablaGpt(sizes: GptSizes, checkSteps: number): Promise<{ runner: Runner; losses: number[] }> {
  setBackend('webgpu');
  const { context: T, layers, heads, width: C, batch: B, lr } = sizes;
  const setup = gptSetup(sizes);
  const hs = C / heads;
  const p: Record<string, Tensor> = {};
  for (const [name, init] of Object.entries(setup.init))
    p[name] = tensor(init.data.slice(), { shape: init.shape, requiresGrad: true });
  const ids = tensor(setup.idx, { shape: [B, T], dtype: 'int32' });
  const targets = tensor(setup.targets, { dtype: 'int32' });
  const linear = (x: Tensor, w: Tensor) => matmulTransposed(x, w, { transB: true }); // x · Wᵀ, W [out, in]
  const heads4 = (z: Tensor) => permute(z.reshape([B, T, heads, hs]), [0, 2, 1, 3]);
  const loss = (): Tensor => {
    let x = F.embedding(ids, p['wte.weight'])
      .add(p['wpe.weight'])
      .reshape([B * T, C]);
    for (let l = 0; l < layers; l++) {
      const at = (name: string) => p[`h.${l}.${name}.weight`];
      const [q, k, v] = split(linear(layerNorm(x, [C], at('ln_1')), at('attn.c_attn')), C, 1).map(heads4);
      const y = scaledDotProductAttention(q, k, v, { isCausal: true });
      x = x.add(linear(permute(y, [0, 2, 1, 3]).reshape([B * T, C]), at('attn.c_proj')));
      x = x.add(linear(gelu(linear(layerNorm(x, [C], at('ln_2')), at('mlp.c_fc'))), at('mlp.c_proj')));
    }
    return crossEntropy(linear(layerNorm(x, [C], p['ln_f.weight']), p['wte.weight']), targets);
  };
  return gpuTraining(loss, adam(Object.values(p), { lr }), checkSteps);
}
