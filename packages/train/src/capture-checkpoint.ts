import { checkOptions, optionNames, Tensor, ValueError } from '@nablajs/core';
import type { OptimizerStateDict } from '@nablajs/optim';
import {
  type Checkpoint,
  CheckpointError,
  type CheckpointPosition,
  type CheckpointTarget,
  type TensorSignature,
} from './checkpoint';
import { CHECKPOINT_VERSION, setOwn } from './checkpoint-format';
import { isStateful } from './stateful';
import type { Trainable } from './types';

/**
 * The signature of a model: the name, shape and dtype of every state-dict entry, in state-dict order. A model
 * without `stateDict` is described by its `parameters()`, named by index.
 *
 * @example
 * ```ts
 * modelSignature(new Linear(2, 3)); // [{ name: 'weight', shape: [3, 2], dtype: 'float32' }, { name: 'bias', ... }]
 * ```
 */
export function modelSignature(model: Trainable): TensorSignature[] {
  return Object.entries(modelState(model)).map(([name, t]) => ({ name, shape: [...t.shape], dtype: t.dtype }));
}

function modelState(model: Trainable): Record<string, Tensor> {
  if (typeof model.stateDict === 'function') return model.stateDict();
  const out: Record<string, Tensor> = {};
  model.parameters().forEach((p, i) => {
    out[String(i)] = new Tensor(p.values.slice(), [...p.shape], p.dtype);
  });
  return out;
}

const TARGET_FIELDS = optionNames<CheckpointTarget>({ model: true, optimizer: true, generators: true, states: true });
const POSITION_FIELDS = optionNames<CheckpointPosition>({
  epoch: true,
  batch: true,
  globalStep: true,
  history: true,
  epochStartRng: true,
  epochLogs: true,
});

/**
 * Take a checkpoint in memory: copies of the model's state, the optimizer's and every stateful object's state, the
 * generators' states, and the position. Works in any JavaScript runtime; {@link encodeCheckpoint} turns it into
 * bytes.
 *
 * @param target - the model, optimizer, generators and stateful objects to capture
 * @param position - the epoch and batch to resume at, the global step, and the history
 * @returns the checkpoint
 *
 * @example
 * ```ts
 * const ckpt = captureCheckpoint({ model, optimizer, generators: [gen] }, { epoch: 1, globalStep: 40 });
 * const bytes = encodeCheckpoint(ckpt); // store them anywhere (IndexedDB, a download, a file)
 * ```
 *
 * @see https://pytorch.org/tutorials/recipes/recipes/saving_and_loading_a_general_checkpoint.html
 */
export function captureCheckpoint(target: CheckpointTarget, position: CheckpointPosition): Checkpoint {
  checkTarget('captureCheckpoint', target);
  if (position === null || typeof position !== 'object')
    throw new ValueError('captureCheckpoint: position must be an object { epoch, globalStep, ... }');
  checkOptions('captureCheckpoint', position, POSITION_FIELDS, 'position field');
  const batch = position.batch ?? 0;
  checkCount('captureCheckpoint', 'position.epoch', position.epoch);
  checkCount('captureCheckpoint', 'position.batch', batch);
  checkCount('captureCheckpoint', 'position.globalStep', position.globalStep);
  const generators = target.generators ?? [];
  const epochStartRng = batch > 0 ? (position.epochStartRng ?? null) : null;
  if (batch > 0 && (epochStartRng === null || epochStartRng.length !== generators.length))
    throw new ValueError(
      `captureCheckpoint: a mid-epoch checkpoint (batch ${batch}) needs position.epochStartRng with one state per ` +
        `generator (${generators.length}), got ${epochStartRng === null ? 'none' : epochStartRng.length}`,
    );
  // NOTE: an optimizer with two points (Schedule-Free) is saved at its evaluation point, as its authors advise:
  // the model's parameters and the optimizer's state then describe the same moment, in eval mode, and a restored
  // run calls train() (fit does) to continue exactly where this one does after its own train().
  const optimizer = target.optimizer ?? null;
  const swap = optimizer !== null && optimizer.mode === 'train' && typeof optimizer.eval === 'function';
  if (swap) optimizer.eval?.();
  let model: ReturnType<typeof modelState>;
  let optimizerState: OptimizerStateDict | null;
  try {
    model = modelState(target.model);
    optimizerState = optimizer ? optimizer.stateDict() : null;
  } finally {
    if (swap) optimizer.train?.();
  }
  const states: Record<string, unknown> = {};
  for (const [key, stateful] of Object.entries(target.states ?? {}))
    states[key] = copyState(stateful.stateDict(), `states.${key}`);
  return {
    version: CHECKPOINT_VERSION,
    epoch: position.epoch,
    batch,
    globalStep: position.globalStep,
    signature: Object.entries(model).map(([name, t]) => ({ name, shape: [...t.shape], dtype: t.dtype })),
    model,
    optimizer: optimizerState,
    states,
    rng: generators.map((g) => g.getState()),
    epochStartRng: epochStartRng === null ? null : structuredClone([...epochStartRng]),
    history: structuredClone([...(position.history ?? [])]),
    epochLogs: batch > 0 && position.epochLogs != null ? { ...position.epochLogs } : null,
  };
}

/**
 * A deep copy of a state (so that a checkpoint never aliases live buffers), checking that it holds only what a
 * checkpoint can store: plain objects, arrays, primitives, typed arrays and tensors.
 */
export function copyState(value: unknown, path: string): unknown {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'function' || typeof value === 'symbol' || typeof value === 'bigint')
      throw new CheckpointError(`captureCheckpoint: ${path} is a ${typeof value}, which a checkpoint cannot store`);
    return value;
  }
  if (value instanceof Tensor) return new Tensor(value.values.slice(), [...value.shape], value.dtype);
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return (value as Uint8Array).slice();
  if (Array.isArray(value)) return value.map((v, i) => copyState(v, `${path}[${i}]`));
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null)
    throw new CheckpointError(
      `captureCheckpoint: ${path} is a ${value.constructor?.name ?? 'class instance'}; states hold plain objects, ` +
        'arrays, numbers, strings, booleans, typed arrays and tensors',
    );
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) setOwn(out, k, copyState(v, `${path}.${k}`));
  return out;
}

export function checkTarget(fn: string, target: CheckpointTarget): void {
  if (target === null || typeof target !== 'object' || target.model === null || typeof target.model !== 'object')
    throw new ValueError(`${fn}: target must be an object with a model`);
  checkOptions(fn, target, TARGET_FIELDS, 'target field');
  for (const [key, stateful] of Object.entries(target.states ?? {}))
    if (!isStateful(stateful))
      throw new ValueError(`${fn}: states[${JSON.stringify(key)}] has no stateDict() and loadStateDict() methods`);
}

function checkCount(fn: string, name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    throw new ValueError(`${fn}: ${name} must be a non-negative integer, got ${String(value)}`);
}
