/**
 * nabla's wasm backend (1 and 2 threads) beside its cpu backend, TensorFlow.js 4.22 (cpu and wasm)
 * and jax-js (wasm), in one Node process. Run with
 * `npx tsx --tsconfig bench/tsconfig.json bench/wasm.bench.ts` (the last part of `pnpm bench`);
 * prints a Markdown table, writes bench/results.md (table, machine, targets) and
 * bench-results/wasm.json. Rows:
 * - matmul N x N float32, N = 128 ... 1024, every transpose case at 1024, and the three products of
 *   the MLP's first layer (forward x·W, backward xᵀ·G and G·Wᵀ) (GFLOP/s, higher is better);
 * - one MLP train step, 784 -> 256 -> 128 -> 10, ReLU, softmax cross-entropy, Adam (lr 1e-3),
 *   batch 128 (steps/s, higher is better);
 * - one CNN train step on 28x28 inputs, batch 64 (architecture in bench/wasm/common.ts) (steps/s);
 * - one Adam step over 1M float32 parameters (ms per step, which is also ns per parameter);
 * - per-op overhead of `add` on two 64-element float32 tensors (µs per op, lower is better).
 *
 * Every train step is first run a few times on its fixed batch and must lower the loss (the losses
 * are printed), so no column times a step that does not train. Each case is warmed up, then repeated
 * until its time budget is spent; the median run is reported. The cases live in bench/wasm/*.ts.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { init as jaxInit } from '@jax-js/jax';
import { initWasmBackend, setBackend, setNumThreads } from '@nablajs/core';
import { enableNodeThreads } from '@nablajs/core/node';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { formatRun, trainingRuns } from './wasm/common';
import { jaxAdamMs, jaxAddMicros, jaxCnnStepsPerSecond, jaxMatmulGflops, jaxMlpStepsPerSecond } from './wasm/jax';
import {
  nablaAdamMs,
  nablaAddMicros,
  nablaCnnStepsPerSecond,
  nablaMatmulGflops,
  nablaMlpStepsPerSecond,
} from './wasm/nabla';
import { tfAdamMs, tfAddMicros, tfCnnStepsPerSecond, tfMatmulGflops, tfMlpStepsPerSecond } from './wasm/tfjs';

const here = dirname(fileURLToPath(import.meta.url));

const COLUMNS = ['nabla-cpu', 'nabla-wasm 1T', 'nabla-wasm 2T', 'tfjs-cpu', 'tfjs-wasm', 'jax-js wasm'] as const;
type Column = (typeof COLUMNS)[number];

interface Row {
  case: string;
  higherIsBetter: boolean;
  values: Partial<Record<Column, number>>;
}

interface MatmulCase {
  name: string;
  m: number;
  k: number;
  n: number;
  transA: boolean;
  transB: boolean;
}

const matmulCases: MatmulCase[] = [
  ...[128, 256, 512, 1024].map((n) => ({ name: `matmul ${n}³ A·B`, m: n, k: n, n, transA: false, transB: false })),
  { name: 'matmul 1024³ A·Bᵀ', m: 1024, k: 1024, n: 1024, transA: false, transB: true },
  { name: 'matmul 1024³ Aᵀ·B', m: 1024, k: 1024, n: 1024, transA: true, transB: false },
  { name: 'matmul 1024³ Aᵀ·Bᵀ', m: 1024, k: 1024, n: 1024, transA: true, transB: true },
  { name: 'MLP fwd x·W1 128x784 · 784x256', m: 128, k: 784, n: 256, transA: false, transB: false },
  { name: 'MLP bwd xᵀ·G 784x128 · 128x256', m: 784, k: 128, n: 256, transA: true, transB: false },
  { name: 'MLP bwd G·W1ᵀ 128x256 · 256x784', m: 128, k: 256, n: 784, transA: false, transB: true },
];

function fmt(v: number | undefined): string {
  if (v === undefined) return '—';
  if (v >= 100) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

/** How many times better `of` is than `to` on row `r` (inverted for lower-is-better rows). */
function ratioOf(r: Row, of: Column, to: Column): number | undefined {
  const x = r.values[of];
  const y = r.values[to];
  if (x === undefined || y === undefined) return undefined;
  return r.higherIsBetter ? x / y : y / x;
}

function ratio(r: Row, of: Column, to: Column): string {
  const q = ratioOf(r, of, to);
  return q === undefined ? '—' : `${q.toFixed(2)}x`;
}

function cpuModel(): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    if (line) return line.split(':')[1].trim();
  } catch {
    // not Linux: fall through to os.cpus()
  }
  return cpus()[0]?.model ?? 'unknown cpu';
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
  const simd = await initWasmBackend();
  if (!simd)
    throw new Error('wasm.bench: initWasmBackend() found no wasm SIMD; the wasm columns would be the cpu kernels');
  await jaxInit('wasm');

  const mm = matmulCases.map((c): Row => ({ case: `${c.name} (GFLOP/s)`, higherIsBetter: true, values: {} }));
  const mlp: Row = {
    case: 'MLP train step 784-256-128-10, batch 128, Adam (steps/s)',
    higherIsBetter: true,
    values: {},
  };
  const cnn: Row = { case: 'CNN train step 28x28, batch 64, Adam (steps/s)', higherIsBetter: true, values: {} };
  const adamRow: Row = {
    case: 'Adam step, 1M float32 params (ms per step = ns/param)',
    higherIsBetter: false,
    values: {},
  };
  const addRow: Row = { case: 'add, two 64-element float32 tensors (µs per op)', higherIsBetter: false, values: {} };
  const notes: string[] = [];

  for (const [column, backend, threads] of [
    ['nabla-cpu', 'cpu', 1],
    ['nabla-wasm 1T', 'wasm', 1],
    ['nabla-wasm 2T', 'wasm', 2],
  ] as const) {
    setBackend(backend);
    if (backend === 'wasm') {
      const got = await setNumThreads(threads);
      if (got !== threads) notes.push(`${column}: setNumThreads(${threads}) gave ${got} thread(s).`);
    }
    log(`${column}`);
    for (const [i, c] of matmulCases.entries())
      mm[i].values[column] = nablaMatmulGflops(c.m, c.k, c.n, c.transA, c.transB);
    mlp.values[column] = nablaMlpStepsPerSecond(`${column} MLP`);
    cnn.values[column] = nablaCnnStepsPerSecond(`${column} CNN`);
    adamRow.values[column] = nablaAdamMs();
    addRow.values[column] = nablaAddMicros();
  }
  await setNumThreads(1);
  setBackend('cpu');

  for (const [column, backend] of [
    ['tfjs-cpu', 'cpu'],
    ['tfjs-wasm', 'wasm'],
  ] as const) {
    await tf.setBackend(backend);
    await tf.ready();
    tf.tensor([0]).dispose();
    log(`${column}`);
    for (const [i, c] of matmulCases.entries())
      mm[i].values[column] = tfMatmulGflops(c.m, c.k, c.n, c.transA, c.transB);
    mlp.values[column] = tfMlpStepsPerSecond(`${column} MLP`);
    cnn.values[column] = tfCnnStepsPerSecond(`${column} CNN`, backend === 'wasm');
    adamRow.values[column] = tfAdamMs();
    addRow.values[column] = tfAddMicros();
  }

  log('jax-js wasm');
  for (const [i, c] of matmulCases.entries())
    mm[i].values['jax-js wasm'] = await jaxMatmulGflops(c.m, c.k, c.n, c.transA, c.transB);
  mlp.values['jax-js wasm'] = await jaxMlpStepsPerSecond();
  cnn.values['jax-js wasm'] = await jaxCnnStepsPerSecond();
  adamRow.values['jax-js wasm'] = await jaxAdamMs();
  addRow.values['jax-js wasm'] = await jaxAddMicros();
  console.warn = warn;

  const rows = [...mm, mlp, cnn, adamRow, addRow];
  const seconds = (performance.now() - started) / 1000;
  const loadAfter = loadavg();
  const cores = cpus().length;
  const machine = `Node ${process.version}, ${cpuModel()}, ${cores} cores (${process.platform} ${process.arch})`;
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' / ');

  const table = [
    `| case | ${COLUMNS.join(' | ')} | wasm 1T / tfjs-wasm | wasm 1T / jax-js | wasm 2T / 1T |`,
    `| --- | ${COLUMNS.map(() => '---:').join(' | ')} | ---: | ---: | ---: |`,
    ...rows.map(
      (r) =>
        `| ${r.case} | ${COLUMNS.map((c) => fmt(r.values[c])).join(' | ')} | ${ratio(r, 'nabla-wasm 1T', 'tfjs-wasm')} | ${ratio(r, 'nabla-wasm 1T', 'jax-js wasm')} | ${ratio(r, 'nabla-wasm 2T', 'nabla-wasm 1T')} |`,
    ),
  ];

  const targets = targetLines(mm, mlp, addRow);
  const agreement = lossAgreement();
  const busy = loadBefore[0] > 0.5 * cores;
  const md = [
    '# Benchmark results: the wasm backend',
    '',
    'Generated by `npx tsx --tsconfig bench/tsconfig.json bench/wasm.bench.ts` (the last part of `pnpm bench`); do',
    'not edit by hand, re-run it.',
    '',
    `- date: ${date}`,
    `- machine: ${machine}`,
    `- load average (1 / 5 / 15 min) before the run: ${load(loadBefore)}; after: ${load(loadAfter)}${busy ? ' — **the machine was busy before the run: numbers are low and noisy, and the 2-thread column measures contention**' : ''}`,
    `- libraries: TensorFlow.js ${tf.version.tfjs} (tfjs-cpu, tfjs-wasm with SIMD, single-threaded in Node), jax-js ${jaxVersion()} (wasm device, \`init('wasm')\`; single-threaded in Node, which has no global \`Worker\`)`,
    `- whole run: ${seconds.toFixed(0)} s`,
    ...notes.map((n) => `- ${n}`),
    '',
    ...table,
    '',
    'Median of repeated runs after a warm-up. Ratios above 1 mean the first named is faster (for the ms and µs rows,',
    'the ratio is inverted so that above 1 still means faster). "wasm 1T" is nabla-wasm on one thread.',
    '',
    '## Targets',
    '',
    ...targets,
    '',
    '## What each row runs',
    '',
    '- **matmul**: float32 `op(A)·op(B)`, 2·m·n·k flops. nabla `matmulTransposed` (no transpose is materialised),',
    '  tfjs `tf.matMul(a, b, transA, transB)` + `dataSync()`, jax-js a jitted `np.matmul` with the transposes inside the',
    '  jit + `data()`. A case whose first run takes over a second (tfjs-cpu and some jax-js cases at 1024³) is timed on',
    '  a single run.',
    '- **MLP train step**: 784 -> 256 -> 128 -> 10, ReLU, mean softmax cross-entropy, Adam (lr 1e-3, betas 0.9 / 0.999,',
    '  eps 1e-8), batch 128, the same seeded inputs, labels and initial parameters for every library',
    '  (bench/wasm/common.ts): forward, loss,',
    '  backward, update. nabla: `Sequential` of `Linear`/`ReLU`, `crossEntropy`, `@nablajs/optim-adam`. tfjs:',
    '  `tf.train.adam(...).minimize` + reading the loss. jax-js: forward, loss, `valueAndGrad` and a hand-written Adam',
    '  (no optimizer library is installed) in one `jit`, each step awaited until all outputs are ready.',
    '- **CNN train step**: batch 64 of 1x28x28: conv 1->8 3x3 (padding 1) + ReLU + maxpool 2, conv 8->16 3x3 (padding 1)',
    '  + ReLU + maxpool 2, flatten (784), linear 784 -> 10, mean softmax cross-entropy, Adam (lr 1e-3); the same in',
    '  every library. nabla: `Conv2d`, `MaxPool2d`, `Flatten`, `Linear`. tfjs: NHWC, `tf.conv2d` + `tf.maxPool`; on',
    '  tfjs-wasm the convolutions are `tf.conv3d` on a depth-1 volume, because tfjs-backend-wasm 4.22 has no',
    '  `Conv2DBackpropFilter` kernel (training `tf.conv2d` there throws). jax-js: `lax.conv` with padding 1, max pooling',
    '  as a reshape to 2x2 windows and a max, all in one `jit` like the MLP.',
    '- **Adam step**: one update of 1M float32 parameters in 10 tensors of 100,000 with fixed gradients. nabla',
    '  `adam(params).step()`; tfjs `tf.train.adam(...).applyGradients`; jax-js a jitted Adam update over the 10 arrays',
    '  (awaited). With 1M parameters, ms per step and ns per parameter are the same number.',
    '- **add**: `add` of two 64-element float32 tensors, 2000 calls per run: the fixed cost of one op. tfjs',
    '  `tf.add(a, b).dispose()`. jax-js evaluates lazily (a chain of adds would be fused into one expression when read),',
    '  so each of its 500 eager `add`s per run is realized with `await blockUntilReady()` before the next.',
    '',
    '## Training checks',
    '',
    'Each train step first runs a few steps on its fixed batch and must lower the loss, or the bench fails. All',
    'libraries start from the same parameters on the same data, so their first losses must agree (the same function),',
    'and the later ones stay close (the same Adam, up to float32 rounding):',
    '',
    ...agreement.lines,
    '',
    ...trainingRuns.map((r) => `- ${formatRun(r)}`),
    '',
  ].join('\n');

  console.log(['', ...table, '', ...targets, '', ...agreement.lines].join('\n'));
  writeFileSync(join(here, 'results.md'), md);
  mkdirSync('bench-results', { recursive: true });
  writeFileSync(
    'bench-results/wasm.json',
    `${JSON.stringify({ date, node: process.version, cpu: cpuModel(), cores, loadBefore, loadAfter, rows, training: trainingRuns }, null, 2)}\n`,
  );
  console.log(`\nwrote bench/results.md and bench-results/wasm.json (${seconds.toFixed(0)} s)`);
  if (!agreement.ok) {
    console.error('wasm.bench: the libraries do not compute the same first loss: the models differ (see above)');
    process.exit(1);
  }
  process.exit(0);
}

/** The issue's targets, each computed from the table: reached / not reached. */
function targetLines(mm: Row[], mlp: Row, addRow: Row): string[] {
  const out: string[] = [];
  const verdict = (ok: boolean | undefined) =>
    ok === undefined ? '**not measured**' : ok ? '**reached**' : '**not reached**';
  const at = (r: Row, c: Column) => r.values[c];
  const mm1024 = mm.filter((r) => r.case.startsWith('matmul 1024³'));
  const ab = mm1024[0];
  const w1 = at(ab, 'nabla-wasm 1T');
  const w2 = at(ab, 'nabla-wasm 2T');
  out.push(
    `- matmul 1024³ A·B ≥ 45 GFLOP/s on 1 thread: ${fmt(w1)} — ${verdict(w1 === undefined ? undefined : w1 >= 45)}`,
  );
  const ahead = mm1024.map((r) => ({ r, q: ratioOf(r, 'nabla-wasm 1T', 'tfjs-wasm') }));
  const allAhead = ahead.every((a) => a.q !== undefined && a.q > 1);
  out.push(
    `- matmul 1024³ ahead of tfjs-wasm in every transpose case (1 thread): ${ahead
      .map(
        ({ r, q }) =>
          `${r.case.replace('matmul 1024³ ', '').replace(' (GFLOP/s)', '')} ${q === undefined ? '—' : `${q.toFixed(2)}x`}`,
      )
      .join(', ')} — ${verdict(allAhead)}`,
  );
  out.push(
    `- matmul 1024³ A·B ≥ 80 GFLOP/s on 2 threads: ${fmt(w2)} — ${verdict(w2 === undefined ? undefined : w2 >= 80)}`,
  );
  const s1 = at(mlp, 'nabla-wasm 1T');
  const s2 = at(mlp, 'nabla-wasm 2T');
  out.push(`- MLP step ≥ 320 steps/s on 1 thread: ${fmt(s1)} — ${verdict(s1 === undefined ? undefined : s1 >= 320)}`);
  const vsJax = ratioOf(mlp, 'nabla-wasm 1T', 'jax-js wasm');
  out.push(
    `- MLP step ≥ 2x jax-js (jit), 1 thread: ${vsJax === undefined ? '—' : `${vsJax.toFixed(2)}x`} — ${verdict(vsJax === undefined ? undefined : vsJax >= 2)}`,
  );
  const vsTf = ratioOf(mlp, 'nabla-wasm 1T', 'tfjs-wasm');
  out.push(
    `- MLP step ≥ 10x tfjs-wasm, 1 thread: ${vsTf === undefined ? '—' : `${vsTf.toFixed(2)}x`} — ${verdict(vsTf === undefined ? undefined : vsTf >= 10)}`,
  );
  out.push(`- MLP step ≥ 500 steps/s on 2 threads: ${fmt(s2)} — ${verdict(s2 === undefined ? undefined : s2 >= 500)}`);
  const op = at(addRow, 'nabla-wasm 1T');
  const opCpu = at(addRow, 'nabla-cpu');
  out.push(
    `- per-op overhead ≤ 1 µs (add, 64 elements, nabla-wasm 1T; nabla-cpu ${fmt(opCpu)}): ${fmt(op)} — ${verdict(op === undefined ? undefined : op <= 1)}`,
  );
  return out;
}

/**
 * For each model, the spread (max - min over columns) of the first loss, which must be under 1e-3
 * (same parameters, same data, same function), and of the last checked loss (reported only).
 */
function lossAgreement(): { ok: boolean; lines: string[] } {
  let ok = true;
  const lines: string[] = [];
  for (const model of ['MLP', 'CNN']) {
    const runs = trainingRuns.filter((r) => r.what.endsWith(` ${model}`));
    const spread = (pick: (l: number[]) => number) => {
      const v = runs.map((r) => pick(r.losses));
      return Math.max(...v) - Math.min(...v);
    };
    const first = spread((l) => l[0]);
    const last = spread((l) => l[l.length - 1]);
    const agree = first < 1e-3;
    ok &&= agree;
    lines.push(
      `- ${model}, ${runs.length} columns: first loss spread ${first.toExponential(1)} (${agree ? 'same model' : '**MISMATCH: not the same model**'}), last checked loss spread ${last.toExponential(1)}`,
    );
  }
  return { ok, lines };
}

function jaxVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(here, '..', 'node_modules', '@jax-js', 'jax', 'package.json'), 'utf8'));
    return String(pkg.version);
  } catch {
    return '(unknown version)';
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
