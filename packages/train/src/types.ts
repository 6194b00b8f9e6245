import type { Tensor } from '@nablajs/core';
import type { Optimizer } from '@nablajs/optim';

/** The events of the training loop, in the order they fire. Per batch: batchStart ... batchEnd. */
export const TRAIN_EVENTS = [
  'trainStart',
  'epochStart',
  'batchStart',
  'afterForward',
  'beforeBackward',
  'afterBackward',
  'beforeStep',
  'step',
  'afterStep',
  'batchEnd',
  'validationStart',
  'validationEnd',
  'epochEnd',
  'trainEnd',
] as const;

/** The name of a training-loop event. */
export type TrainEvent = (typeof TRAIN_EVENTS)[number];

/** What the loop trains: anything with `forward`, `parameters`, `train` and `eval` (an nn `Module` fits). */
export interface Trainable {
  /** Compute the model's output for a batch of inputs. */
  forward(inputs: Tensor): Tensor;
  /** The trainable parameters. */
  parameters(): Tensor[];
  /** Switch to training mode. */
  train(mode?: boolean): unknown;
  /** Switch to evaluation mode. */
  eval(): unknown;
  /** The model's state (parameters and buffers) by name, for checkpoints and early stopping. */
  stateDict?(): Record<string, Tensor>;
  /** Restore a state from `stateDict`. */
  loadStateDict?(state: Record<string, Tensor>, options?: { strict?: boolean }): unknown;
  /**
   * Older state-dict names `loadStateDict` still accepts, `{ legacy: current }` (nn's `Module` has it), so that a
   * checkpoint saved under them still restores.
   */
  stateDictLegacyNames?(): Record<string, string>;
}

/** Per-epoch numbers: `loss`, `accuracy`, `valLoss`, `valAccuracy`, `lr`, any metric a plugin adds. */
export type Logs = Record<string, number>;

/**
 * The one mutable object every event handler receives. Handlers read it, and change the run through
 * it: stop training, skip the optimizer step, change hyperparameters (through `optimizer`), add logs.
 */
export interface TrainContext {
  /** The model being trained. */
  readonly model: Trainable;
  /** The optimizer (null when a user plugin performs the step itself). */
  readonly optimizer: Optimizer | null;
  /** The loss function: `(output, targets) => scalar loss`. */
  readonly lossFn: (output: Tensor, targets: Tensor) => Tensor;
  /** The epoch, counted from 0. */
  epoch: number;
  /** The number of epochs of the run. */
  readonly epochs: number;
  /** The batch index within the epoch, counted from 0. */
  batch: number;
  /** The number of batches per epoch, when known. */
  batchesPerEpoch: number | null;
  /** Optimizer steps taken since the start of training (across resumes). */
  globalStep: number;
  /** The current batch's inputs. */
  inputs: Tensor | null;
  /** The current batch's targets. */
  targets: Tensor | null;
  /** The model's output for the current batch (after `afterForward`). */
  output: Tensor | null;
  /** The current batch's loss (after `afterForward`). */
  loss: Tensor | null;
  /** Numbers of the current batch; plugins may add their own (shown by progress and loggers). */
  batchLogs: Logs;
  /** Numbers of the current epoch (filled at `epochEnd`, validation included); plugins may add their own. */
  epochLogs: Logs;
  /** Every finished epoch's logs, in order. */
  readonly history: Logs[];
  /** Set by {@link TrainContext.stopTraining}: the loop ends after the current batch. */
  stopRequested: boolean;
  /** Why training was stopped, if it was. */
  stopReason: string | null;
  /** Set by {@link TrainContext.skipStep}: the optimizer step of the current batch is skipped. */
  stepSkipped: boolean;
  /** Set by {@link TrainContext.deferZeroGrad}: this batch's backward adds to the existing gradients. */
  zeroGradDeferred: boolean;
  /** The run's training plugins in subscription order, built-ins included (checkpoints look for stateful ones). */
  readonly plugins: readonly TrainPlugin[];
  /** Ask the loop to stop after the current batch. */
  stopTraining(reason: string): void;
  /** Skip the optimizer step of the current batch (a NaN guard does this). */
  skipStep(): void;
  /** Keep the existing gradients at this batch's backward instead of zeroing them (gradient accumulation). */
  deferZeroGrad(): void;
}

/** An event handler. It may be async; the loop awaits it. */
export type EventHandler = (ctx: TrainContext) => void | Promise<void>;

/** The handlers a training plugin may have, one per event, named after it. */
export interface PluginHandlers {
  /** Once, before the first epoch. */
  readonly trainStart?: EventHandler;
  /** At the start of every epoch. */
  readonly epochStart?: EventHandler;
  /** At the start of every batch, before the forward pass. */
  readonly batchStart?: EventHandler;
  /** After the forward pass: `ctx.output` and `ctx.loss` are set. */
  readonly afterForward?: EventHandler;
  /** Just before `loss.backward()`. */
  readonly beforeBackward?: EventHandler;
  /** After `loss.backward()`: gradients are in place (clipping, gradient statistics). */
  readonly afterBackward?: EventHandler;
  /** Just before the optimizer step. */
  readonly beforeStep?: EventHandler;
  /** The step itself: the built-in optimizer-step plugin runs here, and so does a user's own update rule. */
  readonly step?: EventHandler;
  /** After the step (schedulers stepping per batch, averaging). */
  readonly afterStep?: EventHandler;
  /** At the end of every batch (progress, logs). */
  readonly batchEnd?: EventHandler;
  /** Before the validation pass of an epoch. */
  readonly validationStart?: EventHandler;
  /** After the validation pass: validation numbers are in `ctx.epochLogs`. */
  readonly validationEnd?: EventHandler;
  /** At the end of every epoch: `ctx.epochLogs` holds the epoch's numbers. */
  readonly epochEnd?: EventHandler;
  /** Once, after the last epoch (or after training was stopped). */
  readonly trainEnd?: EventHandler;
}

/**
 * A training plugin: an object with a name and a handler for each event it needs, named after the
 * event (`batchEnd(ctx) { ... }`). The optimizer's own update is the built-in plugin on `step`.
 */
export interface TrainPlugin extends PluginHandlers {
  /** The plugin's name (used in messages, checkpoints and logs). */
  readonly name: string;
}
