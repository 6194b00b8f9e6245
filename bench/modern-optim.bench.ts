/**
 * One step of the modern optimizers beside AdamW, on the parameters of an MLP 784-256-128-10, on the cpu
 * and the wasm backends, in one process.
 *
 * Run with `npx tsx --tsconfig bench/tsconfig.json bench/modern-optim.bench.ts` (`pnpm bench` runs it last).
 * Prints a Markdown table and writes bench-results/modern-optim.json (not committed).
 *
 * The case: float32 parameters W1 [256,784], b1 [256], W2 [128,256], b2 [128], W3 [10,128], b3 [10]
 * (235,146 numbers), fixed gradients from a fixed LCG; every optimizer is built fresh, warmed up, then
 * stepped; the median of the timed steps is reported in ms, and the ratio to AdamW measured in the same
 * round on the same backend. The rounds interleave the optimizers (3 rounds; the cell is the median over
 * rounds), because this machine's speed drifts within minutes. SOAP's two kinds of step are measured
 * apart: a refresh step (`preconditionFrequency: 1`, so every step runs the power iteration and QR of
 * every factor) and a plain step (a frequency too large to refresh within the run). Muon's Newton-Schulz
 * products and SOAP's projections run on core's matmul, that is on the wasm kernels on the wasm backend.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { allocate, initWasmBackend, setBackend, Tensor } from '@nablajs/core';
import optimPlugin, { type Optimizer, type ParamsInput, usePlugin } from '@nablajs/optim';
import { adabelief } from '@nablajs/optim-adabelief';
import { adamw } from '@nablajs/optim-adam';
import { adopt } from '@nablajs/optim-adopt';
import { mars } from '@nablajs/optim-mars';
import { muon } from '@nablajs/optim-muon';
import { prodigy } from '@nablajs/optim-prodigy';
import { adamwScheduleFree } from '@nablajs/optim-schedulefree';
import { soap } from '@nablajs/optim-soap';
import { settle } from './wasm/settle';

usePlugin(optimPlugin);

const SHAPES: number[][] = [[256, 784], [256], [128, 256], [128], [10, 128], [10]];

function lcg(seed: number, n: number, scale: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let j = 0; j < n; j++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[j] = ((s / 2 ** 32) * 2 - 1) * scale;
  }
  return out;
}

/** Fresh parameters with fixed gradients, in arrays from allocate() (wasm memory on the wasm backend). */
function params(): Tensor[] {
  return SHAPES.map((shape, i) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const data = allocate('float32', size) as Float32Array;
    data.set(lcg(100 + i, size, 0.05));
    const p = new Tensor(data, shape, 'float32');
    p.requiresGrad = true;
    const g = allocate('float32', size) as Float32Array;
    g.set(lcg(200 + i, size, 0.01));
    p.grad = new Tensor(g, shape, 'float32');
    return p;
  });
}

type Build = (ps: ParamsInput) => Optimizer;
const CASES: [string, Build, number][] = [
  // [name, factory, timed steps]
  ['adamw', (ps) => adamw(ps, { lr: 1e-3 }), 30],
  ['muon', (ps) => muon(ps, { lr: 0.02 }), 10],
  ['soap (refresh step)', (ps) => soap(ps, { preconditionFrequency: 1 }), 3],
  ['soap (plain step)', (ps) => soap(ps, { preconditionFrequency: 1_000_000 }), 10],
  ['prodigy', (ps) => prodigy(ps), 30],
  ['adamwScheduleFree', (ps) => adamwScheduleFree(ps), 30],
  ['adopt', (ps) => adopt(ps), 30],
  ['mars', (ps) => mars(ps), 30],
  ['mars (mars-shampoo)', (ps) => mars(ps, { marsType: 'mars-shampoo' }), 10],
  ['adabelief', (ps) => adabelief(ps), 30],
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** The median ms of `steps` steps, after a warm-up of 2 steps (SOAP's first step only builds its preconditioner). */
function timeSteps(build: Build, steps: number): number {
  const opt = build(params());
  for (let i = 0; i < 2; i++) opt.step();
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    opt.step();
    times.push(performance.now() - t0);
  }
  return median(times);
}

const ROUNDS = 3;
const loadBefore = loadavg();
const rows: { backend: string; name: string; ms: number; ratio: number; rounds: number[] }[] = [];
await initWasmBackend();
for (const backend of ['cpu', 'wasm'] as const) {
  setBackend(backend);
  const perRound: Record<string, number[]> = {};
  const ratios: Record<string, number[]> = {};
  for (let r = 0; r < ROUNDS; r++) {
    let base = Number.NaN;
    for (const [name, build, steps] of CASES) {
      // NOTE: the previous case's tensors must give their wasm blocks back first (see bench/wasm/settle.ts):
      // without it the later rounds' parameters land in JavaScript memory and AdamW ran 10x slower there.
      await settle();
      const ms = timeSteps(build, steps);
      if (name === 'adamw') base = ms;
      if (perRound[name] === undefined) perRound[name] = [];
      if (ratios[name] === undefined) ratios[name] = [];
      perRound[name].push(ms);
      ratios[name].push(ms / base);
    }
  }
  for (const [name] of CASES)
    rows.push({ backend, name, ms: median(perRound[name]), ratio: median(ratios[name]), rounds: perRound[name] });
}
setBackend('cpu');
const loadAfter = loadavg();

const lines = [
  `Modern optimizers, one step on MLP 784-256-128-10 parameters (235,146 float32), ${new Date().toISOString()}`,
  `Node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, load ${loadBefore[0].toFixed(2)} before, ${loadAfter[0].toFixed(2)} after`,
  '',
  '| backend | optimizer | ms per step (median of rounds) | rounds | ratio to adamw |',
  '| --- | --- | ---: | --- | ---: |',
  ...rows.map(
    (r) =>
      `| ${r.backend} | ${r.name} | ${r.ms.toFixed(3)} | ${r.rounds.map((x) => x.toFixed(2)).join(', ')} | ${r.ratio.toFixed(1)}x |`,
  ),
];
console.log(lines.join('\n'));
mkdirSync('bench-results', { recursive: true });
writeFileSync(
  'bench-results/modern-optim.json',
  `${JSON.stringify({ date: new Date().toISOString(), loadBefore, loadAfter, rows }, null, 2)}\n`,
);
