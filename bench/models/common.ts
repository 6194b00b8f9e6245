/**
 * Shared pieces of bench/models.bench.ts: the two models' sizes, their seeded data and initial
 * parameters (the same numbers for nabla and TensorFlow.js), and the timing of one train step. The
 * timing helpers, the seeded generators and the training check are bench/wasm/common.ts's.
 */
import { CHECK_STEPS, checkTraining, labels, measure, median, normals, uniforms } from '../wasm/common';

/**
 * The transformer: nanoGPT's CPU configuration on tiny Shakespeare's 65 characters. Context 64,
 * 4 pre-norm blocks of 4 heads, width 128, no biases, no dropout, the head tied to the token
 * embedding, mean cross-entropy over all batch x context targets; Adam lr 1e-3, batch 32.
 */
export const GPT_SIZES = { vocab: 65, context: 64, layers: 4, heads: 4, width: 128, batch: 32, lr: 1e-3 };

/**
 * The transformer's batch: 32 seeded rows of 65 token ids in [0, 65); `idx` is each row's first 64
 * ids and `targets` the next id after each of them (row-major `[32, 64]`), as a language model trains.
 */
export const gptData = (() => {
  const { vocab, context, batch } = GPT_SIZES;
  const rows = labels(batch * (context + 1), vocab, 51);
  const idx = new Int32Array(batch * context);
  const targets = new Int32Array(batch * context);
  for (let b = 0; b < batch; b++)
    for (let t = 0; t < context; t++) {
      idx[b * context + t] = rows[b * (context + 1) + t];
      targets[b * context + t] = rows[b * (context + 1) + t + 1];
    }
  return { idx, targets };
})();

/** One parameter's initial value: its shape and row-major float32 numbers. */
export interface InitialParameter {
  shape: number[];
  data: Float32Array;
}

/**
 * The transformer's initial parameters under nabla's (nanoGPT's) state-dict names, with nanoGPT's
 * initialisation from seeded normals: every Linear and Embedding weight N(0, 0.02), the projections
 * into the residual stream (`attn.c_proj`, `mlp.c_proj`) N(0, 0.02 / √(2 · layers)), LayerNorm
 * weights 1. Linear weights are `[out, in]` (PyTorch's layout; tfjs multiplies by their transpose).
 */
export const gptInit: Record<string, InitialParameter> = (() => {
  const { vocab, context, layers, width } = GPT_SIZES;
  const out: Record<string, InitialParameter> = {};
  let seed = 100;
  const normal = (name: string, shape: number[], std: number) => {
    out[name] = { shape, data: normals(shape[0] * (shape[1] ?? 1), seed++, std) };
  };
  const ones = (name: string) => {
    out[name] = { shape: [width], data: new Float32Array(width).fill(1) };
  };
  const projStd = 0.02 / Math.sqrt(2 * layers);
  normal('wte.weight', [vocab, width], 0.02);
  normal('wpe.weight', [context, width], 0.02);
  for (let l = 0; l < layers; l++) {
    ones(`h.${l}.ln_1.weight`);
    normal(`h.${l}.attn.c_attn.weight`, [3 * width, width], 0.02);
    normal(`h.${l}.attn.c_proj.weight`, [width, width], projStd);
    ones(`h.${l}.ln_2.weight`);
    normal(`h.${l}.mlp.c_fc.weight`, [4 * width, width], 0.02);
    normal(`h.${l}.mlp.c_proj.weight`, [width, 4 * width], projStd);
  }
  ones('ln_f.weight');
  return out;
})();

/**
 * The LSTM: one layer, input 64, hidden 256, batch first, over a seeded float input `[32, 64, 64]`;
 * a Linear 256 -> 64 head on every time step's hidden state, MSE against a seeded target
 * `[32, 64, 64]`; Adam lr 1e-3.
 */
export const LSTM_SIZES = { batch: 32, steps: 64, input: 64, hidden: 256, output: 64, lr: 1e-3 };

/** The LSTM's input and target, both `[batch, steps, features]` row-major. */
export const lstmData = (() => {
  const { batch, steps, input, output } = LSTM_SIZES;
  return { x: normals(batch * steps * input, 61), target: normals(batch * steps * output, 62) };
})();

/**
 * The LSTM's initial parameters in PyTorch's layout and gate order (i, f, g, o): `weight_ih_l0`
 * `[4H, in]`, `weight_hh_l0` `[4H, H]`, `bias_ih_l0` and `bias_hh_l0` `[4H]`, all U(±1/√H) as
 * PyTorch initialises them; the head's `weight` `[64, 256]` and `bias` `[64]`, U(±1/√256).
 */
export const lstmInit = (() => {
  const { input, hidden, output } = LSTM_SIZES;
  const g = 4 * hidden;
  const bound = 1 / Math.sqrt(hidden);
  return {
    weightIh: { shape: [g, input], data: uniforms(g * input, 71, bound) },
    weightHh: { shape: [g, hidden], data: uniforms(g * hidden, 72, bound) },
    biasIh: { shape: [g], data: uniforms(g, 73, bound) },
    biasHh: { shape: [g], data: uniforms(g, 74, bound) },
    headWeight: { shape: [output, hidden], data: uniforms(output * hidden, 75, bound) },
    headBias: { shape: [output], data: uniforms(output, 76, bound) },
  } satisfies Record<string, InitialParameter>;
})();

/**
 * Times one train step `step` (which returns its loss): {@link CHECK_STEPS} steps whose losses must
 * decrease (recorded under `what` by `checkTraining`; they also warm the step up), then repeated steps
 * until `budgetMs` is spent (at least 3). A step that takes over a second is not repeated: it is timed
 * on the checked steps after the first (their mean), and when the second step took over
 * {@link SLOW_STEP_MS} the check stops at 3 steps (tfjs-cpu's transformer step takes over 20 s).
 * Steps per second.
 */
export function trainStepsPerSecond(what: string, step: () => number, budgetMs = 1500): number {
  const losses: number[] = [];
  const times: number[] = [];
  for (let i = 0; i < CHECK_STEPS && !(i === 3 && times[1] > SLOW_STEP_MS); i++) {
    const t0 = performance.now();
    losses.push(step());
    times.push(performance.now() - t0);
  }
  checkTraining(what, losses);
  const warm = times.slice(1);
  const ms = median([...warm]) > 1000 ? warm.reduce((a, b) => a + b) / warm.length : measure(step, budgetMs, 0, 3);
  return 1000 / ms;
}

/** A step slower than this (ms) is checked on 3 steps instead of {@link CHECK_STEPS}. */
export const SLOW_STEP_MS = 2000;
