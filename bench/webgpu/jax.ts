/**
 * jax-js's cases of the WebGPU bench page, on its `webgpu` device (`init('webgpu')` then
 * `defaultDevice('webgpu')`, as jax-js's README shows): a jitted matmul, and the MLP and transformer
 * train steps as bench/wasm/jax.ts writes them for the wasm device, forward, loss, `valueAndGrad` and
 * Adam written by hand (jax-js 0.1.25 ships no optimizer; `@jax-js/optax` is not installed) in one `jit`.
 *
 * Ownership: every jax-js function consumes its array arguments (and a method its receiver), so an
 * array used twice is passed as `a.ref` the first time; the jitted functions follow the same rule.
 * jax-js evaluates lazily: a run waits for its outputs with `blockUntilReady` (matmul) or reads the
 * loss (train steps) after waiting for the new parameters and moments.
 */
import { blockUntilReady, defaultDevice, getWebGPUDevice, init, jit, nn, numpy as np, valueAndGrad } from '@jax-js/jax';
import { ADAM, MLP, mlpData, mlpInit, normals, oneHot, transpose2d } from '../wasm/common';
import { causalMask, type GptSizes, gptSetup, type Runner } from './common';
import { adapterText } from './tfjs';

type JArray = np.Array;

/** Start jax-js's webgpu device and make it the default; resolves with its adapter's description. */
export async function jaxInit(): Promise<string> {
  const found = await init('webgpu');
  if (!found.includes('webgpu')) throw new Error(`jax-js init('webgpu') found no WebGPU device (devices: ${found})`);
  defaultDevice('webgpu');
  return adapterText(getWebGPUDevice());
}

/** `reps` calls of a jitted `np.matmul` on n x n float32 arrays per run, waited for with `blockUntilReady`. */
export async function jaxMatmul(n: number, reps: number): Promise<Runner> {
  const a = np.array(normals(n * n, 1)).reshape([n, n]);
  const b = np.array(normals(n * n, 2)).reshape([n, n]);
  const f = jit((x: JArray, y: JArray) => np.matmul(x, y));
  const run = async (): Promise<void> => {
    const outs: JArray[] = [];
    for (let r = 0; r < reps; r++) outs.push(f(a.ref, b.ref));
    // every output is waited for: a lazily evaluated array that is disposed unread need never be computed
    await blockUntilReady(outs);
    for (const o of outs) o.dispose();
  };
  await run();
  return {
    run,
    value: (ms) => (reps * 2 * n ** 3) / (ms * 1e6),
    dispose: () => {
      a.dispose();
      b.dispose();
      f.dispose();
    },
  };
}

/** Adam (PyTorch's form) on lists of arrays, inside `jit`: the new parameters and moments. */
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
    // p -= (lr / bc1) · m / (sqrt(v) / sqrt(bc2) + eps)
    const denom = np.sqrt(vi.ref).mul(invSqrtBc2.ref).add(ADAM.eps);
    P.push(p[i].sub(mi.ref.mul(alpha.ref).div(denom)));
    M.push(mi);
    V.push(vi);
  }
  alpha.dispose();
  invSqrtBc2.dispose();
  return [P, M, V];
}

/** Mean softmax cross-entropy of `logits` `[n, classes]` against one-hot `y`. */
function crossEntropy(logits: JArray, y: JArray): JArray {
  const n = logits.shape[0];
  return nn
    .logSoftmax(logits, -1)
    .mul(y)
    .sum()
    .mul(-1 / n);
}

/**
 * One jitted train step of `loss(params, ...inputs)` with Adam (lr `lr`): the runner (a step, awaited
 * until the new parameters and moments are ready, then the loss read) and the losses of its first steps.
 */
async function adamTrain(
  params: JArray[],
  inputs: JArray[],
  loss: (p: JArray[], ...inputs: JArray[]) => JArray,
  lr: number,
  checkSteps: number,
): Promise<{ runner: Runner; losses: number[] }> {
  const step = jit((p: JArray[], m: JArray[], v: JArray[], xs: JArray[], a: JArray, s: JArray): JArray[][] => {
    const [value, g] = valueAndGrad(loss)(
      p.map((t) => t.ref),
      ...xs,
    );
    return [...adamUpdate(p, m, v, g as JArray[], a, s), [value]];
  });
  let p = params;
  let m = p.map((t) => np.zerosLike(t.ref));
  let v = p.map((t) => np.zerosLike(t.ref));
  let t = 0;
  const run = async (): Promise<number> => {
    t += 1;
    const bc1 = 1 - ADAM.beta1 ** t;
    const bc2 = 1 - ADAM.beta2 ** t;
    const [p2, m2, v2, [value]] = step(
      p,
      m,
      v,
      inputs.map((x) => x.ref),
      np.array(lr / bc1),
      np.array(1 / Math.sqrt(bc2)),
    );
    p = p2;
    m = m2;
    v = v2;
    await blockUntilReady([p, m, v]);
    return (await value.data())[0];
  };
  const losses: number[] = [];
  for (let i = 0; i < checkSteps; i++) losses.push(await run());
  return {
    losses,
    runner: {
      run: async () => {
        await run();
      },
      value: (ms) => 1000 / ms,
      dispose: () => {
        for (const a of [...p, ...m, ...v, ...inputs]) a.dispose();
        step.dispose();
      },
    },
  };
}

/** The MLP step (784-256-128-10, batch 128, ReLU, softmax cross-entropy, Adam). */
export async function jaxMlp(checkSteps: number): Promise<{ runner: Runner; losses: number[] }> {
  const d = MLP.sizes;
  const params = [0, 1, 2].flatMap((i) => [np.array(mlpInit.w[i]).reshape([d[i], d[i + 1]]), np.array(mlpInit.b[i])]);
  const x = np.array(mlpData.x).reshape([MLP.batch, d[0]]);
  const y = np.array(oneHot(mlpData.y, d[3])).reshape([MLP.batch, d[3]]);
  const loss = (p: JArray[], x: JArray, y: JArray): JArray => {
    const h1 = nn.relu(np.matmul(x, p[0]).add(p[1]));
    const h2 = nn.relu(np.matmul(h1, p[2]).add(p[3]));
    return crossEntropy(np.matmul(h2, p[4]).add(p[5]), y);
  };
  return adamTrain(params, [x, y], loss as (p: JArray[], ...inputs: JArray[]) => JArray, MLP.lr, checkSteps);
}

/** LayerNorm without bias over the last axis (eps 1e-5, biased variance); consumes `x` and `w`. */
function layerNorm(x: JArray, w: JArray): JArray {
  const centred = x.sub(x.ref.mean(-1, { keepdims: true }));
  const variance = centred.ref.mul(centred.ref).mean(-1, { keepdims: true });
  return centred.div(np.sqrt(variance.add(1e-5))).mul(w);
}

/**
 * The transformer step (see `GptSizes`), the same network as tfjs's: the token embedding as the product
 * of the one-hot ids with the table (each row of the product is one row of the table), pre-norm blocks
 * with causal attention written out (scores, mask, softmax), the exact GELU, the head tied to the token
 * embedding, mean cross-entropy over all batch x context targets, Adam.
 */
export async function jaxGpt(sizes: GptSizes, checkSteps: number): Promise<{ runner: Runner; losses: number[] }> {
  const { vocab, context: T, layers, heads, width: C, batch: B, lr } = sizes;
  const setup = gptSetup(sizes);
  const hs = C / heads;
  const names = Object.keys(setup.init);
  // Linear weights held as [in, out] (the products are x · W); embeddings and LayerNorm weights as they are.
  const params = names.map((name) => {
    const { shape, data } = setup.init[name];
    if (shape.length === 2 && name.startsWith('h.'))
      return np.array(transpose2d(data, shape[0], shape[1])).reshape([shape[1], shape[0]]);
    return np.array(data).reshape(shape);
  });
  const ids = np.array(oneHot(setup.idx, vocab)).reshape([B * T, vocab]);
  const targets = np.array(oneHot(setup.targets, vocab)).reshape([B * T, vocab]);
  const mask = np.array(causalMask(T)).reshape([T, T]);
  const scale = 1 / Math.sqrt(hs);
  const loss = (p: JArray[], ids: JArray, targets: JArray, mask: JArray): JArray => {
    const at = (name: string) => p[names.indexOf(name)];
    const wte = at('wte.weight');
    let x = np
      .matmul(ids, wte.ref)
      .reshape([B, T, C])
      .add(at('wpe.weight'))
      .reshape([B * T, C]);
    for (let l = 0; l < layers; l++) {
      const w = (name: string) => at(`h.${l}.${name}.weight`);
      const qkv = np.matmul(layerNorm(x.ref, w('ln_1')), w('attn.c_attn'));
      const [q, k, v] = np.split(qkv, 3, 1).map((z) => z.reshape([B, T, heads, hs]).transpose([0, 2, 1, 3]));
      const scores = np
        .matmul(q, k.transpose([0, 1, 3, 2]))
        .mul(scale)
        .add(l === layers - 1 ? mask : mask.ref);
      const y = np
        .matmul(nn.softmax(scores, -1), v)
        .transpose([0, 2, 1, 3])
        .reshape([B * T, C]);
      x = x.add(np.matmul(y, w('attn.c_proj')));
      const hidden = nn.gelu(np.matmul(layerNorm(x.ref, w('ln_2')), w('mlp.c_fc')), { approximate: false });
      x = x.add(np.matmul(hidden, w('mlp.c_proj')));
    }
    const logits = np.matmul(layerNorm(x, at('ln_f.weight')), wte.transpose());
    return crossEntropy(logits, targets);
  };
  return adamTrain(params, [ids, targets, mask], loss as (p: JArray[], ...inputs: JArray[]) => JArray, lr, checkSteps);
}
