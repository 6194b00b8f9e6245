import { type DType, type Generator, type GeneratorState, NablaError, Tensor, ValueError } from '@nablajs/core';
import { loadSafetensors, saveSafetensors } from '@nablajs/nn';
import type { Optimizer, OptimizerStateDict } from '@nablajs/optim';
import type { Logs, Trainable, TrainContext, TrainPlugin } from './types';

/**
 * The value of `__metadata__.format` that marks a safetensors file as a nabla training checkpoint.
 *
 * @example
 * ```ts
 * loadSafetensors(bytes).metadata.format === CHECKPOINT_FORMAT; // true for a checkpoint
 * ```
 */
export const CHECKPOINT_FORMAT = 'nabla.checkpoint';

/**
 * The checkpoint format version this build writes and reads; a file with a newer version is rejected.
 *
 * @example
 * ```ts
 * decodeCheckpoint(bytes).version === CHECKPOINT_VERSION; // true
 * ```
 */
export const CHECKPOINT_VERSION = 1;

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
 * The optional stateful convention: anything with `stateDict()` and `loadStateDict(state)` whose state belongs in a
 * checkpoint. A training plugin that has both (an LR-scheduler plugin, early stopping, the checkpoint plugin itself)
 * is saved under its `name` and restored on resume; `@nablajs/optim` schedulers fit as they are. The state may hold
 * numbers (NaN and infinities included), strings, booleans, null, `Float32Array` / `Float64Array` / `Int32Array`,
 * tensors (restored as new tensors), and arrays and plain objects of those; `stateDict()` must return a snapshot,
 * not live buffers.
 *
 * Follows `state_dict()` / `load_state_dict()` of PyTorch's schedulers and Lightning's stateful callbacks.
 *
 * @example
 * ```ts
 * let seen = 0;
 * const counter: TrainPlugin & Stateful = {
 *   name: 'counter',
 *   batchEnd() { seen++; },
 *   stateDict: () => ({ seen }),
 *   loadStateDict: (state) => { seen = (state as { seen: number }).seen; },
 * };
 * ```
 *
 * @see https://lightning.ai/docs/pytorch/stable/extensions/callbacks_state.html
 */
export interface Stateful {
  /** A snapshot of the state as plain data. */
  stateDict(): unknown;
  /** Restore a snapshot taken by {@link Stateful.stateDict}. */
  loadStateDict(state: unknown): void;
}

/**
 * Whether `value` follows the {@link Stateful} convention (has `stateDict` and `loadStateDict` functions).
 *
 * @example
 * ```ts
 * isStateful(stepLR(opt, { stepSize: 10 })); // true
 * ```
 */
export function isStateful(value: unknown): value is Stateful {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<Stateful>;
  return typeof v.stateDict === 'function' && typeof v.loadStateDict === 'function';
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
}

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
  };
}

/**
 * A deep copy of a state (so that a checkpoint never aliases live buffers), checking that it holds only what a
 * checkpoint can store: plain objects, arrays, primitives, typed arrays and tensors.
 */
function copyState(value: unknown, path: string): unknown {
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

/**
 * `out[key] = value` as an own property for every key: assigning `__proto__` (a key JSON.parse keeps as an own
 * property, so a crafted checkpoint can hold it) would replace the object's prototype instead.
 */
function setOwn(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  else out[key] = value;
}

function checkTarget(fn: string, target: CheckpointTarget): void {
  if (target === null || typeof target !== 'object' || target.model === null || typeof target.model !== 'object')
    throw new ValueError(`${fn}: target must be an object with a model`);
  for (const [key, stateful] of Object.entries(target.states ?? {}))
    if (!isStateful(stateful))
      throw new ValueError(`${fn}: states[${JSON.stringify(key)}] has no stateDict() and loadStateDict() methods`);
}

function checkCount(fn: string, name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    throw new ValueError(`${fn}: ${name} must be a non-negative integer, got ${String(value)}`);
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
 * a different model fails with a {@link CheckpointError} listing the names and shapes that differ.
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

function showShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

function checkSignature(checkpoint: Checkpoint, model: Trainable, source: string): void {
  const mine = modelSignature(model);
  const theirs = new Map(checkpoint.signature.map((s) => [s.name, s]));
  const here = new Set(mine.map((s) => s.name));
  const problems: string[] = [];
  const missing = mine.filter((s) => !theirs.has(s.name)).map((s) => s.name);
  const unexpected = checkpoint.signature.filter((s) => !here.has(s.name)).map((s) => s.name);
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

/**
 * Collect the stateful plugins of a run by name (see {@link Stateful}), for {@link captureCheckpoint}. A name that
 * repeats gets its rank as a suffix (`lrScheduler`, `lrScheduler#2`, ...), so two plugins of one kind keep
 * separate states as long as the resumed run lists them in the same order (a scheduler refuses the state of
 * another kind, so a swap fails loudly). The same plugin object listed twice counts once.
 *
 * @param plugins - the run's plugins
 * @returns the stateful ones, by `name`
 *
 * @example
 * ```ts
 * statefulPlugins([progressBar(), earlyStopping({ monitor: 'valLoss' })]); // { earlyStopping: ... }
 * ```
 */
export function statefulPlugins(plugins: readonly TrainPlugin[]): Record<string, Stateful> {
  const out: Record<string, Stateful> = {};
  const seen = new Set<TrainPlugin>();
  const counts = new Map<string, number>();
  for (const plugin of plugins) {
    if (!isStateful(plugin) || seen.has(plugin)) continue;
    seen.add(plugin);
    const count = (counts.get(plugin.name) ?? 0) + 1;
    counts.set(plugin.name, count);
    out[count === 1 ? plugin.name : `${plugin.name}#${count}`] = plugin;
  }
  return out;
}

/**
 * The plugins of a run, when the loop exposes them on the context (`ctx.plugins`); an empty list otherwise.
 *
 * @internal
 *
 * @example
 * ```ts
 * const states = statefulPlugins(contextPlugins(ctx));
 * ```
 */
export function contextPlugins(ctx: TrainContext): readonly TrainPlugin[] {
  const plugins = (ctx as { plugins?: unknown }).plugins;
  return Array.isArray(plugins) ? (plugins as TrainPlugin[]) : [];
}

// ---- bytes ------------------------------------------------------------------------------------

const MODEL_PREFIX = 'model.';
const STATE_PREFIX = 'state.';
const MARK_NUMBER = 'nabla:number';
const MARK_TYPED = 'nabla:typed';
const MARK_ENCODED = 'nabla:encoded';
const MARK_TENSOR = 'nabla:tensor';
const TYPED_DTYPES: Record<string, DType> = { float32: 'float32', float64: 'float64', int32: 'int32' };
const METADATA_FIELDS = ['position', 'signature', 'optimizer', 'states', 'rng', 'history'] as const;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * The deepest nesting of arrays and objects a stored state may have. Real states are a few levels deep; the bound
 * keeps a crafted file from building values so deep that copying them (`structuredClone`, as resuming does)
 * overflows the stack.
 */
const MAX_STATE_DEPTH = 100;

/**
 * Turn a value into JSON-safe data, moving typed arrays (and the `{ $typed, data }` encoding of optimizer states)
 * into tensors so that they are stored as exact binary data.
 */
function pack(value: unknown, path: string, tensors: Map<string, Tensor>, depth = 0): Json {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return Number.isFinite(value) ? value : { [MARK_NUMBER]: String(value) };
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (value instanceof Float32Array || value instanceof Float64Array || value instanceof Int32Array)
    return { [MARK_TYPED]: addTensor(new Tensor(value.slice(), [value.length]), tensors) };
  if (value instanceof Tensor)
    return { [MARK_TENSOR]: addTensor(new Tensor(value.values.slice(), [...value.shape], value.dtype), tensors) };
  if (ArrayBuffer.isView(value))
    throw new CheckpointError(
      `encodeCheckpoint: ${path} is a ${value.constructor.name}; checkpoints store Float32Array, Float64Array and Int32Array`,
    );
  if (depth >= MAX_STATE_DEPTH && typeof value === 'object')
    throw new CheckpointError(
      `encodeCheckpoint: ${path} is nested deeper than ${MAX_STATE_DEPTH} levels, more than a checkpoint stores`,
    );
  if (Array.isArray(value)) return value.map((v, i) => pack(v, `${path}[${i}]`, tensors, depth + 1));
  if (typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const dtype = typeof obj.$typed === 'string' ? TYPED_DTYPES[obj.$typed] : undefined;
    if (dtype !== undefined && Array.isArray(obj.data) && Object.keys(obj).length === 2) {
      const data =
        dtype === 'float32'
          ? new Float32Array(obj.data)
          : dtype === 'float64'
            ? new Float64Array(obj.data)
            : new Int32Array(obj.data);
      return { [MARK_ENCODED]: addTensor(new Tensor(data, [data.length]), tensors) };
    }
    const proto = Object.getPrototypeOf(obj);
    if (proto !== Object.prototype && proto !== null)
      throw new CheckpointError(
        `encodeCheckpoint: ${path} is a ${obj.constructor?.name ?? 'class instance'}; states hold plain objects, ` +
          'arrays, numbers, strings, booleans, typed arrays and tensors',
      );
    const out: { [key: string]: Json } = {};
    for (const key of Object.keys(obj)) {
      if (key.startsWith('nabla:'))
        throw new CheckpointError(
          `encodeCheckpoint: ${path} has the key ${JSON.stringify(key)}; keys starting with "nabla:" are reserved`,
        );
      out[key] = pack(obj[key], `${path}.${key}`, tensors, depth + 1);
    }
    return out;
  }
  throw new CheckpointError(`encodeCheckpoint: ${path} is a ${typeof value}, which a checkpoint cannot store`);
}

function addTensor(tensor: Tensor, tensors: Map<string, Tensor>): string {
  const name = `${STATE_PREFIX}${tensors.size}`;
  tensors.set(name, tensor);
  return name;
}

/**
 * Undo {@link pack}. `used` holds the state tensors already referenced: `encodeCheckpoint` stores every array once,
 * so a second reference marks a crafted file, and refusing it keeps the decoded size proportional to the file's
 * (a few bytes of JSON repeating one reference would otherwise copy the tensor again and again).
 */
function unpack(
  value: unknown,
  tensors: Record<string, Tensor>,
  fail: (problem: string) => never,
  used: Set<string>,
  depth = 0,
): unknown {
  if (value === null || typeof value !== 'object') return value;
  const tooDeep = () => fail(`a state is nested deeper than ${MAX_STATE_DEPTH} levels`);
  if (Array.isArray(value)) {
    if (depth >= MAX_STATE_DEPTH) tooDeep();
    return value.map((v) => unpack(v, tensors, fail, used, depth + 1));
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (keys.length === 1 && keys[0] === MARK_NUMBER) {
    const text = obj[MARK_NUMBER];
    if (text !== 'NaN' && text !== 'Infinity' && text !== '-Infinity') fail(`bad non-finite number ${String(text)}`);
    return Number(text);
  }
  if (keys.length === 1 && (keys[0] === MARK_TYPED || keys[0] === MARK_ENCODED || keys[0] === MARK_TENSOR)) {
    const name = obj[keys[0]];
    if (typeof name !== 'string' || !Object.hasOwn(tensors, name) || !name.startsWith(STATE_PREFIX))
      fail(`a state refers to the missing tensor ${JSON.stringify(name)}`);
    if (used.has(name))
      fail(`the tensor ${JSON.stringify(name)} is referenced twice, but a checkpoint stores every array once`);
    used.add(name);
    const t = tensors[name];
    if (keys[0] === MARK_TYPED) return t.values.slice();
    if (keys[0] === MARK_TENSOR) return new Tensor(t.values.slice(), [...t.shape], t.dtype);
    return { $typed: t.dtype, data: Array.from(t.values) };
  }
  // Markers stand for values, which pack writes at any depth it accepts; other objects count as a level.
  if (depth >= MAX_STATE_DEPTH) tooDeep();
  const out: Record<string, unknown> = {};
  for (const key of keys) setOwn(out, key, unpack(obj[key], tensors, fail, used, depth + 1));
  return out;
}

/**
 * Serialise a checkpoint to the bytes of one safetensors file. The model's tensors are stored as `model.<name>`,
 * every typed array of the optimizer and plugin states as `state.<i>` (exact binary data); the `__metadata__` holds
 * `format` (`'nabla.checkpoint'`), `version`, JSON strings `position` (epoch, batch, globalStep), `signature`,
 * `optimizer`, `states`, `rng` (generator states, and those at the epoch's start) and `history`, and a CRC-32
 * `checksum` over all of them, so any safetensors reader can inspect the file and a damaged one is detected.
 *
 * @param checkpoint - from {@link captureCheckpoint}
 * @returns the file's bytes
 *
 * @example
 * ```ts
 * const bytes = encodeCheckpoint(captureCheckpoint({ model, optimizer }, { epoch: 1, globalStep: 40 }));
 * localStorage.setItem('ckpt', btoa(String.fromCharCode(...bytes))); // or a download, IndexedDB, a file
 * ```
 *
 * @see https://huggingface.co/docs/safetensors (the container)
 */
export function encodeCheckpoint(checkpoint: Checkpoint): Uint8Array {
  const tensors = new Map<string, Tensor>();
  for (const [name, t] of Object.entries(checkpoint.model)) tensors.set(`${MODEL_PREFIX}${name}`, t);
  const parts: Record<(typeof METADATA_FIELDS)[number], Json> = {
    position: { epoch: checkpoint.epoch, batch: checkpoint.batch, globalStep: checkpoint.globalStep },
    signature: checkpoint.signature.map((s) => ({ name: s.name, shape: [...s.shape], dtype: s.dtype })),
    optimizer: pack(checkpoint.optimizer, 'optimizer', tensors),
    states: pack(checkpoint.states, 'states', tensors),
    rng: pack({ current: checkpoint.rng, epochStart: checkpoint.epochStartRng }, 'rng', tensors),
    history: pack(checkpoint.history, 'history', tensors),
  };
  const metadata: Record<string, string> = { format: CHECKPOINT_FORMAT, version: String(CHECKPOINT_VERSION) };
  for (const field of METADATA_FIELDS) metadata[field] = JSON.stringify(parts[field]);
  metadata.checksum = checksum(metadata, tensors);
  return saveSafetensors(tensors, metadata);
}

/**
 * Parse the bytes of a checkpoint file written by {@link encodeCheckpoint}. Everything is validated: a truncated or
 * damaged file (the safetensors structure, the checksum, every JSON part), a safetensors file that is not a
 * checkpoint, and a newer format version throw a {@link CheckpointError} that names `source`.
 *
 * @param bytes - the whole file
 * @param source - the file's name for messages (default `'checkpoint'`)
 * @returns the checkpoint
 *
 * @example
 * ```ts
 * const ckpt = decodeCheckpoint(new Uint8Array(await (await fetch('ckpt.safetensors')).arrayBuffer()), 'ckpt.safetensors');
 * restoreCheckpoint(ckpt, { model, optimizer });
 * ```
 */
export function decodeCheckpoint(bytes: Uint8Array, source = 'checkpoint'): Checkpoint {
  const fail = (problem: string): never => {
    throw new CheckpointError(`${source} is not a readable checkpoint: ${problem}`);
  };
  let contents: ReturnType<typeof loadSafetensors>;
  try {
    contents = loadSafetensors(bytes);
  } catch (error) {
    return fail(`${error instanceof Error ? error.message : String(error)} (the file is truncated or corrupt)`);
  }
  const { tensors, metadata } = contents;
  if (metadata.format !== CHECKPOINT_FORMAT)
    fail(`it is a safetensors file without __metadata__.format = "${CHECKPOINT_FORMAT}" (plain weights?)`);
  const version = Number(metadata.version);
  if (!Number.isInteger(version) || version < 1) fail(`bad format version ${JSON.stringify(metadata.version)}`);
  if (version > CHECKPOINT_VERSION)
    fail(`format version ${version} is newer than this nabla reads (${CHECKPOINT_VERSION}); upgrade @nablajs/train`);
  for (const field of METADATA_FIELDS) if (typeof metadata[field] !== 'string') fail(`the metadata lacks "${field}"`);
  const expected = checksum(metadata, new Map(Object.entries(tensors)));
  if (metadata.checksum !== expected)
    fail(
      `checksum mismatch (stored ${JSON.stringify(metadata.checksum)}, computed "${expected}"): the file is corrupt`,
    );

  const parts: Record<string, unknown> = {};
  const used = new Set<string>();
  for (const field of METADATA_FIELDS) {
    try {
      parts[field] = unpack(JSON.parse(metadata[field]), tensors, fail, used);
    } catch (error) {
      if (error instanceof CheckpointError) throw error;
      fail(`the metadata field "${field}" is not valid JSON`);
    }
  }

  const position = parts.position as Record<string, unknown>;
  const count = (name: string): number => {
    const v = position?.[name];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) fail(`position.${name} is ${String(v)}`);
    return v as number;
  };
  const epoch = count('epoch');
  const batch = count('batch');
  const globalStep = count('globalStep');

  const signature = readSignature(parts.signature, fail);
  const model: Record<string, Tensor> = {};
  for (const s of signature) {
    const t = tensors[`${MODEL_PREFIX}${s.name}`];
    if (t === undefined) fail(`the signature names ${JSON.stringify(s.name)}, but the file has no tensor for it`);
    if (showShape(t.shape) !== showShape(s.shape) || t.dtype !== s.dtype)
      fail(`the tensor ${JSON.stringify(s.name)} does not match its signature`);
    model[s.name] = t;
  }
  const modelTensors = Object.keys(tensors).filter((k) => k.startsWith(MODEL_PREFIX));
  if (modelTensors.length !== signature.length) fail('the file has model tensors that its signature does not name');

  const optimizer = parts.optimizer as OptimizerStateDict | null;
  if (optimizer !== null && (typeof optimizer !== 'object' || typeof optimizer.name !== 'string'))
    fail('the optimizer state is malformed');
  const states = parts.states;
  if (states === null || typeof states !== 'object' || Array.isArray(states)) fail('the plugin states are malformed');
  const rng = parts.rng as { current?: unknown; epochStart?: unknown } | null;
  const current = readGeneratorStates(rng?.current, fail);
  const epochStart = rng?.epochStart === null ? null : readGeneratorStates(rng?.epochStart, fail);
  if (batch > 0 && (epochStart === null || epochStart.length !== current.length))
    fail(`a mid-epoch checkpoint (batch ${batch}) lacks the generators' states at the epoch's start`);
  const history = parts.history;
  if (!Array.isArray(history) || history.some((h) => h === null || typeof h !== 'object' || Array.isArray(h)))
    fail('the history is not a list of logs');

  return {
    version,
    epoch,
    batch,
    globalStep,
    signature,
    model,
    optimizer,
    states: states as Record<string, unknown>,
    rng: current,
    epochStartRng: epochStart,
    history: history as Logs[],
  };
}

function readSignature(value: unknown, fail: (problem: string) => never): TensorSignature[] {
  if (!Array.isArray(value)) fail('the signature is not a list');
  const seen = new Set<string>();
  return (value as unknown[]).map((entry, i) => {
    const e = entry as Partial<TensorSignature> | null;
    const ok =
      e !== null &&
      typeof e === 'object' &&
      typeof e.name === 'string' &&
      Array.isArray(e.shape) &&
      e.shape.every((d) => Number.isSafeInteger(d) && d >= 0) &&
      typeof e.dtype === 'string' &&
      Object.hasOwn(TYPED_DTYPES, e.dtype);
    if (!ok) fail(`signature entry ${i} is malformed`);
    if (seen.has(e!.name!)) fail(`the signature names ${JSON.stringify(e!.name)} twice`);
    seen.add(e!.name!);
    return { name: e!.name!, shape: [...e!.shape!], dtype: e!.dtype! };
  });
}

function readGeneratorStates(value: unknown, fail: (problem: string) => never): GeneratorState[] {
  if (!Array.isArray(value)) fail('the generator states are not a list');
  return (value as unknown[]).map((entry, i) => {
    const e = entry as Partial<GeneratorState> | null;
    const ok =
      e !== null &&
      typeof e === 'object' &&
      Array.isArray(e.s) &&
      e.s.length === 4 &&
      e.s.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff) &&
      (e.spareNormal === null || typeof e.spareNormal === 'number');
    if (!ok) fail(`generator state ${i} is malformed`);
    return { s: [e!.s![0], e!.s![1], e!.s![2], e!.s![3]], spareNormal: e!.spareNormal ?? null };
  });
}

// ---- checksum ---------------------------------------------------------------------------------

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32Update(crc: number, bytes: Uint8Array): number {
  let c = crc;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return c;
}

/** CRC-32 over the metadata (but the checksum itself) and every tensor's name, shape and bytes, in name order. */
function checksum(metadata: Record<string, string>, tensors: ReadonlyMap<string, Tensor>): string {
  const encoder = new TextEncoder();
  let crc = 0xffffffff;
  for (const key of Object.keys(metadata).sort()) {
    if (key === 'checksum') continue;
    crc = crc32Update(crc, encoder.encode(`${key}=${metadata[key]}\n`));
  }
  for (const name of [...tensors.keys()].sort()) {
    const t = tensors.get(name)!;
    crc = crc32Update(crc, encoder.encode(`${name}:${t.dtype}:${showShape(t.shape)}\n`));
    crc = crc32Update(crc, new Uint8Array(t.values.buffer, t.values.byteOffset, t.values.byteLength));
  }
  return ((crc ^ 0xffffffff) >>> 0).toString(16).padStart(8, '0');
}
