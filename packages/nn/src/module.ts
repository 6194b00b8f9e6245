import {
  AutogradError,
  checkOptions,
  DTYPES,
  type DType,
  DTypeError,
  isFloatingDType,
  Tensor,
  ValueError,
} from '@nablajs/core';
import type { FullBackwardHook, FullBackwardPreHook } from './module-backward-hooks';
import { convertOwnTensors } from './module-convert';
import {
  addForwardHook,
  addForwardPreHook,
  addFullBackwardHook,
  addFullBackwardPreHook,
  type ForwardHook,
  type ForwardPreHook,
  type HookSlot,
  type HookState,
} from './module-hooks';
import { checkRegistered, type RegistrationView } from './module-registration';
import { formatModule } from './module-repr';
import {
  BUFFER_OPTIONS,
  type BufferOptions,
  checkLegacyNames,
  collectStateEntries,
  copyStateEntries,
  dottedName,
  type LoadStateDictOptions,
  type LoadStateDictResult,
  loadStateDictInto,
  type ModuleRegistries,
  setLegacyNames,
} from './module-state-dict';

export type { FullBackwardHook, FullBackwardPreHook } from './module-backward-hooks';
export type { ForwardHook, ForwardPreHook } from './module-hooks';
export type { BufferOptions, LoadStateDictOptions, LoadStateDictResult } from './module-state-dict';
export { parameter } from './parameter';

/**
 * The base class of every layer and model, like `torch.nn.Module`: it holds parameters, buffers and
 * child modules registered by name, and gives them stable dotted names (`'net.0.weight'`).
 *
 * Subclasses implement `forward` and are invoked as `module.forward(x)`. (A JavaScript class instance
 * cannot be made callable like PyTorch's `model(x)` without a Proxy, which would slow every call and
 * confuse debuggers, so `forward` is the one way in.) Hooks work by installing, on the instance, an
 * own-property `forward` wrapper that calls the forward pre-hooks, the class's `forward` and then the
 * forward hooks; it is removed again with the last hook, so a module without hooks pays nothing.
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

  /** How {@link checkRegistered} reads the private registries (one object: the check runs on every walk). */
  private static readonly registrationView: RegistrationView = {
    isModule: (v): v is Module => v instanceof Module,
    ownsTensor: (m, t) => mapHas(m.parameterMap, t) || mapHas(m.bufferMap, t),
    allTensors: (tree) =>
      new Set(tree.flatMap(([, m]) => [...m.parameterMap.values(), ...m.bufferMap.values()])) as Set<Tensor>,
  };

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
    const legacy = checkLegacyNames(this.typeName(), name, options.legacyNames);
    this.bufferMap.set(name, tensor);
    if (options.persistent === false) this.nonPersistent.add(name);
    else this.nonPersistent.delete(name);
    setLegacyNames(this.legacyNames, name, legacy);
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

  /** Remove a registered parameter (used by containers). Returns whether it was there. */
  protected unregisterParameter(name: string): boolean {
    return this.parameterMap.delete(name);
  }

  // ---- traversal -------------------------------------------------------------------------------

  /**
   * This module and every module below it, each once, as `[dottedName, module]` pairs in registration
   * order (this module first, named `prefix`). Every walk of the tree goes through it, and throws a
   * `ValueError` naming the field when a module of the tree has a field holding a module (or an array
   * of them, or a tensor that requires gradients) that was never registered (PyTorch registers on
   * assignment; here it would be silently left out); an ES private field (`#name`) is not checked.
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
      for (const [childName, child] of m.moduleMap) if (child !== null) visit(child, dottedName(name, childName));
    };
    visit(this, prefix);
    checkRegistered('Module', out, seen, Module.registrationView);
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
          out.push([dottedName(moduleName, name), t]);
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
    convertOwnTensors(this, [this.parameterMap, this.bufferMap], dtype, replaced, (v) => v instanceof Module);
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
    return addForwardHook(this, this.hookSlot(), hook as unknown as ForwardHook<Module>);
  }

  /**
   * Call `hook(module, inputs)` before every `forward` of this module, pre-hooks in registration order and
   * all before the forward hooks. A hook that returns an array replaces the argument list (what PyTorch
   * does with a returned tuple); any other value becomes the single argument (PyTorch wraps it in a
   * tuple); `undefined`, or no `return`, keeps the inputs. Each pre-hook sees the inputs the previous one
   * left, and `forward` and the forward hooks get the final ones. Returns a function that removes the hook.
   *
   * See https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.register_forward_pre_hook
   *
   * @example
   * ```ts
   * const fc = new Linear(4, 2);
   * const remove = fc.registerForwardPreHook((_m, [x]) => [x.clamp(-1, 1)]); // clip the input
   * fc.forward(randn([3, 4])); // computed on the clipped input
   * remove(); // fc.forward takes its inputs as they come again
   * ```
   */
  registerForwardPreHook(hook: ForwardPreHook<this>): () => void {
    if (typeof hook !== 'function')
      throw new ValueError(`${this.typeName()}.registerForwardPreHook: hook must be a function`);
    return addForwardPreHook(this, this.hookSlot(), hook as unknown as ForwardPreHook<Module>);
  }

  /**
   * Call `hook(module, gradInput, gradOutput)` during backward, once the gradients of this module's inputs
   * are computed (or, when no input requires one, once its output's is), like PyTorch's
   * `register_full_backward_hook`. `gradInput` has one entry per argument of `forward` (`null` for one that
   * is not a tensor requiring a gradient), `gradOutput` one, the gradient of the output. A hook that returns
   * an array of the same length replaces `gradInput` for the rest of backward (`null`: no gradient). Each
   * forward call uses the hooks registered at that time, and needs a forward that returns one Tensor. Returns
   * a function that removes the hook.
   *
   * See https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.register_full_backward_hook
   *
   * @example
   * ```ts
   * // Grad-CAM's ingredient: the gradient of the loss with respect to a layer's output
   * let seen: Tensor | null = null;
   * const remove = conv.registerFullBackwardHook((_m, _gradInput, [gradOutput]) => {
   *   seen = gradOutput;
   * });
   * loss.backward(); // after a forward through conv
   * remove();
   * // clip the gradient that flows back into a layer's input
   * fc.registerFullBackwardHook((_m, [g]) => [g ? g.clamp(-1, 1) : null]);
   * ```
   */
  registerFullBackwardHook(hook: FullBackwardHook<this>): () => void {
    if (typeof hook !== 'function')
      throw new ValueError(`${this.typeName()}.registerFullBackwardHook: hook must be a function`);
    return addFullBackwardHook(this, this.hookSlot(), hook as unknown as FullBackwardHook<Module>);
  }

  /**
   * Call `hook(module, gradOutput)` during backward as soon as the gradient of this module's output is
   * computed, before it flows into the module, like PyTorch's `register_full_backward_pre_hook` (PyTorch 2.0).
   * A hook that returns `[g]` (of the output's shape) replaces the output's gradient for the module's backward
   * and its full backward hooks. For a forward that returns one Tensor. Returns a function that removes the hook.
   *
   * See https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.register_full_backward_pre_hook
   *
   * @example
   * ```ts
   * // scale the gradient that reaches a layer from above
   * const remove = block.registerFullBackwardPreHook((_m, [g]) => [g === null ? null : g.mul(0.5)]);
   * ```
   */
  registerFullBackwardPreHook(hook: FullBackwardPreHook<this>): () => void {
    if (typeof hook !== 'function')
      throw new ValueError(`${this.typeName()}.registerFullBackwardPreHook: hook must be a function`);
    return addFullBackwardPreHook(this, this.hookSlot(), hook as unknown as FullBackwardPreHook<Module>);
  }

  /** Where {@link addForwardHook} and {@link addForwardPreHook} keep this module's hooks. */
  private hookSlot(): HookSlot {
    return { get: () => this.hookState, set: (state: HookState | null) => (this.hookState = state) };
  }

  // ---- state dicts -----------------------------------------------------------------------------

  /**
   * Every state-dict entry as `[dottedName, the module's own tensor]`, shared tensors under every name;
   * with `legacy`, also each entry's legacy dotted names (legacy -> current).
   */
  private stateEntries(legacy: Map<string, string> | null = null): Array<[string, Tensor]> {
    this.namedModules(); // the check for unregistered fields
    const out: Array<[string, Tensor]> = [];
    collectStateEntries(this, Module._registriesOf, '', out, new Set(), legacy);
    return out;
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
    return copyStateEntries(this.stateEntries());
  }

  /**
   * The legacy names {@link Module.loadStateDict} accepts, as `{ legacyDottedName: dottedName }` for every
   * persistent buffer registered with {@link BufferOptions.legacyNames} (BatchNorm's camelCase names from
   * before it took PyTorch's) and for weight norm's `weight_g` and `weight_v` (PyTorch's names before its
   * parametrization). A checkpoint reader can rename a saved model's entries with it.
   *
   * @example
   * ```ts
   * new Sequential(new Linear(2, 2), new BatchNorm1d(2)).stateDictLegacyNames();
   * // { '1.runningMean': '1.running_mean', '1.runningVar': '1.running_var', '1.numBatchesTracked': '1.num_batches_tracked' }
   * ```
   */
  stateDictLegacyNames(): Record<string, string> {
    const legacy = new Map<string, string>();
    this.stateEntries(legacy);
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
   * when it has both, the legacy key is unexpected. The state dict is a record of tensors (what
   * {@link Module.stateDict} and `loadSafetensors` return) or a `Map` of them, as PyTorch's OrderedDict.
   *
   * See https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.load_state_dict
   *
   * @example
   * ```ts
   * fresh.loadStateDict(model.stateDict());
   * const { missingKeys } = backbone.loadStateDict(checkpoint, { strict: false });
   * ```
   */
  loadStateDict(
    stateDict: Readonly<Record<string, Tensor>> | ReadonlyMap<string, Tensor>,
    options: LoadStateDictOptions = {},
  ): LoadStateDictResult {
    return loadStateDictInto(this.typeName(), stateDict, options, (legacy) => this.stateEntries(legacy));
  }

  /**
   * The module's registries, writable, for the parametrizations of this package (`parametrize.ts`), which
   * move a tensor from a module's parameters to its `parametrizations` child and back.
   *
   * @internal
   */
  static _registriesOf(m: Module): ModuleRegistries {
    return {
      parameters: m.parameterMap,
      buffers: m.bufferMap,
      nonPersistent: m.nonPersistent,
      legacyNames: m.legacyNames,
      children: m.moduleMap,
    };
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
    return formatModule(this.typeName(), extra, this.moduleMap);
  }
}

/** Whether `map` holds `value` (a linear scan: a module registers a handful of tensors). */
function mapHas(map: ReadonlyMap<string, Tensor | null>, value: Tensor): boolean {
  for (const v of map.values()) if (v === value) return true;
  return false;
}
