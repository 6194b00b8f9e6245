import * as nodeFs from 'node:fs';
import { join } from 'node:path';
import { type Generator, type GeneratorState, ValueError } from '@nablajs/core';
import { type AtomicWriteFs, defaultAtomicWriteFs, writeFileAtomic } from '@nablajs/nn/node';
import { captureCheckpoint } from './capture-checkpoint';
import { type Checkpoint, CheckpointError } from './checkpoint';
import { decodeCheckpoint, encodeCheckpoint } from './checkpoint-format';
import { restoreCheckpoint } from './restore-checkpoint';
import { contextPlugins, isStateful, type Stateful, statefulPlugins } from './stateful';
import type { TrainContext, TrainPlugin } from './types';

/**
 * Options of {@link saveCheckpoint}.
 *
 * @example
 * ```ts
 * saveCheckpoint('ckpt.safetensors', ckpt, { fs: defaultAtomicWriteFs });
 * ```
 */
export interface SaveCheckpointOptions {
  /** The file-system calls of the atomic write (for tests that simulate a failing disk). */
  fs?: AtomicWriteFs;
}

/**
 * Write a checkpoint to one safetensors file atomically: the bytes of `encodeCheckpoint` go to a temporary file in
 * the same directory, are flushed with fsync, then renamed over `path`. Readers see the old file or the complete
 * new one, never a partial one; on an error the old file is untouched.
 *
 * @param path - the file to write
 * @param checkpoint - from `captureCheckpoint`
 * @param options - `fs`: the file-system calls (injectable for tests)
 *
 * @example
 * ```ts
 * saveCheckpoint('run/manual.safetensors', captureCheckpoint({ model, optimizer }, { epoch: 2, globalStep: 80 }));
 * ```
 *
 * @see https://pytorch.org/tutorials/recipes/recipes/saving_and_loading_a_general_checkpoint.html
 */
export function saveCheckpoint(path: string, checkpoint: Checkpoint, options: SaveCheckpointOptions = {}): void {
  writeBytes(path, encodeCheckpoint(checkpoint), options.fs ?? defaultAtomicWriteFs);
}

function writeBytes(path: string, bytes: Uint8Array, fs: AtomicWriteFs): void {
  try {
    writeFileAtomic(path, bytes, fs);
  } catch (error) {
    throw new CheckpointError(
      `saveCheckpoint: could not write ${path} (any previous file is untouched): ${reason(error)}`,
    );
  }
}

/**
 * Read a checkpoint file. A missing, truncated or corrupt file, or one that is not a checkpoint, throws a
 * `CheckpointError` naming the path.
 *
 * @param path - the file to read
 * @returns the checkpoint, to give to `restoreCheckpoint`
 *
 * @example
 * ```ts
 * const ckpt = loadCheckpoint('run/epoch-0004-step-00000200.safetensors');
 * restoreCheckpoint(ckpt, { model, optimizer }, { source: 'run/epoch-0004-step-00000200.safetensors' });
 * ```
 */
export function loadCheckpoint(path: string): Checkpoint {
  let bytes: Uint8Array;
  try {
    bytes = nodeFs.readFileSync(path);
  } catch (error) {
    throw new CheckpointError(`loadCheckpoint: cannot read ${path}: ${reason(error)}`);
  }
  return decodeCheckpoint(bytes, path);
}

const PLUGIN_NAME = 'checkpoint';
const BEST_NAME = 'best.safetensors';
const CHECKPOINT_NAME = /^epoch-(\d+)-step-(\d+)\.safetensors$/;

/** A periodic checkpoint file found in a directory, with the epoch and step its name carries. */
interface CheckpointFile {
  path: string;
  epoch: number;
  step: number;
}

function listCheckpoints(dir: string): CheckpointFile[] {
  let names: string[];
  try {
    names = nodeFs.readdirSync(dir);
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return [];
    throw new CheckpointError(`checkpoint: cannot list ${dir}: ${reason(error)}`);
  }
  const out: CheckpointFile[] = [];
  for (const name of names) {
    const m = CHECKPOINT_NAME.exec(name);
    if (m !== null) out.push({ path: join(dir, name), epoch: Number(m[1]), step: Number(m[2]) });
  }
  return out.sort((a, b) => a.step - b.step || a.epoch - b.epoch);
}

/**
 * The newest periodic checkpoint in `dir` (highest step, then epoch), or null when there is none.
 *
 * @param dir - a directory written by {@link checkpoint}
 * @returns the file's path, or null
 *
 * @example
 * ```ts
 * const path = latestCheckpoint('runs/mnist'); // 'runs/mnist/epoch-0004-step-00000625.safetensors'
 * ```
 */
export function latestCheckpoint(dir: string): string | null {
  const files = listCheckpoints(dir);
  return files.length === 0 ? null : files[files.length - 1].path;
}

function checkpointName(epoch: number, step: number): string {
  return `epoch-${String(epoch).padStart(4, '0')}-step-${String(step).padStart(8, '0')}.safetensors`;
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * What {@link resumeFrom} and the `resume` option of {@link checkpoint} restore besides the model and optimizer.
 *
 * @example
 * ```ts
 * const options: ResumeOptions = { generators: [loaderGen, dropoutGen], states: { scheduler } };
 * ```
 */
export interface ResumeOptions {
  /** The random generators of the run (data shuffling, dropout), in the same order as when it was saved. */
  generators?: readonly Generator[];
  /** Stateful objects not among the run's plugins (a scheduler stepped by hand), by name. */
  states?: Readonly<Record<string, Stateful>>;
  /** Whether states and generators must match the saved ones exactly (default true). */
  strict?: boolean;
}

/**
 * State shared by the resume code of both plugins: the generators' states to apply at the first batch, and where
 * the loop must start (checked, so that a loop that ignores the restored position fails instead of diverging).
 */
interface Resumer {
  source: string;
  pendingRng: readonly GeneratorState[] | null;
  expectEpoch: number | null;
  expectBatch: number;
  globalStep: number;
}

function newResumer(): Resumer {
  return { source: '', pendingRng: null, expectEpoch: null, expectBatch: 0, globalStep: 0 };
}

function runStates(ctx: TrainContext, extra: Readonly<Record<string, Stateful>>, self?: TrainPlugin & Stateful) {
  const plugins = [...contextPlugins(ctx)];
  if (self !== undefined && !plugins.includes(self)) plugins.push(self);
  const states: Record<string, Stateful> = statefulPlugins(plugins);
  for (const [key, stateful] of Object.entries(extra)) {
    if (Object.hasOwn(states, key) && states[key] !== stateful)
      throw new ValueError(
        `checkpoint: states[${JSON.stringify(key)}] has the name of a stateful plugin; choose another name`,
      );
    states[key] = stateful;
  }
  return states;
}

/**
 * Load `path` and restore the run from it: model, optimizer, plugin states, generators, history and position.
 * A mid-epoch checkpoint puts the generators at the epoch's start (so the data loader draws the same order) and
 * restores their saved states at the first batch the loop runs.
 */
function resumeRun(
  ctx: TrainContext,
  path: string,
  options: ResumeOptions,
  resumer: Resumer,
  self?: TrainPlugin & Stateful,
): Checkpoint {
  const ckpt = loadCheckpoint(path);
  const generators = options.generators ?? [];
  const states = runStates(ctx, options.states ?? {}, self);
  // The checkpoint plugin's own state (its best score) matters only to a run that keeps checkpointing.
  if (Object.hasOwn(ckpt.states, PLUGIN_NAME) && !Object.hasOwn(states, PLUGIN_NAME))
    states[PLUGIN_NAME] = { stateDict: () => null, loadStateDict: () => {} };
  restoreCheckpoint(
    ckpt,
    { model: ctx.model, optimizer: ctx.optimizer, generators, states },
    { source: path, strict: options.strict ?? true },
  );
  if (ckpt.epoch > ctx.epochs)
    throw new CheckpointError(
      `${path} was taken after epoch ${ckpt.epoch}, beyond the ${ctx.epochs} epochs of this run; raise epochs to continue`,
    );
  ctx.epoch = ckpt.epoch;
  ctx.batch = ckpt.batch;
  ctx.globalStep = ckpt.globalStep;
  ctx.history.splice(0, ctx.history.length, ...structuredClone([...ckpt.history]));
  if (ckpt.batch > 0 && ckpt.epochStartRng !== null) {
    ckpt.epochStartRng.forEach((state, i) => {
      if (i < generators.length) generators[i].setState(state);
    });
    resumer.pendingRng = ckpt.rng;
  }
  resumer.source = path;
  resumer.expectEpoch = ckpt.epoch;
  resumer.expectBatch = ckpt.batch;
  resumer.globalStep = ckpt.globalStep;
  return ckpt;
}

/** At the first epoch after resuming: fail clearly when the loop did not start where the checkpoint left off. */
function checkResumedEpoch(resumer: Resumer, ctx: TrainContext): void {
  if (resumer.expectEpoch === null) return;
  const expected = resumer.expectEpoch;
  resumer.expectEpoch = null;
  if (ctx.epoch !== expected)
    throw new CheckpointError(
      `${resumer.source} resumes at epoch ${expected}, but the training loop started epoch ${ctx.epoch}; ` +
        `pass initialEpoch: ${expected} and initialStep: ${resumer.globalStep} to fit`,
    );
}

/** At the first batch after resuming: apply the generators' saved states (after the loader drew its order). */
function applyPendingRng(resumer: Resumer, generators: readonly Generator[], ctx: TrainContext): void {
  if (resumer.expectBatch > 0) {
    const expected = resumer.expectBatch;
    resumer.expectBatch = 0;
    if (ctx.batch !== expected)
      throw new CheckpointError(
        `${resumer.source} was taken mid-epoch (after ${expected} batches of epoch ${ctx.epoch}), but the training ` +
          `loop started at batch ${ctx.batch}; this loop cannot skip the batches already run, so resume from an ` +
          'epoch checkpoint instead',
      );
  }
  if (resumer.pendingRng === null) return;
  resumer.pendingRng.forEach((state, i) => {
    if (i < generators.length) generators[i].setState(state);
  });
  resumer.pendingRng = null;
}

/**
 * A plugin that restores a run from a checkpoint file when training starts, before any step: the model, the
 * optimizer, every stateful plugin (by name), the given generators, the history and the position (epoch, batch
 * within it, global step). A checkpoint of a different model, or a corrupt file, fails with a `CheckpointError`
 * naming the path. Use the `resume` option of {@link checkpoint} to resume and keep saving in one plugin.
 *
 * @param path - the checkpoint file
 * @param options - `generators`, `states`, `strict`
 * @returns the plugin
 *
 * @example
 * ```ts
 * const gen = new Generator(0);
 * await fit({ model, data: new DataLoader(train, { batchSize: 32, shuffle: true, generator: gen }), loss, optimizer,
 *   epochs: 10, plugins: [resumeFrom('run/epoch-0004-step-00000200.safetensors', { generators: [gen] })] });
 * ```
 *
 * @see https://lightning.ai/docs/pytorch/stable/common/checkpointing_basic.html#resume-training-state
 */
export function resumeFrom(path: string, options: ResumeOptions = {}): TrainPlugin {
  if (typeof path !== 'string' || path === '')
    throw new ValueError(`resumeFrom: path must be a non-empty string, got ${JSON.stringify(path)}`);
  const resumer = newResumer();
  return {
    name: 'resumeFrom',
    trainStart(ctx) {
      resumeRun(ctx, path, options, resumer);
    },
    epochStart(ctx) {
      checkResumedEpoch(resumer, ctx);
    },
    batchStart(ctx) {
      applyPendingRng(resumer, options.generators ?? [], ctx);
    },
  };
}

/**
 * Options of {@link checkpoint}.
 *
 * @example
 * ```ts
 * const options: CheckpointOptions = { dir: 'runs/mnist', keepLast: 3, monitor: 'valAccuracy', saveBest: true };
 * ```
 */
export interface CheckpointOptions extends ResumeOptions {
  /** The directory of the checkpoints (created if needed). */
  dir: string;
  /** Save after every `every` epochs (default 1; 0 saves no epoch checkpoints). Default 0 when `everySteps` is given. */
  every?: number;
  /** Also save every `everySteps` optimizer steps, mid-epoch (default: never). */
  everySteps?: number;
  /** Keep only the newest `keepLast` periodic checkpoints, deleting older ones (default: keep all). */
  keepLast?: number;
  /** The epoch log to watch for `saveBest` (`'valLoss'`, `'valAccuracy'`, ...). */
  monitor?: string;
  /** Whether `monitor` should go down (`'min'`) or up (`'max'`); `'auto'` (default) picks max for accuracies. */
  mode?: 'min' | 'max' | 'auto';
  /** Write `best.safetensors` whenever `monitor` improves (default false; needs `monitor`). */
  saveBest?: boolean;
  /** Resume from the newest checkpoint of `dir` (`'latest'`, a fresh start when there is none) or from a file. */
  resume?: 'latest' | string | false;
  /** Allow a fresh run (not resuming) to write into a directory that already holds checkpoints (default false). */
  overwrite?: boolean;
  /** The file-system calls of the atomic writes (for tests that simulate a failing disk). */
  fs?: AtomicWriteFs;
}

/** What the {@link checkpoint} plugin itself saves in its checkpoints (so that resuming keeps the best score). */
interface CheckpointPluginState {
  best: number | null;
  bestEpoch: number | null;
}

function checkOptionCount(name: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min)
    throw new ValueError(`checkpoint: ${name} must be an integer >= ${min}, got ${JSON.stringify(value)}`);
  return value;
}

function autoMode(monitor: string): 'min' | 'max' {
  return /acc|auc|f1|precision|recall/i.test(monitor) ? 'max' : 'min';
}

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
 * batches run after resuming. The file is one safetensors file (see `encodeCheckpoint`); read it with
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
      { epoch, batch, globalStep: ctx.globalStep, history, epochStartRng },
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

    batchEnd(ctx) {
      if (everySteps === 0 || ctx.globalStep === lastSavedStep || ctx.globalStep % everySteps !== 0) return;
      lastSavedStep = ctx.globalStep;
      save(ctx, [join(dir, checkpointName(ctx.epoch, ctx.globalStep))], ctx.epoch, ctx.batch + 1);
      prune();
    },

    epochEnd(ctx) {
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
