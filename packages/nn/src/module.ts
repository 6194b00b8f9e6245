import {
  AutogradError,
  checkOptions,
  copyKernel,
  DTYPES,
  type DType,
  DTypeError,
  isFloatingDType,
  isHalfDType,
  optionNames,
  resolveKernel,
  Tensor,
  ValueError,
} from '@nablajs/core';
import { hostValuesOrNull, newArrayLike } from './host-values';
import { type ShapeMismatch, StateDictError } from './state-dict-error';

/**
 * A forward hook: sees a module's inputs and output after each `forward` call and may return a
 * replacement output (`undefined` keeps it).
 */
export type ForwardHook<M extends Module = Module> = (
  module: M,
  inputs: Parameters<M['forward']>,
  output: ReturnType<M['forward']>,
) => ReturnType<M['forward']> | undefined;

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

const BUFFER_OPTIONS = optionNames<BufferOptions>({ persistent: true, legacyNames: true });

/**
 * Make a trainable parameter from `value`, like `torch.nn.Parameter`: a new leaf tensor holding a
 * copy of the values (the caller's tensor is not touched) that requires gradients.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.parameter.Parameter.html
 *
 * @example
 * ```ts
 * class Scale extends Module {
 *   readonly s = this.registerParameter('s', parameter(ones([1])));
 *   forward(x: Tensor): Tensor { return x.mul(this.s); }
 * }
 * ```
 */
export function parameter(value: Tensor, requiresGrad = true): Tensor {
  if (!(value instanceof Tensor)) throw new ValueError('parameter: value must be a Tensor');
  if (requiresGrad && !isFloatingDType(value.dtype))
    throw new DTypeError(`parameter: only float32 and float64 tensors can be trainable parameters, got ${value.dtype}`);
  const t = copyOf(value);
  if (requiresGrad) t.requiresGrad = true;
  return t;
}

/** A new tensor holding a copy of `t`'s values: on the host, or by the backend's copy kernel where they are on the GPU. */
function copyOf(t: Tensor): Tensor {
  const values = hostValuesOrNull(t);
  if (values !== null) return new Tensor(values.slice(), t.shape, t.dtype);
  const copy = newArrayLike(t);
  resolveKernel('copy', copyKernel)(t._array, copy);
  return new Tensor(copy, t.shape, t.dtype);
}

function join(prefix: string, name: string): string {
  return prefix === '' ? name : `${prefix}.${name}`;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

interface HookState {
  hooks: ForwardHook<Module>[];
  /** The own `forward` property the instance had before the wrapper was installed, if any. */
  ownForward: PropertyDescriptor | undefined;
}

/**
 * The base class of every layer and model, like `torch.nn.Module`: it holds parameters, buffers and
 * child modules registered by name, and gives them stable dotted names (`'net.0.weight'`).
 *
 * Subclasses implement `forward` and are invoked as `module.forward(x)`. (A JavaScript class instance
 * cannot be made callable like PyTorch's `model(x)` without a Proxy, which would slow every call and
 * confuse debuggers, so `forward` is the one way in.) Forward hooks work by installing, on the
 * instance, an own-property `forward` wrapper that calls the class's `forward` and then the hooks; it
 * is removed again with the last hook, so a module without hooks pays nothing.
 *
 * Registration is explicit and returns the value, which keeps TypeScript field types:
 * `this.weight = this.registerParameter('weight', t)`, `this.registerBuffer(...)`,
 * `this.registerModule(...)`. Names are kept in registration order.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.Module.html
 *
 * @example
 * ```ts
 * class Mlp extends Module {
 *   readonly net = this.registerModule('net', new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 3)));
 *   forward(x: Tensor): Tensor {
 *     return this.net.forward(x);
 *   }
 * }
 * const model = new Mlp();
 * model.namedParameters().map(([name]) => name); // ['net.0.weight', 'net.0.bias', 'net.2.weight', 'net.2.bias']
 * const y = model.forward(randn([2, 4])); // shape [2, 3]
 * ```
 */
export abstract class Module {
  /** Whether the module is in training mode (see {@link Module.train} and {@link Module.eval}). */
  training = true;
  private readonly parameterMap = new Map<string, Tensor | null>();
  private readonly bufferMap = new Map<string, Tensor | null>();
  private readonly nonPersistent = new Set<string>();
  /** Legacy buffer name -> current name (see {@link BufferOptions.legacyNames}). */
  private readonly legacyNames = new Map<string, string>();
  private readonly moduleMap = new Map<string, Module | null>();
  private hookState: HookState | null = null;

  /** Compute the module's output. Call it directly: `module.forward(x)`. */
  abstract forward(...inputs: unknown[]): unknown;

  // ---- registration ----------------------------------------------------------------------------

  private checkName(fn: string, name: string, own: Map<string, unknown>): void {
    if (typeof name !== 'string' || name === '')
      throw new ValueError(`${this.typeName()}.${fn}: name must be a non-empty string, got ${JSON.stringify(name)}`);
    if (name.includes('.'))
      throw new ValueError(`${this.typeName()}.${fn}: name must not contain ".", got ${JSON.stringify(name)}`);
    if (name === '__proto__') throw new ValueError(`${this.typeName()}.${fn}: "__proto__" is not a valid name`);
    for (const [kind, map] of [
      ['parameter', this.parameterMap],
      ['buffer', this.bufferMap],
      ['submodule', this.moduleMap],
    ] as const)
      if (map !== own && map.has(name))
        throw new ValueError(`${this.typeName()}.${fn}: ${JSON.stringify(name)} is already registered as a ${kind}`);
  }

  /**
   * Register `tensor` as a parameter called `name` and return it. The tensor itself is kept (not
   * copied) and made to require gradients; it must be a float leaf. `null` registers an absent
   * parameter (a Linear without bias), which is skipped by {@link Module.parameters} and
   * {@link Module.stateDict}. Registering the same name again replaces the parameter.
   *
   * See https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.register_parameter
   *
   * @example
   * ```ts
   * this.weight = this.registerParameter('weight', zeros([outFeatures, inFeatures]));
   * ```
   */
  registerParameter(name: string, tensor: Tensor): Tensor;
  registerParameter(name: string, tensor: null): null;
  registerParameter(name: string, tensor: Tensor | null): Tensor | null;
  registerParameter(name: string, tensor: Tensor | null): Tensor | null {
    this.checkName('registerParameter', name, this.parameterMap);
    if (tensor !== null) {
      if (!(tensor instanceof Tensor))
        throw new ValueError(
          `${this.typeName()}.registerParameter: parameter ${JSON.stringify(name)} must be a Tensor or null`,
        );
      if (!isFloatingDType(tensor.dtype))
        throw new DTypeError(
          `${this.typeName()}.registerParameter: parameter ${JSON.stringify(name)} must be float32 or float64, got ${tensor.dtype}`,
        );
      if (!tensor.isLeaf)
        throw new AutogradError(
          `${this.typeName()}.registerParameter: parameter ${JSON.stringify(name)} must be a leaf tensor (it was computed by an op); use parameter(t) or t.detach()`,
        );
      tensor.requiresGrad = true;
    }
    this.parameterMap.set(name, tensor);
    return tensor;
  }

  /**
   * Register `tensor` as a buffer called `name` (state that is not trained, such as BatchNorm's running
   * mean) and return it. Persistent buffers (the default) appear in {@link Module.stateDict}.
   *
   * See https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.register_buffer
   *
   * @example
   * ```ts
   * this.runningMean = this.registerBuffer('running_mean', zeros([numFeatures]));
   * this.scale = this.registerBuffer('scale', ones([1]), { legacyNames: ['oldScale'] }); // loads 'oldScale' too
   * ```
   */
  registerBuffer(name: string, tensor: Tensor, options?: BufferOptions): Tensor;
  registerBuffer(name: string, tensor: null, options?: BufferOptions): null;
  registerBuffer(name: string, tensor: Tensor | null, options?: BufferOptions): Tensor | null;
  registerBuffer(name: string, tensor: Tensor | null, options: BufferOptions = {}): Tensor | null {
    checkOptions(`${this.typeName()}.registerBuffer`, options, BUFFER_OPTIONS);
    this.checkName('registerBuffer', name, this.bufferMap);
    if (tensor !== null && !(tensor instanceof Tensor))
      throw new ValueError(
        `${this.typeName()}.registerBuffer: buffer ${JSON.stringify(name)} must be a Tensor or null`,
      );
    const legacy = options.legacyNames ?? [];
    if (!Array.isArray(legacy)) throw new ValueError(`${this.typeName()}.registerBuffer: legacyNames must be an array`);
    for (const old of legacy) {
      if (typeof old !== 'string' || old === '' || old.includes('.') || old === name)
        throw new ValueError(
          `${this.typeName()}.registerBuffer: legacyNames of ${JSON.stringify(name)} must be non-empty names without "." other than the name itself, got ${JSON.stringify(old)}`,
        );
    }
    this.bufferMap.set(name, tensor);
    if (options.persistent === false) this.nonPersistent.add(name);
    else this.nonPersistent.delete(name);
    for (const [old, current] of this.legacyNames) if (current === name) this.legacyNames.delete(old);
    for (const old of legacy) this.legacyNames.set(old, name);
    return tensor;
  }

  /**
   * Register `module` as a child called `name` and return it. Its parameters then appear under
   * `name.` in {@link Module.namedParameters} and {@link Module.stateDict}.
   *
   * See https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.register_module
   *
   * @example
   * ```ts
   * this.encoder = this.registerModule('encoder', new Linear(784, 64));
   * ```
   */
  registerModule<M extends Module>(name: string, module: M): M;
  registerModule(name: string, module: null): null;
  registerModule<M extends Module>(name: string, module: M | null): M | null;
  registerModule<M extends Module>(name: string, module: M | null): M | null {
    this.checkName('registerModule', name, this.moduleMap);
    if (module !== null && !(module instanceof Module))
      throw new ValueError(`${this.typeName()}.registerModule: child ${JSON.stringify(name)} must be a Module or null`);
    if ((module as Module | null) === this)
      throw new ValueError(`${this.typeName()}.registerModule: a module cannot be its own child`);
    this.moduleMap.set(name, module);
    return module;
  }

  /** Remove a registered child (used by containers). Returns whether it was there. */
  protected unregisterModule(name: string): boolean {
    return this.moduleMap.delete(name);
  }

  // ---- traversal -------------------------------------------------------------------------------

  /**
   * This module and every module below it, each once, as `[dottedName, module]` pairs in registration
   * order (this module first, named `prefix`).
   *
   * @example
   * ```ts
   * model.namedModules().map(([name]) => name); // ['', 'net', 'net.0', 'net.1', 'net.2']
   * ```
   */
  namedModules(prefix = ''): Array<[string, Module]> {
    const out: Array<[string, Module]> = [];
    const seen = new Set<Module>();
    const visit = (m: Module, name: string): void => {
      if (seen.has(m)) return;
      seen.add(m);
      out.push([name, m]);
      for (const [childName, child] of m.moduleMap) if (child !== null) visit(child, join(name, childName));
    };
    visit(this, prefix);
    return out;
  }

  /**
   * This module and every module below it, each once (see {@link Module.namedModules}).
   *
   * @example
   * ```ts
   * model.modules().filter((m) => m instanceof Linear).length;
   * ```
   */
  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  /**
   * The direct children, each once, as `[name, module]` pairs in registration order.
   *
   * @example
   * ```ts
   * new Sequential(new Linear(2, 2), new ReLU()).namedChildren().map(([n]) => n); // ['0', '1']
   * ```
   */
  namedChildren(): Array<[string, Module]> {
    const out: Array<[string, Module]> = [];
    const seen = new Set<Module>();
    for (const [name, child] of this.moduleMap)
      if (child !== null && !seen.has(child)) {
        seen.add(child);
        out.push([name, child]);
      }
    return out;
  }

  /**
   * The direct children, each once.
   *
   * @example
   * ```ts
   * model.children().length;
   * ```
   */
  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  private namedTensors(which: 'parameterMap' | 'bufferMap', prefix: string, recurse: boolean): Array<[string, Tensor]> {
    const out: Array<[string, Tensor]> = [];
    const seen = new Set<Tensor>();
    const owners: Array<[string, Module]> = recurse ? this.namedModules(prefix) : [[prefix, this]];
    for (const [moduleName, m] of owners)
      for (const [name, t] of m[which])
        if (t !== null && !seen.has(t)) {
          seen.add(t);
          out.push([join(moduleName, name), t]);
        }
    return out;
  }

  /**
   * Every parameter, each once (shared ones under their first name), as `[dottedName, tensor]` pairs:
   * this module's own in registration order, then each child's under `childName.`.
   *
   * See https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.named_parameters
   *
   * @example
   * ```ts
   * new Linear(2, 3).namedParameters().map(([n, p]) => [n, p.shape]); // [['weight', [3, 2]], ['bias', [3]]]
   * ```
   */
  namedParameters(prefix = '', recurse = true): Array<[string, Tensor]> {
    return this.namedTensors('parameterMap', prefix, recurse);
  }

  /**
   * Every parameter, each once, in the order of {@link Module.namedParameters} (what an optimizer takes).
   *
   * @example
   * ```ts
   * const opt = sgd(model.parameters(), { lr: 0.1 });
   * ```
   */
  parameters(recurse = true): Tensor[] {
    return this.namedParameters('', recurse).map(([, t]) => t);
  }

  /**
   * Every buffer, each once, as `[dottedName, tensor]` pairs (BatchNorm's `running_mean`, ...).
   *
   * @example
   * ```ts
   * new BatchNorm1d(4).namedBuffers().map(([n]) => n); // ['running_mean', 'running_var', 'num_batches_tracked']
   * ```
   */
  namedBuffers(prefix = '', recurse = true): Array<[string, Tensor]> {
    return this.namedTensors('bufferMap', prefix, recurse);
  }

  /**
   * Every buffer, each once (see {@link Module.namedBuffers}).
   *
   * @example
   * ```ts
   * model.buffers().length;
   * ```
   */
  buffers(recurse = true): Tensor[] {
    return this.namedBuffers('', recurse).map(([, t]) => t);
  }

  /**
   * The module at a dotted path below this one (`''` is this module), like PyTorch's `get_submodule`.
   *
   * @example
   * ```ts
   * model.getSubmodule('net.0'); // the first Linear
   * ```
   */
  getSubmodule(target: string): Module {
    if (target === '') return this;
    let m: Module = this;
    for (const part of target.split('.')) {
      const child = m.moduleMap.get(part);
      if (child === undefined || child === null)
        throw new ValueError(
          `${this.typeName()}.getSubmodule: ${m.typeName()} has no submodule ${JSON.stringify(part)} (path ${JSON.stringify(target)})`,
        );
      m = child;
    }
    return m;
  }

  // ---- modes and gradients ---------------------------------------------------------------------

  /**
   * Set training mode on this module and every module below it, like PyTorch's `train(mode)`; returns this.
   * It changes Dropout (active only in training) and BatchNorm (batch statistics vs running statistics).
   *
   * @example
   * ```ts
   * model.train(); // before a training epoch
   * ```
   */
  train(mode = true): this {
    if (typeof mode !== 'boolean')
      throw new ValueError(`${this.typeName()}.train: mode must be a boolean, got ${mode}`);
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  /**
   * Set evaluation mode, the same as `train(false)`; returns this.
   *
   * @example
   * ```ts
   * model.eval(); const y = noGrad(() => model.forward(x));
   * ```
   */
  eval(): this {
    return this.train(false);
  }

  /**
   * Clear the gradient of every parameter (set it to `null`, like PyTorch's default `set_to_none=True`).
   *
   * @example
   * ```ts
   * model.zeroGrad(); loss.backward();
   * ```
   */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  /**
   * Freeze (`false`) or unfreeze (`true`) every parameter of this module and its children by setting
   * their `requiresGrad`, like PyTorch's `Module.requires_grad_`; returns this.
   *
   * @example
   * ```ts
   * model.getSubmodule('encoder').requiresGrad_(false); // fine-tune only the rest
   * ```
   */
  requiresGrad_(flag = true): this {
    for (const p of this.parameters()) p.requiresGrad = flag;
    return this;
  }

  /**
   * Convert every floating-point parameter and buffer of this module and its children to `dtype`
   * (`float32`, `float64`, `float16` or `bfloat16`), like PyTorch's `Module.to(dtype)`; integer buffers
   * (`num_batches_tracked`) are kept. Returns this.
   *
   * A tensor already of `dtype` is kept as it is. Otherwise, since a nabla tensor's dtype is fixed, the
   * converted tensor is a NEW Tensor object (PyTorch instead swaps `param.data` and keeps the object):
   * it replaces the old one in {@link Module.parameters}, {@link Module.buffers}, the state dict, and
   * wherever the module's own fields hold the old tensor (`layer.weight`, and plain objects and arrays
   * under its fields, such as an RNN's per-layer weights); a module's own floating `dtype` field (RNNs,
   * attention) is set to `dtype`. It keeps `requiresGrad`, and a gradient is
   * converted too (as PyTorch does); a tensor shared by several modules stays shared. Optimizers built
   * before `to()` still hold the old tensors: build them after converting. Converting to a half dtype
   * rounds to nearest even (see the core `DType`).
   *
   * See https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.to
   *
   * @example
   * ```ts
   * const model = new Linear(4, 2).to('bfloat16');
   * model.weight.dtype; // 'bfloat16'
   * model.forward(x.to('bfloat16')); // computed in float32, rounded to bfloat16
   * ```
   */
  to(dtype: DType): this {
    if (!DTYPES.includes(dtype) || !isFloatingDType(dtype))
      throw new DTypeError(
        `${this.typeName()}.to: dtype must be one of float32, float64, float16, bfloat16, got ${JSON.stringify(dtype)}`,
      );
    const replaced = new Map<Tensor, Tensor>(); // shared, so that tied weights stay tied
    for (const module of this.modules()) module.convertOwn(dtype, replaced);
    return this;
  }

  /** Convert this module's own floating parameters and buffers to `dtype` (see {@link Module.to}). */
  private convertOwn(dtype: DType, replaced: Map<Tensor, Tensor>): void {
    for (const map of [this.parameterMap, this.bufferMap]) {
      for (const [name, t] of map) {
        if (t === null || t.dtype === dtype || !isFloatingDType(t.dtype)) continue;
        let fresh = replaced.get(t);
        if (fresh === undefined) {
          fresh = t.detach().to(dtype);
          if (t.requiresGrad) fresh.requiresGrad = true;
          const grad = t.grad;
          if (grad !== null) fresh.grad = grad.detach().to(dtype);
          replaced.set(t, fresh);
        }
        map.set(name, fresh);
      }
    }
    if (replaced.size > 0) replaceReferences(this, replaced, new Set(), 0);
    // Layers that record their parameters' dtype (RNNs, attention) check inputs against it.
    const fields = this as unknown as Record<string, unknown>;
    const own = Object.getOwnPropertyDescriptor(this, 'dtype');
    if (own?.writable && typeof fields.dtype === 'string' && isFloatingDType(fields.dtype as DType))
      fields.dtype = dtype;
  }

  /**
   * Call `fn` on every child module (recursively, children first) and then on this one, like PyTorch's
   * `apply`; returns this. Typically used to initialise weights.
   *
   * @example
   * ```ts
   * model.apply((m) => { if (m instanceof Linear) init.xavierUniform(m.weight); });
   * ```
   */
  apply(fn: (module: Module) => void): this {
    for (const child of this.children()) child.apply(fn);
    fn(this);
    return this;
  }

  // ---- hooks -----------------------------------------------------------------------------------

  /**
   * Call `hook(module, inputs, output)` after every `forward` of this module; a hook that returns a
   * value replaces the output. Returns a function that removes the hook.
   *
   * See https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.register_forward_hook
   *
   * @example
   * ```ts
   * const remove = layer.registerForwardHook((m, [x], y) => { console.log(y.shape); });
   * model.forward(x);
   * remove();
   * ```
   */
  registerForwardHook(hook: ForwardHook<this>): () => void {
    if (typeof hook !== 'function')
      throw new ValueError(`${this.typeName()}.registerForwardHook: hook must be a function`);
    if (this.hookState === null) {
      const ownForward = Object.getOwnPropertyDescriptor(this, 'forward');
      const state: HookState = { hooks: [], ownForward };
      const inner = this.forward;
      const wrapper = (...inputs: unknown[]): unknown => {
        let output = inner.apply(this, inputs);
        for (const h of [...state.hooks]) {
          const replaced = h(this, inputs, output);
          if (replaced !== undefined) output = replaced;
        }
        return output;
      };
      Object.defineProperty(this, 'forward', { value: wrapper, writable: true, configurable: true, enumerable: false });
      this.hookState = state;
    }
    const state = this.hookState;
    const entry = hook as unknown as ForwardHook<Module>;
    state.hooks.push(entry);
    return () => {
      const i = state.hooks.indexOf(entry);
      if (i < 0) return;
      state.hooks.splice(i, 1);
      if (state.hooks.length === 0 && this.hookState === state) {
        if (state.ownForward !== undefined) Object.defineProperty(this, 'forward', state.ownForward);
        else delete (this as { forward?: unknown }).forward;
        this.hookState = null;
      }
    };
  }

  // ---- state dicts -----------------------------------------------------------------------------

  /**
   * Every state-dict entry as `[dottedName, the module's own tensor]`, shared tensors under every name;
   * with `legacy`, also each entry's legacy dotted names (legacy -> current).
   */
  private stateEntries(
    prefix: string,
    out: Array<[string, Tensor]>,
    visiting: Set<Module>,
    legacy: Map<string, string> | null = null,
  ): void {
    if (visiting.has(this)) return;
    visiting.add(this);
    for (const [name, t] of this.parameterMap) if (t !== null) out.push([join(prefix, name), t]);
    for (const [name, t] of this.bufferMap)
      if (t !== null && !this.nonPersistent.has(name)) out.push([join(prefix, name), t]);
    if (legacy !== null)
      for (const [old, name] of this.legacyNames)
        if (this.bufferMap.has(name) && this.bufferMap.get(name) !== null && !this.nonPersistent.has(name))
          legacy.set(join(prefix, old), join(prefix, name));
    for (const [name, child] of this.moduleMap)
      if (child !== null) child.stateEntries(join(prefix, name), out, visiting, legacy);
    visiting.delete(this);
  }

  /**
   * The parameters and persistent buffers as a plain object keyed by dotted names (`'net.0.weight'`),
   * like PyTorch's `state_dict`. Each value is a **copy** (a new tensor with its own data that does
   * not require gradients), so a saved state dict does not change as training goes on; PyTorch returns
   * detached views instead. A tensor shared by two modules appears under both names.
   *
   * See https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.state_dict
   *
   * @example
   * ```ts
   * const sd = model.stateDict();
   * Object.keys(sd); // ['net.0.weight', 'net.0.bias', 'net.2.weight', 'net.2.bias']
   * ```
   */
  stateDict(): Record<string, Tensor> {
    const entries: Array<[string, Tensor]> = [];
    this.stateEntries('', entries, new Set());
    const out: Record<string, Tensor> = {};
    for (const [name, t] of entries) out[name] = copyOf(t);
    return out;
  }

  /**
   * The legacy names {@link Module.loadStateDict} accepts, as `{ legacyDottedName: dottedName }` for every
   * persistent buffer registered with {@link BufferOptions.legacyNames} (BatchNorm's camelCase names from
   * before it took PyTorch's). A checkpoint reader can rename a saved model's entries with it.
   *
   * @example
   * ```ts
   * new Sequential(new Linear(2, 2), new BatchNorm1d(2)).stateDictLegacyNames();
   * // { '1.runningMean': '1.running_mean', '1.runningVar': '1.running_var', '1.numBatchesTracked': '1.num_batches_tracked' }
   * ```
   */
  stateDictLegacyNames(): Record<string, string> {
    const legacy = new Map<string, string>();
    this.stateEntries('', [], new Set(), legacy);
    return Object.fromEntries(legacy);
  }

  /**
   * Copy the values of a state dict into this module's parameters and buffers, like PyTorch's
   * `load_state_dict`. Values are written into the existing tensors' data (the same Tensor objects
   * stay, so an optimizer holding them keeps working), converted to each tensor's dtype.
   *
   * Everything is checked before anything is written: missing keys, unexpected keys and shape
   * mismatches are collected and thrown together as one {@link StateDictError}, leaving the module
   * untouched. With `strict: false`, missing and unexpected keys are allowed and returned instead,
   * but shape mismatches still throw (as in PyTorch).
   *
   * A key under a buffer's legacy name ({@link BufferOptions.legacyNames}: BatchNorm's `runningMean`,
   * `runningVar` and `numBatchesTracked` and BCEWithLogitsLoss's `posWeight`, the names nabla saved them
   * under before it took PyTorch's) loads into that buffer when the state dict lacks its current name;
   * when it has both, the legacy key is unexpected.
   *
   * See https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.load_state_dict
   *
   * @example
   * ```ts
   * fresh.loadStateDict(model.stateDict());
   * const { missingKeys } = backbone.loadStateDict(checkpoint, { strict: false });
   * ```
   */
  loadStateDict(stateDict: Readonly<Record<string, Tensor>>, options: LoadStateDictOptions = {}): LoadStateDictResult {
    checkOptions(`${this.typeName()}.loadStateDict`, options, LOAD_STATE_DICT_OPTIONS);
    const strict = options.strict ?? true;
    if (stateDict === null || typeof stateDict !== 'object')
      throw new ValueError(`${this.typeName()}.loadStateDict: stateDict must be an object of tensors`);
    const entries: Array<[string, Tensor]> = [];
    const legacy = new Map<string, string>();
    this.stateEntries('', entries, new Set(), legacy);
    const expected = new Map(entries);
    const given = Object.keys(stateDict);
    for (const key of given)
      if (!(stateDict[key] instanceof Tensor))
        throw new ValueError(`${this.typeName()}.loadStateDict: entry ${JSON.stringify(key)} is not a Tensor`);
    // The key each expected entry is read from: its own, or a legacy name of it when its own is absent.
    const sourceKeys = new Map<string, string>();
    for (const key of given) {
      const current = expected.has(key) ? key : legacy.get(key);
      if (current !== undefined && (current === key || !Object.hasOwn(stateDict, current)))
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
      throw new StateDictError(this.typeName(), missingKeys, unexpectedKeys, shapeMismatches);
    if (shapeMismatches.length > 0) throw new StateDictError(this.typeName(), [], [], shapeMismatches);
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

  // ---- printing --------------------------------------------------------------------------------

  /** The name printed for this module: its class name. */
  protected typeName(): string {
    return this.constructor.name;
  }

  /**
   * The layer's settings as shown by {@link Module.toString}, e.g. `'inFeatures=4, outFeatures=8, bias=true'`
   * (PyTorch's `extra_repr`). Override it in a layer; the default is empty.
   *
   * @example
   * ```ts
   * new Linear(4, 8).extraRepr(); // 'inFeatures=4, outFeatures=8, bias=true'
   * ```
   */
  extraRepr(): string {
    return '';
  }

  /**
   * A nested printout of the module tree, like PyTorch's `print(model)`.
   *
   * @example
   * ```ts
   * String(new Sequential(new Linear(4, 8), new ReLU()));
   * // Sequential(
   * //   (0): Linear(inFeatures=4, outFeatures=8, bias=true)
   * //   (1): ReLU()
   * // )
   * ```
   */
  toString(): string {
    const extra = this.extraRepr();
    const lines: string[] = [];
    for (const [name, child] of this.moduleMap) {
      const text = child === null ? 'null' : child.toString();
      lines.push(`(${name}): ${text.split('\n').join('\n  ')}`);
    }
    if (lines.length === 0) return `${this.typeName()}(${extra})`;
    const head = extra === '' ? [] : extra.split('\n');
    return `${this.typeName()}(\n  ${[...head, ...lines].join('\n  ')}\n)`;
  }
}

/**
 * Point the fields of `holder` that hold a key of `replaced` at its new tensor: own fields, and the
 * plain objects and arrays under them (a layer's parameter record, an RNN's per-layer weights), but not
 * other modules (each converts its own) nor class instances.
 */
function replaceReferences(holder: object, replaced: Map<Tensor, Tensor>, seen: Set<object>, depth: number): void {
  if (seen.has(holder) || depth > 4 || Object.isFrozen(holder)) return;
  seen.add(holder);
  const fields = holder as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    const value = fields[key];
    if (value instanceof Tensor) {
      const fresh = replaced.get(value);
      if (fresh !== undefined) fields[key] = fresh;
    } else if (value !== null && typeof value === 'object' && !(value instanceof Module)) {
      const proto = Object.getPrototypeOf(value);
      if (Array.isArray(value) || proto === Object.prototype || proto === null)
        replaceReferences(value, replaced, seen, depth + 1);
    }
  }
}
