import { type Tensor, ValueError } from '@nablajs/core';
import { chain } from './chain';
import { defineOptimizer, definitionOf } from './define';
import { type DeviceClosureStep, hasPasses, type OptimizerDefinition } from './definition';
import { registeredFactory } from './plugin';
import type {
  FusedUpdate,
  Hyperparams,
  HyperValue,
  ParamGroup,
  ParamsInput,
  RuleBasedOptimizer,
  StepContext,
  UpdateRule,
} from './types';

/**
 * What {@link defineWrapper} takes: a rule that runs around another optimizer, named at construction.
 *
 * @example
 * ```ts
 * // Grokfast: amplify the slow part of the gradient before any optimizer sees it.
 * const definition: WrapperDefinition = {
 *   name: 'grokfast',
 *   innerOption: 'inner', // grokfast(params, { inner: 'adam', innerOptions: { ... } })
 *   defaults: { alpha: 0.98, lamb: 2 },
 *   validate: (hp) => checkNumber('grokfast', 'alpha', hp.alpha, { min: 0, max: 1 }),
 *   before: amplifySlowGradients(),
 * };
 * export const grokfast = defineWrapper(definition);
 * ```
 */
export interface WrapperDefinition {
  /** The registered name of the wrapper (`lookahead`, `sam`). */
  name: string;
  /** The option that names the wrapped optimizer (`inner` for Lookahead, `base` for SAM); `<option>Options` holds its options. */
  innerOption: string;
  /** The wrapped optimizer when the option is not given; without it the option is required. */
  defaultInner?: string;
  /** The wrapper's own hyperparameters with their defaults (`k`, `alpha`); they are per group like the inner ones. */
  defaults: Record<string, HyperValue>;
  /** Check the wrapper's own hyperparameters of one group; throw a `ValueError` naming the option. */
  validate?: (hp: Readonly<Hyperparams>) => void;
  /** A block that runs before the inner rule (SAM's perturbation and re-evaluation). */
  before?: UpdateRule<unknown>;
  /** A block that runs after the inner rule, on its updates (Lookahead's synchronisation). */
  after?: UpdateRule<unknown>;
  /**
   * The `before` block's work where the values live (webgpu), over every group at once, for a `before`
   * that re-evaluates the closure (SAM): the wrapped optimizer's `stepAsync(closure)` then keeps the step
   * on the GPU, the inner optimizer taking its fused step on the gradients `run` leaves in `p.grad`.
   */
  beforeOnDevice?: DeviceBlock;
  /**
   * The `after` block's fused step (Lookahead's synchronisation as a kernel): with it, and an inner
   * optimizer that has a fused step and no passes, the wrapped optimizer's fused step is the inner one
   * followed by this one, for the groups whose `when` holds (the chain runs for the others).
   */
  afterFused?: FusedBlock;
}

/**
 * What {@link WrapperDefinition.afterFused} gives: which groups it takes, and its step after the inner
 * optimizer's fused step has moved the parameters.
 *
 * @example
 * ```ts
 * const block: FusedBlock = {
 *   when: () => hostReadsMayWait(), // only where the values stay on the device
 *   run: (state, ctx) => { for (const p of ctx.params) if (p.grad !== null) syncKernel(state, p); },
 * };
 * ```
 */
export interface FusedBlock {
  /** Whether it takes this group's step; asked before the inner optimizer's fused step runs. */
  when(ctx: StepContext): boolean;
  /** Its step on the block's own state, once the inner fused step has moved the group's parameters. */
  run(state: unknown, ctx: StepContext): void;
}

/** The wrapped optimizer's fused step: the inner optimizer's, then `after`'s, on a group both take. */
function fusedAfter(block: FusedBlock, inner: FusedUpdate, view: Renaming): FusedUpdate {
  return (state, ctx) => {
    const [innerState, afterState] = state as unknown[];
    if (!block.when(ctx) || !inner(innerState, view.ctx(ctx))) return false;
    block.run(afterState, ctx);
    return true;
  };
}

/**
 * What {@link WrapperDefinition.beforeOnDevice} gives: when it applies, and its run over the `before`
 * block's states (see {@link DeviceClosureStep}, whose `when` and `run` these become).
 *
 * @example
 * ```ts
 * const block: DeviceBlock = {
 *   when: (groups) => groups.every((g) => g.params.every((p) => p.dtype === 'float32')),
 *   run: (states, contexts, evaluate) => { climb(states, contexts); evaluate(); return () => {}; },
 * };
 * ```
 */
export interface DeviceBlock {
  /** Whether the block can run where the values are, given every group. */
  when(groups: readonly ParamGroup[]): boolean;
  /** Its run over every group; `states` are the block's own states. */
  run(states: unknown[], contexts: readonly StepContext[], evaluate: () => Tensor | number): (() => void) | undefined;
}

/** The wrapped optimizer's {@link DeviceClosureStep}: `device` over the `before` states, then the inner (and after) rule. */
function deviceStep(
  device: DeviceBlock,
  inner: OptimizerDefinition,
  innerRule: UpdateRule<unknown>,
  after: UpdateRule<unknown> | undefined,
  view: Renaming,
): DeviceClosureStep {
  const { fused, fusedWhen } = inner;
  return {
    when: (groups) => device.when(groups),
    run: (states, contexts, evaluate) =>
      device.run(
        states.map((s) => (s as unknown[])[0]),
        contexts,
        evaluate,
      ),
    rest: {
      rule: after === undefined ? innerRule : chain(innerRule, after),
      state: (s) => (after === undefined ? (s as unknown[])[1] : (s as unknown[]).slice(1)),
      // the inner optimizer's fused step fits only where nothing runs after it
      fused: fused === undefined || after !== undefined ? undefined : (state, ctx) => fused(state, view.ctx(ctx)),
      fusedWhen:
        fusedWhen === undefined || after !== undefined ? undefined : (groups) => fusedWhen(groups.map(view.hp)),
    },
  };
}

/**
 * The options of a wrapper factory: its own hyperparameters, the inner optimizer's name and `<option>Options`.
 *
 * @example
 * ```ts
 * import rmspropPlugin from '@nablajs/optim-rmsprop';
 * usePlugin(rmspropPlugin);
 * const options: WrapperOptions = {
 *   inner: 'rmsprop', // the innerOption: a registered optimizer
 *   innerOptions: { lr: 1e-3, alpha: 0.9 }, // RMSprop's alpha: 'inner.alpha' in the groups (Lookahead has one)
 *   k: 5,
 *   alpha: 0.5, // Lookahead's own
 * };
 * lookahead(model.parameters(), options);
 * ```
 */
export type WrapperOptions = Record<string, HyperValue | Readonly<Record<string, HyperValue>> | undefined>;

/**
 * A factory made by {@link defineWrapper}: `name(params, { inner: 'adam', innerOptions: {...}, ...own })`.
 *
 * @example
 * ```ts
 * const factory: WrapperFactory<LookaheadOptions> = lookahead;
 * usePlugin(adamPlugin); // the inner optimizer is found by name
 * const opt = factory(model.parameters(), { inner: 'adam', innerOptions: { lr: 1e-3 }, k: 6 });
 * opt.paramGroups[0].k; // 6, beside Adam's lr, betas, ...
 * ```
 */
export type WrapperFactory<O extends object = WrapperOptions> = (
  params: ParamsInput,
  options?: O,
) => RuleBasedOptimizer;

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function hpView(hp: Readonly<Hyperparams>, renames: ReadonlyMap<string, string>): Readonly<Hyperparams> {
  return new Proxy(hp as Hyperparams, {
    get(target, key) {
      const renamed = typeof key === 'string' ? renames.get(key) : undefined;
      return Reflect.get(target, renamed ?? key);
    },
    has(target, key) {
      const renamed = typeof key === 'string' ? renames.get(key) : undefined;
      return Reflect.has(target, renamed ?? key);
    },
  });
}

/**
 * How the wrapped optimizer reads the shared groups: its hyperparameters, and its StepContexts (one view
 * per context, made on first use), through `renames` (inner name → group key). Made once per wrapped
 * optimizer and shared by its rule, its fused step and its device step.
 */
interface Renaming {
  /** No name is renamed: hyperparameters and contexts are read as they are. */
  readonly none: boolean;
  hp(hp: Readonly<Hyperparams>): Readonly<Hyperparams>;
  ctx(ctx: StepContext): StepContext;
}

function renaming(renames: ReadonlyMap<string, string>): Renaming {
  if (renames.size === 0) return { none: true, hp: (hp) => hp, ctx: (ctx) => ctx };
  const contexts = new WeakMap<StepContext, StepContext>();
  return {
    none: false,
    hp: (hp) => hpView(hp, renames),
    ctx: (ctx) => {
      let mapped = contexts.get(ctx);
      if (mapped === undefined) {
        mapped = Object.create(ctx, { hp: { value: hpView(ctx.hp, renames) } }) as StepContext;
        contexts.set(ctx, mapped);
      }
      return mapped;
    },
  };
}

/**
 * `rule` reading its hyperparameters through `renames` (inner name → group key): how a wrapped
 * optimizer whose option names clash with the wrapper's (RMSprop's `alpha` under Lookahead) reads
 * `inner.alpha` from the shared group.
 */
function namespaced(rule: UpdateRule<unknown>, view: Renaming): UpdateRule<unknown> {
  if (view.none) return rule;
  const map = view.ctx;
  const setMode = rule.setMode;
  return {
    init: (params, hp) => rule.init(params, view.hp(hp)),
    update: (updates, state, ctx) => rule.update(updates, state, map(ctx)),
    passes: rule.passes?.map((pass) => (updates, state, ctx) => pass(updates, state, map(ctx))),
    setMode: setMode === undefined ? undefined : (mode, state, ctx) => setMode.call(rule, mode, state, map(ctx)),
    couples: rule.couples,
    blocks: rule.blocks?.map((b) => namespaced(b, view)),
  };
}

/**
 * Define an optimizer that wraps any optimizer registered by {@link defineOptimizer}, named at
 * construction with its own options: `lookahead(params, { inner: 'adam', innerOptions: { betas: [0.9,
 * 0.99] }, k: 5 })`. The result is one optimizer whose groups hold the wrapper's hyperparameters and the
 * inner optimizer's side by side (`opt.paramGroups[0].k`, `opt.paramGroups[0].lr`), so every one of them
 * is per group, saved in the state dict and can follow a scheduler. An inner option whose name clashes
 * with the wrapper's own (RMSprop's `alpha` under Lookahead's `alpha`) is kept as `<innerOption>.<name>`
 * (`inner.alpha`). Its rule is `chain(before, inner, after)`, so the inner optimizer runs exactly as it
 * does alone, on the same state layout.
 *
 * @example
 * ```ts
 * import adamPlugin from '@nablajs/optim-adam';
 * export const lookahead = defineWrapper({
 *   name: 'lookahead',
 *   innerOption: 'inner',
 *   defaults: { k: 5, alpha: 0.5 },
 *   after: lookaheadSync(),
 * });
 * usePlugin(adamPlugin); // the inner optimizer is found by name
 * const opt = lookahead(model.parameters(), { inner: 'adam', innerOptions: { lr: 1e-3 }, k: 6 });
 * ```
 */
export function defineWrapper<O extends object = WrapperOptions>(definition: WrapperDefinition): WrapperFactory<O> {
  const { name, innerOption } = definition;
  const optionsKey = `${innerOption}Options`;
  const factory = (params: ParamsInput, options?: O): RuleBasedOptimizer => {
    const opts = (options ?? {}) as Record<string, unknown>;
    if (!isRecord(opts)) throw new ValueError(`${name}: options must be an object`);
    const innerName = opts[innerOption] ?? definition.defaultInner;
    if (typeof innerName !== 'string' || innerName.length === 0)
      throw new ValueError(
        `${name}: ${innerOption} must name a registered optimizer (such as 'adam'), got ${JSON.stringify(innerName)}`,
      );
    const factory = registeredFactory(innerName);
    if (factory === undefined)
      throw new ValueError(
        `${name}: ${innerOption} ${JSON.stringify(innerName)} is not a registered optimizer; register its plugin with usePlugin first`,
      );
    const inner: OptimizerDefinition | undefined = definitionOf(factory);
    if (inner === undefined)
      throw new ValueError(
        `${name}: ${innerOption} ${JSON.stringify(innerName)} cannot be wrapped: it is not an update rule made with defineOptimizer`,
      );
    const renames = new Map<string, string>();
    for (const key of Object.keys(inner.defaults))
      if (key in definition.defaults || key === innerOption || key === optionsKey)
        renames.set(key, `${innerOption}.${key}`);
    const innerOptions = opts[optionsKey] ?? {};
    if (!isRecord(innerOptions))
      throw new ValueError(`${name}: ${optionsKey} must be an object of ${innerName}'s options`);
    const merged: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(opts)) if (key !== innerOption && key !== optionsKey) merged[key] = value;
    for (const [key, value] of Object.entries(innerOptions)) {
      if (!(key in inner.defaults))
        throw new ValueError(
          `${name}: unknown option ${JSON.stringify(key)} in ${optionsKey} for ${innerName}; valid options: ${Object.keys(inner.defaults).join(', ')}`,
        );
      const target = renames.get(key) ?? key;
      if (target in merged)
        throw new ValueError(
          `${name}: option ${JSON.stringify(key)} of ${innerName} is given twice, at the top level and in ${optionsKey}; give it once`,
        );
      merged[target] = value;
    }
    const defaults: Hyperparams = { lr: inner.defaults.lr };
    for (const [key, value] of Object.entries(inner.defaults)) defaults[renames.get(key) ?? key] = value;
    Object.assign(defaults, definition.defaults, { [innerOption]: innerName });
    const view = renaming(renames);
    const innerRule = namespaced(inner.rule, view);
    const rules = [definition.before, innerRule, definition.after].filter(
      (r): r is UpdateRule<unknown> => r !== undefined,
    );
    const device = definition.beforeOnDevice;
    const { afterFused } = definition;
    const fused =
      afterFused !== undefined && definition.before === undefined && inner.fused !== undefined && !hasPasses(inner.rule)
        ? fusedAfter(afterFused, inner.fused, view)
        : undefined;
    const wrapped = defineOptimizer({
      name,
      defaults,
      validate(hp) {
        if (hp[innerOption] !== innerName)
          throw new ValueError(
            `${name}: ${innerOption} is ${JSON.stringify(innerName)} for the whole optimizer; a group cannot set ${JSON.stringify(hp[innerOption])}`,
          );
        definition.validate?.(hp);
        inner.validate?.(view.hp(hp));
      },
      rule: chain(...rules),
      fused,
      closureOnDevice:
        device === undefined || definition.before === undefined
          ? undefined
          : deviceStep(device, inner, innerRule, definition.after, view),
    });
    return wrapped(params, merged as Partial<Hyperparams>);
  };
  wrappers.set(factory, definition);
  return factory;
}

const wrappers = new WeakMap<object, WrapperDefinition>();

/**
 * The definition behind a factory made by {@link defineWrapper} (its `innerOption`, own defaults and
 * blocks), or `undefined` for any other factory. The command line reads it to list a wrapper's options.
 *
 * @example
 * ```ts
 * wrapperDefinitionOf(lookahead)?.innerOption; // 'inner'
 * ```
 */
export function wrapperDefinitionOf(factory: unknown): WrapperDefinition | undefined {
  return typeof factory === 'function' ? wrappers.get(factory) : undefined;
}
