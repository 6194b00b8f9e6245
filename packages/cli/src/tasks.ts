import type { Generator, Tensor } from '@nablajs/core';
import type { TestFunction } from '@nablajs/data';
import type { Module } from '@nablajs/nn';
import { FUNCTION_TASKS } from './function-tasks';
import { MODEL_TASKS } from './model-tasks';
import { UsageError, validList } from './usage-error';

/** Inputs and targets, samples along the first dimension. */
export interface TensorPair {
  /** The inputs. */
  x: Tensor;
  /** The targets. */
  y: Tensor;
}

/** A network: an nn `Module` whose forward maps a batch of inputs to a batch of outputs. */
export type Network = { forward(input: Tensor): Tensor } & Module;

/** What a model task hands to the runner. */
export interface ModelTaskData {
  /** The training set. */
  train: TensorPair;
  /** The validation set, evaluated after every epoch, or null. */
  validation: TensorPair | null;
  /** Build the network; its initial weights come from `generator`. */
  buildModel(generator: Generator): Network;
  /** The loss, `(output, targets) => scalar`. */
  loss: (output: Tensor, targets: Tensor) => Tensor;
  /** Lines that describe the data and the model (sizes, architecture). */
  details: string[];
}

/** The defaults of a task, used when the command line does not say. */
export interface TaskDefaults {
  /** The optimizers compared, in `--optimizers` syntax. */
  optimizers: string;
  /** Epochs (model tasks). */
  epochs?: number;
  /** Steps (2-D functions). */
  steps?: number;
  /** Batch size (model tasks). */
  batchSize?: number;
  /** The loss the "steps to target" column counts steps to. */
  targetLoss: number;
}

/** A task that trains a network with `fit`. */
export interface ModelTask {
  /** `model`. */
  kind: 'model';
  /** The task's name. */
  name: string;
  /** One line for the help. */
  description: string;
  /** Whether the metric is accuracy (else there is none beyond the loss). */
  classification: boolean;
  /** Whether the task reads `--data`. */
  usesDataDir: boolean;
  /**
   * The backend `--backend auto` trains it on: the faster one as bench/backends.bench.ts measured it
   * (bench/results-backends.md); cpu when absent.
   */
  preferredBackend?: 'cpu' | 'wasm';
  /** The defaults. */
  defaults: TaskDefaults;
  /** Build the data and the model factory; `seed` draws the data and its split, `dataDir` is `--data`. */
  load(options: { seed: number; dataDir: string | null; limit: number | null }): ModelTaskData;
}

/** A task that minimises a 2-D test function from its customary start. */
export interface FunctionTask {
  /** `function`. */
  kind: 'function';
  /** The task's name. */
  name: string;
  /** One line for the help. */
  description: string;
  /** The function, its start, minima and plotting box. */
  fn: TestFunction;
  /** The defaults. */
  defaults: TaskDefaults;
}

/** A task of `nabla compare`. */
export type Task = ModelTask | FunctionTask;

/**
 * Every task of `nabla compare`, by name: networks trained with `fit` (digits, MNIST, spirals, a
 * line, a character-level GPT on tiny Shakespeare) and 2-D test functions (each optimizer walks from the function's customary start).
 *
 * @example
 * ```ts
 * TASKS['digits-mlp'].defaults.epochs; // 10
 * ```
 */
export const TASKS: Readonly<Record<string, Task>> = { ...MODEL_TASKS, ...FUNCTION_TASKS };

/**
 * The task called `name`, or a {@link UsageError} listing the tasks.
 *
 * @example
 * ```ts
 * getTask('rosenbrock').kind; // 'function'
 * ```
 */
export function getTask(name: string): Task {
  if (!Object.hasOwn(TASKS, name))
    throw new UsageError(`unknown task ${JSON.stringify(name)}${validList('tasks', Object.keys(TASKS))}`);
  return TASKS[name];
}
