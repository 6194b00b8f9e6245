import type { Tensor } from '@nablajs/core';
import { checkOptions } from '@nablajs/core';
import { checkTarget, copyState, modelSignature } from './capture-checkpoint';
import { type Checkpoint, CheckpointError, type CheckpointTarget } from './checkpoint';
import { showShape } from './checkpoint-format';
import type { Trainable } from './types';

function loadModelState(model: Trainable, state: Record<string, Tensor>): void {
  if (typeof model.loadStateDict === 'function') {
    model.loadStateDict(state);
    return;
  }
  model.parameters().forEach((p, i) => {
    p.values.set(state[String(i)].values);
    p.markModified();
  });
}

/** Options of {@link restoreCheckpoint}. */
export interface RestoreCheckpointOptions {
  /** What to call the checkpoint in messages (its path); default `'checkpoint'`. */
  source?: string;
  /**
   * Whether the states and generators must match exactly (default true): a stateful object or generator without
   * a saved state, or a saved state nobody takes, is an error. With false, they are skipped.
   */
  strict?: boolean;
}

/**
 * Restore a checkpoint into a model, optimizer, generators and stateful objects, all or nothing: everything is
 * checked first (the model's signature, the optimizer's name and shapes, the generators, the states), and if
 * loading any part still fails, the parts already loaded are put back before the error is thrown. A checkpoint of
 * a different model fails with a {@link CheckpointError} listing the names and shapes that differ. Saved names
 * the model still accepts as legacy names (`stateDictLegacyNames`: BatchNorm's `runningMean`, `runningVar` and
 * `numBatchesTracked`, saved before `@nablajs/nn` took PyTorch's `running_mean`, ...) count as their current names.
 *
 * @param checkpoint - from {@link captureCheckpoint} or {@link decodeCheckpoint}
 * @param target - fresh objects built like the saved ones
 * @param options - `source` (the name in messages), `strict`
 *
 * @example
 * ```ts
 * const model = buildModel();
 * const optimizer = adam(model.parameters(), { lr: 1e-3 });
 * restoreCheckpoint(decodeCheckpoint(bytes), { model, optimizer, generators: [gen] });
 * ```
 *
 * @see https://pytorch.org/tutorials/recipes/recipes/saving_and_loading_a_general_checkpoint.html
 */
export function restoreCheckpoint(
  checkpoint: Checkpoint,
  target: CheckpointTarget,
  options: RestoreCheckpointOptions = {},
): void {
  checkOptions('restoreCheckpoint', options, ['source', 'strict']);
  const source = options.source ?? 'checkpoint';
  const strict = options.strict ?? true;
  checkTarget('restoreCheckpoint', target);
  checkSignature(checkpoint, target.model, source);

  const optimizer = target.optimizer ?? null;
  if (optimizer !== null && checkpoint.optimizer === null)
    throw new CheckpointError(`${source} holds no optimizer state, but an optimizer (${optimizer.name}) was given`);
  if (optimizer !== null && checkpoint.optimizer !== null && checkpoint.optimizer.name !== optimizer.name)
    throw new CheckpointError(
      `${source} holds the state of optimizer ${JSON.stringify(checkpoint.optimizer.name)}, ` +
        `but the optimizer given is ${JSON.stringify(optimizer.name)}`,
    );

  const generators = target.generators ?? [];
  if (strict ? generators.length !== checkpoint.rng.length : generators.length > checkpoint.rng.length)
    throw new CheckpointError(
      `${source} holds the states of ${checkpoint.rng.length} generators, but ${generators.length} were given`,
    );

  const states = target.states ?? {};
  const wanted = Object.keys(states);
  const saved = Object.keys(checkpoint.states);
  const missing = wanted.filter((k) => !Object.hasOwn(checkpoint.states, k));
  const unexpected = saved.filter((k) => !Object.hasOwn(states, k));
  if (strict && (missing.length > 0 || unexpected.length > 0)) {
    const parts: string[] = [];
    if (missing.length > 0) parts.push(`no saved state for ${names(missing)}`);
    if (unexpected.length > 0) parts.push(`saved states nobody takes: ${names(unexpected)}`);
    throw new CheckpointError(
      `${source} does not match the stateful plugins of this run: ${parts.join('; ')} ` +
        '(pass the same plugins, schedulers and names as the saved run, or strict: false)',
    );
  }

  // Everything that can be checked up front is; a loader may still refuse a state, so keep a way back.
  const undo: (() => void)[] = [];
  try {
    if (optimizer !== null && checkpoint.optimizer !== null) {
      const before = optimizer.stateDict();
      optimizer.loadStateDict(structuredClone(checkpoint.optimizer));
      undo.push(() => optimizer.loadStateDict(before));
    }
    for (const key of wanted) {
      if (!Object.hasOwn(checkpoint.states, key)) continue;
      const stateful = states[key];
      const before = stateful.stateDict();
      stateful.loadStateDict(copyState(checkpoint.states[key], `states.${key}`));
      undo.push(() => stateful.loadStateDict(before));
    }
    generators.forEach((g, i) => {
      const before = g.getState();
      g.setState(checkpoint.rng[i]);
      undo.push(() => g.setState(before));
    });
    loadModelState(target.model, checkpoint.model);
  } catch (error) {
    for (const fn of undo.reverse()) fn();
    const reason = error instanceof Error ? error.message : String(error);
    throw new CheckpointError(`${source} could not be restored (nothing was changed): ${reason}`);
  }
}

function names(keys: readonly string[]): string {
  return keys.map((k) => JSON.stringify(k)).join(', ');
}

/**
 * The checkpoint's signature with every legacy name the model still accepts (BatchNorm's `runningMean`, saved
 * before nn took PyTorch's `running_mean`) under its current name, unless the checkpoint also has that name.
 */
function currentNames(checkpoint: Checkpoint, model: Trainable): Checkpoint['signature'] {
  const legacy = typeof model.stateDictLegacyNames === 'function' ? model.stateDictLegacyNames() : {};
  const saved = new Set(checkpoint.signature.map((s) => s.name));
  return checkpoint.signature.map((s) => {
    const current = Object.hasOwn(legacy, s.name) ? legacy[s.name] : undefined;
    return current !== undefined && !saved.has(current) ? { ...s, name: current } : s;
  });
}

function checkSignature(checkpoint: Checkpoint, model: Trainable, source: string): void {
  const mine = modelSignature(model);
  const signature = currentNames(checkpoint, model);
  const theirs = new Map(signature.map((s) => [s.name, s]));
  const here = new Set(mine.map((s) => s.name));
  const problems: string[] = [];
  const missing = mine.filter((s) => !theirs.has(s.name)).map((s) => s.name);
  const unexpected = signature.filter((s) => !here.has(s.name)).map((s) => s.name);
  if (missing.length > 0) problems.push(`the checkpoint lacks ${names(missing)}`);
  if (unexpected.length > 0) problems.push(`the model lacks ${names(unexpected)}`);
  for (const s of mine) {
    const t = theirs.get(s.name);
    if (t === undefined) continue;
    if (showShape(t.shape) !== showShape(s.shape))
      problems.push(
        `${JSON.stringify(s.name)} has shape ${showShape(t.shape)} in the checkpoint, ${showShape(s.shape)} in the model`,
      );
    else if (t.dtype !== s.dtype)
      problems.push(`${JSON.stringify(s.name)} is ${t.dtype} in the checkpoint, ${s.dtype} in the model`);
  }
  if (problems.length > 0)
    throw new CheckpointError(`${source} was saved from a different model: ${problems.join('; ')}`);
}
