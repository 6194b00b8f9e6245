// `--backend cpu | wasm | auto` in `nabla compare` and `nabla benchmark`.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getBackend } from '@nablajs/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseArgs } from './args';
import { BACKEND_OPTION, resolveBackend, useBackend } from './backend';
import { planBenchmark } from './benchmark-plan';
import { BENCHMARK_OPTIONS } from './benchmark-suite';
import { runTrial } from './benchmark-trial';
import type { CompareResult } from './results';
import { TASKS } from './tasks';
import { runCaptured as run } from './test-cli';
import { trialDefinition, trialTaskKey } from './trial-definition';

describe('resolveBackend', () => {
  it('gives auto the measured choice of each task: wasm for the networks, cpu for linear regression and 2-D functions', () => {
    for (const name of ['digits-mlp', 'mnist-mlp', 'mnist-cnn', 'spirals', 'tiny-shakespeare'])
      expect(resolveBackend('auto', name)).toBe('wasm');
    for (const name of ['linear-regression', 'rosenbrock', 'quadratic'])
      expect(resolveBackend('auto', name)).toBe('cpu');
  });

  it("the help names the tasks auto runs on wasm, from the tasks' preferredBackend", () => {
    const wasm = Object.keys(TASKS).filter((name) => resolveBackend('auto', name) === 'wasm');
    expect(wasm.length).toBeGreaterThan(0);
    for (const name of wasm) expect(BACKEND_OPTION.description).toContain(name);
    expect(BACKEND_OPTION.description).toContain(
      'wasm for digits-mlp, mnist-mlp, mnist-cnn, spirals and tiny-shakespeare, cpu for the others',
    );
    expect(BACKEND_OPTION.description).not.toMatch(/cpu for the small ones/);
  });

  it('lets an explicit choice win over the task', () => {
    expect(resolveBackend('cpu', 'tiny-shakespeare')).toBe('cpu');
    expect(resolveBackend('wasm', 'rosenbrock')).toBe('wasm');
  });

  it('names the option and lists the values on a bad one', () => {
    expect(() => resolveBackend('gpu' as never, 'spirals')).toThrow(
      /--backend: expected one of auto, cpu, wasm, got "gpu"/,
    );
  });

  it('says which kernels run', async () => {
    expect(await useBackend('wasm')).toMatch(/^wasm \((relaxed )?SIMD\)$/);
    expect(getBackend()).toBe('wasm');
    expect(await useBackend('cpu')).toBe('cpu');
    expect(getBackend()).toBe('cpu');
  });
});

// 96 digits in batches of 32, 2 epochs: 6 steps a run.
const ARGS = ['compare', '--task', 'digits-mlp', '--optimizers', 'sgd:lr=0.1 adam', '--limit', '96', '--epochs', '2'];

describe('nabla compare --backend', () => {
  let dir: string;
  const results: Record<string, CompareResult> = {};
  const stderr: Record<string, string> = {};
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nabla-backend-'));
    for (const backend of ['cpu', 'wasm', 'auto']) {
      const cli = await run([...ARGS, '--backend', backend, '--out', backend], dir);
      expect(cli.code).toBe(0);
      stderr[backend] = cli.stderr;
      results[backend] = JSON.parse(readFileSync(join(dir, backend, 'results.json'), 'utf8')) as CompareResult;
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the backend in the header and records the kernels that ran in results.json and the report', () => {
    expect(stderr.cpu.split('\n')[0]).toMatch(/, backend cpu$/);
    expect(stderr.wasm.split('\n')[0]).toMatch(/, backend wasm$/);
    expect(stderr.auto.split('\n')[0]).toMatch(/, backend wasm$/);
    expect(results.cpu.settings.backend).toBe('cpu');
    expect(results.wasm.settings.backend).toMatch(/^wasm \((relaxed )?SIMD\)$/);
    expect(results.auto.settings.backend).toBe(results.wasm.settings.backend);
    expect(readFileSync(join(dir, 'wasm', 'report.html'), 'utf8')).toMatch(
      /<td>backend<\/td><td>wasm \((relaxed )?SIMD\)/,
    );
  });

  it('trains the same runs on either backend, to float32 rounding, and auto is wasm to the bit', () => {
    for (const label of ['sgd', 'adam']) {
      const losses = (r: CompareResult) => r.runs.find((x) => x.label === label)!.steps.loss;
      const cpu = losses(results.cpu);
      const wasm = losses(results.wasm);
      expect(cpu).toHaveLength(6);
      expect(wasm).toHaveLength(6);
      for (let i = 0; i < cpu.length; i++)
        expect(Math.abs(wasm[i] - cpu[i])).toBeLessThan(1e-4 * Math.abs(cpu[i]) + 1e-6);
      expect(losses(results.auto)).toEqual(wasm);
    }
  });

  it('leaves the process on the backend it was on', () => {
    expect(getBackend()).toBe('cpu');
  });

  it('rejects an unknown backend before training, naming the option', async () => {
    const cli = await run([...ARGS, '--backend', 'gpu'], dir);
    expect(cli.code).toBe(2);
    expect(cli.stderr).toMatch(/--backend: unknown value "gpu"/);
    expect(cli.stdout).toBe('');
  });
});

describe('nabla benchmark --backend', () => {
  const plan = (...args: string[]) =>
    planBenchmark(parseArgs(['--quick', '--tasks', 'spirals,quadratic', ...args], BENCHMARK_OPTIONS), process.cwd(), [])
      .plan;

  it('resolves auto per task and keeps each trial on its own backend', () => {
    expect(plan().tasks.map((t) => [t.name, t.backend])).toEqual([
      ['spirals', 'wasm'],
      ['quadratic', 'cpu'],
    ]);
    expect(plan('--backend', 'cpu').tasks.map((t) => t.backend)).toEqual(['cpu', 'cpu']);
  });

  it('puts the backend in the trial and in the key of what a worker loads, so cpu and wasm trials never share a result', () => {
    const auto = plan();
    const cpu = plan('--backend', 'cpu');
    const a = trialDefinition(auto, auto.tasks[0], auto.optimizers[0], { lr: 0.1 }, 1000, 'tune');
    const c = trialDefinition(cpu, cpu.tasks[0], cpu.optimizers[0], { lr: 0.1 }, 1000, 'tune');
    expect(a.backend).toBe('wasm');
    expect(c.backend).toBe('cpu');
    expect(trialTaskKey(a)).not.toBe(trialTaskKey(c));
  });

  it('runs a trial on its backend and restores the one the process was on', async () => {
    const auto = plan('--steps', '5');
    expect(TASKS.spirals.kind).toBe('model');
    const def = trialDefinition(auto, auto.tasks[0], auto.optimizers[0], { lr: 0.1 }, 1000, 'tune');
    const wasm = await runTrial(def);
    const cpu = await runTrial({ ...def, backend: 'cpu' });
    expect(getBackend()).toBe('cpu');
    expect(wasm.run.summary.finalLoss).toBeCloseTo(cpu.run.summary.finalLoss, 4);
    expect(Number.isFinite(wasm.run.summary.finalLoss)).toBe(true);
  });
});
