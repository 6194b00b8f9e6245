// The state-dict machinery behind `Module.stateDict`, `Module.stateDictLegacyNames` and
// `Module.loadStateDict`: the options and result types, collecting the entries under dotted names,
// buffers' legacy names, and copying a state dict into a module's tensors. The methods stay on
// `Module`; they hand their private registries to the functions here.

import { checkOptions, copyKernel, isHalfDType, optionNames, resolveKernel, Tensor, ValueError } from '@nablajs/core';
import type { Module } from './module';
import { copyOf } from './parameter';
import { type ShapeMismatch, StateDictError } from './state-dict-error';

/** Options of {@link Module.loadStateDict}. */
export interface LoadStateDictOptions {
  /** Require the keys to match exactly (default true). Shape mismatches always throw. */
  strict?: boolean;
}

const LOAD_STATE_DICT_OPTIONS = optionNames<LoadStateDictOptions>({ strict: true });

/** What {@link Module.loadStateDict} reports: the keys that did not match (always empty with `strict`). */
export interface LoadStateDictResult {
  /** Names the module has but the state dict lacks (those tensors kept their values). */
  missingKeys: string[];
  /** Names in the state dict that the module does not have (ignored). */
  unexpectedKeys: string[];
}

/** Options of {@link Module.registerBuffer}. */
export interface BufferOptions {
  /** Whether the buffer is part of {@link Module.stateDict} (default true). */
  persistent?: boolean;
  /**
   * Older names of the buffer that {@link Module.loadStateDict} still accepts, in place of its name,
   * so that checkpoints saved before a rename keep loading (BatchNorm's `runningMean` before it became
   * PyTorch's `running_mean`). {@link Module.stateDict} writes only the current name.
   */
  legacyNames?: readonly string[];
}

/** The option names of {@link BufferOptions}, for `checkOptions`. */
export const BUFFER_OPTIONS = optionNames<BufferOptions>({ persistent: true, legacyNames: true });

/** What the functions here read of one module: its registries (private fields of {@link Module}). */
export interface StateRegistries {
  readonly parameters: ReadonlyMap<string, Tensor | null>;
  readonly buffers: ReadonlyMap<string, Tensor | null>;
  /** The buffers left out of the state dict. */
  readonly nonPersistent: ReadonlySet<string>;
  /** Legacy buffer name -> current name (see {@link BufferOptions.legacyNames}). */
  readonly legacyNames: ReadonlyMap<string, string>;
  readonly children: ReadonlyMap<string, Module | null>;
}

/** A module's registries, writable: what `parametrize.ts` moves tensors between (see `Module._registriesOf`). */
export interface ModuleRegistries extends StateRegistries {
  readonly parameters: Map<string, Tensor | null>;
  readonly buffers: Map<string, Tensor | null>;
  readonly nonPersistent: Set<string>;
  readonly legacyNames: Map<string, string>;
  readonly children: Map<string, Module | null>;
}

/** The registries of a module (given by {@link Module}, which alone can read them). */
export type RegistriesOf = (module: Module) => StateRegistries;

/** `prefix.name`, or `name` at the top (`prefix` empty). */
export function dottedName(prefix: string, name: string): string {
  return prefix === '' ? name : `${prefix}.${name}`;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * The legacy names of a buffer being registered as `name` ({@link BufferOptions.legacyNames}), checked:
 * an array of non-empty names without "." other than `name` itself.
 */
export function checkLegacyNames(
  owner: string,
  name: string,
  legacyNames: readonly string[] | undefined,
): readonly string[] {
  const legacy = legacyNames ?? [];
  if (!Array.isArray(legacy)) throw new ValueError(`${owner}.registerBuffer: legacyNames must be an array`);
  for (const old of legacy) {
    if (typeof old !== 'string' || old === '' || old.includes('.') || old === name)
      throw new ValueError(
        `${owner}.registerBuffer: legacyNames of ${JSON.stringify(name)} must be non-empty names without "." other than the name itself, got ${JSON.stringify(old)}`,
      );
  }
  return legacy;
}

/** Make `legacy` the legacy names of the buffer `name` in a module's legacy -> current map (dropping its old ones). */
export function setLegacyNames(map: Map<string, string>, name: string, legacy: readonly string[]): void {
  for (const [old, current] of map) if (current === name) map.delete(old);
  for (const old of legacy) map.set(old, name);
}

/**
 * Every state-dict entry as `[dottedName, the module's own tensor]`, shared tensors under every name;
 * with `legacy`, also each entry's legacy dotted names (legacy -> current).
 */
export function collectStateEntries(
  module: Module,
  registriesOf: RegistriesOf,
  prefix: string,
  out: Array<[string, Tensor]>,
  visiting: Set<Module>,
  legacy: Map<string, string> | null = null,
): void {
  if (visiting.has(module)) return;
  visiting.add(module);
  const own = registriesOf(module);
  for (const [name, t] of own.parameters) if (t !== null) out.push([dottedName(prefix, name), t]);
  for (const [name, t] of own.buffers)
    if (t !== null && !own.nonPersistent.has(name)) out.push([dottedName(prefix, name), t]);
  if (legacy !== null)
    // A dotted current name points below the module (weight norm's `weight_g` -> its parametrization's original0).
    for (const [old, name] of own.legacyNames)
      if (name.includes('.') || (own.buffers.get(name) != null && !own.nonPersistent.has(name)))
        legacy.set(dottedName(prefix, old), dottedName(prefix, name));
  for (const [name, child] of own.children)
    if (child !== null) collectStateEntries(child, registriesOf, dottedName(prefix, name), out, visiting, legacy);
  visiting.delete(module);
}

/** The entries of {@link collectStateEntries} from the top of a module, and its legacy names into `legacy`. */
export type StateEntries = (legacy: Map<string, string> | null) => Array<[string, Tensor]>;

/** The body of {@link Module.stateDict}: a copy of every entry, keyed by dotted names. */
export function copyStateEntries(entries: ReadonlyArray<[string, Tensor]>): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [name, t] of entries) out[name] = copyOf(t);
  return out;
}

/** The entries of a Map state dict (PyTorch's is an OrderedDict) as a record; every key must be a string. */
function recordOf(owner: string, map: ReadonlyMap<unknown, Tensor>): Record<string, Tensor> {
  const record: Record<string, Tensor> = Object.create(null);
  for (const [key, value] of map) {
    if (typeof key !== 'string')
      throw new ValueError(`${owner}.loadStateDict: a Map state dict needs string keys, got a ${typeof key} key`);
    record[key] = value;
  }
  return record;
}

/**
 * The body of {@link Module.loadStateDict}: check everything (throwing one {@link StateDictError}),
 * then copy the values into the module's own tensors. `owner` is the module's printed name.
 */
export function loadStateDictInto(
  owner: string,
  input: Readonly<Record<string, Tensor>> | ReadonlyMap<string, Tensor>,
  options: LoadStateDictOptions,
  stateEntries: StateEntries,
): LoadStateDictResult {
  checkOptions(`${owner}.loadStateDict`, options, LOAD_STATE_DICT_OPTIONS);
  const strict = options.strict ?? true;
  if (input === null || typeof input !== 'object')
    throw new ValueError(`${owner}.loadStateDict: stateDict must be an object or a Map of tensors`);
  const stateDict = input instanceof Map ? recordOf(owner, input) : (input as Readonly<Record<string, Tensor>>);
  const legacy = new Map<string, string>();
  const entries = stateEntries(legacy);
  const expected = new Map(entries);
  const given = Object.keys(stateDict);
  for (const key of given)
    if (!(stateDict[key] instanceof Tensor))
      throw new ValueError(`${owner}.loadStateDict: entry ${JSON.stringify(key)} is not a Tensor`);
  // The key each expected entry is read from: its own, or a legacy name of it when its own is absent.
  const sourceKeys = new Map<string, string>();
  for (const key of given) {
    const current = expected.has(key) ? key : legacy.get(key);
    if (current !== undefined && expected.has(current) && (current === key || !Object.hasOwn(stateDict, current)))
      sourceKeys.set(current, key);
  }
  const missingKeys = [...expected.keys()].filter((k) => !sourceKeys.has(k));
  const used = new Set(sourceKeys.values());
  const unexpectedKeys = given.filter((k) => !used.has(k));
  const shapeMismatches: ShapeMismatch[] = [];
  for (const [key, target] of expected) {
    const from = sourceKeys.get(key);
    if (from === undefined) continue;
    const source = stateDict[from];
    if (!sameShape(source.shape, target.shape))
      shapeMismatches.push({ key: from, expected: [...target.shape], got: [...source.shape] });
  }
  if (strict && missingKeys.length + unexpectedKeys.length + shapeMismatches.length > 0)
    throw new StateDictError(owner, missingKeys, unexpectedKeys, shapeMismatches);
  if (shapeMismatches.length > 0) throw new StateDictError(owner, [], [], shapeMismatches);
  for (const [key, target] of expected) {
    const from = sourceKeys.get(key);
    if (from === undefined) continue;
    const source = stateDict[from];
    if (source._array === target._array) continue;
    // The same dtype: the backend's copy kernel (on the webgpu backend, on the GPU when either is there).
    if (source.dtype === target.dtype) resolveKernel('copy', copyKernel)(source._array, target._array);
    // float16/bfloat16 hold bit patterns: convert (rounding to nearest even) rather than copy numbers.
    else if (isHalfDType(source.dtype) || isHalfDType(target.dtype))
      target.values.set(source.detach().to(target.dtype).values);
    else if (target.dtype === 'int32')
      for (let i = 0; i < target.size; i++) target.values[i] = Math.trunc(source.values[i]);
    else for (let i = 0; i < target.size; i++) target.values[i] = source.values[i];
    target.markModified();
  }
  return { missingKeys, unexpectedKeys };
}
