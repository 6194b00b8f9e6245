import { checkOptions, type Generator, type GeneratorState, optionNames, ValueError } from '@nablajs/core';
import { type Checkpoint, CheckpointError } from './checkpoint';
import { restoreCheckpoint } from './restore-checkpoint';
import { loadCheckpoint } from './save-checkpoint';
import { contextPlugins, type Stateful, statefulPlugins } from './stateful';
import type { TrainContext, TrainPlugin } from './types';

export const PLUGIN_NAME = 'checkpoint';

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

const RESUME_OPTIONS = optionNames<ResumeOptions>({ generators: true, states: true, strict: true });

/**
 * State shared by the resume code of both plugins: the generators' states to apply at the first batch, and where
 * the loop must start (checked, so that a loop that ignores the restored position fails instead of diverging).
 */
export interface Resumer {
  source: string;
  /** The checkpoint's epoch (the one it resumes in). */
  epoch: number;
  pendingRng: readonly GeneratorState[] | null;
  expectEpoch: number | null;
  expectBatch: number;
  globalStep: number;
}

export function newResumer(): Resumer {
  return { source: '', epoch: 0, pendingRng: null, expectEpoch: null, expectBatch: 0, globalStep: 0 };
}

export function runStates(ctx: TrainContext, extra: Readonly<Record<string, Stateful>>, self?: TrainPlugin & Stateful) {
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
export function resumeRun(
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
  // The epoch's logs so far: the loop logs the epoch with them when no batch of it is left to run.
  if (ckpt.batch > 0 && ckpt.epochLogs !== null) ctx.epochLogs = { ...ckpt.epochLogs };
  if (ckpt.batch > 0 && ckpt.epochStartRng !== null) {
    ckpt.epochStartRng.forEach((state, i) => {
      if (i < generators.length) generators[i].setState(state);
    });
    resumer.pendingRng = ckpt.rng;
  }
  resumer.source = path;
  resumer.epoch = ckpt.epoch;
  resumer.expectEpoch = ckpt.epoch;
  resumer.expectBatch = ckpt.batch;
  resumer.globalStep = ckpt.globalStep;
  return ckpt;
}
/** At the first epoch after resuming: fail clearly when the loop did not start where the checkpoint left off. */
export function checkResumedEpoch(resumer: Resumer, ctx: TrainContext): void {
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
export function applyPendingRng(resumer: Resumer, generators: readonly Generator[], ctx: TrainContext): void {
  if (resumer.expectBatch > 0) {
    const expected = resumer.expectBatch;
    resumer.expectBatch = 0;
    if (ctx.batch !== expected || ctx.epoch !== resumer.epoch)
      throw new CheckpointError(
        `${resumer.source} was taken mid-epoch (after ${expected} batches of epoch ${resumer.epoch}), but the ` +
          `training loop's first batch was batch ${ctx.batch} of epoch ${ctx.epoch}; resume with a loop that skips ` +
          'the batches already run (as fit does: it continues at ctx.batch), or from an epoch checkpoint',
      );
  }
  if (resumer.pendingRng === null) return;
  resumer.pendingRng.forEach((state, i) => {
    if (i < generators.length) generators[i].setState(state);
  });
  resumer.pendingRng = null;
}

/**
 * At the resumed epoch's validation or end, when no batch of it ran: the checkpoint was taken after the epoch's last
 * batch, so the loop only drew (and skipped) its batches; apply the generators' saved states now, as the first batch
 * would have.
 */
export function finishSkippedEpoch(resumer: Resumer, generators: readonly Generator[], ctx: TrainContext): void {
  if (resumer.expectBatch === 0) return;
  const expected = resumer.expectBatch;
  resumer.expectBatch = 0;
  if (ctx.epoch !== resumer.epoch || ctx.batch + 1 !== expected)
    throw new CheckpointError(
      `${resumer.source} was taken after ${expected} batches of epoch ${resumer.epoch}, but the training loop ` +
        `ended epoch ${ctx.epoch} after batch ${ctx.batch} without running one; were the data changed?`,
    );
  applyPendingRng(resumer, generators, ctx);
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
  checkOptions('resumeFrom', options, RESUME_OPTIONS);
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
    validationStart(ctx) {
      finishSkippedEpoch(resumer, options.generators ?? [], ctx);
    },
    epochEnd(ctx) {
      finishSkippedEpoch(resumer, options.generators ?? [], ctx);
    },
  };
}
