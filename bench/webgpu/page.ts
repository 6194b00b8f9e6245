/**
 * The WebGPU bench page: matmul, the MLP train step and the transformer train step on nabla's WebGPU
 * kernels, TensorFlow.js's webgpu backend and jax-js's webgpu device, in one page. Each library's case is
 * set up once (data uploaded, kernels compiled, the train steps' first losses recorded and checked), then
 * timed in rounds: every round measures every cell once, the libraries in a rotated order, and each cell
 * of the table is the median over rounds of the median run of one measurement. The page shows its
 * progress and the table, and leaves its report in `window.__webgpuBench` for bench/webgpu.bench.ts.
 * Options come from the URL (see `parseOptions` in ./common.ts): `?quick=1`, `?rounds=5`, `?sizes=512,1024`.
 */
import * as tf from '@tensorflow/tfjs';
import { initWebGpuBackend } from '../../packages/core/src/backends/webgpu/init';
import { MLP } from '../wasm/common';
import {
  type BenchReport,
  CHECK_STEPS,
  COLUMN_NAMES,
  GPT_NANO,
  GPT_SMALL,
  LIBRARIES,
  type Library,
  markdownTable,
  parseOptions,
  type RowReport,
  type Runner,
  timeRuns,
} from './common';
import { jaxGpt, jaxInit, jaxMatmul, jaxMlp } from './jax';
import { nablaCpuMlpLosses, nablaGpt, nablaMatmul, nablaMlp } from './nabla';
import { tfGpt, tfInit, tfMatmul, tfMlp } from './tfjs';

declare global {
  interface Window {
    __webgpuBench: BenchReport | undefined;
  }
}

const started = performance.now();
const logElement = document.getElementById('log') as HTMLElement;
function log(message: string): void {
  const line = `[${((performance.now() - started) / 1000).toFixed(1)} s] ${message}`;
  console.log(`[webgpu-bench] ${line}`);
  logElement.textContent += `${line}\n`;
}

/** The first line of an error, short enough for a table cell. */
function short(e: unknown): string {
  const text = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  const first = text.split('\n')[0];
  return first.length > 160 ? `${first.slice(0, 157)}...` : first;
}

/** The largest relative difference of `a` from the reference `ref`, over their common steps. */
function maxRelative(a: number[], ref: number[]): number {
  let worst = 0;
  for (let i = 0; i < Math.min(a.length, ref.length); i++)
    worst = Math.max(worst, Math.abs(a[i] - ref[i]) / Math.max(Math.abs(ref[i]), 1e-12));
  return worst;
}

const losses = (l: number[]) => l.map((x) => x.toFixed(5)).join(' -> ');

async function main(): Promise<BenchReport> {
  const options = parseOptions(location.search);
  const gptSizes = options.gpt === 'nano' ? GPT_NANO : GPT_SMALL;
  const report: BenchReport = {
    options,
    userAgent: navigator.userAgent,
    devices: [],
    versions: { tfjs: tf.version.tfjs },
    rows: [],
    checks: [],
    checksPassed: true,
    notes: [],
    seconds: 0,
  };
  log(`options: ${JSON.stringify(options)}`);

  // The three devices. A library without one gets a note in each of its cells.
  const unavailable: Partial<Record<Library, string>> = {};
  try {
    const info = await initWebGpuBackend({ powerPreference: 'high-performance' });
    report.nablaInfo = info;
    const a = info.adapter;
    report.devices.push({
      library: 'nabla',
      adapter: `${[a.vendor, a.architecture, a.device, a.description].filter((s) => s).join(' / ')}${info.isFallbackAdapter ? ' (fallback adapter)' : ''}`,
    });
  } catch (e) {
    unavailable.nabla = short(e);
  }
  try {
    report.devices.push({ library: 'tfjs', adapter: await tfInit() });
  } catch (e) {
    unavailable.tfjs = short(e);
  }
  try {
    report.devices.push({ library: 'jax', adapter: await jaxInit() });
  } catch (e) {
    unavailable.jax = short(e);
  }
  for (const [library, why] of Object.entries(unavailable)) {
    report.devices.push({ library: library as Library, adapter: '—', error: why });
    log(`${library}: no WebGPU device: ${why}`);
  }
  for (const d of report.devices) if (d.error === undefined) log(`${COLUMN_NAMES[d.library]}: adapter ${d.adapter}`);

  // The cases: per row, per library, a set-up that gives a runner (train steps also give their first losses).
  type Setup = () => Promise<Runner | { runner: Runner; losses: number[] }>;
  const rows: { report: RowReport; setups: Partial<Record<Library, Setup>> }[] = [];
  const flopsPerRun = options.quick ? 2 ** 27 : 2 ** 30;
  if (!options.skip.includes('matmul'))
    for (const n of options.sizes) {
      const reps = Math.max(1, Math.round(flopsPerRun / (2 * n ** 3)));
      rows.push({
        report: {
          key: `matmul-${n}`,
          name: `matmul ${n}³ A·B float32${reps > 1 ? `, ${reps} products per run` : ''}`,
          unit: 'GFLOP/s',
          cells: {},
        },
        setups: { nabla: () => nablaMatmul(n, reps), tfjs: () => tfMatmul(n, reps), jax: () => jaxMatmul(n, reps) },
      });
    }
  if (!options.skip.includes('mlp'))
    rows.push({
      report: {
        key: 'mlp',
        name: `MLP train step ${MLP.sizes.join('-')}, batch ${MLP.batch}, Adam; nabla: setBackend('webgpu'), autograd, one loss read per step`,
        unit: 'steps/s',
        cells: {},
      },
      setups: { nabla: () => nablaMlp(CHECK_STEPS), tfjs: () => tfMlp(CHECK_STEPS), jax: () => jaxMlp(CHECK_STEPS) },
    });
  if (!options.skip.includes('gpt')) {
    const { layers, heads, width, context, batch, vocab } = gptSizes;
    rows.push({
      report: {
        key: 'gpt',
        name: `transformer train step (char GPT: ${layers} layers, ${heads} heads, width ${width}, context ${context}, vocab ${vocab}), batch ${batch}, Adam`,
        unit: 'steps/s',
        cells: {},
      },
      setups: {
        nabla: () => nablaGpt(gptSizes, CHECK_STEPS),
        tfjs: () => tfGpt(gptSizes, CHECK_STEPS),
        jax: () => jaxGpt(gptSizes, CHECK_STEPS),
      },
    });
  }

  // Set-up: every case once, in order; a failure becomes the cell's note.
  const runners = new Map<string, Runner>();
  const trainLosses: Record<string, Partial<Record<Library, number[]>>> = {};
  for (const row of rows) {
    for (const library of LIBRARIES) {
      const setup = row.setups[library];
      if (setup === undefined) continue;
      if (unavailable[library] !== undefined) {
        row.report.cells[library] = { note: `no WebGPU device: ${unavailable[library]}` };
        continue;
      }
      log(`set-up: ${row.report.key} on ${COLUMN_NAMES[library]}`);
      try {
        const made = await setup();
        const runner = 'runner' in made ? made.runner : made;
        if ('losses' in made) {
          trainLosses[row.report.key] = { ...trainLosses[row.report.key], [library]: made.losses };
          log(`  first losses: ${losses(made.losses)}`);
        }
        runners.set(`${row.report.key}:${library}`, runner);
        row.report.cells[library] = { samples: [] };
      } catch (e) {
        row.report.cells[library] = { note: `failed: ${short(e)}` };
        log(`  failed: ${String((e as Error)?.stack ?? e)}`);
      }
    }
  }

  // Checks: each train step must lower the loss; nabla's step on the webgpu backend must give the losses of
  // the same step on nabla's cpu backend (autograd, @nablajs/optim-adam), and so should the other libraries (same
  // initial parameters and batch); the two transformers must agree with each other.
  const tolerance = 1e-3;
  const check = (ok: boolean, line: string) => {
    report.checks.push(`${ok ? 'ok' : '**FAILED**'}: ${line}`);
    if (!ok) report.checksPassed = false;
    log(`check ${ok ? 'ok' : 'FAILED'}: ${line}`);
  };
  for (const [key, byLibrary] of Object.entries(trainLosses))
    for (const [library, l] of Object.entries(byLibrary)) {
      const decreased = l.length > 1 && Number.isFinite(l[0]) && l[l.length - 1] < l[0];
      check(
        decreased,
        `${key}, ${COLUMN_NAMES[library as Library]}: the loss decreases over ${l.length} steps (${losses(l)})`,
      );
    }
  const mlpLosses = trainLosses.mlp;
  if (mlpLosses !== undefined) {
    const cpu = nablaCpuMlpLosses(CHECK_STEPS);
    report.checks.push(`MLP reference, nabla on the cpu backend (nn + autograd + optim-adam): ${losses(cpu)}`);
    log(`MLP reference (nabla cpu): ${losses(cpu)}`);
    for (const library of LIBRARIES) {
      const l = mlpLosses[library];
      if (l === undefined) continue;
      const rel = maxRelative(l, cpu);
      const what = library === 'nabla' ? "nabla on setBackend('webgpu')" : COLUMN_NAMES[library];
      check(
        rel <= tolerance,
        `MLP, ${what}: first ${l.length} losses within ${tolerance} relative of nabla cpu (largest ${rel.toExponential(2)})`,
      );
    }
  }
  const gptLosses = trainLosses.gpt;
  if (gptLosses?.tfjs !== undefined && gptLosses.jax !== undefined) {
    const rel = maxRelative(gptLosses.jax, gptLosses.tfjs);
    check(
      rel <= tolerance,
      `transformer, jax-js webgpu against tfjs-webgpu: first ${gptLosses.jax.length} losses within ${tolerance} relative (largest ${rel.toExponential(2)}; ln(${gptSizes.vocab}) = ${Math.log(gptSizes.vocab).toFixed(5)} is the loss of uniform predictions)`,
    );
  }
  if (gptLosses?.tfjs !== undefined && gptLosses.nabla !== undefined) {
    const rel = maxRelative(gptLosses.nabla, gptLosses.tfjs);
    check(
      rel <= tolerance,
      `transformer, nabla on setBackend('webgpu') against tfjs-webgpu: first ${gptLosses.nabla.length} losses within ${tolerance} relative (largest ${rel.toExponential(2)})`,
    );
  }

  // Rounds: every cell once per round, the libraries' order rotated from round to round.
  for (let round = 1; round <= options.rounds; round++) {
    const order = LIBRARIES.map((_, i) => LIBRARIES[(i + round - 1) % LIBRARIES.length]);
    for (const row of rows)
      for (const library of order) {
        const runner = runners.get(`${row.report.key}:${library}`);
        const cell = row.report.cells[library];
        if (runner === undefined || cell === undefined || !('samples' in cell)) continue;
        try {
          const ms = await timeRuns(runner.run, options);
          const value = runner.value(ms);
          cell.samples.push(value);
          log(
            `round ${round}/${options.rounds}: ${row.report.key} on ${COLUMN_NAMES[library]}: ${value.toFixed(2)} ${row.report.unit} (${ms.toFixed(2)} ms per run)`,
          );
        } catch (e) {
          row.report.cells[library] = { note: `failed: ${short(e)}` };
          runners.delete(`${row.report.key}:${library}`);
          log(`round ${round}: ${row.report.key} on ${library} failed: ${String((e as Error)?.stack ?? e)}`);
        }
      }
  }
  for (const runner of runners.values())
    try {
      await runner.dispose();
    } catch {
      // freeing is best effort at the end of the page
    }
  report.rows = rows.map((r) => r.report);
  report.seconds = (performance.now() - started) / 1000;
  return report;
}

const report = await main().catch(
  (e: unknown): BenchReport => ({
    options: parseOptions(location.search),
    userAgent: navigator.userAgent,
    devices: [],
    versions: {},
    rows: [],
    checks: [],
    checksPassed: false,
    notes: [],
    seconds: (performance.now() - started) / 1000,
    error: String((e as Error)?.stack ?? e),
  }),
);
window.__webgpuBench = report;
const out = document.getElementById('out') as HTMLElement;
out.textContent =
  report.error !== undefined
    ? `the page failed: ${report.error}`
    : [
        ...report.devices.map(
          (d) =>
            `- ${COLUMN_NAMES[d.library]}: ${d.error === undefined ? `adapter ${d.adapter}` : `no device: ${d.error}`}`,
        ),
        '',
        ...markdownTable(report),
        '',
        ...report.checks.map((c) => `- ${c}`),
      ].join('\n');
log(`done in ${report.seconds.toFixed(0)} s`);
