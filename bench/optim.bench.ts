/**
 * nabla optimizer step vs TensorFlow.js (cpu backend), in one process.
 *
 * Run with `npx tsx bench/optim.bench.ts`. The script re-runs itself under
 * `tsx --tsconfig bench/tsconfig.json --expose-gc`, so that every `@nablajs/*` import resolves to the
 * packages' sources (no build needed) and `gc()` is available for the allocation column. Prints a
 * Markdown table and writes bench-results/optim.json.
 *
 * The case: one `step()` over 1M float32 parameters in ten tensors of 100,000, with fixed gradients,
 * for SGD with momentum 0.9, Adam and RMSprop (PyTorch defaults otherwise, lr 1e-3), beside
 * tfjs-core's `tf.train.momentum`, `tf.train.adam` and `tf.train.rmsprop` (`applyGradients` on ten
 * `tf.variable`s, decay 0.99 and epsilon 1e-8 to match PyTorch's RMSprop). nabla runs three ways:
 * - chain: fused updates off (`setFusedUpdates(false)`), the rule's chain of blocks, one pass each;
 * - fused: the default on the cpu backend, one JavaScript kernel call per parameter;
 * - wasm: the wasm backend active, parameters, gradients and state in WebAssembly memory (made by
 *   `allocate()` while the backend is active), so the SIMD kernels update them in place.
 * Reported:
 * - ns per parameter: the median time of one step divided by 1M (each optimizer is warmed up, then
 *   stepped until about half a second has been spent, at least 10 steps);
 * - bytes allocated per step after warm-up: see `allocationPerStep` (method in bench/README.md).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { Tensor } from '@nablajs/core';
import type { Hyperparams, Optimizer, OptimizerFactory, ParamsInput } from '@nablajs/optim';

// Re-run under tsx with the workspace's path mapping (sources, not dist) and --expose-gc.
if (process.env.NABLA_OPTIM_BENCH_CHILD !== '1') {
  const tsx = createRequire(import.meta.url).resolve('tsx/cli');
  const self = fileURLToPath(import.meta.url);
  const tsconfig = fileURLToPath(new URL('./tsconfig.json', import.meta.url));
  const child = spawnSync(process.execPath, [tsx, '--tsconfig', tsconfig, '--expose-gc', self], {
    stdio: 'inherit',
    env: { ...process.env, NABLA_OPTIM_BENCH_CHILD: '1' },
  });
  process.exit(child.status ?? 1);
}

const core = await import('@nablajs/core');
const optim = await import('@nablajs/optim');

const TENSORS = 10;
const SIZE = 100_000;
const TOTAL = TENSORS * SIZE;
const LR = 1e-3;

// ---------------------------------------------------------------------------------------------
// Inputs: the same parameters and gradients for both frameworks (a fixed LCG, no Math.random).

function filled(seed: number, scale: number): Float32Array {
  const out = new Float32Array(SIZE);
  let s = seed >>> 0;
  for (let j = 0; j < SIZE; j++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[j] = ((s / 2 ** 32) * 2 - 1) * scale;
  }
  return out;
}

const initial = Array.from({ length: TENSORS }, (_, i) => filled(1000 + i, 1));
const gradients = Array.from({ length: TENSORS }, (_, i) => filled(2000 + i, 0.1));

/** `data` copied into an array from `allocate()`: in wasm memory while the wasm backend is active. */
function allocated(data: Float32Array): Float32Array {
  const out = core.allocate('float32', data.length) as Float32Array;
  out.set(data);
  return out;
}

function nablaParams(): Tensor[] {
  return initial.map((data, i) => {
    const p = new core.Tensor(allocated(data), [SIZE], 'float32');
    p.requiresGrad = true;
    p.grad = new core.Tensor(allocated(gradients[i]), [SIZE], 'float32');
    return p;
  });
}

// ---------------------------------------------------------------------------------------------
// Measurement.

const gc = (globalThis as { gc?: () => void }).gc;
const gcTimes: { start: number; end: number }[] = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcTimes.push({ start: e.startTime, end: e.startTime + e.duration });
}).observe({ entryTypes: ['gc'] });

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Median time of one call of `step`, in ms, after a warm-up. */
function timeStep(step: () => void, budgetMs = 500, warmup = 5): number {
  for (let i = 0; i < warmup; i++) step();
  const times: number[] = [];
  let spent = 0;
  while (spent < budgetMs || times.length < 10) {
    const t0 = performance.now();
    step();
    const dt = performance.now() - t0;
    times.push(dt);
    spent += dt;
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1];
}

interface Allocation {
  /** Bytes per step (median over windows), or null without --expose-gc. */
  bytes: number | null;
  /** Whether a garbage collection ran inside a measured window (the number is then a lower bound). */
  lowerBound: boolean;
}

/**
 * Bytes allocated by one call of `step`, after warm-up: `gc()`, read `heapUsed + arrayBuffers`
 * (V8 heap objects plus typed-array backing stores, which live outside the heap), call `step`
 * `perWindow` times, read again; the difference divided by `perWindow` is the allocation per step,
 * provided no garbage collection ran in between (a PerformanceObserver on 'gc' entries tells; if one
 * did, the number is a lower bound). Median over `windows` windows.
 */
async function allocationPerStep(step: () => void, perWindow: number, windows = 5): Promise<Allocation> {
  if (gc === undefined) return { bytes: null, lowerBound: false };
  for (let i = 0; i < 5; i++) step();
  const perStep: number[] = [];
  let lowerBound = false;
  for (let w = 0; w < windows; w++) {
    gc();
    gc();
    await tick(); // flush the observer's entries for the gc() calls above
    const t0 = performance.now();
    const m0 = process.memoryUsage();
    for (let i = 0; i < perWindow; i++) step();
    const m1 = process.memoryUsage();
    const t1 = performance.now();
    await tick();
    if (gcTimes.some((g) => g.end > t0 && g.start < t1)) lowerBound = true;
    const delta = m1.heapUsed + m1.arrayBuffers - (m0.heapUsed + m0.arrayBuffers);
    perStep.push(Math.max(0, delta) / perWindow);
  }
  perStep.sort((a, b) => a - b);
  return { bytes: perStep[perStep.length >> 1], lowerBound };
}

// ---------------------------------------------------------------------------------------------
// The optimizers.

interface Contender {
  label: string;
  nabla: { factory: OptimizerFactory; options: Partial<Hyperparams> } | { skip: string };
  tfjs: () => tf.Optimizer;
}

/** A nabla factory from its package if the package provides it, else a recipe or a skip note. */
async function load(loader: () => Promise<Record<string, unknown>>, name: string): Promise<OptimizerFactory | null> {
  try {
    const mod = await loader();
    return typeof mod[name] === 'function' ? (mod[name] as OptimizerFactory) : null;
  } catch (e) {
    console.log(`note: could not load ${name}: ${(e as Error).message}`);
    return null;
  }
}

async function contenders(): Promise<Contender[]> {
  const sgd = await load(() => import('@nablajs/optim-sgd'), 'sgd');
  const adam = await load(() => import('@nablajs/optim-adam'), 'adam');
  const rmsprop = await load(() => import('@nablajs/optim-rmsprop'), 'rmsprop');
  return [
    {
      label: 'sgd (momentum 0.9)',
      nabla: sgd
        ? { factory: sgd, options: { lr: LR, momentum: 0.9 } }
        : { skip: '@nablajs/optim-sgd does not provide sgd yet' },
      tfjs: () => tf.train.momentum(LR, 0.9),
    },
    {
      label: 'adam',
      nabla: adam ? { factory: adam, options: { lr: LR } } : { skip: '@nablajs/optim-adam does not provide adam yet' },
      tfjs: () => tf.train.adam(LR, 0.9, 0.999, 1e-8),
    },
    {
      label: 'rmsprop',
      nabla: rmsprop
        ? { factory: rmsprop, options: { lr: LR } }
        : { skip: '@nablajs/optim-rmsprop does not provide rmsprop yet' },
      tfjs: () => tf.train.rmsprop(LR, 0.99, 0, 1e-8),
    },
  ];
}

interface Row {
  optimizer: string;
  /** The chain of update blocks (fused updates off): the path before fused kernels. */
  chainNsPerParam: number | null;
  /** nabla-wasm: the SIMD kernels on arrays in wasm memory (null where WebAssembly SIMD is missing). */
  wasmNsPerParam: number | null;
  nablaNsPerParam: number | null;
  nablaBytesPerStep: number | null;
  nablaLowerBound: boolean;
  tfjsNsPerParam: number;
  tfjsBytesPerStep: number | null;
  tfjsLowerBound: boolean;
  note?: string;
}

type NablaMode = 'chain' | 'fused' | 'wasm';

async function benchNabla(factory: OptimizerFactory, options: Partial<Hyperparams>, mode: NablaMode = 'fused') {
  if (mode === 'wasm') core.setBackend('wasm');
  const fused = optim.setFusedUpdates(mode !== 'chain');
  try {
    const params = nablaParams();
    const opt: Optimizer = factory(params as ParamsInput, options);
    const step = () => {
      opt.step();
    };
    const ms = timeStep(step);
    const alloc = await allocationPerStep(step, 50);
    return { nsPerParam: (ms * 1e6) / TOTAL, alloc };
  } finally {
    optim.setFusedUpdates(fused);
    core.setBackend('cpu');
  }
}

async function benchTfjs(make: () => tf.Optimizer) {
  const vars = initial.map((data, i) => tf.variable(tf.tensor1d(data), true, `p${i}`));
  const grads: tf.NamedTensorMap = {};
  gradients.forEach((g, i) => {
    grads[`p${i}`] = tf.tensor1d(g);
  });
  const opt = make();
  const step = () => opt.applyGradients(grads);
  const ms = timeStep(step);
  const alloc = await allocationPerStep(step, 2);
  opt.dispose();
  for (const v of vars) v.dispose();
  for (const g of Object.values(grads)) g.dispose();
  return { nsPerParam: (ms * 1e6) / TOTAL, alloc };
}

function fmtNs(v: number | null): string {
  return v === null ? 'n/a' : v.toFixed(2);
}

function fmtBytes(v: number | null, lowerBound: boolean): string {
  if (v === null) return 'n/a (run with --expose-gc)';
  const s = v >= 1e6 ? `${(v / 1e6).toFixed(1)} MB` : v >= 1e3 ? `${(v / 1e3).toFixed(1)} kB` : `${Math.round(v)} B`;
  return lowerBound ? `≥ ${s}` : s;
}

async function main(): Promise<void> {
  await tf.setBackend('cpu');
  await tf.ready();
  const rows: Row[] = [];
  const all = await contenders();
  for (const c of all) {
    const tfjs = await benchTfjs(c.tfjs);
    if ('skip' in c.nabla) {
      console.log(`note: skipping nabla ${c.label}: ${c.nabla.skip}`);
      rows.push({
        optimizer: c.label,
        chainNsPerParam: null,
        wasmNsPerParam: null,
        nablaNsPerParam: null,
        nablaBytesPerStep: null,
        nablaLowerBound: false,
        tfjsNsPerParam: tfjs.nsPerParam,
        tfjsBytesPerStep: tfjs.alloc.bytes,
        tfjsLowerBound: tfjs.alloc.lowerBound,
        note: c.nabla.skip,
      });
      continue;
    }
    const chain = await benchNabla(c.nabla.factory, c.nabla.options, 'chain');
    const nabla = await benchNabla(c.nabla.factory, c.nabla.options, 'fused');
    rows.push({
      optimizer: c.label,
      chainNsPerParam: chain.nsPerParam,
      wasmNsPerParam: null,
      nablaNsPerParam: nabla.nsPerParam,
      nablaBytesPerStep: nabla.alloc.bytes,
      nablaLowerBound: nabla.alloc.lowerBound,
      tfjsNsPerParam: tfjs.nsPerParam,
      tfjsBytesPerStep: tfjs.alloc.bytes,
      tfjsLowerBound: tfjs.alloc.lowerBound,
    });
  }
  // The wasm backend last, so that its initialisation (a WebAssembly memory, a buffer pool) cannot
  // disturb the allocation figures of the JavaScript paths.
  if (await core.initWasmBackend()) {
    for (const [i, c] of all.entries())
      if (!('skip' in c.nabla))
        rows[i].wasmNsPerParam = (await benchNabla(c.nabla.factory, c.nabla.options, 'wasm')).nsPerParam;
  } else {
    console.log('note: no WebAssembly SIMD here; the nabla-wasm column is n/a');
  }

  const header = [
    `Optimizer step, 1M float32 parameters in ${TENSORS} tensors of ${SIZE.toLocaleString('en-US')}; node ${process.version}, ` +
      `${cpus()[0]?.model ?? 'unknown cpu'}; tfjs-core ${tf.version_core} (cpu backend).`,
    '',
    '"nabla chain": fused updates off (the rule\'s blocks, one pass each); "nabla": fused JavaScript kernels (the default);',
    '"nabla-wasm": the wasm backend, arrays in WebAssembly memory, SIMD kernels in place. Bytes/step are the default path\'s.',
    '',
    '| optimizer | nabla chain ns/param | nabla ns/param | nabla-wasm ns/param | tfjs-cpu ns/param | speed-up (tfjs / nabla) | nabla bytes/step | tfjs-cpu bytes/step |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const lines = rows.map((r) => {
    const ratio = r.nablaNsPerParam === null ? 'n/a' : `${(r.tfjsNsPerParam / r.nablaNsPerParam).toFixed(2)}x`;
    return `| ${r.optimizer} | ${fmtNs(r.chainNsPerParam)} | ${fmtNs(r.nablaNsPerParam)} | ${fmtNs(r.wasmNsPerParam)} | ${fmtNs(r.tfjsNsPerParam)} | ${ratio} | ${fmtBytes(r.nablaBytesPerStep, r.nablaLowerBound)} | ${fmtBytes(r.tfjsBytesPerStep, r.tfjsLowerBound)} |`;
  });
  console.log([...header, ...lines].join('\n'));
  mkdirSync(new URL('../bench-results/', import.meta.url), { recursive: true });
  writeFileSync(
    new URL('../bench-results/optim.json', import.meta.url),
    `${JSON.stringify({ node: process.version, cpu: cpus()[0]?.model, tfjs: tf.version_core, parameters: TOTAL, rows }, null, 2)}\n`,
  );
}

await main();
