/**
 * nabla's cases of the WebGPU bench page. Tensors do not live on the GPU yet (no op runs a WGSL kernel
 * and there is no autograd there), so these call the WebGPU kernels of packages/core/src/backends/webgpu
 * directly, imported from the core sources as test/browser/webgpu does:
 *
 * - matmul: `matmulWebGpu` on operands uploaded once; a run is `reps` products then a wait for the queue.
 * - the MLP train step, hand-chained from the kernels with every buffer resident on the GPU: the forward
 *   products, bias adds, ReLUs, log-softmax and the loss; the backward products, the ReLU and log-softmax
 *   gradient kernels and the bias-gradient reductions, written out by hand (no autograd); the fused Adam
 *   update of each parameter; then one read of the loss. Its first losses are checked against the same
 *   step on nabla's cpu backend through `@nablajs/nn` and `@nablajs/optim-adam` ({@link nablaCpuMlpLosses}).
 */
import { setBackend, type Tensor, tidy, zeros } from '@nablajs/core';
import { crossEntropy, Linear, ReLU, Sequential } from '@nablajs/nn';
import { adam } from '@nablajs/optim-adam';
import type { GpuArray } from '../../packages/core/src/backends/webgpu/context';
import { getWebGpuContext } from '../../packages/core/src/backends/webgpu/init';
import { binaryWebGpu } from '../../packages/core/src/backends/webgpu/kernels/binary';
import {
  mapUnaryWebGpu,
  reluWebGpu,
  thresholdBackwardWebGpu,
} from '../../packages/core/src/backends/webgpu/kernels/elementwise';
import { matmulWebGpu } from '../../packages/core/src/backends/webgpu/kernels/matmul';
import { adamUpdateWebGpu } from '../../packages/core/src/backends/webgpu/kernels/optim';
import {
  reduceWebGpu,
  softmaxBackwardWebGpu,
  softmaxWebGpu,
} from '../../packages/core/src/backends/webgpu/kernels/reduce';
import { ADAM, MLP, mlpData, mlpInit, normals, oneHot, transpose2d } from '../wasm/common';
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

/** The MLP step hand-chained from the WebGPU kernels: a runner (steps/s) and its first losses. */
export async function nablaMlp(checkSteps: number): Promise<{ runner: Runner; losses: number[] }> {
  const context = getWebGpuContext();
  const { batch: B, lr } = MLP;
  const d = MLP.sizes;
  const held: GpuArray[] = [];
  const keep = (a: GpuArray) => {
    held.push(a);
    return a;
  };
  const upload = (v: Float32Array) => keep(context.upload(v));
  const array = (n: number) => keep(context.createArray(n));
  const zerosOf = (n: number) => keep(context.zeros(n));

  const x = upload(mlpData.x); // [B, 784]
  const y = oneHot(mlpData.y, d[3]); // [B, 10]
  const yGpu = upload(y);
  // The gradient of the mean cross-entropy with respect to the log-probabilities: -y / B, a constant.
  const dLogProbs = upload(y.map((v) => -v / B));
  const w = [0, 1, 2].map((i) => upload(mlpInit.w[i])); // [in, out]
  const b = [0, 1, 2].map((i) => upload(mlpInit.b[i]));
  const params = [w[0], b[0], w[1], b[1], w[2], b[2]];
  const gw = [0, 1, 2].map((i) => array(d[i] * d[i + 1]));
  const gb = [0, 1, 2].map((i) => array(d[i + 1]));
  const grads = [gw[0], gb[0], gw[1], gb[1], gw[2], gb[2]];
  const m = params.map((p) => zerosOf(p.size));
  const v = params.map((p) => zerosOf(p.size));
  // Activations: z = h·W (before the bias), a = z + b, h = relu(a); the last layer's a are the logits.
  const z = [0, 1, 2].map((i) => array(B * d[i + 1]));
  const a = [0, 1, 2].map((i) => array(B * d[i + 1]));
  const h = [0, 1].map((i) => array(B * d[i + 1]));
  const logProbs = array(B * d[3]);
  const picked = array(B * d[3]);
  const lossSum = array(1);
  const loss = array(1);
  // Gradients of the activations: da[i] with respect to a[i], dh[i] with respect to h[i].
  const da = [0, 1, 2].map((i) => array(B * d[i + 1]));
  const dh = [0, 1].map((i) => array(B * d[i + 1]));
  let step = 0;

  const trainStep = async (): Promise<number> => {
    step += 1;
    // forward
    const input = [x, h[0], h[1]];
    for (let i = 0; i < 3; i++) {
      matmulWebGpu(input[i], 0, w[i], 0, z[i], 0, B, d[i], d[i + 1], false, false, false);
      binaryWebGpu('add', z[i], [B, d[i + 1]], b[i], [d[i + 1]], a[i], [B, d[i + 1]]);
      if (i < 2) reluWebGpu(a[i], h[i]);
    }
    softmaxWebGpu(a[2], B, d[3], 1, logProbs, true);
    // loss = -sum(y · logProbs) / B
    binaryWebGpu('mul', logProbs, [B, d[3]], yGpu, [B, d[3]], picked, [B, d[3]]);
    reduceWebGpu('sum', picked, [B, d[3]], [0, 1], lossSum, B);
    mapUnaryWebGpu('neg', lossSum, loss);
    // backward
    softmaxBackwardWebGpu(dLogProbs, logProbs, B, d[3], 1, da[2], true);
    for (let i = 2; i >= 0; i--) {
      // dW = inputᵀ · da, db = column sums of da, d(input) = da · Wᵀ
      matmulWebGpu(input[i], 0, da[i], 0, gw[i], 0, d[i], B, d[i + 1], true, false, false);
      reduceWebGpu('sum', da[i], [B, d[i + 1]], [0], gb[i]);
      if (i > 0) {
        matmulWebGpu(da[i], 0, w[i], 0, dh[i - 1], 0, B, d[i + 1], d[i], false, true, false);
        thresholdBackwardWebGpu(dh[i - 1], a[i - 1], da[i - 1], 0);
      }
    }
    // the fused Adam update of every parameter, in place
    params.forEach((p, j) => {
      adamUpdateWebGpu(p, grads[j], m[j], v[j], null, step, lr, ADAM.beta1, ADAM.beta2, ADAM.eps, 0, false, false);
    });
    const [value] = await context.read(loss);
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
      dispose: () => {
        for (const g of held) context.release(g);
      },
    },
  };
}

/**
 * The same MLP step on nabla's cpu backend (`Sequential` of `Linear`/`ReLU`, `crossEntropy`, autograd,
 * `@nablajs/optim-adam`), from the same initial parameters and batch: the losses of its first `steps` steps.
 */
export function nablaCpuMlpLosses(steps: number): number[] {
  setBackend('cpu');
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
  return losses;
}
