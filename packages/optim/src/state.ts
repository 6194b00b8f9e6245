import { allocate, checkHostRead, type TypedArray, ValueError } from '@nablajs/core';
import type { Hyperparams, OptimizerStateDict, ParamGroup } from './types';

/** A typed array encoded by {@link encodeState}. */
export interface EncodedTypedArray {
  /** Which typed array: `float32`, `float64` or `int32`. */
  $typed: string;
  /** Its elements; a non-finite one as the string `'Infinity'`, `'-Infinity'` or `'NaN'` (JSON has no such numbers). */
  data: (number | string)[];
}

/** A non-finite number encoded by {@link encodeState}. */
export interface EncodedNumber {
  /** `'Infinity'`, `'-Infinity'` or `'NaN'`. */
  $number: string;
}

/** Rule state encoded as JSON-safe data by {@link encodeState}. */
export type Encoded =
  | null
  | boolean
  | number
  | string
  | EncodedTypedArray
  | EncodedNumber
  | Encoded[]
  | { [k: string]: Encoded };

/**
 * Encode rule state (numbers, booleans, strings, typed arrays, arrays and objects of those) as
 * JSON-safe data: typed arrays become `{ $typed, data }` (a non-finite element as the string `'Infinity'`,
 * `'-Infinity'` or `'NaN'`) and non-finite numbers `{ $number }`. Every number, finite or not, survives a JSON
 * round trip exactly, so a decoded state continues bit for bit.
 *
 * @example
 * ```ts
 * encodeState({ step: [3], m: [new Float64Array([0.1])] });
 * // { step: [3], m: [{ $typed: 'float64', data: [0.1] }] }
 * ```
 */
export function encodeState(value: unknown): Encoded {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return Number.isFinite(value) ? value : { $number: String(value) };
  if (typeof value === 'boolean' || typeof value === 'string') return value;
  if (value instanceof Float32Array || value instanceof Float64Array || value instanceof Int32Array)
    checkHostRead(value, 'encodeState (optimizer.stateDict(): on the webgpu backend, await syncWebGpuToHost() first)');
  if (value instanceof Float32Array) return { $typed: 'float32', data: Array.from(value, finiteOrName) };
  if (value instanceof Float64Array) return { $typed: 'float64', data: Array.from(value, finiteOrName) };
  if (value instanceof Int32Array) return { $typed: 'int32', data: Array.from(value) };
  if (Array.isArray(value)) return value.map(encodeState);
  if (typeof value === 'object') {
    const out: { [k: string]: Encoded } = {};
    for (const [k, v] of Object.entries(value)) out[k] = encodeState(v);
    return out;
  }
  throw new ValueError(`encodeState: cannot encode a value of type ${typeof value}`);
}

/** A finite number as it is, a non-finite one by its name (`JSON.stringify` would write `null`). */
function finiteOrName(v: number): number | string {
  return Number.isFinite(v) ? v : String(v);
}

const NON_FINITE: Readonly<Record<string, number>> = {
  Infinity: Number.POSITIVE_INFINITY,
  '-Infinity': Number.NEGATIVE_INFINITY,
  NaN: Number.NaN,
};

/** The elements of an encoded typed array; throws for anything but numbers and the names of non-finite ones. */
function decodeElements(kind: string, data: readonly unknown[]): number[] {
  return data.map((v, i) => {
    if (typeof v === 'number') return v;
    if (typeof v === 'string' && Object.hasOwn(NON_FINITE, v)) return NON_FINITE[v];
    throw new ValueError(
      `decodeState: element ${i} of a ${kind} array is ${JSON.stringify(v)}, not a number` +
        (v === null ? ' (JSON writes a non-finite number as null; a state saved so cannot be restored exactly)' : ''),
    );
  });
}

/**
 * Decode what {@link encodeState} produced, allocating fresh typed arrays.
 *
 * @example
 * ```ts
 * decodeState(JSON.parse(JSON.stringify(encodeState(state))));
 * ```
 */
export function decodeState(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(decodeState);
  const obj = value as Record<string, unknown>;
  if (typeof obj.$typed === 'string' && Array.isArray(obj.data)) {
    const data = decodeElements(obj.$typed, obj.data);
    if (obj.$typed === 'float32') return Float32Array.from(data);
    if (obj.$typed === 'float64') return Float64Array.from(data);
    if (obj.$typed === 'int32') return Int32Array.from(data);
    throw new ValueError(`decodeState: unknown typed array kind ${JSON.stringify(obj.$typed)}`);
  }
  if (typeof obj.$number === 'string' && Object.keys(obj).length === 1) return Number(obj.$number);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) out[k] = decodeState(v);
  return out;
}

function isTyped(v: unknown): v is TypedArray {
  return v instanceof Float32Array || v instanceof Float64Array || v instanceof Int32Array;
}

/**
 * Check that `incoming` has the structure of `current` (same keys, array lengths, typed array kinds
 * and lengths; `null` may stand for a buffer not yet allocated). Returns the first difference as a
 * path and a reason, or `null` when they match.
 *
 * @example
 * ```ts
 * stateMismatch([new Float64Array(2)], [new Float64Array(3)]); // '[0]: length 3, expected 2'
 * ```
 */
export function stateMismatch(current: unknown, incoming: unknown, path = ''): string | null {
  if (current === null || incoming === null) return null;
  if (isTyped(current)) {
    if (!isTyped(incoming)) return `${path || 'state'}: expected a typed array`;
    if (incoming.constructor !== current.constructor)
      return `${path || 'state'}: ${incoming.constructor.name}, expected ${current.constructor.name}`;
    if (incoming.length !== current.length)
      return `${path || 'state'}: length ${incoming.length}, expected ${current.length}`;
    return null;
  }
  if (Array.isArray(current)) {
    if (!Array.isArray(incoming)) return `${path || 'state'}: expected an array`;
    if (incoming.length !== current.length)
      return `${path || 'state'}: ${incoming.length} entries, expected ${current.length}`;
    for (let i = 0; i < current.length; i++) {
      const m = stateMismatch(current[i], incoming[i], `${path}[${i}]`);
      if (m !== null) return m;
    }
    return null;
  }
  if (typeof current === 'object') {
    if (typeof incoming !== 'object' || Array.isArray(incoming) || isTyped(incoming))
      return `${path || 'state'}: expected an object`;
    const a = Object.keys(current as object).sort();
    const b = Object.keys(incoming as object).sort();
    if (a.join() !== b.join()) return `${path || 'state'}: keys {${b.join(', ')}}, expected {${a.join(', ')}}`;
    for (const k of a) {
      const m = stateMismatch(
        (current as Record<string, unknown>)[k],
        (incoming as Record<string, unknown>)[k],
        `${path}.${k}`,
      );
      if (m !== null) return m;
    }
    return null;
  }
  if (typeof current !== typeof incoming)
    return `${path || 'state'}: a ${typeof incoming}, expected a ${typeof current}`;
  return null;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !isTyped(v);
}

/**
 * Put a decoded state (already checked against `current` by `stateMismatch`) into the current one:
 * typed arrays are copied into the arrays that exist (which `allocate()` made, in wasm memory where
 * the backend keeps them, so the fused kernels keep updating them in place), and arrays the current
 * state does not have yet come from `allocate()` too. Returns the restored state.
 */
export function restoreInto(current: unknown, incoming: unknown): unknown {
  if (isTyped(incoming)) {
    let target = current;
    if (!isTyped(target) || target.constructor !== incoming.constructor || target.length !== incoming.length) {
      const dtype =
        incoming instanceof Float32Array ? 'float32' : incoming instanceof Float64Array ? 'float64' : 'int32';
      target = allocate(dtype, incoming.length);
    }
    (target as TypedArray).set(incoming);
    return target;
  }
  if (Array.isArray(incoming) && Array.isArray(current) && current.length === incoming.length) {
    for (let i = 0; i < incoming.length; i++) current[i] = restoreInto(current[i], incoming[i]);
    return current;
  }
  if (isPlainObject(incoming) && isPlainObject(current)) {
    for (const key of Object.keys(incoming)) current[key] = restoreInto(current[key], incoming[key]);
    return current;
  }
  return incoming;
}

/** What {@link readStateDict} checks a state dict against: the optimizer it is loaded into. */
export interface StateDictTarget {
  name: string;
  paramGroups: readonly ParamGroup[];
  /** Each group's current state (the saved one must fit it). */
  states: readonly unknown[];
  /** Check group `i`'s saved hyperparameters (still encoded) and return the group's restored ones. */
  checkGroup(hp: Record<string, unknown>, i: number): Hyperparams;
}

/**
 * An optimizer's state dict, encoded for saving (`loadStateDict` reads it back): its name, each
 * group's hyperparameters with its parameters as running indices (as PyTorch numbers them), each group's
 * state, the state shared by the groups (when there is any) and the mode (for an optimizer that has one).
 * Hand-written optimizers use it to save what `defineOptimizer`'s optimizers save.
 *
 * @example
 * ```ts
 * const w = tensor([1, 2], { requiresGrad: true });
 * const sd = writeStateDict('myOpt', [{ params: [w], lr: 0.1 }], [{ step: 3 }], {}, undefined);
 * // { name: 'myOpt', paramGroups: [{ lr: 0.1, params: [0] }], state: [{ step: 3 }] }
 * ```
 */
export function writeStateDict(
  name: string,
  groups: readonly ParamGroup[],
  states: readonly unknown[],
  global: Record<string, unknown>,
  mode: 'train' | 'eval' | undefined,
): OptimizerStateDict {
  let index = 0;
  return {
    name,
    paramGroups: groups.map((g) => {
      const { params, ...hp } = g;
      return { ...(encodeState(hp) as Record<string, unknown>), params: params.map(() => index++) };
    }),
    state: states.map((s) => encodeState(s)),
    ...(Object.keys(global).length > 0 ? { global: encodeState(global) } : {}),
    ...(mode !== undefined ? { mode } : {}),
  };
}

/**
 * Check a state dict from `stateDict()` against the optimizer `target` (name, groups, sizes, every group's
 * hyperparameters and state, `global` and `mode`) and decode it, changing nothing: `fn` names the caller in
 * the errors. Returns each group's decoded state, its restored hyperparameters and the decoded `global`.
 */
export function readStateDict(
  fn: string,
  sd: OptimizerStateDict,
  target: StateDictTarget,
): { decoded: unknown[]; hps: Hyperparams[]; global: Record<string, unknown> } {
  if (sd === null || typeof sd !== 'object' || !Array.isArray(sd.paramGroups) || !Array.isArray(sd.state))
    throw new ValueError(`${fn}: expected an object from stateDict() with paramGroups and state`);
  if (sd.name !== target.name)
    throw new ValueError(
      `${fn}: the state is from optimizer ${JSON.stringify(sd.name)}, this one is ${JSON.stringify(target.name)}`,
    );
  if (sd.paramGroups.length !== target.paramGroups.length || sd.state.length !== target.states.length)
    throw new ValueError(
      `${fn}: the state has ${sd.paramGroups.length} parameter groups, this optimizer has ${target.paramGroups.length}`,
    );
  const decoded = sd.state.map(decodeState);
  const hps: Hyperparams[] = [];
  sd.paramGroups.forEach((g, i) => {
    const count = target.paramGroups[i].params.length;
    if (!Array.isArray(g.params) || g.params.length !== count)
      throw new ValueError(
        `${fn}: group ${i} of the state has ${Array.isArray(g.params) ? g.params.length : 'no'} parameters, this optimizer's has ${count}`,
      );
    const { params: _ignored, ...hp } = g;
    hps.push(target.checkGroup(hp, i));
    const mismatch = stateMismatch(target.states[i], decoded[i]);
    if (mismatch !== null)
      throw new ValueError(`${fn}: group ${i}: the saved state does not fit these parameters (${mismatch})`);
  });
  const global = sd.global === undefined ? {} : decodeState(sd.global);
  if (global === null || typeof global !== 'object' || Array.isArray(global))
    throw new ValueError(`${fn}: global must be an object, got ${JSON.stringify(sd.global)}`);
  if (sd.mode !== undefined && sd.mode !== 'train' && sd.mode !== 'eval')
    throw new ValueError(`${fn}: mode must be 'train' or 'eval', got ${JSON.stringify(sd.mode)}`);
  return { decoded, hps, global: global as Record<string, unknown> };
}
