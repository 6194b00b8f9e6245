// A planned comparison run: the task loaded (or its function sampled), the `--tune` searches, every
// optimizer on every seed, and the result with each optimizer's statistics.
import { getBackend, setBackend } from '@nablajs/core';
import pkg from '../package.json';
import { useBackend } from './backend';
import type { ComparePlan } from './compare-plan';
import { evaluateGrid, functionTaskRunner } from './function-runner';
import type { CompareResult, RunResult, Surface } from './results';
import { isPlanarClassifier, modelRunLength, modelTaskRunner } from './runner';
import { autoLossScale } from './summarize';
import { type LabelledPoints, labelledPointsOf } from './svg-decision';
import { namedRunner, type RunEvents, type TaskRunner } from './task-runner';
import type { FunctionTask, ModelTaskData } from './tasks';
import { aggregateRuns, REPEAT_STEPS, runTrials } from './trials';
import type { TuneMetric } from './tune';
import { runTuning } from './tune-search';
import { UsageError } from './usage-error';

/**
 * Sample a 2-D task's function on a grid of `(resolution + 1)²` points over its plotting box, for
 * the contour plot (one batched evaluation of `f`).
 *
 * @example
 * ```ts
 * sampleSurface(TASKS.rosenbrock as FunctionTask, 50).values.length; // 2601
 * ```
 */
export function sampleSurface(task: FunctionTask, resolution = 100): Surface {
  const [x0, x1] = task.fn.bounds.x;
  const [y0, y1] = task.fn.bounds.y;
  const n = resolution;
  const values = evaluateGrid(task, n);
  return {
    formula: task.fn.formula,
    bounds: [
      [x0, x1],
      [y0, y1],
    ],
    minima: task.fn.minima.map(([x, y]) => [x, y]),
    start: [task.fn.start[0], task.fn.start[1]],
    resolution: n,
    values: Array.from(values),
  };
}

function chooseLossScale(plan: ComparePlan, runs: readonly RunResult[]): 'log' | 'linear' | 'symlog' {
  return plan.lossScale !== 'auto' ? plan.lossScale : autoLossScale(runs);
}

/**
 * Run a planned comparison: with `--tune`, first each tuned optimizer's search on the tuning seeds
 * (see {@link runTuning}); then every optimizer (a tuned one with its chosen setting) on every seed,
 * after an untimed warm-up and in a shuffled order (see {@link runTrials}), and build the result with
 * each optimizer's statistics and the searches.
 *
 * @example
 * ```ts
 * const result = await runComparison(plan, 'nabla compare --task rosenbrock', silentEvents);
 * ```
 */
export async function runComparison(plan: ComparePlan, command: string, events: RunEvents): Promise<CompareResult> {
  const previous = getBackend();
  const backend = await useBackend(plan.backend);
  try {
    return await compareOn(plan, command, events, backend);
  } finally {
    setBackend(previous);
  }
}

async function compareOn(
  plan: ComparePlan,
  command: string,
  events: RunEvents,
  backend: string,
): Promise<CompareResult> {
  const { task } = plan;
  let runner: TaskRunner;
  let details: string[];
  let surface: Surface | null = null;
  let points: LabelledPoints | null = null;
  let stepsPerEpoch: number | null = null;
  let totalSteps: number;
  let metric: TuneMetric = 'final f';
  if (task.kind === 'function') {
    totalSteps = plan.steps ?? 100;
    runner = functionTaskRunner(task, {
      steps: totalSteps,
      schedule: plan.schedule,
      targetLoss: plan.targetLoss,
      divergeFactor: plan.divergeFactor,
    });
    surface = sampleSurface(task);
    details = [`f(x, y) = ${task.fn.formula}`, `start (${task.fn.start.join(', ')})`];
  } else {
    let data: ModelTaskData;
    try {
      data = task.load({ seed: plan.seed, dataDir: plan.dataDir, limit: plan.limit });
    } catch (error) {
      if (plan.dataDir !== null && !(error instanceof UsageError))
        throw new UsageError(`--data ${plan.dataDir}: ${(error as Error).message}`);
      throw error;
    }
    const options = {
      epochs: plan.epochs,
      steps: plan.steps,
      batchSize: plan.batchSize ?? 32,
      seed: plan.seed,
      schedule: plan.schedule,
      targetLoss: plan.targetLoss,
      divergeFactor: plan.divergeFactor,
      capture: plan.capture,
    };
    const length = modelRunLength(data.train.x.shape[0], options);
    stepsPerEpoch = length.stepsPerEpoch;
    totalSteps = length.totalSteps;
    runner = modelTaskRunner(data, options);
    details = data.details;
    if (isPlanarClassifier(data)) points = labelledPointsOf(data.train.x, data.train.y);
    metric = data.validation === null ? 'final train loss' : 'final validation loss';
  }
  const tuned =
    plan.tune === null
      ? null
      : await runTuning(
          namedRunner(runner, task.name, plan.seed, 'tuning'),
          plan.optimizers,
          plan.tune,
          metric,
          events,
        );
  const outcome = await runTrials(
    namedRunner(runner, task.name, plan.seed, 'timed'),
    tuned?.optimizers ?? plan.optimizers,
    { seeds: plan.seeds, orderSeed: plan.seed, repeatSteps: REPEAT_STEPS },
    events,
  );
  const result: CompareResult = {
    tool: 'nabla compare',
    version: pkg.version,
    command,
    createdAt: new Date().toISOString(),
    environment: `Node.js ${process.version} on ${process.platform}-${process.arch}`,
    task: {
      name: task.name,
      kind: task.kind,
      description: task.description,
      details,
      classification: task.kind === 'model' && task.classification,
      ...(points === null ? {} : { points }),
    },
    settings: {
      epochs: plan.epochs,
      steps: totalSteps,
      stepsPerEpoch,
      batchSize: plan.batchSize,
      seed: plan.seed,
      seeds: plan.seeds,
      divergeFactor: plan.divergeFactor,
      schedule: plan.schedule.text,
      targetLoss: plan.targetLoss,
      lossScale: chooseLossScale(plan, outcome.runs),
      plugins: plan.plugins,
      dataDir: plan.dataDir,
      backend,
      capture: plan.capture,
    },
    order: outcome.order,
    timing: outcome.timing,
    surface,
    aggregates: [],
    runs: outcome.runs,
    ...(tuned === null ? {} : { tuning: tuned.tuning }),
  };
  result.aggregates = aggregateRuns(result);
  return result;
}
