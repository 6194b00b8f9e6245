import * as nodeFs from 'node:fs';
import { join } from 'node:path';
import { checkOptions, type GeneratorState, ValueError } from '@nablajs/core';
import { type AtomicWriteFs, defaultAtomicWriteFs } from '@nablajs/nn/node';
import { captureCheckpoint } from './capture-checkpoint';
import { CheckpointError } from './checkpoint';
import { encodeCheckpoint } from './checkpoint-format';
import {
  autoMode,
  CHECKPOINT_OPTIONS,
  type CheckpointOptions,
  type CheckpointPluginState,
  checkOptionCount,
} from './checkpoint-options';
import { checkpointName, listCheckpoints } from './latest-checkpoint';
import {
  applyPendingRng,
  checkResumedEpoch,
  finishSkippedEpoch,
  newResumer,
  PLUGIN_NAME,
  resumeRun,
  runStates,
} from './resume-from';
import { reason, writeBytes } from './save-checkpoint';
import { contextPlugins, isStateful, type Stateful } from './stateful';
import type { TrainContext, TrainPlugin } from './types';

const BEST_NAME = 'best.safetensors';

/**
 * The checkpointing plugin (Node): saves the whole training state (model, optimizer, stateful plugins and
 * schedulers, the given generators, epoch, step and history) into `dir` as `epoch-EEEE-step-SSSSSSSS.safetensors`
 * after every `every` epochs and/or every `everySteps` steps, each file written atomically (temporary file, fsync,
 * rename), so a crash never leaves a partial checkpoint and never damages an existing one. With `saveBest` it also
 * keeps `best.safetensors`, the state at the best value of `monitor`. With `resume` it first restores a checkpoint;
 * the resumed run's losses equal those of an uninterrupted run bit for bit.
 *
 * When training starts it checks, before any step, that `dir` is writable and, when resuming, that the checkpoint
 * is readable and was saved from this model; a fresh run refuses a directory that already holds checkpoints unless
 * `overwrite` is set. It is stateful itself (it saves its best score). Place it after the plugins that change
 * state at an epoch's end (schedulers, early stopping), as Lightning runs `ModelCheckpoint` last; listed before a
 * stateful plugin that changes its state when it saves, it fails when training starts.
 *
 * Resuming needs a loop that continues where the checkpoint says (`fit` reads `ctx.epoch` and `ctx.batch` after
 * `trainStart`); a mid-epoch checkpoint replays the data loader's order for that epoch, which holds for loaders
 * that draw their order when an epoch starts (`DataLoader`), and the resumed epoch's mean logs cover only the
 * batches run after resuming. A step checkpoint at an epoch's last batch (taken before its validation and
 * `epochEnd`) holds the whole epoch's logs: the resumed run ends that epoch with them, as the saving run did. The file is one safetensors file (see `encodeCheckpoint`); read it with
 * {@link loadCheckpoint}.
 *
 * @param options - `dir`, `every`, `everySteps`, `keepLast`, `monitor`, `mode`, `saveBest`, `resume`, `overwrite`,
 *   `generators`, `states`, `strict`, `fs`
 * @returns the plugin
 *
 * @example
 * ```ts
 * import { checkpoint } from '@nablajs/train/node';
 * const gen = new Generator(42);
 * const loader = new DataLoader(trainSet, { batchSize: 64, shuffle: true, generator: gen });
 * await fit({ model, data: loader, loss: crossEntropy, optimizer, epochs: 10,
 *   plugins: [checkpoint({ dir: 'runs/mnist', keepLast: 2, resume: 'latest', generators: [gen] })] });
 * ```
 *
 * @see https://lightning.ai/docs/pytorch/stable/api/lightning.pytorch.callbacks.ModelCheckpoint.html and
 *   https://keras.io/api/callbacks/model_checkpoint/
 */
export function checkpoint(options: CheckpointOptions): TrainPlugin & Stateful {
  if (options === null || typeof options !== 'object' || typeof options.dir !== 'string' || options.dir === '')
    throw new ValueError('checkpoint: options.dir must be a non-empty directory path');
  checkOptions('checkpoint', options, CHECKPOINT_OPTIONS);
  const dir = options.dir;
  const every = checkOptionCount('every', options.every ?? (options.everySteps === undefined ? 1 : 0), 0);
  const everySteps = options.everySteps === undefined ? 0 : checkOptionCount('everySteps', options.everySteps, 1);
  const keepLast =
    options.keepLast === undefined ? Number.POSITIVE_INFINITY : checkOptionCount('keepLast', options.keepLast, 1);
  const monitor = options.monitor;
  if (monitor !== undefined && (typeof monitor !== 'string' || monitor === ''))
    throw new ValueError(`checkpoint: monitor must be the name of an epoch log, got ${JSON.stringify(monitor)}`);
  if (options.saveBest && monitor === undefined)
    throw new ValueError("checkpoint: saveBest needs a monitor (for example monitor: 'valLoss')");
  const modeOption = options.mode ?? 'auto';
  if (modeOption !== 'min' && modeOption !== 'max' && modeOption !== 'auto')
    throw new ValueError(`checkpoint: mode must be 'min', 'max' or 'auto', got ${JSON.stringify(modeOption)}`);
  const mode = monitor === undefined ? 'min' : modeOption === 'auto' ? autoMode(monitor) : modeOption;
  const resume = options.resume ?? false;
  if (resume !== false && (typeof resume !== 'string' || resume === ''))
    throw new ValueError(`checkpoint: resume must be 'latest', a file path or false, got ${JSON.stringify(resume)}`);
  const fs = options.fs ?? defaultAtomicWriteFs;
  const generators = options.generators ?? [];

  const state: CheckpointPluginState = { best: null, bestEpoch: null };
  const resumer = newResumer();
  let epochStartRng: GeneratorState[] | null = null;
  let lastSavedStep = -1;

  /** Encode the run's state once and write it to every path (a periodic checkpoint and best.safetensors). */
  const save = (ctx: TrainContext, paths: readonly string[], epoch: number, batch: number) => {
    // At an epoch's end the loop has not yet appended the epoch's logs to the history.
    const history = ctx.history.length > ctx.epoch || batch > 0 ? ctx.history : [...ctx.history, { ...ctx.epochLogs }];
    const ckpt = captureCheckpoint(
      { model: ctx.model, optimizer: ctx.optimizer, generators, states: runStates(ctx, options.states ?? {}, plugin) },
      { epoch, batch, globalStep: ctx.globalStep, history, epochStartRng, epochLogs: batch > 0 ? ctx.epochLogs : null },
    );
    const bytes = encodeCheckpoint(ckpt);
    for (const path of paths) writeBytes(path, bytes, fs);
  };

  const prune = () => {
    const files = listCheckpoints(dir);
    for (const file of files.slice(0, Math.max(0, files.length - keepLast))) {
      try {
        nodeFs.unlinkSync(file.path);
      } catch (error) {
        throw new CheckpointError(`checkpoint: could not delete the old checkpoint ${file.path}: ${reason(error)}`);
      }
    }
  };

  const plugin: TrainPlugin & Stateful = {
    name: PLUGIN_NAME,

    trainStart(ctx) {
      runStates(ctx, options.states ?? {}, plugin); // a states name taken by a plugin fails now, not at the first save
      checkOrder(ctx, plugin, every > 0 || options.saveBest === true, everySteps > 0);
      prepareDirectory(dir, fs);
      const existing = listCheckpoints(dir);
      const path = resume === 'latest' ? (existing.at(-1)?.path ?? null) : resume === false ? null : resume;
      if (path !== null) {
        resumeRun(ctx, path, options, resumer, plugin);
        lastSavedStep = ctx.globalStep;
      } else if (existing.length > 0 && !options.overwrite)
        throw new CheckpointError(
          `checkpoint: ${dir} already holds ${existing.length} checkpoint(s) of an earlier run (newest ` +
            `${existing.at(-1)!.path}); pass resume: 'latest' to continue it, overwrite: true to replace them, ` +
            'or another dir',
        );
    },

    epochStart(ctx) {
      checkResumedEpoch(resumer, ctx);
      if (everySteps > 0) epochStartRng = generators.map((g) => g.getState());
    },

    batchStart(ctx) {
      applyPendingRng(resumer, generators, ctx);
    },

    validationStart(ctx) {
      finishSkippedEpoch(resumer, generators, ctx);
    },

    batchEnd(ctx) {
      if (everySteps === 0 || ctx.globalStep === lastSavedStep || ctx.globalStep % everySteps !== 0) return;
      lastSavedStep = ctx.globalStep;
      save(ctx, [join(dir, checkpointName(ctx.epoch, ctx.globalStep))], ctx.epoch, ctx.batch + 1);
      prune();
    },

    epochEnd(ctx) {
      finishSkippedEpoch(resumer, generators, ctx);
      let improved = false;
      if (monitor !== undefined) {
        const value = ctx.epochLogs[monitor];
        if (typeof value !== 'number')
          throw new ValueError(
            `checkpoint: monitor ${JSON.stringify(monitor)} is not in the logs of epoch ${ctx.epoch} ` +
              `(they have ${Object.keys(ctx.epochLogs).join(', ') || 'nothing'})`,
          );
        const best = state.best;
        improved = !Number.isNaN(value) && (best === null || (mode === 'min' ? value < best : value > best));
        if (improved) {
          state.best = value;
          state.bestEpoch = ctx.epoch;
        }
      }
      const paths: string[] = [];
      const periodic = every > 0 && (ctx.epoch + 1) % every === 0;
      if (periodic) paths.push(join(dir, checkpointName(ctx.epoch, ctx.globalStep)));
      if (options.saveBest && improved) paths.push(join(dir, BEST_NAME));
      if (paths.length === 0) return;
      if (periodic) lastSavedStep = ctx.globalStep;
      save(ctx, paths, ctx.epoch + 1, 0);
      if (periodic) prune();
    },

    stateDict(): CheckpointPluginState {
      return { ...state };
    },

    loadStateDict(saved: unknown) {
      const s = saved as Partial<CheckpointPluginState> | null;
      const ok = (v: unknown) => v === null || typeof v === 'number';
      if (s === null || typeof s !== 'object' || !ok(s.best) || !ok(s.bestEpoch))
        throw new ValueError('checkpoint.loadStateDict: expected { best, bestEpoch } from stateDict()');
      state.best = s.best ?? null;
      state.bestEpoch = s.bestEpoch ?? null;
    },
  };
  return plugin;
}

/**
 * A stateful plugin that runs after the checkpoint plugin at an event where it saves would change its state after
 * the save: the checkpoint would hold the state of the step before, and a resumed run would diverge.
 */
function checkOrder(ctx: TrainContext, self: TrainPlugin, atEpochEnd: boolean, atBatchEnd: boolean): void {
  const plugins = contextPlugins(ctx);
  const at = plugins.indexOf(self);
  if (at < 0) return;
  for (const later of plugins.slice(at + 1)) {
    if (!isStateful(later)) continue;
    const event = atEpochEnd && later.epochEnd ? 'epochEnd' : atBatchEnd && later.batchEnd ? 'batchEnd' : null;
    if (event !== null)
      throw new ValueError(
        `checkpoint: the stateful plugin ${JSON.stringify(later.name)} comes after checkpoint() and changes its ` +
          `state at ${event}, so the checkpoints would miss that change; list checkpoint() after it`,
      );
  }
}

/** Create `dir` if needed and prove it writable, so that a bad directory fails before any training step. */
function prepareDirectory(dir: string, fs: AtomicWriteFs): void {
  try {
    nodeFs.mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw new CheckpointError(`checkpoint: cannot create the directory ${dir}: ${reason(error)}`);
  }
  const probe = join(dir, `.nabla-write-test-${process.pid}-${Date.now()}`);
  try {
    const fd = fs.openSync(probe, 'wx', 0o666);
    fs.closeSync(fd);
    fs.unlinkSync(probe);
  } catch (error) {
    throw new CheckpointError(`checkpoint: the directory ${dir} is not writable: ${reason(error)}`);
  }
}
