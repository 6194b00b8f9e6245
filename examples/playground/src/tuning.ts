// Per-task defaults of the race: its length, seeds, pace, and a learning rate per optimizer chosen by the
// sweep in ../sweep-lr.ts (see the README), so that every optimizer visibly moves within the race.
import type { TaskName } from './protocol';

/** What the page starts a task with. */
export interface TaskDefaults {
  /** Steps per seed (full batch on the models: one step is one epoch). */
  maxSteps: number;
  /** Seeds per optimizer. */
  seeds: number;
  /** Race steps per second (0: as fast as the worker goes). */
  stepsPerSecond: number;
  /** The learning rate per optimizer; an optimizer not listed starts at its own (PyTorch's) default. */
  lr: Record<string, number>;
}

/** The tasks in the order of the columns of {@link SWEPT_LR}. */
const TASKS: TaskName[] = ['rosenbrock', 'beale', 'himmelblau', 'saddle', 'illConditioned', 'spirals', 'digits'];

/**
 * The learning rates the sweep chose (`npx tsx examples/playground/sweep-lr.ts`), per optimizer and task, in
 * the order of {@link TASKS}; null where it did not sweep (L-BFGS on the models keeps its lr 1).
 */
// biome-ignore format: a table, one optimizer per row
const SWEPT_LR: Record<string, (number | null)[]> = {
  //        rosenbrock, beale, himmelblau, saddle, illConditioned, spirals, digits
  adadelta: [1, 5, 5, 2, 5, 10, 3],
  adagrad: [0.05, 0.5, 0.5, 0.1, 0.5, 0.1, 0.03],
  adam: [0.1, 0.2, 0.05, 0.02, 0.02, 0.03, 0.03],
  adamax: [0.1, 0.5, 0.1, 0.05, 0.05, 0.1, 0.03],
  adamw: [0.05, 0.1, 0.05, 0.02, 0.05, 0.03, 0.03],
  asgd: [0.001, 2e-5, 0.005, 0.05, 0.01, 1, 1],
  cautiousAdamw: [0.1, 0.5, 0.1, 0.02, 0.05, 0.03, 0.03],
  lamb: [0.05, 0.01, 0.05, 0.05, 0.1, 0.01, 0.03],
  lbfgs: [0.5, 0.01, 0.02, 2e-5, 0.5, null, null],
  lion: [0.01, 0.02, 0.05, 0.02, 0.02, 0.01, 0.03],
  nadam: [0.02, 0.2, 0.1, 0.02, 0.05, 0.03, 0.03],
  radam: [0.0001, 2e-5, 0.05, 0.2, 0.01, 0.3, 1],
  rmsprop: [0.005, 0.05, 0.05, 0.01, 0.05, 0.01, 0.003],
  rprop: [1e-5, 1e-5, 2e-5, 0.0001, 1e-5, 0.03, 0.003],
  sgd: [0.001, 2e-5, 0.005, 0.05, 0.01, 1, 1],
};

function sweptLr(task: TaskName): Record<string, number> {
  const column = TASKS.indexOf(task);
  const out: Record<string, number> = {};
  for (const [name, rates] of Object.entries(SWEPT_LR)) if (rates[column] !== null) out[name] = rates[column];
  return out;
}

/** The 2-D functions are deterministic (seeds only jitter the start), the models are not: 1 seed and 3. */
export const TASK_DEFAULTS: Record<TaskName, TaskDefaults> = {
  rosenbrock: { maxSteps: 1000, seeds: 1, stepsPerSecond: 250, lr: sweptLr('rosenbrock') },
  beale: { maxSteps: 1000, seeds: 1, stepsPerSecond: 250, lr: sweptLr('beale') },
  himmelblau: { maxSteps: 300, seeds: 1, stepsPerSecond: 100, lr: sweptLr('himmelblau') },
  saddle: { maxSteps: 200, seeds: 1, stepsPerSecond: 60, lr: sweptLr('saddle') },
  illConditioned: { maxSteps: 300, seeds: 1, stepsPerSecond: 100, lr: sweptLr('illConditioned') },
  spirals: { maxSteps: 500, seeds: 3, stepsPerSecond: 0, lr: sweptLr('spirals') },
  digits: { maxSteps: 200, seeds: 3, stepsPerSecond: 0, lr: sweptLr('digits') },
};

/** The race's default learning rate of `optimizer` on `task`, or undefined when the sweep did not tune it. */
export function defaultLr(task: TaskName, optimizer: string): number | undefined {
  return TASK_DEFAULTS[task].lr[optimizer];
}
