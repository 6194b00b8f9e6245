/**
 * TensorFlow.js cases of bench/models.bench.ts, on whichever backend (`tf.setBackend`) the caller
 * selected: the same transformer and LSTM as nabla's (./nabla.ts), written with tf ops from the same
 * initial parameters, trained with `tf.train.adam(...).minimize`. Linear weights are held as tfjs holds
 * a `dense` kernel, `[in, out]` (the transpose of PyTorch's and nabla's `[out, in]`), so every forward
 * product is a plain `x · W`: tfjs-wasm's products with a transposed operand are much slower
 * (bench/results.md), and a tfjs user would not pay for a layout taken from another library.
 *
 * tfjs-backend-wasm 4.22 has no `UnsortedSegmentSum` kernel, which the gradient of `tf.gather` needs,
 * so on that backend the token embedding is the product of the one-hot ids with the table (the same
 * numbers: each row of the product is one row of the table); the cpu backend uses `tf.gather`.
 */
import * as tf from '@tensorflow/tfjs';
import { ADAM, transpose2d } from '../wasm/common';
import {
  GPT_SIZES,
  gptData,
  gptInit,
  type InitialParameter,
  LSTM_SIZES,
  lstmData,
  lstmInit,
  trainStepsPerSecond,
} from './common';

/**
 * Times `loss` trained on `vars` with Adam (lr `lr`, betas 0.9 / 0.999, eps 1e-8) through
 * ./common.ts's `trainStepsPerSecond`, then disposes the optimizer. Steps per second.
 */
function adamStepsPerSecond(what: string, vars: tf.Variable[], loss: () => tf.Scalar, lr: number): number {
  const opt = tf.train.adam(lr, ADAM.beta1, ADAM.beta2, ADAM.eps);
  const step = (): number => {
    const value = opt.minimize(loss, true, vars);
    const out = value?.dataSync()[0] ?? Number.NaN;
    value?.dispose();
    return out;
  };
  try {
    return trainStepsPerSecond(what, step);
  } finally {
    opt.dispose();
  }
}

/** LayerNorm without bias over the last axis (eps 1e-5, biased variance), as `torch.nn.LayerNorm`. */
function layerNorm(x: tf.Tensor2D, weight: tf.Variable): tf.Tensor2D {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5))), weight);
}

/**
 * A variable holding `init`, a Linear weight `[out, in]` (PyTorch's layout) stored as `[in, out]`, the
 * layout of a tfjs `dense` kernel, so that the forward product is `x · W` (tfjs-wasm's fast case).
 */
function kernelOf(init: InitialParameter): tf.Variable {
  const [out, inp] = init.shape;
  return tf.variable(tf.tensor2d(transpose2d(init.data, out, inp), [inp, out]));
}

/** `x · W` for a kernel `[in, out]` made by {@link kernelOf}. */
function linear(x: tf.Tensor2D, kernel: tf.Variable): tf.Tensor2D {
  return tf.matMul(x, kernel as tf.Tensor2D);
}

/** The exact GELU, `0.5 · x · (1 + erf(x / √2))`. */
function gelu(x: tf.Tensor2D): tf.Tensor2D {
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
}

/** One train step of the transformer (see `GPT_SIZES` in ./common.ts) on the current backend: steps per second. */
export function tfGptStepsPerSecond(what: string, backend: 'cpu' | 'wasm'): number {
  const { vocab, context: T, layers, heads, width: C, batch: B, lr } = GPT_SIZES;
  const hs = C / heads;
  const p: Record<string, tf.Variable> = {};
  for (const [name, init] of Object.entries(gptInit))
    p[name] =
      init.shape.length === 2 && name.startsWith('h.') ? kernelOf(init) : tf.variable(tf.tensor(init.data, init.shape));
  const ids = tf.tensor1d(gptData.idx, 'int32');
  const idsOneHot = backend === 'wasm' ? tf.tidy(() => tf.oneHot(ids, vocab).toFloat()) : null;
  const labels = tf.tidy(() => tf.oneHot(tf.tensor1d(gptData.targets, 'int32'), vocab));
  // The causal mask, added to the attention scores: 0 where a query may see the key, -1e9 after it.
  const maskValues = new Float32Array(T * T);
  for (let q = 0; q < T; q++) for (let k = q + 1; k < T; k++) maskValues[q * T + k] = -1e9;
  const mask = tf.tensor2d(maskValues, [T, T]);
  const scale = 1 / Math.sqrt(hs);
  // [B·T, C] -> [B, heads, T, hs]
  const splitHeads = (z: tf.Tensor) => tf.transpose(tf.reshape(z, [B, T, heads, hs]), [0, 2, 1, 3]);

  const loss = (): tf.Scalar => {
    const wte = p['wte.weight'] as tf.Tensor2D;
    const tokens = idsOneHot === null ? tf.gather(wte, ids) : tf.matMul(idsOneHot, wte);
    // Every row of the batch uses positions 0 ... T-1, so the position embedding is the table itself.
    let x = tf.reshape(tf.add(tf.reshape(tokens, [B, T, C]), p['wpe.weight']), [B * T, C]) as tf.Tensor2D;
    for (let l = 0; l < layers; l++) {
      const at = (name: string) => p[`h.${l}.${name}.weight`];
      const [q, k, v] = tf.split(linear(layerNorm(x, at('ln_1')), at('attn.c_attn')), 3, 1).map(splitHeads);
      const scores = tf.add(tf.mul(tf.matMul(q, k, false, true), scale), mask);
      const y = tf.matMul(tf.softmax(scores), v); // [B, heads, T, hs]
      const merged = tf.reshape(tf.transpose(y, [0, 2, 1, 3]), [B * T, C]) as tf.Tensor2D;
      x = tf.add(x, linear(merged, at('attn.c_proj')));
      x = tf.add(x, linear(gelu(linear(layerNorm(x, at('ln_2')), at('mlp.c_fc'))), at('mlp.c_proj')));
    }
    // The tied head: x · wteᵀ, wte being the embedding table [vocab, C].
    const logits = tf.matMul(layerNorm(x, p['ln_f.weight']), p['wte.weight'] as tf.Tensor2D, false, true);
    return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
  };

  try {
    return adamStepsPerSecond(what, Object.values(p), loss, lr);
  } finally {
    for (const t of [...Object.values(p), ids, labels, mask]) t.dispose();
    idsOneHot?.dispose();
  }
}

/**
 * One train step of the LSTM (see `LSTM_SIZES` in ./common.ts) on the current backend: the input
 * projections of all steps in one product, then 64 steps of `h·W_hhᵀ` (weights stored as `[in, out]` kernels), the gates i, f, g, o (PyTorch's
 * order), `c = σ(f)·c + σ(i)·tanh(g)`, `h = σ(o)·tanh(c)`; the head on every step, MSE. Steps per second.
 */
export function tfLstmStepsPerSecond(what: string): number {
  const { batch: B, steps: T, input, hidden: H, output, lr } = LSTM_SIZES;
  const wIh = kernelOf(lstmInit.weightIh); // [in, 4H]
  const wHh = kernelOf(lstmInit.weightHh); // [H, 4H]
  const bIh = tf.variable(tf.tensor1d(lstmInit.biasIh.data));
  const bHh = tf.variable(tf.tensor1d(lstmInit.biasHh.data));
  const headW = kernelOf(lstmInit.headWeight); // [H, 64]
  const headB = tf.variable(tf.tensor1d(lstmInit.headBias.data));
  const x = tf.tensor2d(lstmData.x, [B * T, input]);
  const target = tf.tensor2d(lstmData.target, [B * T, output]);

  const loss = (): tf.Scalar => {
    // [B·T, 4H] -> time-major [T, B, 4H] -> T tensors [B, 4H]
    const projected = tf.add(tf.add(linear(x, wIh), bIh), bHh);
    const perStep = tf.unstack(tf.transpose(tf.reshape(projected, [B, T, 4 * H]), [1, 0, 2])) as tf.Tensor2D[];
    let h: tf.Tensor2D = tf.zeros([B, H]);
    let c: tf.Tensor2D = tf.zeros([B, H]);
    const outputs: tf.Tensor2D[] = [];
    for (let t = 0; t < T; t++) {
      const [i, f, g, o] = tf.split(tf.add(perStep[t], linear(h, wHh)), 4, 1);
      c = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g)));
      h = tf.mul(tf.sigmoid(o), tf.tanh(c));
      outputs.push(h);
    }
    const hidden = tf.reshape(tf.stack(outputs, 1), [B * T, H]) as tf.Tensor2D;
    const prediction = tf.add(linear(hidden, headW), headB);
    return tf.losses.meanSquaredError(target, prediction) as tf.Scalar;
  };

  try {
    return adamStepsPerSecond(what, [wIh, wHh, bIh, bHh, headW, headB], loss, lr);
  } finally {
    for (const t of [wIh, wHh, bIh, bHh, headW, headB, x, target]) t.dispose();
  }
}
