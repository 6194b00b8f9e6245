import type { Tensor, TypedArray } from '@nablajs/core';

/** A hyperparameter value: a number, a flag, a tuple of numbers (`betas`), or a string option (`lineSearchFn`). */
export type HyperValue = number | boolean | string | readonly number[] | null;

/** The hyperparameters of a parameter group, by PyTorch keyword name in lowerCamelCase (`lr`, `weightDecay`, `betas`, ...). */
export interface Hyperparams {
  /** The learning rate. */
  lr: number;
  /** Every other hyperparameter of the optimizer. */
  [name: string]: HyperValue;
}

/**
 * A parameter group: parameters that share hyperparameters. The hyperparameters are plain fields,
 * readable and writable at any time (`opt.paramGroups[0].lr = 0.01`), as in PyTorch.
 */
export interface ParamGroup {
  /** The parameters of the group, updated in place. */
  params: Tensor[];
  /** The group's learning rate. */
  lr: number;
  /** Every other hyperparameter of the group. */
  [name: string]: HyperValue | Tensor[];
}

/** A parameter group as passed to a factory or to `addParamGroup`: its parameters and any hyperparameters it overrides. */
export interface ParamGroupInput {
  /** The group's parameters. */
  params: readonly Tensor[];
  /** The group's learning rate (default: the optimizer's). */
  lr?: number;
  /** Any other hyperparameter the group overrides. */
  [name: string]: HyperValue | readonly Tensor[] | undefined;
}

/** What optimizer factories accept: a list of parameters, or a list of groups with their own hyperparameters. */
export type ParamsInput = readonly Tensor[] | readonly ParamGroupInput[];

/** What a step rule sees besides the updates. */
export interface StepContext {
  /** The group's parameters, aligned with the updates, before this step changes them. */
  readonly params: readonly Tensor[];
  /** The group's current hyperparameters (schedulers may have changed them since the last step). */
  readonly hp: Readonly<Hyperparams>;
}

/**
 * An update rule, as in Optax: `init` builds the state for a group of parameters, and `update` turns
 * the gradients (copied into `updates`, buffers owned by the runtime) into the final parameter deltas,
 * in place. The runtime then adds `updates[i]` to parameter `i`. An entry is `null` for a parameter
 * without a gradient this step: the rule must skip it (and not advance its step counter).
 *
 * State must be plain data (numbers, booleans, typed arrays, arrays and objects of those) so that it
 * can be saved, loaded and cloned without code of its own.
 */
export interface UpdateRule<S = unknown> {
  /** Build the state for `params` (called once per parameter group). */
  init(params: readonly Tensor[], hp: Readonly<Hyperparams>): S;
  /** Transform `updates` in place. Must not allocate in the steady state. */
  update(updates: readonly (TypedArray | null)[], state: S, ctx: StepContext): void;
}

/**
 * A fused step for one parameter group: the whole update (every block of the rule and the parameter
 * write) done in place on the parameters' data, usually one kernel call per parameter, instead of the
 * rule's separate passes over update buffers. It receives the **rule's own state object** (for a
 * `chain(...)` the array of its blocks' states) and must leave it exactly as the rule would, so that
 * `stateDict()` / `loadStateDict()` and switching between the two paths keep working.
 *
 * It returns `true` when it did the step, or `false`, **before changing anything**, when the group's
 * current configuration is one it does not handle: the runtime then runs the rule as usual. It must
 * read the hyperparameters from `ctx.hp` at every call (schedulers change them), skip parameters whose
 * `grad` is null without advancing their state, and allocate nothing in the steady state.
 *
 * @example
 * ```ts
 * // signSgd = chain(scaleBySign(), scaleByLearningRate()), fused: p ← p - lr·sign(g).
 * const fusedSignSgd: FusedUpdate = (_state, ctx) => {
 *   const lr = ctx.hp.lr;
 *   for (const p of ctx.params) {
 *     if (p.grad === null) continue;
 *     const g = p.grad.data;
 *     for (let j = 0; j < g.length; j++) p.data[j] -= lr * Math.sign(g[j]);
 *   }
 *   return true;
 * };
 * ```
 */
export type FusedUpdate = (state: unknown, ctx: StepContext) => boolean;

/** A loss-computing closure for {@link Optimizer.step}: zero the gradients, compute the loss, backward, return it. */
export type Closure = () => Tensor | number;

/** A function called before or after every optimizer step. */
export type StepHook = (optimizer: Optimizer) => void;

/** One parameter group in a state dict: its hyperparameters and the indices of its parameters. */
export interface SavedParamGroup {
  /** The indices of the group's parameters, counted across all groups. */
  params: number[];
  /** The group's hyperparameters (encoded like the rule state). */
  [name: string]: unknown;
}

/** The serialised state of an optimizer: plain JSON-safe data. */
export interface OptimizerStateDict {
  /** The optimizer's registered name. */
  name: string;
  /** Per group: its hyperparameters and the indices of its parameters (counted across all groups). */
  paramGroups: SavedParamGroup[];
  /** Per group: the rule's state, encoded as JSON-safe data. */
  state: unknown[];
}

/**
 * An optimizer, as every factory returns it (PyTorch's shape): `step`, `zeroGrad`, `paramGroups`,
 * `addParamGroup`, `stateDict` / `loadStateDict`, and step hooks.
 */
export interface Optimizer {
  /** The registered name (`sgd`, `adam`, ...). */
  readonly name: string;
  /** The default hyperparameters, applied to groups that do not set their own. */
  readonly defaults: Readonly<Hyperparams>;
  /** The parameter groups, with writable hyperparameters. */
  readonly paramGroups: ParamGroup[];
  /**
   * Update every parameter that has a gradient. With a closure, call it first (with gradients
   * enabled) and return its loss.
   */
  step(closure?: Closure): number | undefined;
  /** Clear the gradients of every parameter: set to null (default) or fill with zeros. */
  zeroGrad(setToNone?: boolean): void;
  /** Add a group of parameters with its own hyperparameters (the defaults fill the rest). */
  addParamGroup(group: ParamGroupInput): void;
  /** The state as plain JSON-safe data. */
  stateDict(): OptimizerStateDict;
  /** Restore a state from {@link Optimizer.stateDict}; on error, nothing changes. */
  loadStateDict(state: OptimizerStateDict): void;
  /** Call `hook` before every step; returns a function that removes it. */
  onBeforeStep(hook: StepHook): () => void;
  /** Call `hook` after every step; returns a function that removes it. */
  onAfterStep(hook: StepHook): () => void;
}
