/**
 * Which backend trains each model task of `nabla compare` and `nabla benchmark` faster: the median time
 * of one train step (Adam, the task's batch size, `fit` as the commands run it) on the cpu backend and on
 * the wasm backend (one thread, SIMD; relaxed SIMD when Node runs with `--experimental-wasm-relaxed-simd`),
 * measured in alternating rounds in one process so that both see the same machine. `--backend auto`
 * follows this table (`preferredBackend` in packages/cli/src/model-tasks.ts): wasm where it is at least 10%
 * faster, else cpu.
 *
 * Run with `npx tsx --tsconfig bench/tsconfig.json bench/backends.bench.ts` from the repository root.
 * Prints a Markdown table with the load average around the run and writes bench-results/backends.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { useBackend } from '../packages/cli/src/backend';
import { resolveOptimizers } from '../packages/cli/src/optimizer-spec';
import { registerBuiltinPlugins } from '../packages/cli/src/plugins';
import { modelTaskRunner } from '../packages/cli/src/runner';
import { parseSchedule } from '../packages/cli/src/schedule';
import { TASKS } from '../packages/cli/src/tasks';
import { median } from './wasm/common';

const ROUNDS = 3;
/** Steps per round and backend (the transformer's steps are long: fewer of them). */
const STEPS: Record<string, number> = { 'tiny-shakespeare': 8 };
const DEFAULT_STEPS = 60;
const BUDGET_MS = 4000;

interface Row {
  task: string;
  batchSize: number;
  cpuMs: number;
  wasmMs: number;
  preferred: string;
}

async function main(): Promise<void> {
  registerBuiltinPlugins();
  const [adam] = resolveOptimizers([{ label: 'adam', name: 'adam', options: {}, text: 'adam' }]);
  const loadBefore = loadavg();
  const rows: Row[] = [];
  let wasmName = '';
  for (const task of Object.values(TASKS)) {
    if (task.kind !== 'model') continue;
    const batchSize = task.defaults.batchSize ?? 32;
    const data = task.load({ seed: 0, dataDir: null, limit: task.name === 'tiny-shakespeare' ? 1200 : null });
    const runner = modelTaskRunner(data, {
      epochs: null,
      steps: 400,
      batchSize,
      seed: 0,
      schedule: parseSchedule('none'),
      targetLoss: task.defaults.targetLoss,
      divergeFactor: 10,
    });
    const times: Record<'cpu' | 'wasm', number[]> = { cpu: [], wasm: [] };
    for (const backend of ['cpu', 'wasm'] as const) {
      const name = await useBackend(backend);
      if (backend === 'wasm') wasmName = name;
      await runner.warmUp(adam, 'short');
    }
    const steps = STEPS[task.name] ?? DEFAULT_STEPS;
    for (let round = 0; round < ROUNDS; round++)
      for (const backend of round % 2 === 0 ? (['cpu', 'wasm'] as const) : (['wasm', 'cpu'] as const)) {
        await useBackend(backend);
        times[backend].push(await runner.timeSteps(adam, round, steps, BUDGET_MS));
      }
    const cpuMs = median(times.cpu);
    const wasmMs = median(times.wasm);
    rows.push({ task: task.name, batchSize, cpuMs, wasmMs, preferred: cpuMs / wasmMs >= 1.1 ? 'wasm' : 'cpu' });
    console.error(`${task.name}: cpu ${cpuMs.toFixed(3)} ms, wasm ${wasmMs.toFixed(3)} ms`);
  }
  await useBackend('cpu');
  const loadAfter = loadavg();
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' / ');
  const lines = [
    `# Backends per task (${new Date().toISOString().slice(0, 10)})`,
    '',
    `- machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}; Node.js ${process.version}; wasm: ${wasmName}`,
    `- load average (1 / 5 / 15 min) before: ${load(loadBefore)}; after: ${load(loadAfter)}`,
    `- median ms per train step (Adam), ${ROUNDS} alternating rounds of up to ${DEFAULT_STEPS} steps (${STEPS['tiny-shakespeare']} for tiny-shakespeare) or ${BUDGET_MS} ms`,
    '',
    '| task | batch | cpu ms/step | wasm ms/step | cpu / wasm | auto |',
    '|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.task} | ${r.batchSize} | ${r.cpuMs.toFixed(3)} | ${r.wasmMs.toFixed(3)} | ${(r.cpuMs / r.wasmMs).toFixed(2)}x | ${r.preferred} |`,
    ),
  ];
  console.log(lines.join('\n'));
  mkdirSync('bench-results', { recursive: true });
  writeFileSync('bench-results/backends.json', `${JSON.stringify({ loadBefore, loadAfter, rows }, null, 2)}\n`);
}

await main();
