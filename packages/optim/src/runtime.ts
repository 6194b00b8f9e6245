import {
  allocate,
  DTypeError,
  enableGrad,
  isFloatingDType,
  setGradEnabled,
  type Tensor,
  type TypedArray,
  ValueError,
} from '@nablajs/core';
import { fusedUpdatesEnabled } from './fused';
import { addHook, isTensorList } from './hooks';
import { decodeState, encodeState, stateMismatch } from './state';
import type {
  Closure,
  FusedUpdate,
  Hyperparams,
  HyperValue,
  Optimizer,
  OptimizerStateDict,
  ParamGroup,
  ParamGroupInput,
  ParamsInput,
  StepContext,
  StepHook,
  UpdateRule,
} from './types';

/** How to build a named optimizer from an update rule: what {@link defineOptimizer} takes. */
export interface OptimizerDefinition {
  /** The registered name, used in messages and state dicts (`adam`). */
  name: string;
  /** Every hyperparameter with its default (PyTorch's), `lr` included. Options not listed here are rejected. */
  defaults: Hyperparams;
  /** Check one group's hyperparameters; throw a `ValueError` naming the optimizer and option. */
  validate?: (hp: Readonly<Hyperparams>) => void;
  /** The update rule; its blocks read the group's hyperparameters at every step. */
  rule: UpdateRule<unknown>;
  /**
   * Optional fused step: the whole update of one group in place (typically one kernel per parameter)
   * on the rule's own state. Runs instead of `rule` when it returns true; returns false, changing
   * nothing, for configurations it does not handle (the rule then runs). See {@link FusedUpdate}.
   */
  fused?: FusedUpdate;
}

/** An optimizer factory: `name(params, options)`, as every optimizer package exports. */
export type OptimizerFactory<O extends object = Partial<Hyperparams>> = (params: ParamsInput, options?: O) => Optimizer;

interface GroupSlot {
  group: ParamGroup;
  state: unknown;
  /** Update buffers, allocated at the group's first step on the rule's path (never on the fused one). */
  buffers: (TypedArray | null)[];
  updates: (TypedArray | null)[];
  ctx: StepContext;
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
): OptimizerFactory<O> {
  return (params: ParamsInput, options?: O) =>
    new RuleOptimizer(definition, params, (options ?? {}) as Partial<Hyperparams>, definition.name);
}

const groupKeys = new Set(['params']);

function isTypedArray(v: unknown): v is TypedArray {
  return v instanceof Float32Array || v instanceof Float64Array || v instanceof Int32Array;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !isTypedArray(v);
}

/**
 * Put a decoded state (already checked against `current` by `stateMismatch`) into the current one:
 * typed arrays are copied into the arrays that exist (which `allocate()` made, in wasm memory where
 * the backend keeps them, so the fused kernels keep updating them in place), and arrays the current
 * state does not have yet come from `allocate()` too. Returns the restored state.
 */
function restoreInto(current: unknown, incoming: unknown): unknown {
  if (isTypedArray(incoming)) {
    let target = current;
    if (!isTypedArray(target) || target.constructor !== incoming.constructor || target.length !== incoming.length) {
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

class RuleOptimizer implements Optimizer {
  readonly name: string;
  readonly defaults: Readonly<Hyperparams>;
  readonly paramGroups: ParamGroup[] = [];
  private readonly slots: GroupSlot[] = [];
  private readonly before: StepHook[] = [];
  private readonly after: StepHook[] = [];
  private readonly definition: OptimizerDefinition;

  constructor(definition: OptimizerDefinition, params: ParamsInput, options: Partial<Hyperparams>, name: string) {
    this.name = name;
    this.definition = definition;
    this.checkOptionNames(options, 'options');
    const defaults = { ...definition.defaults, ...options } as Hyperparams;
    definition.validate?.(defaults);
    this.defaults = Object.freeze(defaults);
    if (!Array.isArray(params) || params.length === 0)
      throw new ValueError(`${name}: params must be a non-empty array of tensors or of parameter groups`);
    const groups = isTensorList(params)
      ? [{ params }]
      : (params as readonly ({ params: readonly Tensor[] } & Partial<Hyperparams>)[]);
    for (const g of groups) this.addParamGroup(g);
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
      if (!isFloatingDType(p.dtype))
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
    this.definition.validate?.(hp);
    const group = { ...hp, params: [...params] } as ParamGroup;
    const state = this.definition.rule.init(group.params, group as unknown as Hyperparams);
    const buffers: (TypedArray | null)[] = new Array(group.params.length).fill(null);
    this.paramGroups.push(group);
    this.slots.push({
      group,
      state,
      buffers,
      updates: new Array(buffers.length).fill(null),
      ctx: { params: group.params, hp: group as unknown as Hyperparams },
    });
  }

  step(closure?: Closure): number | undefined {
    let loss: number | undefined;
    if (closure !== undefined) {
      if (typeof closure !== 'function')
        throw new ValueError(`${this.name}.step: closure must be a function, got ${typeof closure}`);
      const value = enableGrad(closure);
      if (typeof value === 'number') loss = value;
      else if (value !== null && typeof value === 'object' && 'item' in value) loss = value.item();
      else
        throw new ValueError(
          `${this.name}.step: the closure must return the loss (a Tensor or a number), got ${String(value)}`,
        );
    }
    // NOTE: no closures or array copies here unless hooks exist: a step allocates nothing.
    if (this.before.length > 0) for (const hook of this.before.slice()) hook(this);
    const recording = setGradEnabled(false);
    try {
      for (let i = 0; i < this.slots.length; i++) this.updateGroup(this.slots[i]);
    } finally {
      setGradEnabled(recording);
    }
    if (this.after.length > 0) for (const hook of this.after.slice()) hook(this);
    return loss;
  }

  private updateGroup(slot: GroupSlot): void {
    const fused = this.definition.fused;
    if (fused !== undefined && fusedUpdatesEnabled() && fused(slot.state, slot.ctx)) return;
    const { group, buffers, updates } = slot;
    const params = group.params;
    let any = false;
    for (let i = 0; i < params.length; i++) {
      const p = params[i];
      const g = p.grad;
      if (g === null) {
        updates[i] = null;
        continue;
      }
      let buffer = buffers[i];
      if (buffer === null) buffer = buffers[i] = allocate(p.dtype, p.size);
      buffer.set(g.data);
      updates[i] = buffer;
      any = true;
    }
    if (!any) return;
    this.definition.rule.update(updates, slot.state, slot.ctx);
    for (let i = 0; i < params.length; i++) {
      const u = updates[i];
      if (u === null) continue;
      const d = params[i].data;
      for (let j = 0; j < d.length; j++) d[j] += u[j];
    }
  }

  zeroGrad(setToNone = true): void {
    for (const group of this.paramGroups)
      for (const p of group.params) {
        if (setToNone) p.grad = null;
        else p.grad?.data.fill(0);
      }
  }

  stateDict(): OptimizerStateDict {
    let index = 0;
    return {
      name: this.name,
      paramGroups: this.paramGroups.map((g) => {
        const { params, ...hp } = g;
        return { ...(encodeState(hp) as Record<string, unknown>), params: params.map(() => index++) };
      }),
      state: this.slots.map((s) => encodeState(s.state)),
    };
  }

  loadStateDict(sd: OptimizerStateDict): void {
    const fn = `${this.name}.loadStateDict`;
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
      this.definition.validate?.(restored);
      hps.push(restored);
      const mismatch = stateMismatch(this.slots[i].state, decoded[i]);
      if (mismatch !== null)
        throw new ValueError(`${fn}: group ${i}: the saved state does not fit these parameters (${mismatch})`);
    });
    // Everything checked: only now change the optimizer.
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
