import {
  allocate,
  DTypeError,
  enableGrad,
  HostReadError,
  hostReadsMayWait,
  isFloatingDType,
  isHalfDType,
  keep,
  runOnHost,
  runOnHostNow,
  setGradEnabled,
  Tensor,
  type TypedArray,
  ValueError,
} from '@nablajs/core';
import {
  checkAgainstDefaults,
  checkDefinition,
  hasPasses,
  type OptimizerDefinition,
  type RuleOptimizerFactory,
} from './definition';

export type { OptimizerDefinition, OptimizerFactory, RuleOptimizerFactory } from './definition';

import { fusedUpdatesEnabled } from './fused';
import { addHook, isTensorList } from './hooks';
import { runGroupsOnHost } from './host-task';
import { decodeState, encodeState, restoreInto, stateMismatch } from './state';
import type {
  Closure,
  FusedUpdate,
  Hyperparams,
  HyperValue,
  OptimizerStateDict,
  ParamGroup,
  ParamGroupInput,
  ParamsInput,
  RuleBasedOptimizer,
  RuleCouplings,
  StepContext,
  StepHook,
  UpdateRule,
} from './types';

interface GroupSlot {
  group: ParamGroup;
  state: unknown;
  /** Update buffers, allocated at the group's first step on the rule's path (never on the fused one). */
  buffers: (TypedArray | null)[];
  /** Tensor views of `buffers`, made on first use by `ctx.updateTensor`. */
  views: (Tensor | null)[];
  updates: (TypedArray | null)[];
  ctx: StepContext;
  /** Whether the group has any gradient this step. */
  active: boolean;
}

/**
 * Turn an update rule into a PyTorch-shaped optimizer factory: parameter groups with their own
 * hyperparameters, `step(closure?)`, `zeroGrad`, `stateDict` / `loadStateDict` and step hooks. The
 * runtime copies each gradient into a buffer it owns, lets the rule turn it into the update in place,
 * and adds the update to the parameter: the one place that writes parameters. A definition may add a
 * `fused` step that does all of that in one pass per parameter on the same state (see
 * {@link FusedUpdate}); the runtime prefers it whenever it accepts the group's configuration.
 *
 * @example
 * ```ts
 * export const signSgd = defineOptimizer({
 *   name: 'signSgd',
 *   defaults: { lr: 0.01 },
 *   rule: chain(scaleBySign(), scaleByLearningRate()),
 * });
 * const opt = signSgd(model.parameters(), { lr: 0.001 });
 * ```
 */
export function defineOptimizer<O extends object = Partial<Hyperparams>>(
  definition: OptimizerDefinition,
): RuleOptimizerFactory<O> {
  checkDefinition(definition);
  const factory = (params: ParamsInput, options?: O) =>
    new RuleOptimizer(
      definition,
      params,
      (options === undefined ? {} : options) as Partial<Hyperparams>,
      definition.name,
    );
  definitions.set(factory, definition);
  return factory;
}

const definitions = new WeakMap<object, OptimizerDefinition>();

/**
 * The definition behind a factory made by {@link defineOptimizer} (its name, defaults, validation and
 * rule), or `undefined` for a hand-written factory. Wrappers use it to wrap an optimizer by name.
 *
 * @example
 * ```ts
 * definitionOf(adam)?.defaults; // { lr: 0.001, betas: [0.9, 0.999], ... }
 * ```
 */
export function definitionOf(factory: unknown): OptimizerDefinition | undefined {
  return typeof factory === 'function' ? definitions.get(factory) : undefined;
}

const groupKeys = new Set(['params']);

class RuleOptimizer implements RuleBasedOptimizer {
  readonly name: string;
  readonly defaults: Readonly<Hyperparams>;
  readonly paramGroups: ParamGroup[] = [];
  private readonly slots: GroupSlot[] = [];
  private readonly before: StepHook[] = [];
  private readonly after: StepHook[] = [];
  private readonly definition: OptimizerDefinition;
  private readonly staged: boolean;
  private readonly global: Record<string, unknown> = {};
  private closure: Closure | null = null;
  /** Host tasks of this optimizer's steps still waiting for values on the GPU (webgpu backend). */
  private waiting = 0;
  private currentMode: 'train' | 'eval' = 'train';
  /** True when the rule calls `ctx.evaluate()`: `step` needs a closure. */
  readonly requiresClosure: boolean;
  /** What the rule couples, as it declares (all false when it declares nothing). */
  readonly couples: Required<RuleCouplings>;

  constructor(definition: OptimizerDefinition, params: ParamsInput, options: Partial<Hyperparams>, name: string) {
    this.name = name;
    this.definition = definition;
    this.staged = hasPasses(definition.rule);
    const couples = definition.rule.couples;
    this.couples = Object.freeze({
      closure: couples?.closure === true,
      global: couples?.global === true,
      trainEval: couples?.trainEval === true,
    });
    this.requiresClosure = this.couples.closure;
    if (options === null || typeof options !== 'object' || Array.isArray(options))
      throw new ValueError(`${name}: options must be an object, got ${options === null ? 'null' : typeof options}`);
    this.checkOptionNames(options, 'options');
    const defaults = { ...definition.defaults, ...options } as Hyperparams;
    this.validate(defaults);
    this.defaults = Object.freeze(defaults);
    if (!Array.isArray(params) || params.length === 0)
      throw new ValueError(`${name}: params must be a non-empty array of tensors or of parameter groups`);
    const groups = isTensorList(params)
      ? [{ params }]
      : (params as readonly ({ params: readonly Tensor[] } & Partial<Hyperparams>)[]);
    for (const g of groups) this.addParamGroup(g);
  }

  private validate(hp: Readonly<Hyperparams>): void {
    // The optimizer's own checks first: their messages are the more specific.
    this.definition.validate?.(hp);
    checkAgainstDefaults(this.name, this.definition.defaults, hp);
  }

  get mode(): 'train' | 'eval' | undefined {
    return this.definition.rule.couples?.trainEval === true ? this.currentMode : undefined;
  }

  train(): void {
    this.setMode('train');
  }

  eval(): void {
    this.setMode('eval');
  }

  private setMode(mode: 'train' | 'eval'): void {
    if (this.currentMode === mode) return;
    const rule = this.definition.rule;
    if (rule.setMode !== undefined) {
      const move = () => {
        const recording = setGradEnabled(false);
        try {
          for (const slot of this.slots) rule.setMode?.(mode, slot.state, slot.ctx);
        } finally {
          setGradEnabled(recording);
        }
      };
      try {
        if (hostReadsMayWait()) this.onHost([], this.slots, move);
        else move();
      } finally {
        this.markParamsModified();
      }
    }
    this.currentMode = mode;
  }

  private checkOptionNames(options: object, where: string): void {
    for (const key of Object.keys(options)) {
      if (groupKeys.has(key)) continue;
      if (!(key in this.definition.defaults))
        throw new ValueError(
          `${this.name}: unknown option ${JSON.stringify(key)} in ${where}; valid options: ${Object.keys(this.definition.defaults).join(', ')}`,
        );
    }
  }

  addParamGroup(input: ParamGroupInput): void {
    if (input === null || typeof input !== 'object' || !Array.isArray(input.params))
      throw new ValueError(`${this.name}: a parameter group must be an object with a params array`);
    const { params, ...rest } = input;
    const overrides = rest as Partial<Hyperparams>;
    this.checkOptionNames(overrides, `parameter group ${this.paramGroups.length}`);
    const seen = new Set<Tensor>(this.paramGroups.flatMap((g) => g.params));
    params.forEach((p, i) => {
      if (p === null || typeof p !== 'object' || !('data' in p) || !('shape' in p))
        throw new ValueError(`${this.name}: params[${i}] of group ${this.paramGroups.length} is not a Tensor`);
      if (!isFloatingDType(p.dtype) || isHalfDType(p.dtype))
        throw new DTypeError(
          `${this.name}: params[${i}] is ${p.dtype}; only float32 and float64 tensors can be optimized`,
        );
      if (!p.isLeaf)
        throw new ValueError(
          `${this.name}: params[${i}] is not a leaf tensor (it was computed by an op); optimize its leaves`,
        );
      if (seen.has(p)) throw new ValueError(`${this.name}: params[${i}] appears in more than one parameter group`);
      seen.add(p);
    });
    const hp = { ...this.defaults, ...overrides } as Hyperparams;
    // NOTE: tuples (betas, etas) are copied so that editing one group's never reaches the defaults.
    for (const [key, value] of Object.entries(hp)) if (Array.isArray(value)) hp[key] = [...value];
    this.validate(hp);
    const group = { ...hp, params: [...params] } as ParamGroup;
    const state = this.definition.rule.init(group.params, group as unknown as Hyperparams);
    const buffers: (TypedArray | null)[] = new Array(group.params.length).fill(null);
    const updates: (TypedArray | null)[] = new Array(buffers.length).fill(null);
    const views: (Tensor | null)[] = new Array(buffers.length).fill(null);
    const slots = this.slots;
    const groupIndex = slots.length;
    const ctx: StepContext = {
      params: group.params,
      hp: group as unknown as Hyperparams,
      groupIndex,
      get groupCount() {
        return slots.length;
      },
      global: this.global,
      updateTensor: (i: number): Tensor => {
        const u = updates[i];
        if (u === null || u === undefined)
          throw new ValueError(
            `${this.name}: updateTensor(${i}): parameter ${i} of group ${groupIndex} has no update this step`,
          );
        let view = views[i];
        // NOTE: kept out of any tidy() scope open around step(): the view lives as long as its buffer.
        if (view === null || view.values !== u) view = views[i] = keep(new Tensor(u, group.params[i].shape));
        return view;
      },
      evaluate: (): number => this.evaluate(),
      hostTask: (reads, writes, task) => {
        this.waiting++;
        runOnHost(reads, writes, () => {
          this.waiting--;
          task();
        });
      },
    };
    this.paramGroups.push(group);
    slots.push({ group, state, buffers, views, updates, ctx, active: false });
  }

  private evaluate(): number {
    const closure = this.closure;
    if (closure === null)
      throw new ValueError(`${this.name}.step: this optimizer re-evaluates the loss within a step; pass a closure`);
    return this.callClosure(closure);
  }

  private callClosure(closure: Closure): number {
    const value = enableGrad(closure);
    if (typeof value === 'number') return value;
    if (value !== null && typeof value === 'object' && 'item' in value) return value.item();
    throw new ValueError(
      `${this.name}.step: the closure must return the loss (a Tensor or a number), got ${String(value)}`,
    );
  }

  step(closure?: Closure): number | undefined {
    if (closure !== undefined && typeof closure !== 'function')
      throw new ValueError(`${this.name}.step: closure must be a function, got ${typeof closure}`);
    if (this.requiresClosure && closure === undefined)
      throw new ValueError(
        `${this.name}.step: closure is required (this optimizer re-evaluates the loss and gradients within a step); pass step(() => { zero the grads; loss = f(); loss.backward(); return loss; })`,
      );
    if (this.mode === 'eval')
      throw new ValueError(
        `${this.name}.step: the optimizer is in eval mode (its parameters are at the evaluation point); call optimizer.train() before stepping`,
      );
    if (closure !== undefined && hostReadsMayWait())
      // The closure's loss is needed at once: the whole step runs on the host, with the cpu kernels.
      return runOnHostNow(
        this.paramGroups.flatMap((g) => g.params.map((p) => p._array)),
        `${this.name}.step (a step with a closure runs on the host on the webgpu backend: await bringToHost(params) first)`,
        () => this.run(closure, false),
      );
    return this.run(closure, hostReadsMayWait());
  }

  /** The step after its checks; `whereValuesAre`: see {@link RuleOptimizer.stepWhereValuesAre}. */
  private run(closure: Closure | undefined, whereValuesAre: boolean): number | undefined {
    let loss: number | undefined;
    if (closure !== undefined) loss = this.callClosure(closure);
    // NOTE: no closures or array copies here unless hooks exist: a step allocates nothing.
    if (this.before.length > 0) for (const hook of this.before.slice()) hook(this);
    const recording = setGradEnabled(false);
    this.closure = closure ?? null;
    try {
      if (whereValuesAre) this.stepWhereValuesAre();
      else if (this.staged) {
        if (!this.stepFusedStaged()) this.stepStaged();
      } else for (let i = 0; i < this.slots.length; i++) this.updateGroup(this.slots[i]);
    } finally {
      this.closure = null;
      setGradEnabled(recording);
      this.markParamsModified();
    }
    if (this.after.length > 0) for (const hook of this.after.slice()) hook(this);
    return loss;
  }

  /**
   * Count the step's writes into the parameters (rules, fused kernels and setMode write them through
   * `values`), so that a backward through a graph that saved a parameter before the step throws.
   */
  private markParamsModified(): void {
    for (const group of this.paramGroups) for (const p of group.params) p.markModified();
  }

  /** The fused step of a rule with passes, when its definition's `fusedWhen` allows it; whether it ran. */
  private stepFusedStaged(): boolean {
    const { fused, fusedWhen } = this.definition;
    if (fused === undefined || fusedWhen === undefined || !fusedUpdatesEnabled()) return false;
    if (!fusedWhen(this.paramGroups as unknown as Hyperparams[])) return false;
    for (const slot of this.slots)
      if (!fused(slot.state, slot.ctx))
        throw new ValueError(`${this.name}.step: the fused step refused a group that fusedWhen allowed`);
    return true;
  }

  /** A step of a rule with passes: every group's updates first, then the rule block by block over all groups. */
  private stepStaged(): void {
    for (const slot of this.slots) slot.active = this.loadUpdates(slot);
    this.runStaged(
      this.definition.rule,
      this.slots.map((s) => s.state),
    );
    for (const slot of this.slots) if (slot.active) this.applyUpdates(slot);
  }

  private runStaged(rule: UpdateRule<unknown>, states: unknown[]): void {
    const slots = this.slots;
    if (rule.blocks?.some(hasPasses)) {
      rule.blocks.forEach((block, b) => {
        this.runStaged(
          block,
          states.map((s) => (s as unknown[])[b]),
        );
      });
      return;
    }
    for (const pass of rule.passes ?? [])
      for (let g = 0; g < slots.length; g++) if (slots[g].active) pass(slots[g].updates, states[g], slots[g].ctx);
    for (let g = 0; g < slots.length; g++) if (slots[g].active) rule.update(slots[g].updates, states[g], slots[g].ctx);
  }

  /**
   * Copy each gradient into its update buffer (`null` for a parameter without one); whether any was copied.
   * `grads`: the gradients' arrays, taken when the step was called (for a step that runs later).
   */
  private loadUpdates(slot: GroupSlot, grads?: readonly (TypedArray | null)[]): boolean {
    const { group, buffers, updates } = slot;
    const params = group.params;
    let any = false;
    for (let i = 0; i < params.length; i++) {
      const p = params[i];
      const g = grads === undefined ? (p.grad?.values ?? null) : grads[i];
      if (g === null) {
        updates[i] = null;
        continue;
      }
      let buffer = buffers[i];
      if (buffer === null) buffer = buffers[i] = allocate(p.dtype, p.size);
      buffer.set(g);
      updates[i] = buffer;
      any = true;
    }
    return any;
  }

  /**
   * A step while a backend that keeps values away from JavaScript memory (webgpu) is active: fused updates
   * run as kernels there; the rule, whose arithmetic is JavaScript, runs as a host task (`runOnHost`), at
   * once when the gradients and parameters are in JavaScript memory, else when a value is next awaited,
   * with the gradients and hyperparameters of this call.
   */
  private stepWhereValuesAre(): void {
    const fused = this.definition.fused;
    const slots = this.staged
      ? this.stepFusedStaged()
        ? []
        : this.slots
      : fused === undefined || !fusedUpdatesEnabled()
        ? this.slots
        : this.slots.filter((slot) => !fused(slot.state, slot.ctx));
    if (slots.length === 0) return;
    const grads = slots.map((slot) => slot.group.params.map((p) => p.grad?._array ?? null));
    const reads: TypedArray[] = [];
    for (const list of grads) for (const g of list) if (g !== null) reads.push(g);
    const closure = this.closure;
    this.onHost(reads, slots, () => {
      const outer = this.closure;
      this.closure = closure;
      const recording = setGradEnabled(false);
      try {
        if (this.staged) {
          slots.forEach((slot, g) => {
            slot.active = this.loadUpdates(slot, grads[g]);
          });
          this.runStaged(
            this.definition.rule,
            slots.map((s) => s.state),
          );
          for (const slot of slots) if (slot.active) this.applyUpdates(slot);
        } else
          slots.forEach((slot, g) => {
            if (!this.loadUpdates(slot, grads[g])) return;
            this.definition.rule.update(slot.updates, slot.state, slot.ctx);
            this.applyUpdates(slot);
          });
      } finally {
        setGradEnabled(recording);
        this.closure = outer;
      }
    });
  }

  /** {@link runGroupsOnHost} over the groups of `slots`, counting the steps that wait (see `stateDict`). */
  private onHost(reads: readonly TypedArray[], slots: readonly GroupSlot[], task: () => void): void {
    this.waiting++;
    runGroupsOnHost(
      reads,
      slots.map((slot) => slot.group),
      () => {
        this.waiting--;
      },
      task,
    );
  }

  /** The one place that writes parameters: `p += u` for every update. */
  private applyUpdates(slot: GroupSlot): void {
    const { group, updates } = slot;
    const params = group.params;
    for (let i = 0; i < params.length; i++) {
      const u = updates[i];
      if (u === null) continue;
      const d = params[i].values;
      for (let j = 0; j < d.length; j++) d[j] += u[j];
    }
  }

  private updateGroup(slot: GroupSlot): void {
    const fused = this.definition.fused;
    if (fused !== undefined && fusedUpdatesEnabled() && fused(slot.state, slot.ctx)) return;
    if (!this.loadUpdates(slot)) return;
    this.definition.rule.update(slot.updates, slot.state, slot.ctx);
    this.applyUpdates(slot);
  }

  zeroGrad(setToNone = true): void {
    for (const group of this.paramGroups)
      for (const p of group.params) {
        const g = p.grad;
        if (setToNone) p.grad = null;
        else if (g !== null) {
          if (hostReadsMayWait()) {
            const a = g._array;
            runOnHost([], [a], () => a.fill(0));
          } else g.values.fill(0);
          g.markModified();
        }
      }
  }

  /** Throw a HostReadError naming `method` while a step of this optimizer waits for values on the GPU. */
  private checkNotWaiting(method: string): void {
    if (this.waiting > 0)
      throw new HostReadError(
        `${this.name}.${method}: ${this.waiting} step(s) of this optimizer still wait for values on the GPU (webgpu backend); await a value (await loss.itemAsync(), or await syncWebGpuToHost()) first`,
      );
  }

  stateDict(): OptimizerStateDict {
    this.checkNotWaiting('stateDict');
    let index = 0;
    return {
      name: this.name,
      paramGroups: this.paramGroups.map((g) => {
        const { params, ...hp } = g;
        return { ...(encodeState(hp) as Record<string, unknown>), params: params.map(() => index++) };
      }),
      state: this.slots.map((s) => encodeState(s.state)),
      ...(Object.keys(this.global).length > 0 ? { global: encodeState(this.global) } : {}),
      ...(this.mode !== undefined ? { mode: this.mode } : {}),
    };
  }

  loadStateDict(sd: OptimizerStateDict): void {
    const fn = `${this.name}.loadStateDict`;
    // NOTE: a waiting step would run on the loaded state, with the hyperparameters it was called with.
    this.checkNotWaiting('loadStateDict');
    if (sd === null || typeof sd !== 'object' || !Array.isArray(sd.paramGroups) || !Array.isArray(sd.state))
      throw new ValueError(`${fn}: expected an object from stateDict() with paramGroups and state`);
    if (sd.name !== this.name)
      throw new ValueError(
        `${fn}: the state is from optimizer ${JSON.stringify(sd.name)}, this one is ${JSON.stringify(this.name)}`,
      );
    if (sd.paramGroups.length !== this.paramGroups.length || sd.state.length !== this.slots.length)
      throw new ValueError(
        `${fn}: the state has ${sd.paramGroups.length} parameter groups, this optimizer has ${this.paramGroups.length}`,
      );
    const decoded = sd.state.map(decodeState);
    const hps: Record<string, unknown>[] = [];
    sd.paramGroups.forEach((g, i) => {
      const count = this.paramGroups[i].params.length;
      if (!Array.isArray(g.params) || g.params.length !== count)
        throw new ValueError(
          `${fn}: group ${i} of the state has ${Array.isArray(g.params) ? g.params.length : 'no'} parameters, this optimizer's has ${count}`,
        );
      const { params: _ignored, ...hp } = g;
      this.checkOptionNames(hp, `group ${i} of the state`);
      const restored = { ...this.paramGroups[i], ...(decodeState(hp) as Record<string, HyperValue>) } as Hyperparams;
      this.validate(restored);
      hps.push(restored);
      const mismatch = stateMismatch(this.slots[i].state, decoded[i]);
      if (mismatch !== null)
        throw new ValueError(`${fn}: group ${i}: the saved state does not fit these parameters (${mismatch})`);
    });
    const global = sd.global === undefined ? {} : decodeState(sd.global);
    if (global === null || typeof global !== 'object' || Array.isArray(global))
      throw new ValueError(`${fn}: global must be an object, got ${JSON.stringify(sd.global)}`);
    if (sd.mode !== undefined && sd.mode !== 'train' && sd.mode !== 'eval')
      throw new ValueError(`${fn}: mode must be 'train' or 'eval', got ${JSON.stringify(sd.mode)}`);
    // Everything checked: only now change the optimizer.
    for (const key of Object.keys(this.global)) delete this.global[key];
    Object.assign(this.global, global);
    // NOTE: the mode is restored without moving the parameters: they come from the same checkpoint.
    if (sd.mode !== undefined && this.mode !== undefined) this.currentMode = sd.mode;
    this.slots.forEach((slot, i) => {
      const { params: _p, ...hp } = hps[i] as Record<string, unknown>;
      Object.assign(slot.group, hp);
      slot.state = restoreInto(slot.state, decoded[i]);
    });
  }

  onBeforeStep(hook: StepHook): () => void {
    return addHook(this.before, hook);
  }

  onAfterStep(hook: StepHook): () => void {
    return addHook(this.after, hook);
  }
}
