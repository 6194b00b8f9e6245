import { type DType, type Generator, type GeneratorState, NablaError, type Tensor } from '@nablajs/core';
import type { Optimizer, OptimizerStateDict } from '@nablajs/optim';
import type { Stateful } from './stateful';
import type { Logs, Trainable } from './types';

/**
 * The error thrown for a checkpoint that cannot be written, read or restored: a corrupt or truncated file, a file
 * saved from a different model, state that does not fit. Messages name the file (or `checkpoint` for bytes).
 *
 * @example
 * ```ts
 * try {
 *   decodeCheckpoint(new Uint8Array(3), 'run/epoch-0001.safetensors');
 * } catch (e) {
 *   e instanceof CheckpointError; // true: "run/epoch-0001.safetensors is not a readable checkpoint: ..."
 * }
 * ```
 */
export class CheckpointError extends NablaError {
  /** The error's name, spelled out so that a minifier that renames classes keeps it. */
  override name = 'CheckpointError';
}

/**
 * One entry of a model signature: the state-dict name, shape and dtype of a parameter or buffer.
 *
 * @example
 * ```ts
 * const entry: TensorSignature = { name: '0.weight', shape: [64, 64], dtype: 'float32' };
 * ```
 */
export interface TensorSignature {
  /** The dotted state-dict name (`'net.0.weight'`), or the parameter's index for a model without `stateDict`. */
  readonly name: string;
  /** The tensor's shape. */
  readonly shape: readonly number[];
  /** The tensor's dtype. */
  readonly dtype: DType;
}

/**
 * A training checkpoint in memory: everything a run needs to continue bit for bit. Positions are where the run
 * resumes: `epoch` is the epoch to run next (the number of completed epochs) and `batch` the number of its
 * batches already run (0 at an epoch boundary).
 *
 * @example
 * ```ts
 * const ckpt: Checkpoint = captureCheckpoint({ model, optimizer }, { epoch: 3, globalStep: 120 });
 * ckpt.signature.map((s) => s.name); // ['0.weight', '0.bias', ...]
 * ```
 */
export interface Checkpoint {
  /** The format version ({@link CHECKPOINT_VERSION} when written by this build). */
  readonly version: number;
  /** The epoch to resume at: the number of completed epochs (counted from 0, like `TrainContext.epoch`). */
  readonly epoch: number;
  /** Batches of `epoch` already run: 0 for a checkpoint taken at an epoch's end. */
  readonly batch: number;
  /** Optimizer steps taken so far. */
  readonly globalStep: number;
  /** The model's parameter and buffer names, shapes and dtypes; a different model is rejected before loading. */
  readonly signature: readonly TensorSignature[];
  /** The model's state dict (copies). */
  readonly model: Readonly<Record<string, Tensor>>;
  /** The optimizer's state dict, or null when the run had no optimizer. */
  readonly optimizer: OptimizerStateDict | null;
  /** Plugin and scheduler states by name (see {@link Stateful}). */
  readonly states: Readonly<Record<string, unknown>>;
  /** The states of the captured generators, in the order they were given. */
  readonly rng: readonly GeneratorState[];
  /** The generators' states at the start of epoch `epoch`, for a checkpoint taken mid-epoch (`batch > 0`). */
  readonly epochStartRng: readonly GeneratorState[] | null;
  /** The logs of every completed epoch. */
  readonly history: readonly Logs[];
  /**
   * For a mid-epoch checkpoint (`batch > 0`), the logs of epoch `epoch` so far (its loss and metrics over the
   * `batch` batches run); null at an epoch boundary and in files written before they were saved. A run resumed
   * from a checkpoint taken after the last batch of its epoch logs that epoch with them.
   */
  readonly epochLogs: Logs | null;
}

/**
 * What a checkpoint is taken from and restored into.
 *
 * @example
 * ```ts
 * const target: CheckpointTarget = { model, optimizer, generators: [loaderGen, dropoutGen], states: { scheduler } };
 * ```
 */
export interface CheckpointTarget {
  /** The model: its `stateDict()` is saved (or its `parameters()` by index when it has none). */
  model: Trainable;
  /** The optimizer, if any. */
  optimizer?: Optimizer | null;
  /** Random generators whose states matter for an exact resume (data shuffling, dropout), in a fixed order. */
  generators?: readonly Generator[];
  /** Stateful objects by name: schedulers, plugins. */
  states?: Readonly<Record<string, Stateful>>;
}

/**
 * Where a checkpoint resumes: the epoch to run next, the batches of it already run, the global step, and the
 * logs of the completed epochs.
 *
 * @example
 * ```ts
 * const position: CheckpointPosition = { epoch: 2, batch: 0, globalStep: 80, history: ctx.history };
 * ```
 */
export interface CheckpointPosition {
  /** The epoch to resume at (the number of completed epochs). */
  epoch: number;
  /** Batches of `epoch` already run (default 0). */
  batch?: number;
  /** Optimizer steps taken so far. */
  globalStep: number;
  /** The logs of the completed epochs (default none). */
  history?: readonly Logs[];
  /** The generators' states at the start of `epoch`, required when `batch > 0`. */
  epochStartRng?: readonly GeneratorState[] | null;
  /** The logs of epoch `epoch` so far, when `batch > 0` (`ctx.epochLogs`); default none. */
  epochLogs?: Logs | null;
}
