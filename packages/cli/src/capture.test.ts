// `--capture` in `nabla compare` and `nabla benchmark`: model runs replay captured steps (fit's capture option),
// with the same losses as without, divergence still caught, and the choice recorded where results are.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getBackend, initWasmBackend, setBackend, type Tensor } from '@nablajs/core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseArgs } from './args';
import { planBenchmark } from './benchmark-plan';
import { BENCHMARK_OPTIONS } from './benchmark-suite';
import { parseOptimizerSpecs, resolveOptimizers } from './optimizer-spec';
import { registerBuiltinPlugins } from './plugins';
import type { CompareResult, RunResult } from './results';
import { modelTaskRunner } from './runner';
import { parseSchedule } from './schedule';
import { silentEvents } from './task-runner';
import { getTask, type ModelTask, type ModelTaskData } from './tasks';
import { runCaptured as run } from './test-cli';
import { trialDefinition, trialTaskKey } from './trial-definition';

beforeAll(() => registerBuiltinPlugins());

/** digits-mlp on 96 samples (3 batches of 32 an epoch), its model counting the forward calls made in training mode. */
function countedDigits(): { data: ModelTaskData; trainingForwards: () => number } {
  const data = (getTask('digits-mlp') as ModelTask).load({ seed: 0, dataDir: null, limit: 96 });
  let calls = 0;
  const build = data.buildModel.bind(data);
  return {
    data: {
      ...data,
      buildModel(generator) {
        const model = build(generator);
        const forward = model.forward.bind(model);
        model.forward = (x: Tensor) => {
          if ((model as unknown as { training: boolean }).training) calls++;
          return forward(x);
        };
        return model;
      },
    },
    trainingForwards: () => calls,
  };
}

const OPTIMIZERS = 'sgd:lr=0.1 adam:lr=1e-2 sam@sam:base=sgd,lr=0.05 lbfgs:lr=0.1,maxIter=2';

const OPTIONS = {
  epochs: 2,
  steps: null,
  batchSize: 32,
  seed: 0,
  schedule: parseSchedule('none'),
  targetLoss: 0.5,
  divergeFactor: 10,
};

/** Each optimizer of `specs` on digits-mlp's 96 samples for 2 epochs (6 steps), without a warm-up. */
async function runDigits(specs: string, capture: boolean): Promise<{ runs: RunResult[]; forwards: number }> {
  const { data, trainingForwards } = countedDigits();
  const runner = modelTaskRunner(data, { ...OPTIONS, capture });
  const runs: RunResult[] = [];
  for (const [index, spec] of resolveOptimizers(parseOptimizerSpecs([specs])).entries())
    runs.push(await runner.run(spec, { index, seed: 0 }, silentEvents));
  return { runs, forwards: trainingForwards() };
}

describe('model runs with capture', () => {
  const previous = getBackend();
  afterAll(() => setBackend(previous));

  for (const backend of ['cpu', 'wasm'] as const)
    it(`replay captured steps with the losses, validation and accuracy of eager runs, closure optimizers included (${backend})`, async () => {
      if (backend === 'wasm') await initWasmBackend();
      setBackend(backend);
      const eager = await runDigits(OPTIMIZERS, false);
      const captured = await runDigits(OPTIMIZERS, true);
      expect(captured.runs.map((r) => r.status)).toEqual(['ok', 'ok', 'ok', 'ok']);
      for (const [i, r] of captured.runs.entries()) {
        const e = eager.runs[i];
        expect(r.steps.loss).toHaveLength(6);
        expect(r.steps.loss).toEqual(e.steps.loss);
        expect(r.epochs.valLoss).toEqual(e.epochs.valLoss);
        expect(r.epochs.valAccuracy).toEqual(e.epochs.valAccuracy);
        expect(r.summary.finalLoss).toBe(e.summary.finalLoss);
      }
      // Eager: a forward per step of each of the 4 runs (6 steps), plus those of the closures (sam, lbfgs), which
      // run eagerly either way. Captured: one forward per run, its capture (every batch has 32 samples).
      expect(eager.forwards - captured.forwards).toBe(4 * (6 - 1));
    });

  it('still stop a diverging run at the step where an eager run stops', async () => {
    setBackend('cpu');
    const runs = [(await runDigits('sgd:lr=1e6', false)).runs, (await runDigits('sgd:lr=1e6', true)).runs];
    const [[eager], [captured]] = runs;
    expect(eager).toMatchObject({ status: 'diverged', divergedAt: 2 });
    expect(captured).toMatchObject({ status: 'diverged', divergedAt: 2 });
    expect(captured.summary.steps).toBe(1);
    expect(captured.steps.loss).toEqual(eager.steps.loss);
  });
});

describe('nabla compare --capture', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nabla-capture-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('says so in the header, results.json and the report, with the losses of a run without it', async () => {
    const args = ['compare', '--task', 'spirals', '--limit', '64', '--epochs', '2', '--optimizers', 'adam:lr=1e-2'];
    const captured = await run([...args, '--capture', '--out', 'a'], dir);
    const eager = await run([...args, '--out', 'b'], dir);
    expect(captured.code).toBe(0);
    expect(captured.stderr).toMatch(
      /^nabla compare: spirals, 1 optimizer, 2 epochs, seed 0, backend wasm, captured steps\n/,
    );
    expect(eager.stderr).not.toContain('captured steps');
    const read = (out: string) => JSON.parse(readFileSync(join(dir, out, 'results.json'), 'utf8')) as CompareResult;
    const a = read('a');
    const b = read('b');
    expect(a.settings.capture).toBe(true);
    expect(b.settings.capture).toBe(false);
    expect(a.runs[0].steps.loss).toEqual(b.runs[0].steps.loss);
    expect(readFileSync(join(dir, 'a', 'report.html'), 'utf8')).toContain('captured (--capture)');
    expect(readFileSync(join(dir, 'b', 'report.html'), 'utf8')).not.toContain('captured (--capture)');
  });

  it('refuses --capture on a 2-D function task before running', async () => {
    const r = await run(['compare', '--task', 'quadratic', '--capture'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--capture does not apply to the 2-D function task quadratic/);
    expect(r.stdout).toBe('');
  });
});

describe('nabla benchmark --capture', () => {
  const plan = (...args: string[]) =>
    planBenchmark(parseArgs(['--quick', '--tasks', 'spirals,quadratic', ...args], BENCHMARK_OPTIONS), process.cwd(), [])
      .plan;

  it('marks the model tasks only, and gives their trials other keys; 2-D function trials keep theirs', () => {
    const on = plan('--capture');
    const off = plan();
    expect(on.tasks.map((t) => [t.name, t.capture])).toEqual([
      ['spirals', true],
      ['quadratic', undefined],
    ]);
    expect(off.tasks.map((t) => t.capture)).toEqual([undefined, undefined]);
    const def = (p: typeof on, t: number) => trialDefinition(p, p.tasks[t], p.optimizers[0], { lr: 0.1 }, 1000, 'tune');
    expect(def(on, 0).capture).toBe(true);
    expect('capture' in def(off, 0)).toBe(false);
    expect(trialTaskKey(def(on, 0))).not.toBe(trialTaskKey(def(off, 0)));
    expect(trialTaskKey(def(on, 1))).toBe(trialTaskKey(def(off, 1)));
    expect(def(on, 1)).toEqual(def(off, 1));
  });

  it("runs a sweep with it: the line of backends says so, and the model task's results and trial files record it", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nabla-capture-'));
    try {
      const args = ['benchmark', '--tasks', 'spirals,quadratic', '--optimizers', 'adam', '--steps', '4'];
      const r = await run(
        [...args, '--limit', '64', '--seeds', '1', '--tune-budget', '0', '--jobs', '1', '--capture', '--out', 'o'],
        dir,
      );
      expect(r.code).toBe(0);
      expect(r.stderr.split('\n')[0]).toMatch(/captured steps on the model tasks$/);
      const result = JSON.parse(readFileSync(join(dir, 'o', 'results.json'), 'utf8')) as {
        tasks: CompareResult[];
      };
      expect(result.tasks.map((t) => [t.task.name, t.settings.capture])).toEqual([
        ['spirals', true],
        ['quadratic', undefined],
      ]);
      const trials = readdirSync(join(dir, 'o', 'trials')).map(
        (f) => JSON.parse(readFileSync(join(dir, 'o', 'trials', f), 'utf8')) as { definition: Record<string, unknown> },
      );
      expect(trials.map((t) => [t.definition.task, t.definition.capture]).sort()).toEqual([
        ['quadratic', undefined],
        ['spirals', true],
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
