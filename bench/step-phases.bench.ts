/**
 * Where the MLP train step's time goes on one thread (issue 18, goal 2: the step at 0.90 of its
 * products' time). Every call of a wasm kernel is timed (the bench wraps the modules' exports before
 * the backend starts), and each phase of the step (zeroGrad, forward, cross-entropy, backward, Adam's
 * step, item) is split into its time in wasm kernels and the rest: JavaScript (op bookkeeping,
 * allocation, argument checks, the autograd walk, the optimizer's loop over its parameters).
 *
 * Two comparisons in the same run show what that JavaScript time depends on:
 * - the cross-entropy run once more right after the step's own, on the same logits (its code and data
 *   have just been used, so they are in the caches): the "again" row;
 * - the same step on a tiny MLP (8-8-8-10, batch 4), whose kernels take almost nothing and whose
 *   working set stays in the caches from one step to the next.
 *
 * Run with `npx tsx --experimental-wasm-relaxed-simd --tsconfig bench/tsconfig.json bench/step-phases.bench.ts`
 * from the repository root; writes bench/results-step-phases.md. `NABLA_PHASES_ROUNDS=N` sets the rounds
 * (default 5).
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';

const ROUNDS = Number(process.env.NABLA_PHASES_ROUNDS ?? 5);
const STEPS = 400;

/** Kernel time per export name (`gemm` by shape), summed while `timing` is on. */
const kernels = new Map<string, { ms: number; calls: number }>();
let timing = false;
let kernelMs = 0;
/** Calls per step of each kernel, from the last round. */
let kernelCalls = new Map<string, number>();

// Wrap the exports of every module the backend instantiates (it calls WebAssembly.instantiate with a
// compiled module, which resolves to an instance): the wrapper times the call when `timing` is on.
const instantiate = WebAssembly.instantiate as (m: WebAssembly.Module, i: object) => Promise<WebAssembly.Instance>;
(WebAssembly as unknown as { instantiate: unknown }).instantiate = async (m: WebAssembly.Module, i: object) => {
  const instance = await instantiate(m, i);
  const exports: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(instance.exports)) {
    if (typeof value !== 'function') {
      exports[name] = value;
      continue;
    }
    const fn = value as (...args: number[]) => unknown;
    exports[name] = (...args: number[]) => {
      if (!timing) return fn(...args);
      const t0 = performance.now();
      const result = fn(...args);
      const dt = performance.now() - t0;
      kernelMs += dt;
      const key = name === 'gemm' ? `gemm ${args[8]} x ${args[9]} x ${args[10]}` : name;
      const k = kernels.get(key) ?? { ms: 0, calls: 0 };
      k.ms += dt;
      k.calls++;
      kernels.set(key, k);
      return result;
    };
  }
  return { exports };
};

const core = await import('@nablajs/core');
const { crossEntropy, Linear, ReLU, Sequential } = await import('@nablajs/nn');
const { adam } = await import('@nablajs/optim-adam');
const { MLP, median } = await import('./wasm/common');
const { adamTrainStep, nablaMlp } = await import('./wasm/nabla');
const { settle } = await import('./wasm/settle');
type Tensor = import('@nablajs/core').Tensor;
type Module = import('@nablajs/nn').Module;

const PHASES = ['zeroGrad', 'forward', 'crossEntropy', 'crossEntropy again', 'backward', 'Adam step', 'item'] as const;
type Phase = (typeof PHASES)[number] | 'whole step';
type Split = Record<Phase, { wall: number; kernel: number }>;

/** `steps` timed steps of `model` on `(x, y)` with Adam: per phase, the mean wall and kernel time (µs). */
function phases(model: Module, x: Tensor, y: Tensor, steps: number): Split {
  const opt = adam(model.parameters(), { lr: MLP.lr });
  const split = {} as Split;
  const timed = <R>(phase: Phase, run: () => R): R => {
    const t0 = performance.now();
    const k0 = kernelMs;
    const result = run();
    const s = split[phase] ?? { wall: 0, kernel: 0 };
    s.wall += performance.now() - t0;
    s.kernel += kernelMs - k0;
    split[phase] = s;
    return result;
  };
  const step = () =>
    timed('whole step', () =>
      core.tidy(() => {
        timed('zeroGrad', () => opt.zeroGrad());
        const logits = timed('forward', () => model.forward(x) as Tensor);
        const loss = timed('crossEntropy', () => crossEntropy(logits, y));
        timed('crossEntropy again', () => crossEntropy(logits, y));
        timed('backward', () => loss.backward());
        timed('Adam step', () => opt.step());
        return timed('item', () => loss.item());
      }),
    );
  for (let i = 0; i < 50; i++) step();
  for (const p of Object.keys(split)) delete split[p as Phase];
  timing = true;
  for (let i = 0; i < steps; i++) step();
  timing = false;
  for (const s of Object.values(split)) {
    s.wall = (s.wall / steps) * 1000;
    s.kernel = (s.kernel / steps) * 1000;
  }
  return split;
}

/** The step with no phase timers and the kernel timers off (the wrappers' pass-through only): µs. */
function plainStepMicros(model: Module, x: Tensor, y: Tensor): number {
  const step = adamTrainStep(model, x, y, MLP.lr);
  for (let i = 0; i < 50; i++) step();
  const times: number[] = [];
  for (let i = 0; i < STEPS; i++) {
    const t0 = performance.now();
    step();
    times.push(performance.now() - t0);
  }
  return median(times) * 1000;
}

function tinyMlp(): { model: Module; x: Tensor; y: Tensor } {
  core.manualSeed(1);
  const model = new Sequential(new Linear(8, 8), new ReLU(), new Linear(8, 8), new ReLU(), new Linear(8, 10));
  return { model, x: core.randn([4, 8]), y: core.tensor([1, 3, 5, 7], { dtype: 'int32' }) };
}

async function main(): Promise<void> {
  await core.initWasmBackend();
  core.setBackend('wasm');
  const loadBefore = loadavg();
  const rounds: { big: Split; tiny: Split; plain: number; kernels: Map<string, number> }[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    await settle();
    const mlp = nablaMlp();
    const plain = plainStepMicros(mlp.model, mlp.x, mlp.y);
    await settle();
    kernels.clear();
    const fresh = nablaMlp();
    const big = phases(fresh.model, fresh.x, fresh.y, STEPS);
    const perKernel = new Map([...kernels].map(([name, k]) => [name, (k.ms / STEPS) * 1000]));
    const calls = new Map([...kernels].map(([name, k]) => [name, k.calls / STEPS]));
    await settle();
    const small = tinyMlp();
    const tiny = phases(small.model, small.x, small.y, 4 * STEPS);
    rounds.push({ big, tiny, plain, kernels: perKernel });
    kernelCalls = calls;
    console.error(`round ${r + 1}/${ROUNDS}: step ${big['whole step'].wall.toFixed(0)} µs`);
  }
  const loadAfter = loadavg();
  const med = (f: (x: (typeof rounds)[number]) => number) => median(rounds.map(f));
  const row = (phase: Phase) => {
    const wall = med((x) => x.big[phase].wall);
    const kernel = med((x) => x.big[phase].kernel);
    const js = med((x) => x.big[phase].wall - x.big[phase].kernel);
    const tinyJs = med((x) => x.tiny[phase].wall - x.tiny[phase].kernel);
    return `| ${phase} | ${wall.toFixed(1)} | ${kernel.toFixed(1)} | ${js.toFixed(1)} | ${tinyJs.toFixed(1)} |`;
  };
  const names = [...rounds[0].kernels.keys()].sort(
    (a, b) => (rounds[0].kernels.get(b) ?? 0) - (rounds[0].kernels.get(a) ?? 0),
  );
  const load = (l: number[]) => l.map((v) => v.toFixed(2)).join(' / ');
  const step = med((x) => x.big['whole step'].wall);
  const outside = med((x) => x.big['whole step'].wall - x.big['whole step'].kernel);
  const again = med((x) => x.big['crossEntropy again'].wall);
  const lines = [
    '# Where the MLP step spends its time (1 thread)',
    '',
    'Generated by `npx tsx --experimental-wasm-relaxed-simd --tsconfig bench/tsconfig.json bench/step-phases.bench.ts`; do not edit by hand.',
    '',
    `- date: ${new Date().toISOString()}; machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}; Node.js ${process.version}`,
    `- load average (1 / 5 / 15 min) before: ${load(loadBefore)}; after: ${load(loadAfter)}`,
    `- ${ROUNDS} rounds of ${STEPS} steps (784-256-128-10, batch 128, Adam) after 50 that are not counted; each figure is the median over rounds of the mean over a round's steps, in µs`,
    '- "in kernels" is the time inside wasm kernel calls, each timed; "outside" is the rest (JavaScript). The step as timed here runs the cross-entropy twice (the "again" row) and pays the timers; ' +
      `the same step with neither took ${med((x) => x.plain).toFixed(0)} µs (median step)`,
    '',
    '| phase | µs | in kernels | outside kernels | outside kernels, tiny MLP (8-8-8-10, batch 4) |',
    '|---|---:|---:|---:|---:|',
    ...PHASES.map(row),
    row('whole step'),
    '',
    '| kernel | calls per step | µs per step |',
    '|---|---:|---:|',
    ...names.map(
      (n) => `| ${n} | ${kernelCalls.get(n)?.toFixed(0)} | ${med((x) => x.kernels.get(n) ?? 0).toFixed(1)} |`,
    ),
    '',
    `Outside the kernels the step spends ${outside.toFixed(0)} µs (${((100 * outside) / step).toFixed(1)}% of ${step.toFixed(0)} µs), against ${med((x) => x.tiny['whole step'].wall - x.tiny['whole step'].kernel).toFixed(0)} µs for the same code on the tiny MLP. ` +
      `The cross-entropy takes ${med((x) => x.big.crossEntropy.wall).toFixed(1)} µs in the step and ${again.toFixed(1)} µs when run again at once on the same logits.`,
    '',
  ];
  writeFileSync('bench/results-step-phases.md', lines.join('\n'));
  console.log(lines.join('\n'));
}

await main();
