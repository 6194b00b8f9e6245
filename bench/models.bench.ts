/**
 * Whole-model train steps (issue 15): nabla's wasm backend (1 and 2 threads) and cpu backend beside
 * TensorFlow.js 4.22 (cpu and wasm), in one Node process. Run with
 * `npx tsx --experimental-wasm-relaxed-simd --tsconfig bench/tsconfig.json bench/models.bench.ts`
 * (the last part of `pnpm bench`); prints a Markdown table, writes bench/results-models.md and
 * bench-results/models.json. Rows (steps/s, higher is better):
 * - one train step of examples/char-gpt's GPT (nanoGPT's CPU configuration: vocabulary 65, context 64,
 *   4 layers, 4 heads, width 128, no biases, tied head), batch 32, Adam lr 1e-3;
 * - one train step of an LSTM (input 64, hidden 256, batch first) with a Linear 256 -> 64 head on every
 *   step and an MSE loss, batch 32, sequence 64, Adam lr 1e-3.
 *
 * Both libraries start from the same seeded parameters on the same seeded batch (bench/models/common.ts),
 * so their first losses must agree to 1e-3 relative (the bench throws otherwise), and every step is
 * first run a few times and must lower the loss. Columns are interleaved over BENCH_ROUNDS rounds
 * (default 3) and each cell is the median over rounds, as in bench/wasm.bench.ts, whose timing helpers
 * (bench/wasm/common.ts) this reuses; tfjs-cpu, whose steps take seconds, is measured in round 1 only.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getWasmBackendInfo, initWasmBackend, setBackend, setNumThreads } from '@nablajs/core';
import { enableNodeThreads } from '@nablajs/core/node';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { GPT_SIZES, LSTM_SIZES } from './models/common';
import { nablaGptStepsPerSecond, nablaLstmStepsPerSecond } from './models/nabla';
import { tfGptStepsPerSecond, tfLstmStepsPerSecond } from './models/tfjs';
import { formatRun, median, putSample, ratioOf, ratioText, setBudgetScale, trainingRuns } from './wasm/common';

const here = dirname(fileURLToPath(import.meta.url));

const COLUMNS = ['nabla-cpu', 'nabla-wasm 1T', 'nabla-wasm 2T', 'tfjs-cpu', 'tfjs-wasm'] as const;
type Column = (typeof COLUMNS)[number];

/** The ratio columns: [label, numerator, denominator]. */
const RATIOS: [string, Column, Column][] = [
  ['wasm 1T / tfjs-wasm', 'nabla-wasm 1T', 'tfjs-wasm'],
  ['wasm 2T / tfjs-wasm', 'nabla-wasm 2T', 'tfjs-wasm'],
  ['wasm 1T / tfjs-cpu', 'nabla-wasm 1T', 'tfjs-cpu'],
  ['wasm 2T / 1T', 'nabla-wasm 2T', 'nabla-wasm 1T'],
];

/** The issue's target: nabla-wasm on 1 thread at least this many times tfjs-wasm on the transformer step. */
const TARGET_VS_TFJS_WASM = 3;

interface Row {
  case: string;
  /** The suffix of this row's training checks in `trainingRuns` (`<column> <model>`). */
  model: string;
  /** The median over rounds of each column's measurements (steps/s). */
  values: Partial<Record<Column, number>>;
  /** One measurement per round. */
  samples: Partial<Record<Column, number[]>>;
}

const ROUNDS = Math.max(1, Math.floor(Number(process.env.BENCH_ROUNDS ?? 3)));

function put(row: Row, column: Column, value: number): void {
  putSample(row.samples, column, value);
}

/** tfjs-cpu is measured again after round 1 only if its first step rate was at least 1 step/s. */
function measuredOnce(row: Row, column: Column): boolean {
  const first = row.samples[column]?.[0];
  return column === 'tfjs-cpu' && first !== undefined && first < 1;
}

/** Three significant digits (steps/s range from 0.04 to a few). */
function fmt(v: number | undefined): string {
  if (v === undefined) return '—';
  return v >= 100 ? v.toFixed(0) : v.toPrecision(3);
}

/** How many times better column `of` is than `to` on row `r`. */
function rowRatio(r: Row, of: Column, to: Column): number | undefined {
  return ratioOf(r.values[of], r.values[to]);
}

function ratio(r: Row, of: Column, to: Column): string {
  return ratioText(rowRatio(r, of, to));
}

/**
 * For each model, the first loss of every column (same parameters, same batch, same function): their
 * spread relative to the smallest must be at most 1e-3.
 */
function lossAgreement(rows: Row[]): { ok: boolean; lines: string[] } {
  let ok = true;
  const lines: string[] = [];
  for (const r of rows) {
    const runs = trainingRuns.filter((t) => t.what.endsWith(` ${r.model}`));
    const firsts = runs.map((t) => t.losses[0]);
    const lo = Math.min(...firsts);
    const spread = (Math.max(...firsts) - lo) / Math.abs(lo);
    const agree = runs.length > 0 && spread <= 1e-3;
    ok &&= agree;
    const byColumn = new Map(runs.map((t) => [t.what.slice(0, -r.model.length - 1), t.losses[0]]));
    lines.push(
      `- ${r.model}: first loss ${[...byColumn].map(([c, l]) => `${c} ${l.toFixed(6)}`).join(', ')}; relative spread ${spread.toExponential(1)} (${agree ? 'same model' : '**MISMATCH: not the same model**'})`,
    );
  }
  return { ok, lines };
}

async function main(): Promise<void> {
  const started = performance.now();
  const loadBefore = loadavg();
  const date = new Date().toISOString();
  const log = (msg: string) => console.log(`[${((performance.now() - started) / 1000).toFixed(0)} s] ${msg}`);
  const warn = console.warn;
  console.warn = () => {}; // tfjs's "use tfjs-node" banner and backend notices
  tf.enableProdMode();
  setWasmPaths(`${join(here, '..', 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist')}/`);
  enableNodeThreads();
  if (!(await initWasmBackend()))
    throw new Error('models.bench: initWasmBackend() found no wasm SIMD; the wasm columns would be the cpu kernels');
  const wasmInfo = getWasmBackendInfo();
  setBudgetScale(ROUNDS === 1 ? 1 : 0.5);

  const { batch, context, layers, heads, width, vocab } = GPT_SIZES;
  const gpt: Row = {
    case: `transformer step (GPT: ${layers} layers, ${heads} heads, width ${width}, vocab ${vocab}), batch ${batch}, context ${context}, Adam (steps/s)`,
    model: 'transformer',
    values: {},
    samples: {},
  };
  const { steps, input, hidden, output } = LSTM_SIZES;
  const lstm: Row = {
    case: `LSTM step (${input} -> ${hidden}, head -> ${output}, MSE), batch ${LSTM_SIZES.batch}, sequence ${steps}, Adam (steps/s)`,
    model: 'LSTM',
    values: {},
    samples: {},
  };
  const rows = [gpt, lstm];
  const notes: string[] = [];

  for (let round = 1; round <= ROUNDS; round++) {
    for (const [column, backend, threads] of [
      ['nabla-cpu', 'cpu', 1],
      ['nabla-wasm 1T', 'wasm', 1],
      ['nabla-wasm 2T', 'wasm', 2],
    ] as const) {
      setBackend(backend);
      if (backend === 'wasm') {
        const got = await setNumThreads(threads);
        if (got !== threads && round === 1) notes.push(`${column}: setNumThreads(${threads}) gave ${got} thread(s).`);
      }
      log(`round ${round}/${ROUNDS}: ${column}`);
      put(gpt, column, nablaGptStepsPerSecond(`${column} ${gpt.model}`));
      put(lstm, column, nablaLstmStepsPerSecond(`${column} ${lstm.model}`));
    }
    await setNumThreads(1);
    setBackend('cpu');

    for (const [column, backend] of [
      ['tfjs-cpu', 'cpu'],
      ['tfjs-wasm', 'wasm'],
    ] as const) {
      if (rows.every((r) => measuredOnce(r, column))) continue;
      await tf.setBackend(backend);
      await tf.ready();
      tf.tensor([0]).dispose();
      log(`round ${round}/${ROUNDS}: ${column}`);
      if (!measuredOnce(gpt, column)) put(gpt, column, tfGptStepsPerSecond(`${column} ${gpt.model}`, backend));
      if (!measuredOnce(lstm, column)) put(lstm, column, tfLstmStepsPerSecond(`${column} ${lstm.model}`));
    }

    if (round === 1) {
      // Every column has now computed its first loss: fail before spending the other rounds on different models.
      const agreement = lossAgreement(rows);
      console.log(agreement.lines.join('\n'));
      if (!agreement.ok)
        throw new Error('models.bench: nabla and tfjs do not compute the same first loss: the models differ');
    }
  }
  console.warn = warn;
  for (const r of rows)
    for (const c of COLUMNS) {
      const list = r.samples[c];
      if (list !== undefined) r.values[c] = median([...list]);
    }

  const seconds = (performance.now() - started) / 1000;
  const loadAfter = loadavg();
  const cores = cpus().length;
  const machine = `Node ${process.version}, ${cpus()[0]?.model ?? 'unknown cpu'}, ${cores} cores (${process.platform} ${process.arch})`;
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' / ');
  const busy = loadBefore[0] > 0.5 * cores || loadAfter[0] > 0.5 * cores;

  const table = [
    `| case | ${COLUMNS.join(' | ')} | ${RATIOS.map(([label]) => label).join(' | ')} |`,
    `| --- | ${COLUMNS.map(() => '---:').join(' | ')} | ${RATIOS.map(() => '---:').join(' | ')} |`,
    ...rows.map(
      (r) =>
        `| ${r.case} | ${COLUMNS.map((c) => fmt(r.values[c])).join(' | ')} | ${RATIOS.map(([, a, b]) => ratio(r, a, b)).join(' | ')} |`,
    ),
  ];
  const roundLines = rows.flatMap((r) =>
    COLUMNS.map((c) => `- ${r.model}, ${c}: ${(r.samples[c] ?? []).map(fmt).join(', ')} steps/s`),
  );

  const vsTfWasm = rowRatio(gpt, 'nabla-wasm 1T', 'tfjs-wasm');
  const met = vsTfWasm !== undefined && vsTfWasm >= TARGET_VS_TFJS_WASM;
  const target = `- transformer step, nabla-wasm 1 thread ≥ ${TARGET_VS_TFJS_WASM}x tfjs-wasm: ${vsTfWasm === undefined ? '—' : `${vsTfWasm.toFixed(2)}x`} (${fmt(gpt.values['nabla-wasm 1T'])} against ${fmt(gpt.values['tfjs-wasm'])} steps/s) — ${vsTfWasm === undefined ? '**not measured**' : met ? '**met**' : '**not met**'}`;
  const agreement = lossAgreement(rows);
  const busyNote = busy
    ? ' — **load above half the cores: the machine was busy, the numbers are low and noisy, and the 2-thread column measures contention**'
    : '';

  const md = [
    '# Benchmark results: whole-model train steps',
    '',
    'Generated by `npx tsx --experimental-wasm-relaxed-simd --tsconfig bench/tsconfig.json bench/models.bench.ts` (the',
    'last part of `pnpm bench`); do not edit by hand, re-run it.',
    '',
    `- date: ${date}`,
    `- machine: ${machine}`,
    `- load average (1 / 5 / 15 min) before the run: ${load(loadBefore)}; after: ${load(loadAfter)}${busyNote}`,
    `- libraries: TensorFlow.js ${tf.version.tfjs} (tfjs-cpu, tfjs-wasm with SIMD, single-threaded in Node)`,
    `- nabla-wasm: relaxed SIMD ${wasmInfo.relaxedSimd ? 'on' : '**off** (plain SIMD kernels)'}`,
    `- rounds: ${ROUNDS} (each cell is the median of one measurement per round; tfjs-cpu, under 1 step/s, in round 1 only)`,
    `- whole run: ${seconds.toFixed(0)} s`,
    ...notes.map((n) => `- ${n}`),
    '',
    ...table,
    '',
    'Steps per second, higher is better; the ratios divide the first named column by the second.',
    '',
    '## Target',
    '',
    target,
    '',
    '## Rounds',
    '',
    ...roundLines,
    '',
    '## What each row runs',
    '',
    '- **transformer**: `GPT` from examples/char-gpt/model.ts (nanoGPT: token and position embeddings, 4 pre-norm',
    '  blocks of LayerNorm (no bias, eps 1e-5), causal self-attention with one qkv Linear 128 -> 384 and an output',
    '  projection, LayerNorm, MLP 128 -> 512 -> 128 with exact GELU; final LayerNorm; logits `x · wteᵀ`), mean',
    '  cross-entropy over the 32 x 64 next-character targets of a seeded batch of ids in [0, 65). tfjs: the same',
    '  model with tf ops (`tf.moments` layer norm, `tf.matMul` attention with an additive causal mask and',
    '  `tf.softmax`, GELU with `tf.erf`, `tf.losses.softmaxCrossEntropy`; `tf.gather` for the token embedding on',
    '  tfjs-cpu and a one-hot product on tfjs-wasm, which has no kernel for the gradient of `gather`).',
    '- **LSTM**: one layer, input 64, hidden 256, batch first, over a seeded input `[32, 64, 64]`; a Linear 256 -> 64',
    '  on every step; MSE against a seeded target. nabla: `LSTM` and `Linear` from @nablajs/nn, `mseLoss`. tfjs:',
    '  the recurrence written with tf ops (the input projections of all steps in one product, then 64 steps of',
    '  `h · W_hh`, gates i, f, g, o as PyTorch orders them).',
    '- Both: Adam lr 1e-3, betas 0.9 / 0.999, eps 1e-8 (nabla `@nablajs/optim-adam`, tfjs',
    '  `tf.train.adam(...).minimize`), the same seeded initial parameters (bench/models/common.ts); one step is',
    '  forward, loss, backward and update, and reading the loss.',
    '',
    '## Training checks',
    '',
    'Both libraries start from the same parameters on the same batch, so their first losses must agree to 1e-3',
    'relative (the bench fails otherwise); each train step must lower the loss over its first steps.',
    '',
    ...agreement.lines,
    '',
    ...trainingRuns
      .filter((r, i) => trainingRuns.findIndex((q) => q.what === r.what) === i)
      .map((r) => `- ${formatRun(r)}`),
    '',
  ].join('\n');

  console.log(['', ...table, '', target, '', ...agreement.lines].join('\n'));
  console.log(`load average before: ${load(loadBefore)}; after: ${load(loadAfter)}${busy ? ' (busy)' : ''}`);
  writeFileSync(join(here, 'results-models.md'), md);
  mkdirSync('bench-results', { recursive: true });
  writeFileSync(
    'bench-results/models.json',
    `${JSON.stringify(
      {
        date,
        node: process.version,
        cpu: cpus()[0]?.model,
        cores,
        loadBefore,
        loadAfter,
        rounds: ROUNDS,
        wasm: wasmInfo,
        rows,
        target: { vsTfjsWasm: vsTfWasm, required: TARGET_VS_TFJS_WASM, met },
        training: trainingRuns,
      },
      null,
      2,
    )}\n`,
  );
  console.log(`\nwrote bench/results-models.md and bench-results/models.json (${seconds.toFixed(0)} s)`);
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
