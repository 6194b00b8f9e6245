// The trials of a `nabla benchmark` plan: what each one runs, the key of what its process loads, and the
// groups (one optimizer on one task) that `--shard` splits a sweep by.
import type { HyperValue } from '@nablajs/optim';
import type { BenchmarkPlan, OptimizerPlan, TaskPlan } from './benchmark-plan';
import { trialKey } from './sweep-store';

/**
 * What a trial runs: one optimizer setting on one task and one seed. Its hash is the trial's key.
 *
 * @example
 * ```ts
 * const key = trialKey(definition as unknown as Record<string, unknown>); // its file: trials/<key>.json
 * ```
 */
export interface TrialDefinition extends Omit<TaskPlan, 'name' | 'kind'> {
  /** The format of the definition. */
  format: 1;
  /** The version of @nablajs/cli. */
  version: string;
  /** The task's name. */
  task: string;
  /** The seed that draws the task's data and split. */
  dataSeed: number;
  /** The divergence factor. */
  divergeFactor: number;
  /** The optimizer with every option it runs with (the tuned lr included), and the hash of its plugin file. */
  optimizer: { name: string; options: Record<string, HyperValue>; plugin: string | null };
  /** The seed of the initial weights and data order. */
  seed: number;
  /** `tune` (a candidate on a tuning seed) or `report` (the chosen setting on a reported seed). */
  stage: 'tune' | 'report';
}

/**
 * One optimizer on one task: its tuning trials, then its reported trials with the chosen setting.
 *
 * @example
 * ```ts
 * const mine: TrialGroup[] = shardOf(trialGroups(plan), (g) => g.key, { index: 1, count: 4 });
 * ```
 */
export interface TrialGroup {
  /** The hash of what defines the group (the unit of `--shard`). */
  key: string;
  /** The task. */
  task: TaskPlan;
  /** The optimizer. */
  optimizer: OptimizerPlan;
}

/**
 * The definition of one trial of a plan: `optimizer` on `task` from `seed`, with `setting` (the tuned
 * hyperparameters) over the optimizer's own options.
 *
 * @example
 * ```ts
 * trialDefinition(plan, plan.tasks[0], plan.optimizers[0], { lr: 0.1 }, 1000, 'tune');
 * ```
 */
export function trialDefinition(
  plan: BenchmarkPlan,
  task: TaskPlan,
  optimizer: OptimizerPlan,
  setting: Readonly<Record<string, number>> | null,
  seed: number,
  stage: 'tune' | 'report',
): TrialDefinition {
  return {
    format: 1,
    version: plan.version,
    task: task.name,
    dataSeed: plan.seed,
    epochs: task.epochs,
    steps: task.steps,
    batchSize: task.batchSize,
    limit: task.limit,
    targetLoss: task.targetLoss,
    backend: task.backend,
    ...(task.capture === true ? { capture: true as const } : {}),
    divergeFactor: plan.divergeFactor,
    optimizer: { name: optimizer.name, options: { ...optimizer.options, ...setting }, plugin: optimizer.plugin },
    seed,
    stage,
  };
}

/**
 * What a trial's process loads for it: the task with its data seed, length, batch size and sample limit.
 * Trials with the same key share the data, the model's code and the warm-up.
 *
 * @example
 * ```ts
 * trialTaskKey(definition); // '["digits-mlp",0,5,null,32,null,"wasm"]'
 * ```
 */
export function trialTaskKey(d: TrialDefinition): string {
  const key: unknown[] = [d.task, d.dataSeed, d.epochs, d.steps, d.batchSize, d.limit, d.backend];
  if (d.capture === true) key.push('capture');
  return JSON.stringify(key);
}

/**
 * The groups of a plan (every optimizer on every task, task by task), each keyed by a hash of what
 * defines it, so that `--shard` splits a sweep the same way on every machine.
 *
 * @example
 * ```ts
 * trialGroups(plan).length; // tasks × optimizers
 * ```
 */
export function trialGroups(plan: BenchmarkPlan): TrialGroup[] {
  return plan.tasks.flatMap((task) =>
    plan.optimizers.map((optimizer) => ({
      key: trialKey({
        group: 1,
        version: plan.version,
        seed: plan.seed,
        seeds: plan.seeds,
        tuneSeeds: plan.tuneSeeds,
        grid: plan.tuning.grid,
        divergeFactor: plan.divergeFactor,
        task,
        optimizer: { name: optimizer.name, options: optimizer.options, plugin: optimizer.plugin },
      }),
      task,
      optimizer,
    })),
  );
}
