/**
 * nabla's wasm backend (1 and 2 threads) beside its cpu backend, TensorFlow.js 4.22 (cpu and wasm)
 * and jax-js (wasm), in one Node process. Run with
 * `npx tsx --experimental-wasm-relaxed-simd --tsconfig bench/tsconfig.json bench/wasm.bench.ts`
 * (the last part of `pnpm bench`); prints a Markdown table, writes bench/results.md (table, machine, targets) and
 * bench-results/wasm.json. Rows:
 * - matmul N x N float32, N = 128 ... 1024, every transpose case at 1024, and the three products of
 *   the MLP's first layer (forward x·W, backward xᵀ·G and G·Wᵀ) (GFLOP/s, higher is better);
 * - one MLP train step, 784 -> 256 -> 128 -> 10, ReLU, softmax cross-entropy, Adam (lr 1e-3),
 *   batch 128 (steps/s, higher is better), also run by two native references, PyTorch and a hand-written
 *   NumPy step on 1 and 2 threads (Debian's /usr/bin/python3 running bench/native/mlp_step.py, one process
 *   per library and thread count; "not available" when python3, torch or numpy is missing), and measured
 *   a second time for every library beside one CPU-bound process (bench/hog.ts): the "busy" table;
 * - one CNN train step on 28x28 inputs, batch 64 (architecture in bench/wasm/common.ts) (steps/s);
 * - one Adam step over 1M float32 parameters (ms per step, which is also ns per parameter);
 * - per-op overhead of `add` on two 64-element float32 tensors (µs per op, lower is better).
 *
 * Every train step is first run a few times on its fixed batch and must lower the loss (the losses
 * are printed), so no column times a step that does not train. Each case is warmed up, then repeated
 * until its time budget is spent, and its median run is one measurement; every column is measured in
 * each of BENCH_ROUNDS rounds (default 3) and the median over rounds is reported. A child process
 * (bench/wasm/plain-simd.ts) measures nabla-wasm without relaxed SIMD. The cases live in bench/wasm/*.ts
 * and bench/native/.
 *
 * `NABLA_BENCH_QUICK=1` makes a short run to check that everything works (1 round unless BENCH_ROUNDS says
 * otherwise, a quarter of the time budgets); it writes bench-results/wasm-quick.md instead of
 * bench/results.md. `NABLA_BENCH_OUT=path` sets where the Markdown goes in either mode.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { init as jaxInit } from '@jax-js/jax';
import { getWasmBackendInfo, initWasmBackend, setBackend, setNumThreads } from '@nablajs/core';
import { enableNodeThreads } from '@nablajs/core/node';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { hogCpuSeconds, startHog, stopHog } from './hog';
import { NATIVE_LOSS_TOLERANCE, NativeReferences } from './native/native';
import { formatRun, median, putSample, setBudgetScale, trainingRuns } from './wasm/common';
import { jaxAdamMs, jaxAddMicros, jaxCnnStepsPerSecond, jaxMatmulGflops, jaxMlpStepsPerSecond } from './wasm/jax';
import {
  nablaAdamMs,
  nablaAddMicros,
  nablaCnnStepsPerSecond,
  nablaMatmulGflops,
  nablaMlpStepsPerSecond,
} from './wasm/nabla';
import {
  COLUMNS,
  type Column,
  fmt,
  isNative,
  lossAgreement,
  MLP_COLUMNS,
  type MlpColumn,
  mlpStepTables,
  NATIVE,
  NATIVE_COLUMNS,
  nativeLossAgreement,
  type PlainSimd,
  type Row,
  ratio,
  type Samples,
  targetLines,
} from './wasm/report';
import { settle } from './wasm/settle';
import { tfAdamMs, tfAddMicros, tfCnnStepsPerSecond, tfMatmulGflops, tfMlpStepsPerSecond } from './wasm/tfjs';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Rounds: every column is measured once per round, so the columns interleave over the run and a slow
 * phase of a shared machine (seen here: the same product taking 49 ms, then 71 ms, a minute later)
 * lowers every library's numbers, not one column's. Each cell is the median over rounds.
 */
const QUICK = process.env.NABLA_BENCH_QUICK === '1';
const ROUNDS = Math.max(1, Math.floor(Number(process.env.BENCH_ROUNDS ?? (QUICK ? 1 : 3))));
/** Where the Markdown goes: bench/results.md, except for a quick run (whose numbers are not worth keeping). */
const OUT = process.env.NABLA_BENCH_OUT ?? (QUICK ? 'bench-results/wasm-quick.md' : join(here, 'results.md'));

function put(row: Row, column: Column, value: number): void {
  putSample(row.samples, column, value);
}

/** Whether a column is slow enough on this case (under 2 GFLOP/s, or 1 step/s) to be measured in round 1 only. */
function measuredOnce(row: Row, column: Column): boolean {
  const first = row.samples[column]?.[0];
  return first !== undefined && (column === 'tfjs-cpu' || (row.higherIsBetter && first < 2));
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

function plainSimdRun(): PlainSimd {
  const script = join(here, 'wasm', 'plain-simd.ts');
  const run = spawnSync(process.execPath, [...process.execArgv, script], {
    encoding: 'utf8',
    env: { ...process.env, BENCH_ROUNDS: String(ROUNDS) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (run.status !== 0) throw new Error(`wasm.bench: bench/wasm/plain-simd.ts failed (exit ${run.status})`);
  const line = run.stdout.trim().split('\n').pop() ?? '';
  const samples = JSON.parse(line) as PlainSimd['samples'];
  const med = (t: 1 | 2, what: 'matmul' | 'mlp') => median([...samples[t][what]]);
  return {
    matmul: { 1: med(1, 'matmul'), 2: med(2, 'matmul') },
    mlp: { 1: med(1, 'mlp'), 2: med(2, 'mlp') },
    samples,
  };
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

  const row = (name: string, higherIsBetter: boolean): Row => ({ case: name, higherIsBetter, values: {}, samples: {} });
  const mm = matmulCases.map((c): Row => row(`${c.name} (GFLOP/s)`, true));
  const mlp = row('MLP train step 784-256-128-10, batch 128, Adam (steps/s)', true);
  const cnn = row('CNN train step 28x28, batch 64, Adam (steps/s)', true);
  const adamRow = row('Adam step, 1M float32 params (ms per step = ns/param)', false);
  const addRow = row('add, two 64-element float32 tensors (µs per op)', false);
  const rows = [...mm, mlp, cnn, adamRow, addRow];
  const notes: string[] = [];
  const wasmInfo = getWasmBackendInfo();
  const budgetScale = QUICK ? 0.25 : ROUNDS === 1 ? 1 : 0.5;
  setBudgetScale(budgetScale);
  const natives = new NativeReferences();
  /** The native references' MLP steps/s, one per round (the other libraries' are in `mlp.samples`). */
  const nativeQuiet: Samples = {};

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
      // settle(): the blocks of the previous case's tensors back to the pool first (see bench/wasm/settle.ts)
      for (const [i, c] of matmulCases.entries()) {
        await settle();
        put(mm[i], column, nablaMatmulGflops(c.m, c.k, c.n, c.transA, c.transB));
      }
      await settle();
      put(mlp, column, nablaMlpStepsPerSecond(`${column} MLP`));
      await settle();
      put(cnn, column, nablaCnnStepsPerSecond(`${column} CNN`));
      await settle();
      put(adamRow, column, nablaAdamMs());
      await settle();
      put(addRow, column, nablaAddMicros());
    }
    await setNumThreads(1);
    setBackend('cpu');

    for (const [column, backend] of [
      ['tfjs-cpu', 'cpu'],
      ['tfjs-wasm', 'wasm'],
    ] as const) {
      if (column === 'tfjs-cpu' && round > 1) continue; // 10-300x slower than the rest: once is enough
      await tf.setBackend(backend);
      await tf.ready();
      tf.tensor([0]).dispose();
      log(`round ${round}/${ROUNDS}: ${column}`);
      for (const [i, c] of matmulCases.entries())
        if (!measuredOnce(mm[i], column)) put(mm[i], column, tfMatmulGflops(c.m, c.k, c.n, c.transA, c.transB));
      put(mlp, column, tfMlpStepsPerSecond(`${column} MLP`));
      put(cnn, column, tfCnnStepsPerSecond(`${column} CNN`, backend === 'wasm'));
      put(adamRow, column, tfAdamMs());
      put(addRow, column, tfAddMicros());
    }

    log(`round ${round}/${ROUNDS}: jax-js wasm`);
    for (const [i, c] of matmulCases.entries())
      if (!measuredOnce(mm[i], 'jax-js wasm'))
        put(mm[i], 'jax-js wasm', await jaxMatmulGflops(c.m, c.k, c.n, c.transA, c.transB));
    put(mlp, 'jax-js wasm', await jaxMlpStepsPerSecond());
    put(cnn, 'jax-js wasm', await jaxCnnStepsPerSecond());
    put(adamRow, 'jax-js wasm', await jaxAdamMs());
    put(addRow, 'jax-js wasm', await jaxAddMicros());

    for (const column of NATIVE_COLUMNS) {
      if (!natives.available(NATIVE[column][0])) continue;
      log(`round ${round}/${ROUNDS}: ${column} (native reference)`);
      const value = await mlpStepOf(column, natives, budgetScale);
      if (value !== undefined) putSample(nativeQuiet, column, value);
    }
  }
  const loadQuietEnd = loadavg();

  // The busy phase: the MLP step of every library beside one CPU-bound process, in the same number of
  // rounds, the order reversed every other round. tfjs-cpu, as above, in the first round only.
  const busySamples: Samples = {};
  const busyRounds: { loadStart: number; loadEnd: number; seconds: number; hogCpuSeconds?: number }[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const order = round % 2 === 1 ? [...MLP_COLUMNS] : [...MLP_COLUMNS].reverse();
    const t0 = performance.now(); // from the hog's start, as its CPU time is
    const hog = await startHog();
    const loadStart = loadavg()[0];
    try {
      for (const column of order) {
        if (column === 'tfjs-cpu' && round > 1) continue;
        if (isNative(column) && !natives.available(NATIVE[column][0])) continue;
        log(`busy round ${round}/${ROUNDS}: ${column}`);
        const value = await mlpStepOf(column, natives, budgetScale);
        if (value !== undefined) putSample(busySamples, column, value);
      }
    } finally {
      const hogCpu = hogCpuSeconds(hog);
      const seconds = (performance.now() - t0) / 1000;
      busyRounds.push({ loadStart, loadEnd: loadavg()[0], seconds, hogCpuSeconds: hogCpu });
      await stopHog(hog);
    }
  }
  console.warn = warn;
  natives.dispose();
  for (const r of rows)
    for (const c of COLUMNS) {
      const list = r.samples[c];
      if (list !== undefined) r.values[c] = median([...list]);
    }

  log('nabla-wasm without relaxed SIMD (child process)');
  const plain = plainSimdRun();

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

  const targets = targetLines(mm, mlp, addRow, plain);
  const agreement = lossAgreement();
  const nativeAgreement = nativeLossAgreement();
  const busy = loadBefore[0] > 0.5 * cores;
  const mlpTables = mlpStepTables({ ...mlp.samples, ...nativeQuiet }, busySamples, natives);
  const nativeLines = natives.describe();
  const md = [
    '# Benchmark results: the wasm backend',
    '',
    'Generated by `npx tsx --experimental-wasm-relaxed-simd --tsconfig bench/tsconfig.json bench/wasm.bench.ts` (the',
    'last part of `pnpm bench`); do not edit by hand, re-run it.',
    '',
    `- date: ${date}`,
    `- machine: ${machine}`,
    `- load average (1 / 5 / 15 min) before the run: ${load(loadBefore)}; at the end of the quiet rounds: ${load(loadQuietEnd)}; after the run (busy phase included): ${load(loadAfter)}${busy ? ' — **the machine was busy before the run: numbers are low and noisy, and the 2-thread column measures contention**' : ''}`,
    `- libraries: TensorFlow.js ${tf.version.tfjs} (tfjs-cpu, tfjs-wasm with SIMD, single-threaded in Node), jax-js ${jaxVersion()} (wasm device, \`init('wasm')\`; single-threaded in Node, which has no global \`Worker\`)`,
    `- nabla-wasm: ${wasmInfo.relaxedSimd ? 'relaxed SIMD on (matmul and conv2d use the fused multiply-add gemm; Node 20 needs `--experimental-wasm-relaxed-simd`, Chrome 114+ and Node 22+ have it by default); the plain-SIMD numbers are in their own table below' : '**relaxed SIMD off** (this Node does not support it): every nabla-wasm number is plain SIMD'}`,
    `- rounds: ${ROUNDS} (each cell is the median of one measurement per round; tfjs-cpu, and cases under 2 GFLOP/s, are measured in round 1 only)`,
    `- native references (MLP step only; details under its table): ${natives.summary()}`,
    `- whole run: ${seconds.toFixed(0)} s${QUICK ? ' (**quick run**, `NABLA_BENCH_QUICK=1`: a quarter of the time budgets; a check that everything runs, not numbers to keep)' : ''}`,
    ...notes.map((n) => `- ${n}`),
    '',
    ...table,
    '',
    'Each measurement is the median of repeated runs after a warm-up; each cell the median over rounds. Ratios above',
    '1 mean the first named is faster (for the ms and µs rows, the ratio is inverted so that above 1 still means',
    'faster). "wasm 1T" is nabla-wasm on one thread. The MLP row\'s native references (PyTorch, NumPy) are in the',
    'next table.',
    '',
    '## MLP step: nabla, the JavaScript libraries and native references',
    '',
    'The MLP train step of the table above, with two native references beside it: PyTorch and the same step written',
    "by hand in NumPy, run by Debian's `/usr/bin/python3` (bench/native/mlp_step.py, one process per library and",
    'thread count, spawned in each round after jax-js). A native reference times batches of steps after a warm-up and',
    'reports the median time per step over batches; it trains from the same batch and initial parameters.',
    '',
    ...mlpTables.quiet,
    '',
    ...nativeLines.map((n) => `- ${n}`),
    `- ${nativeAgreement.line}`,
    '',
    '## MLP step beside one CPU-bound process',
    '',
    'After the rounds above, the MLP step of every library again, in as many rounds, each round beside one process',
    'spinning in a busy loop (bench/hog.ts; started before the round and killed after it), the order of the',
    'libraries reversed every other round (tfjs-cpu in the first round only). On 2 cores the hog takes about one, as',
    'another job on a shared machine would; the 2-thread columns then share a core with it.',
    '',
    ...mlpTables.busyLoad(busyRounds),
    '',
    ...mlpTables.busy,
    '',
    '## nabla-wasm with plain SIMD only',
    '',
    'The same cases in a child process with `initWasmBackend({ relaxedSimd: false })`: the kernels that run where relaxed',
    'SIMD is missing (Safari, Firefox, Node 20 without the flag). Medians over the same number of rounds.',
    '',
    '| case | plain SIMD 1T | plain SIMD 2T | relaxed SIMD 1T | relaxed SIMD 2T |',
    '| --- | ---: | ---: | ---: | ---: |',
    `| matmul 1024³ A·B (GFLOP/s) | ${fmt(plain.matmul[1])} | ${fmt(plain.matmul[2])} | ${fmt(mm[3].values['nabla-wasm 1T'])} | ${fmt(mm[3].values['nabla-wasm 2T'])} |`,
    `| MLP train step (steps/s) | ${fmt(plain.mlp[1])} | ${fmt(plain.mlp[2])} | ${fmt(mlp.values['nabla-wasm 1T'])} | ${fmt(mlp.values['nabla-wasm 2T'])} |`,
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
    '  (no optimizer library is installed) in one `jit`, each step awaited until all outputs are ready. Native',
    '  references (MLP only): PyTorch, `nn.Sequential` of `nn.Linear`/`nn.ReLU`, `F.cross_entropy`, `torch.optim.Adam`,',
    '  `torch.set_num_threads(t)`; NumPy, forward, softmax cross-entropy, backward and Adam written by hand in float32',
    '  (Adam in the form `torch.optim.Adam` computes it), the thread count set through `OMP_NUM_THREADS` /',
    '  `OPENBLAS_NUM_THREADS` before NumPy is loaded; each step reads the loss.',
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
    ...trainingRuns
      .filter((r, i) => trainingRuns.findIndex((q) => q.what === r.what) === i)
      .map((r) => `- ${formatRun(r)}`),
    '',
  ].join('\n');

  console.log(
    [
      '',
      ...table,
      '',
      ...mlpTables.quiet,
      '',
      ...mlpTables.busyLoad(busyRounds),
      '',
      ...mlpTables.busy,
      '',
      ...targets,
      '',
      ...agreement.lines,
      `- ${nativeAgreement.line}`,
      ...nativeLines.map((n) => `- ${n}`),
    ].join('\n'),
  );
  mkdirSync('bench-results', { recursive: true });
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, md);
  const json = QUICK ? 'bench-results/wasm-quick.json' : 'bench-results/wasm.json';
  writeFileSync(
    json,
    `${JSON.stringify(
      {
        date,
        quick: QUICK,
        node: process.version,
        cpu: cpuModel(),
        cores,
        loadBefore,
        loadQuietEnd,
        loadAfter,
        rounds: ROUNDS,
        wasm: wasmInfo,
        rows,
        plainSimd: plain,
        mlp: { quiet: { ...mlp.samples, ...nativeQuiet }, busy: busySamples, busyRounds },
        native: { missing: Object.fromEntries(natives.missing), runs: Object.fromEntries(natives.firstRuns) },
        nativeAgreement: nativeAgreement.rel,
        training: trainingRuns,
      },
      null,
      2,
    )}\n`,
  );
  console.log(`\nwrote ${OUT} and ${json} (${seconds.toFixed(0)} s)`);
  if (!agreement.ok) {
    console.error('wasm.bench: the libraries do not compute the same first loss: the models differ (see above)');
    process.exit(1);
  }
  if (!nativeAgreement.ok) {
    console.error(
      `wasm.bench: a native reference's first losses differ from nabla's by more than ${NATIVE_LOSS_TOLERANCE} relative`,
    );
    process.exit(1);
  }
  process.exit(0);
}

/**
 * One measurement of the MLP step of `column` (steps/s), with its library set up as the rounds of main()
 * set it up; undefined when a native reference is not available.
 */
async function mlpStepOf(
  column: MlpColumn,
  natives: NativeReferences,
  budgetScale: number,
): Promise<number | undefined> {
  switch (column) {
    case 'nabla-cpu':
    case 'nabla-wasm 1T':
    case 'nabla-wasm 2T': {
      setBackend(column === 'nabla-cpu' ? 'cpu' : 'wasm');
      if (column !== 'nabla-cpu') await setNumThreads(column === 'nabla-wasm 2T' ? 2 : 1);
      await settle();
      try {
        return nablaMlpStepsPerSecond(`${column} MLP`);
      } finally {
        await setNumThreads(1);
        setBackend('cpu');
      }
    }
    case 'tfjs-cpu':
    case 'tfjs-wasm':
      await tf.setBackend(column === 'tfjs-cpu' ? 'cpu' : 'wasm');
      await tf.ready();
      tf.tensor([0]).dispose();
      return tfMlpStepsPerSecond(`${column} MLP`);
    case 'jax-js wasm':
      return jaxMlpStepsPerSecond();
    default: {
      const [impl, threads] = NATIVE[column];
      // The budgets of nabla's MLP step: measure(step, 600) after the default 150 ms of warm-up.
      return natives.run(impl, threads, `${column} MLP`, 0.6 * budgetScale, 0.15 * budgetScale);
    }
  }
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
