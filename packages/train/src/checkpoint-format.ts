import { type DType, type GeneratorState, Tensor } from '@nablajs/core';
import { loadSafetensors, saveSafetensors } from '@nablajs/nn';
import type { OptimizerStateDict } from '@nablajs/optim';
import { type Checkpoint, CheckpointError, type TensorSignature } from './checkpoint';
import type { Logs } from './types';

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
 * `out[key] = value` as an own property for every key: assigning `__proto__` (a key JSON.parse keeps as an own
 * property, so a crafted checkpoint can hold it) would replace the object's prototype instead.
 */
export function setOwn(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  else out[key] = value;
}

export function showShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
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
 * `format` (`'nabla.checkpoint'`), `version`, JSON strings `position` (epoch, batch, globalStep, and the epoch's
 * logs so far for a mid-epoch checkpoint), `signature`,
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
    position: {
      epoch: checkpoint.epoch,
      batch: checkpoint.batch,
      globalStep: checkpoint.globalStep,
      // Absent at an epoch boundary, so such files are byte for byte those of earlier versions.
      ...(checkpoint.epochLogs == null ? {} : { epochLogs: pack(checkpoint.epochLogs, 'epochLogs', tensors) }),
    },
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
  const epochLogs = position?.epochLogs ?? null;
  if (epochLogs !== null && (typeof epochLogs !== 'object' || Array.isArray(epochLogs)))
    fail('position.epochLogs is not a set of logs');

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
    epochLogs: epochLogs as Logs | null,
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
