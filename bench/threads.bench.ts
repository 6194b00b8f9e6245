/**
 * Threads on a quiet and on a busy machine (issue 18): nabla's wasm backend on 1 and on 2 threads, for
 * the MLP train step (784-256-128-10, batch 128, Adam), the CNN train step and a 1024³ product, each
 * measured as it is and beside a CPU hog this script starts and stops itself (one process spinning in a
 * loop: the "busy" column), in alternating rounds in one process. The ratio 2 threads / 1 thread is
 * the figure of merit: at least 0.95 busy, at least 1.6 quiet on the MLP step.
 *
 * Run with `npx tsx --experimental-wasm-relaxed-simd --tsconfig bench/tsconfig.json bench/threads.bench.ts`
 * from the repository root. Prints a Markdown table with the load average (which counts this script
 * and its hog: on 2 cores, about 1 quiet and 2 busy when nothing else runs) and writes
 * bench-results/threads.json. `NABLA_THREADS_ROUNDS=N` sets the rounds (default 3).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { getWasmBackendInfo, initWasmBackend, setBackend, setNumThreads } from '@nablajs/core';
import { enableNodeThreads } from '@nablajs/core/node';
import { startHog, stopHog } from './hog';
import { median, setBudgetScale } from './wasm/common';
import {
  nablaCapturedMlpStepsPerSecond,
  nablaCnnStepsPerSecond,
  nablaMatmulGflops,
  nablaMlpStepsPerSecond,
} from './wasm/nabla';
import { settle } from './wasm/settle';

const ROUNDS = Number(process.env.NABLA_THREADS_ROUNDS ?? 3);

const CASES: { name: string; unit: string; run: () => number }[] = [
  { name: 'MLP step', unit: 'steps/s', run: () => nablaMlpStepsPerSecond('MLP') },
  { name: 'MLP step, captured', unit: 'steps/s', run: () => nablaCapturedMlpStepsPerSecond('MLP captured') },
  { name: 'CNN step', unit: 'steps/s', run: () => nablaCnnStepsPerSecond('CNN') },
  { name: 'matmul 1024³', unit: 'GFLOP/s', run: () => nablaMatmulGflops(1024, 1024, 1024, false, false) },
];

type Key = `${'quiet' | 'busy'} ${1 | 2}`;

async function main(): Promise<void> {
  await initWasmBackend();
  enableNodeThreads();
  setBackend('wasm');
  setBudgetScale(0.5);
  const loadBefore = loadavg();
  const values = new Map<string, Record<Key, number[]>>(
    CASES.map((c) => [c.name, { 'quiet 1': [], 'quiet 2': [], 'busy 1': [], 'busy 2': [] }]),
  );
  const loads: Record<'quiet' | 'busy', number[]> = { quiet: [], busy: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const machine of round % 2 === 0 ? (['quiet', 'busy'] as const) : (['busy', 'quiet'] as const)) {
      const hog = machine === 'busy' ? await startHog() : null;
      try {
        for (const threads of round % 2 === 0 ? [1, 2] : [2, 1]) {
          await setNumThreads(threads);
          for (const c of CASES) {
            await settle(); // the previous case's blocks back to the pool first (see bench/wasm/settle.ts)
            values.get(c.name)![`${machine} ${threads}` as Key].push(c.run());
          }
        }
        loads[machine].push(loadavg()[0]);
      } finally {
        if (hog !== null) await stopHog(hog);
      }
    }
    console.error(`round ${round + 1}/${ROUNDS} done`);
  }
  await setNumThreads(1);
  const loadAfter = loadavg();
  const info = getWasmBackendInfo();
  const med = (v: number[]) => median([...v]);
  const rows = CASES.map((c) => {
    const v = values.get(c.name)!;
    const m = (k: Key) => med(v[k]);
    return {
      name: c.name,
      unit: c.unit,
      quiet1: m('quiet 1'),
      quiet2: m('quiet 2'),
      busy1: m('busy 1'),
      busy2: m('busy 2'),
      quietRatio: m('quiet 2') / m('quiet 1'),
      busyRatio: m('busy 2') / m('busy 1'),
    };
  });
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' / ');
  const lines = [
    `# Threads, quiet and busy (${new Date().toISOString().slice(0, 10)})`,
    '',
    `- machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}; Node.js ${process.version}; wasm ${info.relaxedSimd ? 'relaxed SIMD' : 'SIMD'}`,
    `- load average (1 / 5 / 15 min) before: ${load(loadBefore)}; after: ${load(loadAfter)}; 1-minute load at the end of each quiet phase: ${load(loads.quiet)}, of each busy phase: ${load(loads.busy)} (this script and its hog included)`,
    `- busy: one CPU-bound process (a busy loop) started by the bench beside it; medians of ${ROUNDS} alternating rounds`,
    '',
    '| case | unit | quiet 1T | quiet 2T | quiet 2T/1T | busy 1T | busy 2T | busy 2T/1T |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${r.unit} | ${r.quiet1.toFixed(1)} | ${r.quiet2.toFixed(1)} | ${r.quietRatio.toFixed(2)}x | ${r.busy1.toFixed(1)} | ${r.busy2.toFixed(1)} | ${r.busyRatio.toFixed(2)}x |`,
    ),
    '',
    `Goals: busy 2T/1T ≥ 0.95 on every case; quiet 2T/1T ≥ 1.6 on the MLP step. ${rows
      .map((r) => `${r.name}: busy ${r.busyRatio >= 0.95 ? 'met' : 'not met'}`)
      .join(
        '; ',
      )}; MLP quiet ${rows[0].quietRatio >= 1.6 ? 'met' : 'not met'}; MLP captured quiet ${rows[1].quietRatio >= 1.6 ? 'met' : 'not met'}.`,
  ];
  console.log(lines.join('\n'));
  mkdirSync('bench-results', { recursive: true });
  writeFileSync(
    'bench-results/threads.json',
    `${JSON.stringify({ loadBefore, loadAfter, loads, rows, values: Object.fromEntries(values) }, null, 2)}\n`,
  );
}

await main();
