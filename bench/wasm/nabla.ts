/**
 * nabla cases of bench/wasm.bench.ts, run on whichever backend (`setBackend`) and thread count
 * (`setNumThreads`) the caller selected: matmul, the MLP and CNN train steps (nn modules, autograd,
 * `@nablajs/optim-adam`), Adam over 1M parameters, and the per-op overhead of `add`.
 */
import { add, capture, matmulTransposed, noGrad, randn, type Tensor, tidy, zeros } from '@nablajs/core';
import { Conv2d, crossEntropy, Flatten, Linear, MaxPool2d, type Module, ReLU, Sequential } from '@nablajs/nn';
import { adam } from '@nablajs/optim-adam';
import {
  CHECK_STEPS,
  CNN,
  checkTraining,
  cnnData,
  cnnInit,
  MLP,
  measure,
  mlpData,
  mlpInit,
  OPTIM,
  operandShapes,
  optimData,
  transpose2d,
} from './common';

/** `matmulTransposed` on random float32 operands: GFLOP/s. */
export function nablaMatmulGflops(m: number, k: number, n: number, transA: boolean, transB: boolean): number {
  const [sa, sb] = operandShapes(m, k, n, transA, transB);
  const a = randn(sa);
  const b = randn(sb);
  // Each product in a tidy: its result's block goes back to the pool at once (as in a training step).
  const ms = noGrad(() =>
    measure(() => tidy(() => void matmulTransposed(a, b, { transA, transB })), m * n * k > 1e8 ? 800 : 300),
  );
  return (2 * m * n * k) / (ms * 1e6);
}

/** A tensor with a copy of `values`, allocated by nabla (so it lives in wasm memory on the wasm backend). */
function fromValues(values: Float32Array | Int32Array, shape: number[]): Tensor {
  const t = zeros(shape, { dtype: values instanceof Int32Array ? 'int32' : 'float32' });
  t.values.set(values);
  t.markModified();
  return t;
}

/**
 * Writes `values` into a parameter the way module loading does (`values` and `markModified()`), not
 * through `data`, which would start the content fingerprint that tracks untracked writes (every step
 * would then pay it, as it does for any buffer handed out through `data`).
 */
function load(t: Tensor | null, values: Float32Array): void {
  if (t === null) return;
  t.values.set(values);
  t.markModified();
}

/**
 * One train step of `model` on the fixed batch `(x, y)` with a new Adam (`lr`), in a `tidy`: zeroGrad, forward,
 * cross-entropy, backward, step. Returns the step, which returns the loss.
 */
export function adamTrainStep(model: Module, x: Tensor, y: Tensor, lr: number): () => number {
  const opt = adam(model.parameters(), { lr });
  return () =>
    tidy(() => {
      opt.zeroGrad();
      const loss = crossEntropy(model.forward(x) as Tensor, y);
      loss.backward();
      opt.step();
      return loss.item();
    });
}

/**
 * Trains `model` on the fixed batch `(x, y)` with Adam: {@link CHECK_STEPS} steps whose losses must
 * decrease, then timed steps (zeroGrad, forward, cross-entropy, backward, step), each in a `tidy` as
 * tfjs's `minimize` is (fit() does the same per batch). Steps per second.
 */
function trainStepsPerSecond(what: string, model: Module, x: Tensor, y: Tensor, lr: number): number {
  const step = adamTrainStep(model, x, y, lr);
  const losses: number[] = [];
  for (let i = 0; i < CHECK_STEPS; i++) losses.push(step());
  checkTraining(what, losses);
  return 1000 / measure(step, 600);
}

/** The MLP (784-256-128-10, `Sequential` of `Linear`/`ReLU`) with the shared initial weights, and its batch. */
export function nablaMlp(): { model: Module; x: Tensor; y: Tensor } {
  const [d0, d1, d2, d3] = MLP.sizes;
  const layers = [new Linear(d0, d1), new Linear(d1, d2), new Linear(d2, d3)];
  layers.forEach((layer, i) => {
    load(layer.weight, transpose2d(mlpInit.w[i], MLP.sizes[i], MLP.sizes[i + 1]));
    load(layer.bias, mlpInit.b[i]);
  });
  const model = new Sequential(layers[0], new ReLU(), layers[1], new ReLU(), layers[2]);
  return { model, x: fromValues(mlpData.x, [MLP.batch, d0]), y: fromValues(mlpData.y, [MLP.batch]) };
}

/**
 * The MLP step with its forward and backward recorded once by `capture()` (zeroGrad, forward,
 * cross-entropy and backward inside the capture; Adam's step after each replay, as it must be): the step,
 * which returns the loss, and `dispose`, which frees the capture.
 */
export function capturedAdamTrainStep(
  model: Module,
  x: Tensor,
  y: Tensor,
  lr: number,
): { step: () => number; dispose: () => void } {
  const opt = adam(model.parameters(), { lr });
  const captured = capture(
    (input, target) => {
      opt.zeroGrad();
      const loss = crossEntropy(model.forward(input) as Tensor, target);
      loss.backward();
      return loss;
    },
    [x, y],
  );
  opt.step();
  const step = () =>
    tidy(() => {
      const loss = captured.replay();
      opt.step();
      return loss.item();
    });
  return { step, dispose: () => captured.dispose() };
}

/** The captured MLP step (see {@link capturedAdamTrainStep}), after the same check that the losses decrease: steps per second. */
export function nablaCapturedMlpStepsPerSecond(what: string): number {
  const { model, x, y } = nablaMlp();
  const { step, dispose } = capturedAdamTrainStep(model, x, y, MLP.lr);
  try {
    const losses: number[] = [];
    for (let i = 0; i < CHECK_STEPS; i++) losses.push(step());
    checkTraining(what, losses);
    return 1000 / measure(step, 600);
  } finally {
    dispose();
  }
}

/** One train step of the MLP (784-256-128-10, batch 128, Adam lr 1e-3): steps per second. */
export function nablaMlpStepsPerSecond(what: string): number {
  const { model, x, y } = nablaMlp();
  return trainStepsPerSecond(what, model, x, y, MLP.lr);
}

/** One train step of the CNN (see `CNN` in common.ts): steps per second. */
export function nablaCnnStepsPerSecond(what: string): number {
  const { batch, side, c1, c2, flat, classes } = CNN;
  const conv1 = new Conv2d(1, c1, 3, { padding: 1 });
  const conv2 = new Conv2d(c1, c2, 3, { padding: 1 });
  const linear = new Linear(flat, classes);
  load(conv1.weight, cnnInit.conv1);
  load(conv1.bias, cnnInit.bias1);
  load(conv2.weight, cnnInit.conv2);
  load(conv2.bias, cnnInit.bias2);
  load(linear.weight, transpose2d(cnnInit.w, flat, classes));
  load(linear.bias, cnnInit.b);
  const model = new Sequential(
    conv1,
    new ReLU(),
    new MaxPool2d(2),
    conv2,
    new ReLU(),
    new MaxPool2d(2),
    new Flatten(),
    linear,
  );
  const x = fromValues(cnnData.x, [batch, 1, side, side]);
  const y = fromValues(cnnData.y, [batch]);
  return trainStepsPerSecond(what, model, x, y, CNN.lr);
}

/** One `step()` of `@nablajs/optim-adam` over 1M float32 parameters with fixed gradients: ms per step. */
export function nablaAdamMs(): number {
  const params = optimData.params.map((data, i) => {
    const p = fromValues(data, [OPTIM.size]);
    p.requiresGrad = true;
    p.grad = fromValues(optimData.grads[i], [OPTIM.size]);
    return p;
  });
  const opt = adam(params, { lr: 1e-3 });
  return measure(() => opt.step(), 500, 100, 10);
}

/** `add` on two 64-element float32 tensors, 2000 calls per run: µs per op. */
export function nablaAddMicros(): number {
  const a = randn([64]);
  const b = randn([64]);
  const inner = 2000;
  const ms = noGrad(() =>
    measure(() => {
      for (let i = 0; i < inner; i++) add(a, b);
    }),
  );
  return (ms * 1000) / inner;
}
