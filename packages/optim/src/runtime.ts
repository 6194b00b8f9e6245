import {
  enableGrad,
  HostReadError,
  hostReadsMayWait,
  runOnHost,
  runOnHostNow,
  setGradEnabled,
  type Tensor,
  type TypedArray,
  ValueError,
} from '@nablajs/core';
import {
  checkAgainstDefaults,
  checkOptionNames,
  type DeviceClosureStep,
  hasPasses,
  type OptimizerDefinition,
} from './definition';
import {
  checkStep,
  closureLoss,
  closureLossValue,
  lossWhenRead,
  runDeviceStep,
  stepWhenOnHost,
} from './device-closure';

import { fusedUpdatesEnabled } from './fused';
import {
  applyUpdates,
  checkGroupParams,
  type GroupSlot,
  loadUpdates,
  makeSlot,
  moveSlots,
  ruleOnHost,
  runStaged,
  stateArrays,
  zeroGrads,
} from './group-slot';
import { addHook, isTensorList } from './hooks';
import { runGroupsOnHost } from './host-task';
import { decodeState, readStateDict, restoreInto, writeStateDict } from './state';
import type {
  Closure,
  Hyperparams,
  HyperValue,
  OptimizerStateDict,
  ParamGroup,
  ParamGroupInput,
  ParamsInput,
  RuleBasedOptimizer,
  RuleCouplings,
  StepHook,
  UpdateRule,
} from './types';

/** The optimizer {@link defineOptimizer} builds from a definition (internal: reach it through the factory). */
export class RuleOptimizer implements RuleBasedOptimizer {
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
      const move = () => moveSlots(rule, this.slots, mode);
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
    checkOptionNames(this.name, this.definition.defaults, options, where);
  }

  addParamGroup(input: ParamGroupInput): void {
    if (input === null || typeof input !== 'object' || !Array.isArray(input.params))
      throw new ValueError(`${this.name}: a parameter group must be an object with a params array`);
    const { params, ...rest } = input;
    const overrides = rest as Partial<Hyperparams>;
    this.checkOptionNames(overrides, `parameter group ${this.paramGroups.length}`);
    checkGroupParams(this.name, params, this.paramGroups);
    const hp = { ...this.defaults, ...overrides } as Hyperparams;
    // NOTE: tuples (betas, etas) are copied so that editing one group's never reaches the defaults.
    for (const [key, value] of Object.entries(hp)) if (Array.isArray(value)) hp[key] = [...value];
    this.validate(hp);
    const group = { ...hp, params: [...params] } as ParamGroup;
    const state = this.definition.rule.init(group.params, group as unknown as Hyperparams);
    this.paramGroups.push(group);
    this.slots.push(
      makeSlot(this.name, group, state, this.slots, this.global, {
        evaluate: () => this.evaluate(),
        hostTask: (reads, writes, task) => {
          this.waiting++;
          runOnHost(reads, writes, () => {
            this.waiting--;
            task();
          });
        },
      }),
    );
  }

  private evaluate(): number {
    const closure = this.closure;
    if (closure === null)
      throw new ValueError(`${this.name}.step: this optimizer re-evaluates the loss within a step; pass a closure`);
    return this.callClosure(closure);
  }

  private callClosure(closure: Closure): number {
    return closureLossValue(this.name, enableGrad(closure));
  }

  step(closure?: Closure): number | undefined {
    checkStep(this.name, closure, this.requiresClosure, this.mode);
    if (closure !== undefined && hostReadsMayWait())
      // The closure's loss is needed at once: the whole step runs on the host, with the cpu kernels.
      return runOnHostNow(
        this.paramGroups.flatMap((g) => g.params.map((p) => p._array)),
        `${this.name}.step (a step with a closure runs on the host on the webgpu backend: await bringToHost(params) first, or use stepAsync(closure), which keeps SAM's step on the GPU)`,
        () => this.run(closure, false) as number,
      );
    return this.run(closure, hostReadsMayWait()) as number | undefined;
  }

  closureStepOnDevice(): boolean {
    return hostReadsMayWait() && this.definition.closureOnDevice?.when(this.paramGroups) === true;
  }

  async stepAsync(closure?: Closure): Promise<number | undefined> {
    if (closure === undefined || !hostReadsMayWait()) return this.step(closure);
    // before the wait: a bad call rejects without waiting for the GPU
    checkStep(this.name, closure, this.requiresClosure, this.mode);
    if (!this.closureStepOnDevice()) return stepWhenOnHost(this.paramGroups, () => this.step(closure));
    return lossWhenRead(this.run(closure, true, this.definition.closureOnDevice) as Tensor | number);
  }

  /**
   * The step after its checks. `whereValuesAre`: see {@link RuleOptimizer.stepWhereValuesAre}; `device`: a
   * closure step where the values are (see {@link DeviceClosureStep}), whose first loss is returned unread.
   */
  private run(
    closure: Closure | undefined,
    whereValuesAre: boolean,
    device?: DeviceClosureStep,
  ): number | Tensor | undefined {
    let loss: number | Tensor | undefined;
    if (closure !== undefined) {
      const value = closureLoss(this.name, enableGrad(closure));
      loss = device === undefined && typeof value !== 'number' ? value.item() : value;
    }
    // NOTE: no closures or array copies here unless hooks exist: a step allocates nothing.
    if (this.before.length > 0) for (const hook of this.before.slice()) hook(this);
    const recording = setGradEnabled(false);
    this.closure = closure ?? null;
    try {
      if (device !== undefined) this.stepOnDevice(closure as Closure, device);
      else if (whereValuesAre) this.stepWhereValuesAre();
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

  private stepOnDevice(closure: Closure, device: DeviceClosureStep): void {
    runDeviceStep(
      this.name,
      device,
      this.slots,
      () => closureLoss(this.name, enableGrad(closure)),
      (slots) => this.hostStep(slots, device.rest.rule, device.rest.state),
    );
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
    for (const slot of this.slots) slot.active = loadUpdates(slot);
    runStaged(
      this.definition.rule,
      this.slots,
      this.slots.map((s) => s.state),
    );
    for (const slot of this.slots) if (slot.active) applyUpdates(slot);
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
    if (slots.length > 0) this.hostStep(slots, this.definition.rule, (state) => state);
  }

  /**
   * `rule` (its state in each group's by `stateOf`) over `slots` as a host task, with the gradients and
   * hyperparameters of this call; a rule with passes steps the slots together.
   */
  private hostStep(
    slots: readonly GroupSlot[],
    rule: UpdateRule<unknown>,
    stateOf: (groupState: unknown) => unknown,
  ): void {
    const closure = this.closure;
    const { reads, run } = ruleOnHost(slots, rule, stateOf);
    this.onHost(reads, slots, () => {
      const outer = this.closure;
      this.closure = closure;
      const recording = setGradEnabled(false);
      try {
        run();
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
      // the state too: a fused step or a kernel may have left its newest values on the GPU
      slots.flatMap((slot) => stateArrays(slot.state)),
    );
  }

  private updateGroup(slot: GroupSlot): void {
    const fused = this.definition.fused;
    if (fused !== undefined && fusedUpdatesEnabled() && fused(slot.state, slot.ctx)) return;
    if (!loadUpdates(slot)) return;
    this.definition.rule.update(slot.updates, slot.state, slot.ctx);
    applyUpdates(slot);
  }

  zeroGrad(setToNone = true): void {
    zeroGrads(this.paramGroups, setToNone);
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
    const states = this.slots.map((s) => s.state);
    return writeStateDict(this.name, this.paramGroups, states, this.global, this.mode);
  }

  loadStateDict(sd: OptimizerStateDict): void {
    const fn = `${this.name}.loadStateDict`;
    // NOTE: a waiting step would run on the loaded state, with the hyperparameters it was called with.
    this.checkNotWaiting('loadStateDict');
    const { decoded, hps, global } = readStateDict(fn, sd, {
      name: this.name,
      paramGroups: this.paramGroups,
      states: this.slots.map((slot) => slot.state),
      checkGroup: (hp, i) => {
        this.checkOptionNames(hp, `group ${i} of the state`);
        const restored = { ...this.paramGroups[i], ...(decodeState(hp) as Record<string, HyperValue>) } as Hyperparams;
        this.validate(restored);
        return restored;
      },
    });
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
