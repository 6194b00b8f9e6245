import { checkOptions, optionNames, type Tensor, ValueError } from '@nablajs/core';
import type { Optimizer } from '@nablajs/optim';
import type { Logs, Trainable, TrainContext, TrainPlugin } from './types';

/**
 * The context the loop hands to plugins: a {@link TrainContext} plus the gradient-accumulation switch.
 * (`deferZeroGrad` is proposed for `TrainContext` itself; until then, plugins that need it cast to this type.)
 */
export interface LoopContext extends TrainContext {
  /** The run's training plugins in subscription order, built-ins included (checkpoints look for stateful ones). */
  readonly plugins: readonly TrainPlugin[];
  /** Set by {@link LoopContext.deferZeroGrad}: this batch's backward adds to the gradients already there. */
  zeroGradDeferred: boolean;
  /** Keep the existing gradients at this batch's backward instead of zeroing them (gradient accumulation). */
  deferZeroGrad(): void;
}

/** What {@link createContext} needs. */
export interface ContextOptions {
  /** The model being trained. */
  model: Trainable;
  /** The optimizer, or null when a plugin on `step` updates the parameters. */
  optimizer: Optimizer | null;
  /** The loss function. */
  lossFn: (output: Tensor, targets: Tensor) => Tensor;
  /** The number of epochs of the run (the index at which it ends, as Keras' `epochs`). */
  epochs: number;
  /** The first epoch (for resumed runs). Default 0. */
  initialEpoch?: number;
  /** Optimizer steps already taken (for resumed runs). Default 0. */
  initialStep?: number;
  /** The history to append to. Default: a new array. */
  history?: Logs[];
  /** The run's training plugins. Default: none. */
  plugins?: readonly TrainPlugin[];
}

const CONTEXT_OPTIONS = optionNames<ContextOptions>({
  model: true,
  optimizer: true,
  lossFn: true,
  epochs: true,
  initialEpoch: true,
  initialStep: true,
  history: true,
  plugins: true,
});

/**
 * Build the mutable context of one training run, with every per-batch field cleared.
 *
 * @example
 * ```ts
 * const ctx = createContext({ model, optimizer, lossFn: mseLoss, epochs: 10 });
 * ctx.stopTraining('enough'); // ctx.stopRequested === true, ctx.stopReason === 'enough'
 * ```
 */
export function createContext(options: ContextOptions): LoopContext {
  checkOptions('createContext', options, CONTEXT_OPTIONS);
  const ctx: LoopContext = {
    model: options.model,
    optimizer: options.optimizer,
    lossFn: options.lossFn,
    epoch: options.initialEpoch ?? 0,
    epochs: options.epochs,
    batch: 0,
    batchesPerEpoch: null,
    globalStep: options.initialStep ?? 0,
    inputs: null,
    targets: null,
    output: null,
    loss: null,
    batchLogs: {},
    epochLogs: {},
    history: options.history ?? [],
    plugins: options.plugins ?? [],
    stopRequested: false,
    stopReason: null,
    stepSkipped: false,
    zeroGradDeferred: false,
    stopTraining(reason: string): void {
      if (typeof reason !== 'string' || reason.length === 0)
        throw new ValueError(`stopTraining: reason must be a non-empty string, got ${JSON.stringify(reason)}`);
      // The first reason wins: it is the cause, later ones are consequences.
      if (!ctx.stopRequested) ctx.stopReason = reason;
      ctx.stopRequested = true;
    },
    skipStep(): void {
      ctx.stepSkipped = true;
    },
    deferZeroGrad(): void {
      ctx.zeroGradDeferred = true;
    },
  };
  return ctx;
}

/**
 * Clear the per-batch fields before a new batch (logs become a new object: plugins may keep the old one).
 *
 * @internal
 */
export function resetBatch(ctx: LoopContext, batch: number): void {
  ctx.batch = batch;
  ctx.inputs = null;
  ctx.targets = null;
  ctx.output = null;
  ctx.loss = null;
  ctx.batchLogs = {};
  ctx.stepSkipped = false;
  ctx.zeroGradDeferred = false;
}

/**
 * Whether `ctx` offers {@link LoopContext.deferZeroGrad} (a context made by this package's loop).
 *
 * @internal
 */
export function canDeferZeroGrad(ctx: TrainContext): ctx is LoopContext {
  return typeof (ctx as Partial<LoopContext>).deferZeroGrad === 'function';
}
