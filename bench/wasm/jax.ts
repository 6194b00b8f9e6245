/**
 * jax-js cases of bench/wasm.bench.ts: jitted matmul, the MLP and CNN train steps (forward, loss,
 * `valueAndGrad`, Adam written by hand, all inside one `jit`), and a jitted Adam update over 1M
 * parameters. jax-js 0.1.25 ships no optimizer library (its `@jax-js/optax` is a separate package,
 * not installed here), so Adam is the textbook update with PyTorch's defaults.
 *
 * Ownership: every jax-js function consumes its array arguments (and a method its receiver), so an
 * array used twice is passed as `a.ref` the first time. The jitted functions follow the same rule;
 * the callers pass `.ref` of what they keep (inputs, labels, gradients) and replace the state they
 * hand over (parameters, moments) by the function's outputs.
 */
import { blockUntilReady, jit, lax, nn, numpy as np, valueAndGrad } from '@jax-js/jax';
import {
  ADAM,
  CHECK_STEPS,
  CNN,
  checkTraining,
  cnnData,
  cnnInit,
  MLP,
  measureAsync,
  mlpData,
  mlpInit,
  normals,
  OPTIM,
  oneHot,
  optimData,
} from './common';

type JArray = np.Array;

/** Adam on lists of arrays, for use inside `jit`: returns the new parameters and moments. */
function adamUpdate(
  p: JArray[],
  m: JArray[],
  v: JArray[],
  g: JArray[],
  alpha: JArray,
  invSqrtBc2: JArray,
): [JArray[], JArray[], JArray[]] {
  const P: JArray[] = [];
  const M: JArray[] = [];
  const V: JArray[] = [];
  for (let i = 0; i < p.length; i++) {
    const gi = g[i];
    const mi = m[i].mul(ADAM.beta1).add(gi.ref.mul(1 - ADAM.beta1));
    const vi = v[i].mul(ADAM.beta2).add(gi.ref.mul(gi).mul(1 - ADAM.beta2));
    // PyTorch's form: p -= (lr / bc1) · m / (sqrt(v) / sqrt(bc2) + eps)
    const denom = np.sqrt(vi.ref).mul(invSqrtBc2.ref).add(ADAM.eps);
    P.push(p[i].sub(mi.ref.mul(alpha.ref).div(denom)));
    M.push(mi);
    V.push(vi);
  }
  alpha.dispose();
  invSqrtBc2.dispose();
  return [P, M, V];
}

/** The step-dependent Adam scalars as 0-d arrays (traced, so the jitted step compiles once). */
function adamScalars(t: number): [JArray, JArray] {
  const bc1 = 1 - ADAM.beta1 ** t;
  const bc2 = 1 - ADAM.beta2 ** t;
  return [np.array(ADAM.lr / bc1), np.array(1 / Math.sqrt(bc2))];
}

/** Mean softmax cross-entropy of `logits` against one-hot `y`. */
function crossEntropy(logits: JArray, y: JArray): JArray {
  const batch = logits.shape[0];
  return nn
    .logSoftmax(logits, -1)
    .mul(y)
    .sum()
    .mul(-1 / batch);
}

/**
 * Jits one Adam train step of `loss` (`step(params, m, v, x, y, alpha, invSqrtBc2) -> [params, m, v,
 * [loss]]`) and runs it: {@link CHECK_STEPS} steps with their losses checked, then timed steps (each
 * awaited until all its outputs are ready). Returns steps per second.
 */
async function trainStepsPerSecond(
  what: string,
  params: JArray[],
  x: JArray,
  y: JArray,
  loss: (p: JArray[], x: JArray, y: JArray) => JArray,
  budgetMs: number,
): Promise<number> {
  const step = jit((p: JArray[], m: JArray[], v: JArray[], x: JArray, y: JArray, a: JArray, s: JArray): JArray[][] => {
    const [value, g] = valueAndGrad(loss)(
      p.map((t) => t.ref),
      x,
      y,
    );
    return [...adamUpdate(p, m, v, g, a, s), [value]];
  });
  try {
    return await timeTrainSteps(what, params, x, y, step, budgetMs);
  } finally {
    step.dispose();
  }
}

/** Runs the jitted `step` of {@link trainStepsPerSecond}: steps per second. */
async function timeTrainSteps(
  what: string,
  params: JArray[],
  x: JArray,
  y: JArray,
  step: (p: JArray[], m: JArray[], v: JArray[], x: JArray, y: JArray, a: JArray, s: JArray) => JArray[][],
  budgetMs: number,
): Promise<number> {
  let p = params;
  let m = p.map((t) => np.zerosLike(t.ref));
  let v = p.map((t) => np.zerosLike(t.ref));
  let t = 0;
  const run = async (): Promise<number> => {
    t += 1;
    const [a, s] = adamScalars(t);
    const [p2, m2, v2, [loss]] = step(p, m, v, x.ref, y.ref, a, s);
    p = p2;
    m = m2;
    v = v2;
    await blockUntilReady([p, m, v]);
    return (await loss.data())[0];
  };
  const losses: number[] = [];
  for (let i = 0; i < CHECK_STEPS; i++) losses.push(await run());
  checkTraining(what, losses);
  const ms = await measureAsync(
    async () => {
      await run();
    },
    budgetMs,
    1,
  );
  for (const a of [...p, ...m, ...v, x, y]) a.dispose();
  return 1000 / ms;
}

/** One train step of the MLP (784-256-128-10, batch 128, Adam), jitted. Steps per second. */
export async function jaxMlpStepsPerSecond(): Promise<number> {
  const [d0, d1, d2, d3] = MLP.sizes;
  const { w, b } = mlpInit;
  const params = [
    np.array(w[0]).reshape([d0, d1]),
    np.array(b[0]),
    np.array(w[1]).reshape([d1, d2]),
    np.array(b[1]),
    np.array(w[2]).reshape([d2, d3]),
    np.array(b[2]),
  ];
  const x = np.array(mlpData.x).reshape([MLP.batch, d0]);
  const y = np.array(oneHot(mlpData.y, d3)).reshape([MLP.batch, d3]);
  const loss = (p: JArray[], x: JArray, y: JArray): JArray => {
    const h1 = nn.relu(np.matmul(x, p[0]).add(p[1]));
    const h2 = nn.relu(np.matmul(h1, p[2]).add(p[3]));
    return crossEntropy(np.matmul(h2, p[4]).add(p[5]), y);
  };
  return trainStepsPerSecond('jax-js MLP', params, x, y, loss, 600);
}

/** 2x2 max pooling with stride 2 on NCHW (even sides): a reshape and a max over the window axes. */
function maxPool2(a: JArray): JArray {
  const [n, c, h, w] = a.shape;
  return a.reshape([n, c, h / 2, 2, w / 2, 2]).max([3, 5]);
}

/** One train step of the CNN (see `CNN` in common.ts), jitted; convolutions through `lax.conv`. */
export async function jaxCnnStepsPerSecond(): Promise<number> {
  const { batch, side, c1, c2, flat, classes } = CNN;
  const params = [
    np.array(cnnInit.conv1).reshape([c1, 1, 3, 3]),
    np.array(cnnInit.bias1),
    np.array(cnnInit.conv2).reshape([c2, c1, 3, 3]),
    np.array(cnnInit.bias2),
    np.array(cnnInit.w).reshape([flat, classes]),
    np.array(cnnInit.b),
  ];
  const x = np.array(cnnData.x).reshape([batch, 1, side, side]);
  const y = np.array(oneHot(cnnData.y, classes)).reshape([batch, classes]);
  const pad: [number, number][] = [
    [1, 1],
    [1, 1],
  ];
  const loss = (p: JArray[], x: JArray, y: JArray): JArray => {
    const a1 = maxPool2(nn.relu(lax.conv(x, p[0], [1, 1], pad).add(p[1].reshape([1, c1, 1, 1]))));
    const a2 = maxPool2(nn.relu(lax.conv(a1, p[2], [1, 1], pad).add(p[3].reshape([1, c2, 1, 1]))));
    return crossEntropy(np.matmul(a2.reshape([batch, flat]), p[4]).add(p[5]), y);
  };
  return trainStepsPerSecond('jax-js CNN', params, x, y, loss, 600);
}

/** One jitted Adam update over 1M float32 parameters (10 x 100k) with fixed gradients: ms per step. */
export async function jaxAdamMs(): Promise<number> {
  let p = optimData.params.map((d) => np.array(d));
  let m = p.map((t) => np.zerosLike(t.ref));
  let v = p.map((t) => np.zerosLike(t.ref));
  const g = optimData.grads.map((d) => np.array(d));
  const update = jit((p: JArray[], m: JArray[], v: JArray[], g: JArray[], a: JArray, s: JArray): JArray[][] =>
    adamUpdate(p, m, v, g, a, s),
  );
  let t = 0;
  const ms = await measureAsync(async () => {
    t += 1;
    const [a, s] = adamScalars(t);
    [p, m, v] = update(
      p,
      m,
      v,
      g.map((x) => x.ref),
      a,
      s,
    );
    await blockUntilReady([p, m, v]);
  }, 500);
  if (p.length !== OPTIM.tensors) throw new Error('jaxAdamMs: lost parameters');
  for (const a of [...p, ...m, ...v, ...g]) a.dispose();
  update.dispose();
  return ms;
}

/**
 * A jitted `np.matmul` (transposes inside the jit) on float32 operands: GFLOP/s. A case whose first
 * call (compile + run) takes over a second is timed on one more run only.
 */
export async function jaxMatmulGflops(
  m: number,
  k: number,
  n: number,
  transA: boolean,
  transB: boolean,
): Promise<number> {
  const sa = transA ? [k, m] : [m, k];
  const sb = transB ? [n, k] : [k, n];
  const a = np.ones(sa);
  const b = np.ones(sb);
  const f = jit((x: JArray, y: JArray) => np.matmul(transA ? np.transpose(x) : x, transB ? np.transpose(y) : y));
  const run = async (): Promise<void> => {
    await f(a.ref, b.ref).data();
  };
  const t0 = performance.now();
  await run();
  const slow = performance.now() - t0 > 1000;
  const ms = await measureAsync(run, slow ? 0 : 300, slow ? 0 : 2, slow ? 1 : 3);
  a.dispose();
  b.dispose();
  f.dispose();
  return (2 * m * n * k) / (ms * 1e6);
}

/**
 * Eager `add` of two 64-element float32 arrays: µs per op. jax-js evaluates lazily (a chain of adds
 * would be fused into one expression on read), so each `add` is realized with `blockUntilReady()`
 * before the next; 500 per run.
 */
export async function jaxAddMicros(): Promise<number> {
  const a = np.array(normals(64, 51));
  const b = np.array(normals(64, 52));
  const inner = 500;
  const ms = await measureAsync(async () => {
    for (let i = 0; i < inner; i++) {
      const c = await a.ref.add(b.ref).blockUntilReady();
      c.dispose();
    }
  });
  a.dispose();
  b.dispose();
  return (ms * 1000) / inner;
}
