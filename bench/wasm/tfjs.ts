/**
 * TensorFlow.js cases of bench/wasm.bench.ts, on whichever backend (`tf.setBackend`) the caller
 * selected: matmul, the MLP and CNN train steps (`tf.train.adam(...).minimize`), Adam over 1M
 * parameters (`applyGradients`), and the per-op overhead of `add`.
 *
 * tfjs-backend-wasm 4.22 has no `Conv2DBackpropFilter` kernel, so `tf.conv2d` cannot be trained
 * there; on that backend the CNN's convolutions are `tf.conv3d` on a depth-1 volume (the same
 * arithmetic; its filter gradient `Conv3DBackpropFilterV2` exists on wasm). The cpu backend uses
 * `tf.conv2d`.
 */
import * as tf from '@tensorflow/tfjs';
import {
  ADAM,
  CHECK_STEPS,
  CNN,
  checkTraining,
  cnnData,
  cnnInitNhwc,
  MLP,
  measure,
  mlpData,
  mlpInit,
  operandShapes,
  optimData,
} from './common';

/**
 * `tf.matMul` (+ `dataSync`) on random float32 operands: GFLOP/s. A case whose first run takes over
 * a second (tfjs-cpu at 1024³) is reported from that one run.
 */
export function tfMatmulGflops(m: number, k: number, n: number, transA: boolean, transB: boolean): number {
  const [sa, sb] = operandShapes(m, k, n, transA, transB);
  const ta = tf.randomNormal(sa);
  const tb = tf.randomNormal(sb);
  const run = (): void => {
    const out = tf.matMul(ta, tb, transA, transB);
    out.dataSync();
    out.dispose();
  };
  const t0 = performance.now();
  run();
  const first = performance.now() - t0;
  const ms = first > 1000 ? first : measure(run, 300, 150, 3);
  ta.dispose();
  tb.dispose();
  return (2 * m * n * k) / (ms * 1e6);
}

/**
 * Trains `vars` on `loss` with Adam: {@link CHECK_STEPS} steps whose losses must decrease, then
 * timed steps (`minimize` + reading the loss). Steps per second; `budgetMs` is the timing budget.
 */
function trainStepsPerSecond(
  what: string,
  vars: tf.Variable[],
  loss: () => tf.Scalar,
  lr: number,
  budgetMs: number,
): number {
  const opt = tf.train.adam(lr, ADAM.beta1, ADAM.beta2, ADAM.eps);
  const step = (): number => {
    const value = opt.minimize(loss, true, vars);
    const out = value?.dataSync()[0] ?? Number.NaN;
    value?.dispose();
    return out;
  };
  const losses: number[] = [];
  const times: number[] = [];
  for (let i = 0; i < CHECK_STEPS; i++) {
    const t0 = performance.now();
    losses.push(step());
    times.push(performance.now() - t0);
  }
  checkTraining(what, losses);
  // A step slower than a second (tfjs-cpu's CNN) is timed on the checked steps after the first.
  const warm = times.slice(1).sort((a, b) => a - b);
  const ms = warm[0] > 1000 ? warm[warm.length >> 1] : measure(step, budgetMs, 0, 2);
  opt.dispose();
  return 1000 / ms;
}

/** One train step of the MLP (784-256-128-10, batch 128, Adam lr 1e-3): steps per second. */
export function tfMlpStepsPerSecond(what: string): number {
  const [d0, d1, d2, d3] = MLP.sizes;
  const { w: iw, b: ib } = mlpInit;
  const w = [
    tf.variable(tf.tensor2d(iw[0], [d0, d1])),
    tf.variable(tf.tensor1d(ib[0])),
    tf.variable(tf.tensor2d(iw[1], [d1, d2])),
    tf.variable(tf.tensor1d(ib[1])),
    tf.variable(tf.tensor2d(iw[2], [d2, d3])),
    tf.variable(tf.tensor1d(ib[2])),
  ];
  const x = tf.tensor2d(mlpData.x, [MLP.batch, d0]);
  const labels = tf.oneHot(tf.tensor1d(mlpData.y, 'int32'), d3);
  const perSecond = trainStepsPerSecond(
    what,
    w,
    () => {
      const h1 = tf.relu(tf.add(tf.matMul(x, w[0]), w[1]));
      const h2 = tf.relu(tf.add(tf.matMul(h1, w[2]), w[3]));
      const logits = tf.add(tf.matMul(h2, w[4]), w[5]);
      return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
    },
    MLP.lr,
    600,
  );
  for (const t of [...w, x, labels]) t.dispose();
  return perSecond;
}

/** One train step of the CNN (see `CNN` in common.ts; NHWC layout): steps per second. */
export function tfCnnStepsPerSecond(what: string, useConv3d: boolean): number {
  const { batch, side, c1, c2, flat, classes } = CNN;
  const init = cnnInitNhwc();
  const w = [
    tf.variable(tf.tensor4d(init.conv1, [3, 3, 1, c1])),
    tf.variable(tf.tensor1d(init.bias1)),
    tf.variable(tf.tensor4d(init.conv2, [3, 3, c1, c2])),
    tf.variable(tf.tensor1d(init.bias2)),
    tf.variable(tf.tensor2d(init.w, [flat, classes])),
    tf.variable(tf.tensor1d(init.b)),
  ];
  // cnnData.x is [batch, 1, 28, 28]; with one channel that is the same memory as NHWC [batch, 28, 28, 1].
  const x = tf.tensor4d(cnnData.x, [batch, side, side, 1]);
  const labels = tf.oneHot(tf.tensor1d(cnnData.y, 'int32'), classes);
  // A 3x3 'same' convolution of the NHWC `input` (side x side, cin channels) with `filter` [3, 3, cin, cout].
  const conv = (input: tf.Tensor4D, filter: tf.Variable, hw: number, cin: number, cout: number): tf.Tensor4D => {
    if (!useConv3d) return tf.conv2d(input, filter as tf.Tensor4D, 1, 'same');
    const out = tf.conv3d(
      input.reshape<tf.Tensor5D>([batch, 1, hw, hw, cin]),
      filter.reshape<tf.Tensor5D>([1, 3, 3, cin, cout]),
      1,
      'same',
    );
    return out.reshape<tf.Tensor4D>([batch, hw, hw, cout]);
  };
  const perSecond = trainStepsPerSecond(
    what,
    w,
    () => {
      const a1 = tf.maxPool(tf.relu(tf.add<tf.Tensor4D>(conv(x, w[0], side, 1, c1), w[1])), 2, 2, 'valid');
      const a2 = tf.maxPool(tf.relu(tf.add<tf.Tensor4D>(conv(a1, w[2], side / 2, c1, c2), w[3])), 2, 2, 'valid');
      const logits = tf.add(tf.matMul(a2.reshape([batch, flat]), w[4]), w[5]);
      return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
    },
    CNN.lr,
    600,
  );
  for (const t of [...w, x, labels]) t.dispose();
  return perSecond;
}

/**
 * `tf.train.adam(...).applyGradients` over 1M float32 parameters with fixed gradients: ms per step (the
 * cpu and wasm backends run kernels synchronously, so the step is done when the call returns).
 */
export function tfAdamMs(): number {
  const vars = optimData.params.map((d, i) => tf.variable(tf.tensor1d(d), true, `adam_bench_p${i}`));
  const grads = optimData.grads.map((g, i) => ({ name: `adam_bench_p${i}`, tensor: tf.tensor1d(g) }));
  const opt = tf.train.adam(ADAM.lr, ADAM.beta1, ADAM.beta2, ADAM.eps);
  const ms = measure(() => opt.applyGradients(grads), 500, 100, 5);
  opt.dispose();
  for (const t of [...vars, ...grads.map((g) => g.tensor)]) t.dispose();
  return ms;
}

/** `tf.add(a, b).dispose()` on two 64-element float32 tensors, 2000 calls per run: µs per op. */
export function tfAddMicros(): number {
  const a = tf.randomNormal([64]);
  const b = tf.randomNormal([64]);
  const inner = 2000;
  const ms = measure(() => {
    for (let i = 0; i < inner; i++) tf.add(a, b).dispose();
  });
  a.dispose();
  b.dispose();
  return (ms * 1000) / inner;
}
