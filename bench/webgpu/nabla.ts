/**
 * nabla's cases of the WebGPU bench page:
 *
 * - matmul: `matmulWebGpu` (the kernel behind `matmul` on the webgpu backend) on operands uploaded once; a
 *   run is `reps` products then a wait for the queue.
 * - the MLP train step as a user writes it, on `setBackend('webgpu')` (tensors resident on the GPU,
 *   autograd, the fused Adam kernel), with one asynchronous read of the loss per step. Its first losses
 *   are checked against the same step on nabla's cpu backend ({@link nablaCpuMlpLosses}).
 */
import { setBackend, syncWebGpuToHost, type Tensor, tidy, zeros } from '@nablajs/core';
import { crossEntropy, Linear, ReLU, Sequential } from '@nablajs/nn';
import { adam } from '@nablajs/optim-adam';
import { getWebGpuContext } from '../../packages/core/src/backends/webgpu/init';
import { matmulWebGpu } from '../../packages/core/src/backends/webgpu/kernels/matmul';
import { MLP, mlpData, mlpInit, normals, transpose2d } from '../wasm/common';
import type { Runner } from './common';

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
  const opt = adam(model.parameters(), { lr: MLP.lr });
  const trainStep = async (): Promise<number> => {
    const loss = tidy(() => {
      opt.zeroGrad();
      const l = crossEntropy(model.forward(x) as Tensor, y);
      l.backward();
      opt.step();
      return l;
    });
    const value = await loss.itemAsync();
    loss.dispose();
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
        // Leaves the backend once the weights are back (the next case may run on another backend).
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
