/**
 * Shared pieces of bench/wasm.bench.ts: timing, the seeded data every library trains on, the model
 * sizes, and the training check.
 */

/**
 * Median time of one call of `run`, in ms: warm up for `warmupMs` (at least one call when it is
 * above 0), then call until `budgetMs` has been spent and at least `minRuns` calls were made. With
 * `warmupMs = 0` there is no warm-up call at all (for cases where one run takes seconds).
 */
export function measure(run: () => void, budgetMs = 400, warmupMs = 150, minRuns = 3): number {
  budgetMs *= budgetScale;
  warmupMs *= budgetScale;
  if (warmupMs > 0) {
    const warmStart = performance.now();
    do run();
    while (performance.now() - warmStart < warmupMs);
  }
  const times: number[] = [];
  let spent = 0;
  while (spent < budgetMs || times.length < minRuns) {
    const t0 = performance.now();
    run();
    const dt = performance.now() - t0;
    times.push(dt);
    spent += dt;
  }
  return median(times);
}

let budgetScale = 1;

/**
 * Scale every time budget of {@link measure} and {@link measureAsync} (the bench runs each case in
 * several rounds, each with a part of the budget).
 */
export function setBudgetScale(scale: number): void {
  budgetScale = scale;
}

/** {@link measure} for asynchronous runs (jax-js, whose results are awaited). */
export async function measureAsync(
  run: () => Promise<void>,
  budgetMs = 400,
  warmupRuns = 3,
  minRuns = 3,
): Promise<number> {
  budgetMs *= budgetScale;
  for (let i = 0; i < warmupRuns; i++) await run();
  const times: number[] = [];
  let spent = 0;
  while (spent < budgetMs || times.length < minRuns) {
    const t0 = performance.now();
    await run();
    const dt = performance.now() - t0;
    times.push(dt);
    spent += dt;
  }
  return median(times);
}

/** The median of `times` (sorts it). */
export function median(times: number[]): number {
  times.sort((a, b) => a - b);
  return times[times.length >> 1];
}

/** Operand shapes of `op(A)·op(B)` with `op(A)` m x k and `op(B)` k x n. */
export function operandShapes(m: number, k: number, n: number, transA: boolean, transB: boolean): [number[], number[]] {
  return [transA ? [k, m] : [m, k], transB ? [n, k] : [k, n]];
}

/** A seeded uniform generator on [0, 1) (32-bit LCG, Numerical Recipes constants). */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** `n` standard normal float32 values (Box-Muller on {@link lcg}), times `scale`. */
export function normals(n: number, seed: number, scale = 1): Float32Array {
  const u = lcg(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - u())) * scale;
    const t = 2 * Math.PI * u();
    out[i] = r * Math.cos(t);
    if (i + 1 < n) out[i + 1] = r * Math.sin(t);
  }
  return out;
}

/** `n` float32 values uniform on (-bound, bound). */
export function uniforms(n: number, seed: number, bound: number): Float32Array {
  const u = lcg(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (2 * u() - 1) * bound;
  return out;
}

/** `n` class labels in [0, classes). */
export function labels(n: number, classes: number, seed: number): Int32Array {
  const u = lcg(seed);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(u() * classes);
  return out;
}

/** `labels` as a one-hot float32 matrix `[n, classes]`, row-major. */
export function oneHot(y: Int32Array, classes: number): Float32Array {
  const out = new Float32Array(y.length * classes);
  for (let i = 0; i < y.length; i++) out[i * classes + y[i]] = 1;
  return out;
}

/** The MLP: 784 -> 256 -> 128 -> 10, ReLU, softmax cross-entropy, Adam (lr 1e-3), batch 128. */
export const MLP = { batch: 128, sizes: [784, 256, 128, 10] as const, lr: 1e-3 };
/** The MLP's inputs `[128, 784]` and labels `[128]`, the same for every library. */
export const mlpData = { x: normals(MLP.batch * 784, 11), y: labels(MLP.batch, 10, 12) };

/**
 * The CNN, on 28x28 single-channel inputs, batch 64: conv 1->8 3x3 (padding 1) + ReLU + maxpool 2,
 * conv 8->16 3x3 (padding 1) + ReLU + maxpool 2, flatten (16·7·7 = 784), linear 784 -> 10, softmax
 * cross-entropy, Adam (lr 1e-3).
 */
export const CNN = { batch: 64, side: 28, c1: 8, c2: 16, flat: 16 * 7 * 7, classes: 10, lr: 1e-3 };
/** The CNN's inputs `[64, 1, 28, 28]` (NCHW order; the same numbers are fed as NHWC to tfjs) and labels. */
export const cnnData = { x: normals(CNN.batch * 28 * 28, 21), y: labels(CNN.batch, 10, 22) };

/** `n` float32 values uniform on ±1/sqrt(fanIn): PyTorch's default init for Linear and Conv2d. */
function initWeights(n: number, fanIn: number, seed: number): Float32Array {
  return uniforms(n, seed, 1 / Math.sqrt(fanIn));
}

/** The row-major `[cols, rows]` transpose of the row-major `[rows, cols]` matrix `a`. */
export function transpose2d(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c];
  return out;
}

/**
 * The MLP's initial parameters, the same in every library (so the losses of the first steps can be
 * compared across libraries): `w[i]` is `[in, out]` row-major (`x·W`; nabla's `Linear` holds the
 * transpose), `b[i]` is `[out]`.
 */
export const mlpInit = (() => {
  const [d0, d1, d2, d3] = MLP.sizes;
  return {
    w: [initWeights(d0 * d1, d0, 31), initWeights(d1 * d2, d1, 33), initWeights(d2 * d3, d2, 35)],
    b: [initWeights(d1, d0, 32), initWeights(d2, d1, 34), initWeights(d3, d2, 36)],
  };
})();

/**
 * The CNN's initial parameters, the same in every library: conv weights `[cout, cin, 3, 3]` (nabla
 * and jax-js layout), the linear weight `[784, 10]` with its rows in NCHW flatten order (channel,
 * row, column). tfjs works in NHWC and takes them through {@link cnnInitNhwc}.
 */
export const cnnInit = (() => {
  const { c1, c2, flat, classes } = CNN;
  return {
    conv1: initWeights(c1 * 9, 9, 41),
    bias1: initWeights(c1, 9, 42),
    conv2: initWeights(c2 * c1 * 9, c1 * 9, 43),
    bias2: initWeights(c2, c1 * 9, 44),
    w: initWeights(flat * classes, flat, 45),
    b: initWeights(classes, flat, 46),
  };
})();

/**
 * {@link cnnInit} for an NHWC network: conv weights as `[3, 3, cin, cout]`, and the linear weight's
 * rows reordered to NHWC flatten order (row, column, channel), so that it computes the same function.
 */
export function cnnInitNhwc(): typeof cnnInit {
  const { c1, c2, classes } = CNN;
  const hwio = (w: Float32Array, cout: number, cin: number): Float32Array => {
    const out = new Float32Array(w.length);
    for (let o = 0; o < cout; o++)
      for (let i = 0; i < cin; i++)
        for (let k = 0; k < 9; k++) out[(k * cin + i) * cout + o] = w[(o * cin + i) * 9 + k];
    return out;
  };
  const w = new Float32Array(cnnInit.w.length);
  for (let c = 0; c < c2; c++)
    for (let p = 0; p < 49; p++)
      for (let j = 0; j < classes; j++) w[(p * c2 + c) * classes + j] = cnnInit.w[(c * 49 + p) * classes + j];
  return { ...cnnInit, conv1: hwio(cnnInit.conv1, c1, 1), conv2: hwio(cnnInit.conv2, c2, c1), w };
}

/** Adam's hyperparameters (PyTorch's defaults) and the optimizer-step case: 10 tensors of 100k. */
export const ADAM = { beta1: 0.9, beta2: 0.999, eps: 1e-8, lr: 1e-3 };
export const OPTIM = { tensors: 10, size: 100_000 };
export const optimData = {
  params: Array.from({ length: OPTIM.tensors }, (_, i) => uniforms(OPTIM.size, 1000 + i, 1)),
  grads: Array.from({ length: OPTIM.tensors }, (_, i) => uniforms(OPTIM.size, 2000 + i, 0.1)),
};

/** One training check: which column and model, and the losses of its first steps. */
export interface TrainingRun {
  what: string;
  losses: number[];
}

/** Every training check of the run, in order. */
export const trainingRuns: TrainingRun[] = [];

/**
 * Throws unless the loss went down between the first and the last of `losses` (steps of one train
 * step on a fixed batch, so a working step must lower it); records the losses either way. Keeps the
 * steps/s numbers honest: a step that does not train fails the bench.
 */
export function checkTraining(what: string, losses: number[]): void {
  trainingRuns.push({ what, losses });
  const first = losses[0];
  const last = losses[losses.length - 1];
  if (!(Number.isFinite(first) && Number.isFinite(last) && last < first))
    throw new Error(
      `checkTraining: ${formatRun({ what, losses })}: the loss did not decrease, so this step does not train`,
    );
}

/** `what: loss a -> b -> ...`. */
export function formatRun(r: TrainingRun): string {
  return `${r.what}: loss ${r.losses.map((l) => l.toFixed(4)).join(' -> ')}`;
}

/** Steps run (and their losses checked) before a train step is timed; they also warm it up. */
export const CHECK_STEPS = 4;

/** Append one round's measurement of `column` to a row's samples. */
export function putSample<C extends string>(samples: Partial<Record<C, number[]>>, column: C, value: number): void {
  const list = samples[column] ?? [];
  list.push(value);
  samples[column] = list;
}

/** How many times better `x` is than `y` (inverted when lower is better); undefined when either is missing. */
export function ratioOf(x: number | undefined, y: number | undefined, higherIsBetter = true): number | undefined {
  if (x === undefined || y === undefined) return undefined;
  return higherIsBetter ? x / y : y / x;
}

/** A ratio as `2.35x`, or `—` when missing. */
export function ratioText(q: number | undefined): string {
  return q === undefined ? '—' : `${q.toFixed(2)}x`;
}
