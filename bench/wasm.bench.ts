/**
 * nabla's wasm backend beside its cpu backend, TensorFlow.js (cpu and wasm) and jax-js (wasm), in one
 * Node process. Run with `npx tsx bench/wasm.bench.ts`; prints a Markdown table and writes
 * bench-results/wasm.json. Rows:
 * - matmul N x N float32, N = 128 ... 1024, every transpose case at 1024, and the three products of the
 *   MLP's first layer (forward x·W, backward xᵀ·G and G·Wᵀ) (GFLOP/s, higher is better),
 * - one MLP train step, 784 -> 256 -> 128 -> 10, ReLU, softmax cross-entropy, Adam (lr 1e-3), batch 128
 *   (steps/s, higher is better),
 * - per-op overhead of `add` on two 64-element float32 tensors (µs per op, lower is better).
 *
 * Each case is warmed up, then repeated until its time budget is spent; the median run is reported.
 * tfjs-wasm runs single-threaded (its Node build has no threads); jax-js is timed on matmul only.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { init as jaxInit, jit as jaxJit, numpy as jnp } from '@jax-js/jax';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { initWasmBackend, setNumThreads } from '../packages/core/src/backends/wasm/index';
import {
  add,
  manualSeed,
  matmulTransposed,
  noGrad,
  randint,
  randn,
  setBackend,
  type Tensor,
} from '../packages/core/src/index';
import { enableNodeThreads } from '../packages/core/src/node';
import { crossEntropy, Linear, ReLU, Sequential } from '../packages/nn/src/index';
import { adam } from '../packages/optim-adam/src/index';

const here = dirname(fileURLToPath(import.meta.url));

function measure(run: () => void, budgetMs = 400, warmupMs = 150, minRuns = 3): number {
  const warmStart = performance.now();
  do run();
  while (performance.now() - warmStart < warmupMs);
  const times: number[] = [];
  let spent = 0;
  while (spent < budgetMs || times.length < minRuns) {
    const t0 = performance.now();
    run();
    const dt = performance.now() - t0;
    times.push(dt);
    spent += dt;
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1];
}

async function measureAsync(run: () => Promise<void>, budgetMs = 400, warmupRuns = 3): Promise<number> {
  for (let i = 0; i < warmupRuns; i++) await run();
  const times: number[] = [];
  let spent = 0;
  while (spent < budgetMs || times.length < 3) {
    const t0 = performance.now();
    await run();
    const dt = performance.now() - t0;
    times.push(dt);
    spent += dt;
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1];
}

const COLUMNS = ['nabla-cpu', 'nabla-wasm 1T', 'nabla-wasm 2T', 'tfjs-cpu', 'tfjs-wasm', 'jax-js wasm'] as const;
type Column = (typeof COLUMNS)[number];

interface Row {
  case: string;
  higherIsBetter: boolean;
  values: Partial<Record<Column, number>>;
}

const rows: Row[] = [];

function fmt(v: number | undefined): string {
  if (v === undefined) return '—';
  if (v >= 100) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1);
  return v.toFixed(2);
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

function operandShapes(c: MatmulCase): [number[], number[]] {
  return [c.transA ? [c.k, c.m] : [c.m, c.k], c.transB ? [c.n, c.k] : [c.k, c.n]];
}

function nablaMatmul(row: Row, column: Column, c: MatmulCase): void {
  const [sa, sb] = operandShapes(c);
  const a = randn(sa);
  const b = randn(sb);
  const ms = noGrad(() =>
    measure(() => matmulTransposed(a, b, { transA: c.transA, transB: c.transB }), c.m * c.n * c.k > 1e8 ? 800 : 300),
  );
  row.values[column] = (2 * c.m * c.n * c.k) / (ms * 1e6);
}

function tfMatmul(row: Row, column: Column, c: MatmulCase): void {
  const [sa, sb] = operandShapes(c);
  const ta = tf.randomNormal(sa);
  const tb = tf.randomNormal(sb);
  const slow = column === 'tfjs-cpu' && c.m * c.n * c.k > 1e8;
  const ms = measure(
    () => {
      const out = tf.matMul(ta, tb, c.transA, c.transB);
      out.dataSync();
      out.dispose();
    },
    slow ? 0 : 300,
    slow ? 0 : 150,
    slow ? 1 : 3,
  );
  ta.dispose();
  tb.dispose();
  row.values[column] = (2 * c.m * c.n * c.k) / (ms * 1e6);
}

async function jaxMatmul(row: Row, c: MatmulCase): Promise<void> {
  const [sa, sb] = operandShapes(c);
  const a = jnp.ones(sa);
  const b = jnp.ones(sb);
  const f = jaxJit((x: typeof a, y: typeof b) => {
    const xo = c.transA ? jnp.transpose(x) : x;
    const yo = c.transB ? jnp.transpose(y) : y;
    return jnp.matmul(xo, yo);
  });
  const ms = await measureAsync(async () => {
    await f(a.ref, b.ref).data();
  }, 300);
  row.values['jax-js wasm'] = (2 * c.m * c.n * c.k) / (ms * 1e6);
}

/** One train step of the MLP with nabla: forward, cross-entropy, backward, Adam. */
function nablaMlpStepsPerSecond(): number {
  manualSeed(0);
  const model = new Sequential(new Linear(784, 256), new ReLU(), new Linear(256, 128), new ReLU(), new Linear(128, 10));
  const opt = adam(model.parameters(), { lr: 1e-3 });
  const x = randn([128, 784]);
  const y = randint(0, 10, [128]);
  const ms = measure(() => {
    opt.zeroGrad();
    const loss = crossEntropy(model.forward(x) as Tensor, y);
    loss.backward();
    opt.step();
  }, 600);
  return 1000 / ms;
}

function tfMlpStepsPerSecond(): number {
  const w = [
    tf.variable(tf.randomNormal([784, 256], 0, 0.05)),
    tf.variable(tf.zeros([256])),
    tf.variable(tf.randomNormal([256, 128], 0, 0.05)),
    tf.variable(tf.zeros([128])),
    tf.variable(tf.randomNormal([128, 10], 0, 0.05)),
    tf.variable(tf.zeros([10])),
  ];
  const x = tf.randomNormal([128, 784]);
  const labels = tf.oneHot(tf.randomUniform([128], 0, 10, 'int32') as tf.Tensor1D, 10);
  const opt = tf.train.adam(1e-3);
  const ms = measure(() => {
    const loss = opt.minimize(
      () => {
        const h1 = tf.relu(tf.add(tf.matMul(x, w[0]), w[1]));
        const h2 = tf.relu(tf.add(tf.matMul(h1, w[2]), w[3]));
        const logits = tf.add(tf.matMul(h2, w[4]), w[5]);
        return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
      },
      true,
      w,
    );
    loss?.dataSync();
    loss?.dispose();
  }, 600);
  for (const t of [...w, x, labels]) t.dispose();
  opt.dispose();
  return 1000 / ms;
}

function nablaAddMicros(): number {
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

function tfAddMicros(): number {
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

async function main(): Promise<void> {
  const started = performance.now();
  const warn = console.warn;
  console.warn = () => {};
  tf.enableProdMode();
  setWasmPaths(`${join(here, '..', 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist')}/`);
  enableNodeThreads();
  await initWasmBackend();
  await jaxInit('wasm');

  const mlp: Row = {
    case: 'MLP train step 784-256-128-10, batch 128, Adam (steps/s)',
    higherIsBetter: true,
    values: {},
  };
  const addRow: Row = { case: 'add, two 64-element float32 tensors (µs per op)', higherIsBetter: false, values: {} };
  const mm = matmulCases.map((c) => ({ case: `${c.name} (GFLOP/s)`, higherIsBetter: true, values: {} }) as Row);

  for (const [column, backend, threads] of [
    ['nabla-cpu', 'cpu', 1],
    ['nabla-wasm 1T', 'wasm', 1],
    ['nabla-wasm 2T', 'wasm', 2],
  ] as const) {
    setBackend(backend);
    if (backend === 'wasm') await setNumThreads(threads);
    for (const [i, c] of matmulCases.entries()) nablaMatmul(mm[i], column, c);
    mlp.values[column] = nablaMlpStepsPerSecond();
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
    for (const [i, c] of matmulCases.entries()) tfMatmul(mm[i], column, c);
    mlp.values[column] = tfMlpStepsPerSecond();
    addRow.values[column] = tfAddMicros();
  }
  for (const [i, c] of matmulCases.entries()) await jaxMatmul(mm[i], c);
  console.warn = warn;

  rows.push(...mm, mlp, addRow);
  const seconds = (performance.now() - started) / 1000;
  const ratio = (r: Row, of: Column, to: Column): string => {
    const x = r.values[of];
    const y = r.values[to];
    if (x === undefined || y === undefined) return '—';
    return `${(r.higherIsBetter ? x / y : y / x).toFixed(2)}x`;
  };
  const lines = [
    `nabla (cpu, wasm) vs TensorFlow.js ${tf.version.tfjs} (cpu, wasm) and jax-js (wasm): Node ${process.version}, ${cpus()[0]?.model ?? 'unknown cpu'} (${cpus().length} cores), ${new Date().toISOString().slice(0, 10)}`,
    '',
    `| case | ${COLUMNS.join(' | ')} | wasm 1T / tfjs-wasm | wasm 1T / jax-js | wasm 2T / 1T |`,
    `| --- | ${COLUMNS.map(() => '---:').join(' | ')} | ---: | ---: | ---: |`,
    ...rows.map(
      (r) =>
        `| ${r.case} | ${COLUMNS.map((c) => fmt(r.values[c])).join(' | ')} | ${ratio(r, 'nabla-wasm 1T', 'tfjs-wasm')} | ${ratio(r, 'nabla-wasm 1T', 'jax-js wasm')} | ${ratio(r, 'nabla-wasm 2T', 'nabla-wasm 1T')} |`,
    ),
    '',
    `(median of repeated runs; ratios > 1 mean the first is faster; total ${seconds.toFixed(1)} s)`,
  ];
  console.log(lines.join('\n'));
  mkdirSync('bench-results', { recursive: true });
  writeFileSync(
    'bench-results/wasm.json',
    `${JSON.stringify({ date: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model, cores: cpus().length, rows }, null, 2)}\n`,
  );
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
