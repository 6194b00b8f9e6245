/**
 * TensorFlow.js's cases of the WebGPU bench page, on `@tensorflow/tfjs-backend-webgpu` (the `webgpu`
 * backend of tfjs 4.22, with the gradients of the `@tensorflow/tfjs` package): matmul, the MLP train
 * step and the transformer train step, both with `tf.train.adam(...).minimize` and a read of the loss.
 * The transformer is the one of bench/models/tfjs.ts (the same layers and initial parameters), with the
 * token embedding through `tf.gather` (tfjs-webgpu has the `UnsortedSegmentSum` kernel its gradient needs).
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { ADAM, MLP, mlpData, mlpInit, normals, transpose2d } from '../wasm/common';
import { causalMask, type GptSizes, gptSetup, type InitialParameter, type Runner } from './common';

/** Select the `webgpu` backend (prod mode); resolves with its adapter's description. */
export async function tfInit(): Promise<string> {
  tf.enableProdMode();
  if (!(await tf.setBackend('webgpu'))) throw new Error('tf.setBackend("webgpu") failed');
  await tf.ready();
  const backend = tf.backend() as unknown as { device?: GPUDevice; adapterInfo?: { vendor?: string } };
  return adapterText(backend.device);
}

/** `vendor / architecture / description` of a device's adapter (Chromium's `GPUDevice.adapterInfo`). */
export function adapterText(device: GPUDevice | undefined): string {
  const info = (device as { adapterInfo?: GPUAdapterInfo } | undefined)?.adapterInfo;
  if (info === undefined) return 'unknown (no GPUDevice.adapterInfo)';
  return [info.vendor, info.architecture, info.device, info.description].filter((s) => s).join(' / ') || 'unknown';
}

/** `reps` products `tf.matMul(a, b)` of n x n float32 matrices per run, then a read of one element of the last. */
export async function tfMatmul(n: number, reps: number): Promise<Runner> {
  const a = tf.tensor2d(normals(n * n, 1), [n, n]);
  const b = tf.tensor2d(normals(n * n, 2), [n, n]);
  const run = async (): Promise<void> => {
    const outs: tf.Tensor[] = [];
    for (let r = 0; r < reps; r++) outs.push(tf.matMul(a, b));
    const corner = tf.slice(outs[outs.length - 1], [0, 0], [1, 1]);
    await corner.data();
    corner.dispose();
    for (const o of outs) o.dispose();
  };
  await run();
  return {
    run,
    value: (ms) => (reps * 2 * n ** 3) / (ms * 1e6),
    dispose: () => {
      a.dispose();
      b.dispose();
    },
  };
}

/** Adam (`minimize` + reading the loss) on `vars`: the runner and the losses of its first steps. */
async function adamTrain(
  vars: tf.Variable[],
  loss: () => tf.Scalar,
  lr: number,
  checkSteps: number,
  held: tf.Tensor[],
): Promise<{ runner: Runner; losses: number[] }> {
  const opt = tf.train.adam(lr, ADAM.beta1, ADAM.beta2, ADAM.eps);
  const step = async (): Promise<number> => {
    const value = opt.minimize(loss, true, vars);
    const out = value === null ? Number.NaN : (await value.data())[0];
    value?.dispose();
    return out;
  };
  const losses: number[] = [];
  for (let i = 0; i < checkSteps; i++) losses.push(await step());
  return {
    losses,
    runner: {
      run: async () => {
        await step();
      },
      value: (ms) => 1000 / ms,
      dispose: () => {
        opt.dispose();
        for (const t of [...vars, ...held]) t.dispose();
      },
    },
  };
}

/** The MLP step (784-256-128-10, batch 128, ReLU, softmax cross-entropy, Adam). */
export async function tfMlp(checkSteps: number): Promise<{ runner: Runner; losses: number[] }> {
  const d = MLP.sizes;
  const w = [0, 1, 2].flatMap((i) => [
    tf.variable(tf.tensor2d(mlpInit.w[i], [d[i], d[i + 1]])),
    tf.variable(tf.tensor1d(mlpInit.b[i])),
  ]);
  const x = tf.tensor2d(mlpData.x, [MLP.batch, d[0]]);
  const labels = tf.tidy(() => tf.oneHot(tf.tensor1d(mlpData.y, 'int32'), d[3]));
  const loss = (): tf.Scalar => {
    const h1 = tf.relu(tf.add(tf.matMul(x, w[0]), w[1]));
    const h2 = tf.relu(tf.add(tf.matMul(h1, w[2]), w[3]));
    return tf.losses.softmaxCrossEntropy(labels, tf.add(tf.matMul(h2, w[4]), w[5])) as tf.Scalar;
  };
  return adamTrain(w, loss, MLP.lr, checkSteps, [x, labels]);
}

/** LayerNorm without bias over the last axis (eps 1e-5, biased variance), as `torch.nn.LayerNorm`. */
function layerNorm(x: tf.Tensor2D, weight: tf.Variable): tf.Tensor2D {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5))), weight);
}

/** A Linear weight `[out, in]` held as a tfjs dense kernel `[in, out]`, so that the product is `x · W`. */
function kernelOf(init: InitialParameter): tf.Variable {
  const [out, inp] = init.shape;
  return tf.variable(tf.tensor2d(transpose2d(init.data, out, inp), [inp, out]));
}

/** The exact GELU, `0.5 · x · (1 + erf(x / √2))`. */
function gelu(x: tf.Tensor2D): tf.Tensor2D {
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
}

/** The transformer step (see `GptSizes`): embeddings, pre-norm blocks, tied head, mean cross-entropy, Adam. */
export async function tfGpt(sizes: GptSizes, checkSteps: number): Promise<{ runner: Runner; losses: number[] }> {
  const { vocab, context: T, layers, heads, width: C, batch: B, lr } = sizes;
  const setup = gptSetup(sizes);
  const hs = C / heads;
  const p: Record<string, tf.Variable> = {};
  for (const [name, init] of Object.entries(setup.init))
    p[name] =
      init.shape.length === 2 && name.startsWith('h.') ? kernelOf(init) : tf.variable(tf.tensor(init.data, init.shape));
  const ids = tf.tensor1d(setup.idx, 'int32');
  const labels = tf.tidy(() => tf.oneHot(tf.tensor1d(setup.targets, 'int32'), vocab));
  const mask = tf.tensor2d(causalMask(T), [T, T]);
  const scale = 1 / Math.sqrt(hs);
  const splitHeads = (z: tf.Tensor) => tf.transpose(tf.reshape(z, [B, T, heads, hs]), [0, 2, 1, 3]);
  const loss = (): tf.Scalar => {
    const tokens = tf.gather(p['wte.weight'], ids);
    let x = tf.reshape(tf.add(tf.reshape(tokens, [B, T, C]), p['wpe.weight']), [B * T, C]) as tf.Tensor2D;
    for (let l = 0; l < layers; l++) {
      const at = (name: string) => p[`h.${l}.${name}.weight`];
      const qkv = tf.matMul(layerNorm(x, at('ln_1')), at('attn.c_attn') as tf.Tensor2D);
      const [q, k, v] = tf.split(qkv, 3, 1).map(splitHeads);
      const scores = tf.add(tf.mul(tf.matMul(q, k, false, true), scale), mask);
      const y = tf.matMul(tf.softmax(scores), v);
      const merged = tf.reshape(tf.transpose(y, [0, 2, 1, 3]), [B * T, C]) as tf.Tensor2D;
      x = tf.add(x, tf.matMul(merged, at('attn.c_proj') as tf.Tensor2D));
      const hidden = gelu(tf.matMul(layerNorm(x, at('ln_2')), at('mlp.c_fc') as tf.Tensor2D));
      x = tf.add(x, tf.matMul(hidden, at('mlp.c_proj') as tf.Tensor2D));
    }
    const logits = tf.matMul(layerNorm(x, p['ln_f.weight']), p['wte.weight'] as tf.Tensor2D, false, true);
    return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
  };
  return adamTrain(Object.values(p), loss, lr, checkSteps, [ids, labels, mask]);
}
