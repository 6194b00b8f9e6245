// Parametrizations, like torch.nn.utils.parametrize: a module's parameter (or buffer) `weight` is replaced by
// a computed value, `module.weight = f(original)`, recomputed on every read. The original tensor moves to
// `module.parametrizations.get('weight').original` (a registered parameter, so parameters(), stateDict() and
// the optimizer see it under PyTorch's dotted name `parametrizations.weight.original`), and each own field of
// the module that held the tensor becomes an accessor that runs the parametrizations.
//
// PyTorch swaps the module's class for a subclass with a property; here the accessor is an own, non-enumerable
// property of the instance, so that the class, its repr and the check for unregistered fields stay as they were.

import { CaptureError, checkOptions, isCapturing, optionNames, Tensor, ValueError } from '@nablajs/core';
import { Module } from './module';
import { ModuleDict } from './module-dict';
import { ParametrizationList } from './parametrization-list';

/**
 * A parametrization: a module whose `forward` maps the original tensor (or, when its `rightInverse` returns
 * several tensors, all of them) to the value the host module reads. An optional `rightInverse` maps a value
 * back to the original tensor(s): it sets the original at registration and on assignment.
 *
 * @example
 * ```ts
 * class Symmetric extends Module {
 *   forward(x: Tensor): Tensor {
 *     return add(triu(x), transpose(triu(x, 1), 0, 1));
 *   }
 *   rightInverse(a: Tensor): Tensor {
 *     return triu(a);
 *   }
 * }
 * ```
 */
export type Parametrization = Module & {
  /** Map a value of the parametrized tensor back to the original tensor(s); the identity when absent. */
  rightInverse?(value: Tensor): Tensor | readonly Tensor[];
};

/** Options of {@link registerParametrization}. */
export interface RegisterParametrizationOptions {
  /**
   * Skip the consistency checks (the parametrization keeps the tensor's shape and dtype, and its
   * `rightInverse` returns the original's dtype); needed by a parametrization that changes the shape
   * (default false).
   */
  unsafe?: boolean;
}

/** Options of {@link removeParametrizations}. */
export interface RemoveParametrizationsOptions {
  /**
   * Keep the tensor's current parametrized value (default true); with false, restore the original tensor
   * (possible only when the parametrization has one original).
   */
  leaveParametrized?: boolean;
}

const REGISTER_OPTIONS = optionNames<RegisterParametrizationOptions>({ unsafe: true });
const REMOVE_OPTIONS = optionNames<RemoveParametrizationsOptions>({ leaveParametrized: true });

interface Injected {
  /** The names of the module's own fields that held the tensor and now run the parametrizations. */
  readonly fields: readonly string[];
  /** Whether the tensor's registered name was none of `fields` (an accessor was added under it). */
  readonly addedName: boolean;
  /** Whether the tensor was a buffer (else a parameter), and whether a persistent one. */
  readonly buffer: boolean;
  readonly persistent: boolean;
}

/** Per module: the parametrized names and how their accessors were installed. */
const injected = new WeakMap<Module, Map<string, Injected>>();

let cacheDepth = 0;
const cache = new Map<Module, Map<string, Tensor>>();

/**
 * Run `fn` with the parametrized tensors cached: each is computed the first time it is read inside `fn` and
 * that value is reused until `fn` returns (the outermost call, when nested), like PyTorch's
 * `torch.nn.utils.parametrize.cached()` context manager. Use it around a forward pass that reads a
 * parametrized weight several times (an RNN cell's recurrent weight, tied weights). `fn` must be synchronous.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.utils.parametrize.cached.html
 *
 * @example
 * ```ts
 * const out = parametrize.cached(() => model.forward(x)); // each parametrized weight computed once
 * ```
 */
export function cached<T>(fn: () => T): T {
  if (typeof fn !== 'function') throw new ValueError('parametrize.cached: fn must be a function');
  cacheDepth++;
  try {
    const result = fn();
    if (result !== null && typeof (result as { then?: unknown })?.then === 'function')
      throw new ValueError(
        'parametrize.cached: fn returned a Promise; the cache lasts only while fn runs, so fn must be synchronous',
      );
    return result;
  } finally {
    cacheDepth--;
    if (cacheDepth === 0) cache.clear();
  }
}

/** The `parametrizations` ModuleDict of `module`, or null when none of its tensors is parametrized. */
function dictOf(module: Module): ModuleDict | null {
  const child = Module._registriesOf(module).children.get('parametrizations');
  return injected.has(module) && child instanceof ModuleDict ? child : null;
}

/**
 * The parametrizations of `module`'s tensors, by tensor name (PyTorch's `module.parametrizations`), or null when
 * none is parametrized. `parametrizationsOf(m)?.get('weight')` is the {@link ParametrizationList} of `weight`.
 *
 * @example
 * ```ts
 * parametrizations.spectralNorm(linear);
 * parametrize.parametrizationsOf(linear)?.get('weight').original; // the unnormalised weight
 * ```
 */
export function parametrizationsOf(module: Module): ModuleDict | null {
  checkModule('parametrizationsOf', module);
  return dictOf(module);
}

/**
 * Whether `module` has a parametrized tensor called `name`, or, without `name`, any parametrized tensor, like
 * PyTorch's `torch.nn.utils.parametrize.is_parametrized`.
 *
 * @example
 * ```ts
 * parametrize.isParametrized(linear, 'weight'); // false
 * parametrizations.weightNorm(linear);
 * parametrize.isParametrized(linear, 'weight'); // true
 * ```
 */
export function isParametrized(module: Module, name?: string): boolean {
  checkModule('isParametrized', module);
  const names = injected.get(module);
  if (names === undefined) return false;
  return name === undefined ? names.size > 0 : names.has(name);
}

function checkModule(fn: string, module: unknown): asserts module is Module {
  if (!(module instanceof Module))
    throw new ValueError(`parametrize.${fn}: module must be a Module, got ${module === null ? 'null' : typeof module}`);
}

/** The registered list of `name` on `module` (which is parametrized). */
function listOf(module: Module, name: string): ParametrizationList {
  return (dictOf(module) as ModuleDict).get(name) as ParametrizationList;
}

/** The parametrized value of `module[name]`, from the cache inside {@link cached}. */
function parametrizedValue(module: Module, name: string): Tensor {
  const list = listOf(module, name);
  if (cacheDepth === 0) return list.forward();
  let own = cache.get(module);
  if (own === undefined) {
    own = new Map();
    cache.set(module, own);
  }
  let value = own.get(name);
  if (value === undefined) {
    value = list.forward();
    own.set(name, value);
  }
  return value;
}

/** A place below `value` (arrays, plain objects, Maps and Sets, two levels) that holds `tensor`, as a path. */
function hiddenReference(value: unknown, tensor: Tensor, depth: number): string | null {
  if (depth > 2 || value === null || typeof value !== 'object' || value instanceof Module || value instanceof Tensor)
    return null;
  let entries: Iterable<[string, unknown]>;
  if (value instanceof Map) entries = Array.from(value, ([k, v]) => [String(k), v] as [string, unknown]);
  else if (value instanceof Set) entries = Array.from(value, (v, i) => [String(i), v] as [string, unknown]);
  else {
    const proto = Object.getPrototypeOf(value);
    if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) return null;
    entries = Object.entries(value);
  }
  for (const [key, inner] of entries) {
    if (inner === tensor) return key;
    const deeper = hiddenReference(inner, tensor, depth + 1);
    if (deeper !== null) return `${key}.${deeper}`;
  }
  return null;
}

/** The own data fields of `module` holding `tensor` (throws when the tensor also sits inside a field's value). */
function fieldsHolding(fn: string, module: Module, name: string, tensor: Tensor): string[] {
  const fields: string[] = [];
  // The module's own registries hold every tensor it registered: they are what the parametrization rewrites.
  const registries = new Set<unknown>(Object.values(Module._registriesOf(module)));
  for (const key of Object.keys(module)) {
    const desc = Object.getOwnPropertyDescriptor(module, key);
    if (desc === undefined || !('value' in desc) || registries.has(desc.value)) continue;
    if (desc.value === tensor) {
      fields.push(key);
      continue;
    }
    const path = hiddenReference(desc.value, tensor, 1);
    if (path !== null)
      throw new ValueError(
        `${fn}: ${module.constructor.name} keeps ${JSON.stringify(name)} inside its field ${JSON.stringify(`${key}.${path}`)}, where a parametrization cannot reach it (its forward would still read the original tensor); only tensors held in fields of their own can be parametrized`,
      );
  }
  return fields;
}

function defineAccessor(module: Module, key: string, name: string, enumerable: boolean): void {
  Object.defineProperty(module, key, {
    configurable: true,
    enumerable,
    get: () => parametrizedValue(module, name),
    set: (value: unknown) => listOf(module, name).rightInverse(value as Tensor),
  });
}

/**
 * Parametrize `module`'s parameter or buffer `name`: from now on, reading `module[name]` (and every own field
 * of the module that held that tensor) returns `parametrization.forward(original)`, computed on each read with
 * gradients flowing to the original, like PyTorch's `torch.nn.utils.parametrize.register_parametrization`.
 * The original moves to `parametrizationsOf(module).get(name)`, registered under PyTorch's names
 * (`parametrizations.<name>.original`, or `original0`, `original1`, ... when `rightInverse` returns several
 * tensors), so `parameters()`, `stateDict()` and checkpoints match PyTorch's. Registering on a name that is
 * already parametrized appends to its chain. Assigning to `module[name]` runs the `rightInverse`s backwards
 * and writes the result into the original(s).
 *
 * When `rightInverse` (absent: the identity) returns one tensor of the original's shape, its values are
 * written into the original tensor, which stays the same object, so an optimizer built before keeps
 * working; when it returns several tensors (or one of another shape), they are new tensors and the
 * optimizer must be built again (as in PyTorch). The parametrization takes the module's training mode.
 * Unless `unsafe`, the parametrization must keep the tensor's shape and dtype (checked by running it once).
 *
 * A tensor the module keeps inside an array or an object (the weights of the recurrent layers) cannot be
 * parametrized: that is an error rather than a parametrization its forward would never see.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.utils.parametrize.register_parametrization.html
 *
 * @example
 * ```ts
 * const linear = new Linear(5, 5);
 * parametrize.registerParametrization(linear, 'weight', new Symmetric());
 * allClose(linear.weight, transpose(linear.weight, 0, 1)); // true
 * linear.namedParameters().map(([n]) => n); // ['bias', 'parametrizations.weight.original']
 * ```
 */
export function registerParametrization<M extends Module>(
  module: M,
  name: string,
  parametrization: Parametrization,
  options: RegisterParametrizationOptions = {},
): M {
  const fn = 'registerParametrization';
  checkModule(fn, module);
  if (!(parametrization instanceof Module))
    throw new ValueError(
      `${fn}: parametrization must be a Module, got ${parametrization === null ? 'null' : typeof parametrization}`,
    );
  checkOptions(fn, options, REGISTER_OPTIONS);
  const unsafe = options.unsafe ?? false;
  if (typeof unsafe !== 'boolean') throw new ValueError(`${fn}: unsafe must be a boolean, got ${String(unsafe)}`);
  if (typeof name !== 'string' || name === '')
    throw new ValueError(`${fn}: name must be a non-empty string, got ${JSON.stringify(name)}`);
  if (parametrization === module) throw new ValueError(`${fn}: a module cannot parametrize its own tensor`);
  if (isCapturing())
    throw new CaptureError(`${fn}: cannot change a module's parametrizations while capture() records a step`);
  const fullName = `${fn} of ${module.constructor.name}.${name}`;

  if (isParametrized(module, name)) {
    const list = listOf(module, name);
    parametrization.train(module.training);
    if (!unsafe) list.checkAppended(fullName, parametrization);
    list.append(parametrization, unsafe);
    cache.get(module)?.delete(name);
    return module;
  }

  const regs = Module._registriesOf(module);
  const buffer = regs.buffers.has(name);
  const original = buffer ? regs.buffers.get(name) : regs.parameters.get(name);
  if (original === undefined || original === null)
    throw new ValueError(
      `${fn}: ${module.constructor.name} has no parameter, buffer or parametrized tensor called ${JSON.stringify(name)}${original === null ? ' (it is registered as null)' : ''}`,
    );
  const dict = regs.children.get('parametrizations');
  if (!injected.has(module) && (dict !== undefined || Object.hasOwn(module, 'parametrizations')))
    throw new ValueError(
      `${fn}: ${module.constructor.name} already has a child or field called "parametrizations", where its parametrizations would go`,
    );
  const fields = fieldsHolding(fn, module, name, original);
  parametrization.train(module.training);
  // Everything that can fail runs before the module changes: the list computes the original(s) and checks.
  const list = new ParametrizationList(fullName, parametrization, original, !buffer, unsafe);

  const persistent = !regs.nonPersistent.has(name);
  if (buffer) regs.buffers.delete(name);
  else regs.parameters.delete(name);
  regs.nonPersistent.delete(name);
  let names = injected.get(module);
  if (names === undefined) {
    names = new Map();
    injected.set(module, names);
    const created = module.registerModule('parametrizations', new ModuleDict());
    Object.defineProperty(module, 'parametrizations', {
      configurable: true,
      enumerable: true,
      writable: false,
      value: created,
    });
  }
  (dictOf(module) as ModuleDict).set(name, list);
  const addedName = !fields.includes(name);
  names.set(name, { fields, addedName, buffer, persistent });
  for (const key of fields) defineAccessor(module, key, name, false);
  if (addedName) defineAccessor(module, name, name, false);
  return module;
}

/**
 * Remove the parametrizations of `module[name]`, like PyTorch's `torch.nn.utils.parametrize.remove_parametrizations`:
 * the tensor becomes a plain parameter (or buffer) again, holding its current parametrized value
 * (`leaveParametrized`, the default) or the original. With one original of the same shape, the original
 * tensor object is kept and takes the value, so an optimizer holding it keeps working.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.utils.parametrize.remove_parametrizations.html
 *
 * @example
 * ```ts
 * parametrizations.weightNorm(linear);
 * parametrize.removeParametrizations(linear, 'weight'); // linear.weight is a plain parameter again
 * ```
 */
export function removeParametrizations<M extends Module>(
  module: M,
  name: string,
  options: RemoveParametrizationsOptions = {},
): M {
  const fn = 'removeParametrizations';
  checkModule(fn, module);
  checkOptions(fn, options, REMOVE_OPTIONS);
  const leave = options.leaveParametrized ?? true;
  if (typeof leave !== 'boolean')
    throw new ValueError(`${fn}: leaveParametrized must be a boolean, got ${String(leave)}`);
  if (!isParametrized(module, name))
    throw new ValueError(`${fn}: ${module.constructor.name} has no parametrization on ${JSON.stringify(name)}`);
  if (isCapturing())
    throw new CaptureError(`${fn}: cannot change a module's parametrizations while capture() records a step`);
  const list = listOf(module, name);
  const restored = list.restore(`${fn} of ${module.constructor.name}.${name}`, leave);

  const info = (injected.get(module) as Map<string, Injected>).get(name) as Injected;
  const regs = Module._registriesOf(module);
  const dict = dictOf(module) as ModuleDict;
  dict.delete(name);
  cache.get(module)?.delete(name);
  for (const [old, current] of [...regs.legacyNames])
    if (current.startsWith(`parametrizations.${name}.`)) regs.legacyNames.delete(old);
  for (const key of info.fields)
    Object.defineProperty(module, key, { configurable: true, enumerable: true, writable: true, value: restored });
  if (info.addedName) delete (module as unknown as Record<string, unknown>)[name];
  if (info.buffer) {
    regs.buffers.set(name, restored);
    if (!info.persistent) regs.nonPersistent.add(name);
  } else module.registerParameter(name, restored);
  const names = injected.get(module) as Map<string, Injected>;
  names.delete(name);
  if (names.size === 0) {
    injected.delete(module);
    regs.children.delete('parametrizations');
    delete (module as unknown as Record<string, unknown>).parametrizations;
  }
  return module;
}

/**
 * Make `legacy` (a name of `module`'s own, such as weight norm's `weight_g`) load into `current` (a dotted name
 * below the module) in {@link Module.loadStateDict}, as PyTorch's compatibility hooks do for checkpoints saved
 * before a parametrization existed.
 *
 * @internal
 */
export function addLegacyName(module: Module, legacy: string, current: string): void {
  Module._registriesOf(module).legacyNames.set(legacy, current);
}
