/**
 * The memory soak of issue 18: 20,000 steps of the same MLP (64-128-10, batch 64, Adam) on the wasm
 * backend, once with a hand-written loop (one tidy scope per step) and once through `fit()` with every
 * built-in plugin on (packages/train/src/test-utils.ts has both). Reports the bytes live tensors hold in
 * wasm memory every 2,000 steps, their peak, and the WebAssembly memory's size (which never shrinks),
 * each run in a fresh process so that one run's memory is not the other's. The test
 * packages/train/src/fit-memory.test.ts asserts the 2x bound on a 1,500-step run.
 *
 * Run with `npx tsx --tsconfig bench/tsconfig.json bench/memory.bench.ts [steps]` from the repository root;
 * it prints a Markdown table (bench/results-memory.md holds the last one).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initWasmBackend, setBackend, wasmMemoryBytes, wasmTensorBytes } from '@nablajs/core';
import { checkpoint } from '../packages/train/src/node-checkpoint';
import { fitLoop, handTidyLoop, type SoakMeasure } from '../packages/train/src/test-utils';

const MB = 1024 * 1024;
const mb = (bytes: number) => (bytes / MB).toFixed(2);

async function child(which: string, steps: number): Promise<void> {
  await initWasmBackend();
  setBackend('wasm');
  const base = { tensor: wasmTensorBytes(), memory: wasmMemoryBytes() };
  const every = Math.max(1, Math.floor(steps / 10));
  const dir = mkdtempSync(join(tmpdir(), 'nabla-soak-'));
  try {
    const m: SoakMeasure =
      which === 'fit'
        ? await fitLoop(steps, every, [checkpoint({ dir, every: 10, keepLast: 1 })])
        : handTidyLoop(steps, every);
    console.log(JSON.stringify({ base, m }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function main(): void {
  const steps = Number(process.argv[2] ?? 20_000);
  const tsx = createRequire(import.meta.url).resolve('tsx/cli');
  const self = fileURLToPath(import.meta.url);
  const loadBefore = loadavg();
  const runs: Record<string, { base: { tensor: number; memory: number }; m: SoakMeasure }> = {};
  for (const which of ['hand', 'fit']) {
    const out = spawnSync(
      process.execPath,
      [tsx, '--tsconfig', 'bench/tsconfig.json', self, '--child', which, String(steps)],
      {
        encoding: 'utf8',
        maxBuffer: 1 << 26,
      },
    );
    if (out.status !== 0) throw new Error(`${which}: ${out.stderr}`);
    runs[which] = JSON.parse(out.stdout.trim().split('\n').at(-1)!);
  }
  const { hand, fit } = runs;
  const loadAfter = loadavg();
  const lines = [
    `# Memory soak: fit() against a hand-written tidy loop (${new Date().toISOString().slice(0, 10)})`,
    '',
    `- ${steps} steps of an MLP 64-128-10 (batch 64, Adam) on 2048 samples, wasm backend, each loop in its own process`,
    `- load average (1 / 5 / 15 min) before: ${loadBefore.map((l) => l.toFixed(2)).join(' / ')}; after: ${loadAfter.map((l) => l.toFixed(2)).join(' / ')}`,
    `- live tensor bytes in wasm memory (\`wasmTensorBytes()\`) at the end of a step, the step's activations included; the data set alone is 0.50 MB`,
    '',
    '| step | hand-written tidy loop (MB) | fit(), every built-in plugin (MB) |',
    '|---|---|---|',
    ...hand.m.samples.map(
      ([step, bytes], i) => `| ${step} | ${mb(bytes)} | ${mb(fit.m.samples[i]?.[1] ?? Number.NaN)} |`,
    ),
    `| peak | ${mb(hand.m.peakTensorBytes)} | ${mb(fit.m.peakTensorBytes)} |`,
    `| WebAssembly memory at the end | ${mb(hand.m.memoryBytes)} | ${mb(fit.m.memoryBytes)} |`,
    `| loss, first / last 10% of steps | ${hand.m.earlyLoss.toFixed(3)} / ${hand.m.lateLoss.toFixed(3)} | ${fit.m.earlyLoss.toFixed(3)} / ${fit.m.lateLoss.toFixed(3)} |`,
    '',
    `fit() / hand loop, peak live tensor bytes: **${(fit.m.peakTensorBytes / hand.m.peakTensorBytes).toFixed(2)}x** (goal: at most 2x); WebAssembly memory: ${(fit.m.memoryBytes / hand.m.memoryBytes).toFixed(2)}x.`,
  ];
  console.log(lines.join('\n'));
}

if (process.argv[2] === '--child') await child(process.argv[3], Number(process.argv[4]));
else main();
