import { beforeAll, describe, expect, it } from 'vitest';
import { runFunctionTask } from './function-runner';
import { parseOptimizerSpecs, resolveOptimizers } from './optimizer-spec';
import { registerBuiltinPlugins } from './plugins';
import { modelRunLength, runModelTask } from './runner';
import { parseSchedule } from './schedule';
import { silentEvents } from './task-runner';
import { type FunctionTask, getTask, type ModelTask, TASKS } from './tasks';

beforeAll(() => registerBuiltinPlugins());

const none = parseSchedule('none');
const functionTasks = Object.values(TASKS).filter((t): t is FunctionTask => t.kind === 'function');

describe('2-D function tasks', () => {
  it('has the five test functions', () => {
    expect(functionTasks.map((t) => t.name)).toEqual(['rosenbrock', 'beale', 'himmelblau', 'saddle', 'quadratic']);
  });

  for (const task of functionTasks) {
    it(`${task.name}: adam with the task's default settings reaches the target`, () => {
      const adamSpec = task.defaults.optimizers.split(' ').find((s) => s.startsWith('adam'))!;
      const [run] = runFunctionTask(
        task,
        resolveOptimizers(parseOptimizerSpecs([adamSpec])),
        { steps: task.defaults.steps!, schedule: none, targetLoss: task.defaults.targetLoss },
        silentEvents,
      );
      expect(run.summary.stepsToTarget).not.toBeNull();
      expect(run.summary.stopReason).toBeNull();
      const last = run.steps.x!.length - 1;
      const [x, y] = [run.steps.x![last], run.steps.y![last]];
      if (task.fn.minima.length > 0) {
        const distance = Math.min(...task.fn.minima.map(([mx, my]) => Math.hypot(x - mx, y - my)));
        expect(distance).toBeLessThan(0.05);
        expect(run.summary.finalLoss).toBeLessThan(task.defaults.targetLoss);
      } else {
        // The saddle has no minimum: adam must have escaped along y.
        expect(Math.abs(y)).toBeGreaterThan(1);
        expect(run.summary.finalLoss).toBeLessThan(-1);
      }
    });
  }

  it('records the start, every iterate and the exact value of f there', () => {
    const task = getTask('quadratic') as FunctionTask;
    const [run] = runFunctionTask(
      task,
      resolveOptimizers(parseOptimizerSpecs(['sgd:lr=0.01'])),
      { steps: 3, schedule: none, targetLoss: 0 },
      silentEvents,
    );
    expect(run.steps.step).toEqual([0, 1, 2, 3]);
    // f = (x^2 + 100 y^2) / 2 from (-1.5, 0.5); sgd: x <- x (1 - lr), y <- y (1 - 100 lr).
    const xs = [-1.5, -1.485, -1.47015, -1.4554485];
    const ys = [0.5, 0, 0, 0];
    xs.forEach((x, i) => {
      expect(run.steps.x![i]).toBeCloseTo(x, 12);
    });
    ys.forEach((y, i) => {
      expect(run.steps.y![i]).toBeCloseTo(y, 12);
    });
    run.steps.loss.forEach((f, i) => {
      expect(f).toBeCloseTo(0.5 * (xs[i] ** 2 + 100 * ys[i] ** 2), 12);
    });
    expect(run.steps.lr).toEqual([0.01, 0.01, 0.01, 0.01]);
    expect(run.summary.steps).toBe(3);
  });

  it('drives L-BFGS through a closure', () => {
    const [run] = runFunctionTask(
      getTask('rosenbrock') as FunctionTask,
      resolveOptimizers(parseOptimizerSpecs(['lbfgs:lineSearchFn=strong_wolfe'])),
      { steps: 20, schedule: none, targetLoss: 1e-8 },
      silentEvents,
    );
    expect(run.summary.finalLoss).toBeLessThan(1e-8);
  });

  it('stops a diverging run and says why', () => {
    const [run] = runFunctionTask(
      getTask('quadratic') as FunctionTask,
      resolveOptimizers(parseOptimizerSpecs(['sgd:lr=1'])),
      { steps: 2000, schedule: none, targetLoss: 0 },
      silentEvents,
    );
    expect(run.summary.stopReason).toMatch(/^diverged: f is (Infinity|NaN) at step \d+$/);
    expect(run.summary.steps).toBeLessThan(2000);
  });
});

describe('model tasks', () => {
  it('counts steps per epoch and in all', () => {
    expect(modelRunLength(1438, { epochs: 10, steps: null, batchSize: 32 })).toMatchObject({
      stepsPerEpoch: 45,
      epochs: 10,
      totalSteps: 450,
    });
    expect(modelRunLength(100, { epochs: null, steps: 25, batchSize: 16 })).toMatchObject({
      stepsPerEpoch: 7,
      epochs: 4,
      totalSteps: 25,
    });
  });

  it('trains every optimizer from the same initial weights on the same batches', async () => {
    const task = getTask('spirals') as ModelTask;
    const data = task.load({ seed: 3, dataDir: null, limit: 96 });
    const optimizers = resolveOptimizers(parseOptimizerSpecs(['sgd:lr=0.1 adam:lr=1e-2 lbfgs:lr=0.1,maxIter=2']));
    const runs = await runModelTask(
      data,
      optimizers,
      { epochs: 2, steps: null, batchSize: 32, seed: 3, schedule: parseSchedule('cosine'), targetLoss: 0.5 },
      silentEvents,
    );
    expect(runs.map((r) => r.label)).toEqual(['sgd', 'adam', 'lbfgs']);
    // The first batch's loss is computed before any update: the same weights and the same batch give the same number.
    expect(runs[1].steps.loss[0]).toBe(runs[0].steps.loss[0]);
    expect(runs[2].steps.loss[0]).toBe(runs[0].steps.loss[0]);
    expect(runs[0].steps.loss[1]).not.toBe(runs[1].steps.loss[1]);
    for (const run of runs) {
      expect(run.steps.step).toEqual([1, 2, 3, 4, 5, 6]);
      expect(run.epochs.epoch).toEqual([1, 2]);
      expect(run.epochs.step).toEqual([3, 6]);
      expect(run.epochs.valAccuracy.every((a) => a >= 0 && a <= 1)).toBe(true);
      expect(run.summary.steps).toBe(6);
    }
    // Cosine over 6 steps from each optimizer's own lr.
    runs[0].steps.lr.forEach((lr, t) => {
      expect(lr).toBeCloseTo((0.1 * (1 + Math.cos((Math.PI * t) / 6))) / 2, 12);
    });
    runs[1].steps.lr.forEach((lr, t) => {
      expect(lr).toBeCloseTo((0.01 * (1 + Math.cos((Math.PI * t) / 6))) / 2, 12);
    });
  });

  it('stops a model run after --steps steps, mid-epoch', async () => {
    const data = (getTask('linear-regression') as ModelTask).load({ seed: 0, dataDir: null, limit: null });
    const [run] = await runModelTask(
      data,
      resolveOptimizers(parseOptimizerSpecs(['sgd:lr=0.05'])),
      { epochs: null, steps: 20, batchSize: 16, seed: 0, schedule: none, targetLoss: 0.02 },
      silentEvents,
    );
    expect(run.summary.steps).toBe(20);
    expect(run.steps.step.at(-1)).toBe(20);
    expect(run.summary.stopReason).toBeNull();
    expect(run.epochs.epoch).toEqual([1, 2]);
    expect(run.summary.finalAccuracy).toBeNull();
  });
});
