import type { Tensor, TypedArray } from '@nablajs/core';

/**
 * A hyperparameter value: a number, a flag, a tuple of numbers (`betas`; an entry may be null where the
 * optimizer allows it, as Adafactor's `eps: [null, 1e-3]`), or a string option (`lineSearchFn`).
 */
export type HyperValue = number | boolean | string | readonly (number | null)[] | null;

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

/**
 * What a step rule sees besides the updates. One context per parameter group, the same object at every step.
 *
 * @example
 * ```ts
 * // Inside a rule's update: the group's hyperparameters, parameters and updates.
 * update(updates, state, ctx) {
 *   const beta = ctx.hp.momentum as number; // read at every step: schedulers change it
 *   for (let i = 0; i < updates.length; i++) {
 *     const u = updates[i];
 *     if (u === null) continue; // no gradient this step
 *     const g = ctx.updateTensor(i); // u as a Tensor of ctx.params[i].shape, no copy
 *     const norm = g.norm().item();
 *     if (norm > 0) u.set(g.div(norm).data);
 *   }
 * }
 * ```
 */
export interface StepContext {
  /** The group's parameters, aligned with the updates, before this step changes them. */
  readonly params: readonly Tensor[];
  /** The group's current hyperparameters (schedulers may have changed them since the last step). */
  readonly hp: Readonly<Hyperparams>;
  /** This group's index in `optimizer.paramGroups`. */
  readonly groupIndex: number;
  /** How many parameter groups the optimizer has now. */
  readonly groupCount: number;
  /**
   * Plain data shared by every group of the optimizer and kept across steps, saved in the state dict
   * (`global`): where a rule keeps statistics that span groups (Prodigy's `d`). Rules name their keys
   * after themselves (`prodigy.d`) so that blocks of one chain do not collide.
   */
  readonly global: Record<string, unknown>;
  /**
   * `updates[i]` viewed as a {@link Tensor} of parameter `i`'s shape, without a copy: core ops on it
   * (under no-grad) let a rule work on whole matrices (`matmul` runs on the backend's kernel), and
   * writing `view.data` writes the update. Throws when `updates[i]` is `null`.
   */
  updateTensor(i: number): Tensor;
  /**
   * Re-evaluate the closure given to `step(closure)` (with gradients enabled): the parameters' `grad`
   * then hold fresh gradients at the parameters' current values. Returns the loss. Only for rules that
   * declare `couples: { closure: true }`; throws when `step` was called without a closure.
   */
  evaluate(): number;
  /**
   * Run `task`, JavaScript that reads the arrays `reads` and writes `writes` (typed arrays: the state's,
   * or scratch a fused step computed), as a host task of this optimizer (`runOnHost` of `@nablajs/core`):
   * at once on the cpu and wasm backends; on the webgpu backend, when a value is next awaited if one of
   * the arrays has its newest values on the GPU. Until it ran, `stateDict()` and `loadStateDict()` throw a
   * `HostReadError`. A fused step that keeps its statistics on the GPU (Prodigy's `d`) copies them into
   * the state this way.
   */
  hostTask(reads: readonly TypedArray[], writes: readonly TypedArray[], task: () => void): void;
}

/**
 * Which properties of a rule couple its parameters, groups or steps; the runtime and the testkit read them.
 *
 * @example
 * ```ts
 * const rule: UpdateRule<State> = {
 *   init,
 *   passes: [extrapolate], // moves every group to a look-ahead point: groups are coupled
 *   update, // calls ctx.evaluate() once, then puts the parameters back
 *   couples: { closure: true, global: true },
 * };
 * defineOptimizer({ name: 'extragradient', defaults: { lr: 0.01 }, rule })(params).requiresClosure; // true
 * ```
 */
export interface RuleCouplings {
  /** The rule calls `ctx.evaluate()`: `step` must be given a closure, and `optimizer.requiresClosure` is true. */
  readonly closure?: boolean;
  /** The rule reduces statistics across parameters or groups (`passes`, `ctx.global`): a parameter's step depends on the others. */
  readonly global?: boolean;
  /** The rule keeps two points (`setMode`): `optimizer.train()` / `optimizer.eval()` swap the parameters between them. */
  readonly trainEval?: boolean;
}

/**
 * One pass of a rule over every parameter group, run before any group's `update` of the same rule
 * (see {@link UpdateRule.passes}).
 *
 * @example
 * ```ts
 * // Two passes: reset a sum (every group writes the same 0), then add each group's squares to it.
 * const passes: RulePass<null>[] = [
 *   (_updates, _state, ctx) => {
 *     ctx.global['mine.sumSq'] = 0;
 *   },
 *   (updates, _state, ctx) => {
 *     let sum = ctx.global['mine.sumSq'] as number;
 *     for (const u of updates) if (u !== null) for (let j = 0; j < u.length; j++) sum += u[j] * u[j];
 *     ctx.global['mine.sumSq'] = sum;
 *   },
 * ];
 * ```
 */
export type RulePass<S = unknown> = {
  // NOTE: declared as a method so that a rule's passes are checked bivariantly, like `update`.
  /** Visit one group: read `updates` (and the parameters), write per-step statistics into `ctx.global` or `state`. */
  pass(updates: readonly (TypedArray | null)[], state: S, ctx: StepContext): void;
}['pass'];

/**
 * An update rule, as in Optax: `init` builds the state for a group of parameters, and `update` turns
 * the gradients (copied into `updates`, buffers owned by the runtime) into the final parameter deltas,
 * in place. The runtime then adds `updates[i]` to parameter `i`. An entry is `null` for a parameter
 * without a gradient this step: the rule must skip it (and not advance its step counter).
 *
 * State must be plain data (numbers, booleans, typed arrays, arrays and objects of those) so that it
 * can be saved, loaded and cloned without code of its own.
 *
 * Beyond elementwise rules, a rule may:
 * - work on whole matrices with core ops through `ctx.updateTensor(i)` (Muon, SOAP);
 * - reduce across all parameters and groups: each function of `passes` visits every group before any
 *   group's `update` runs, keeping per-step sums in `ctx.global` (Prodigy, SAM's gradient norm);
 * - re-evaluate the loss and gradients within a step with `ctx.evaluate()` (SAM), declaring
 *   `couples: { closure: true }`;
 * - keep two points and swap the parameters between them on `optimizer.train()` / `optimizer.eval()`
 *   with `setMode` (Schedule-Free).
 *
 * @example
 * ```ts
 * // sign descent: u ← -lr·sign(g)
 * const signDescent: UpdateRule<null> = {
 *   init: () => null,
 *   update(updates, _state, ctx) {
 *     for (const u of updates) if (u !== null) for (let j = 0; j < u.length; j++) u[j] = -ctx.hp.lr * Math.sign(u[j]);
 *   },
 * };
 * ```
 */
export interface UpdateRule<S = unknown> {
  /** Build the state for `params` (called once per parameter group). */
  init(params: readonly Tensor[], hp: Readonly<Hyperparams>): S;
  /** Transform `updates` in place. Must not allocate in the steady state. */
  update(updates: readonly (TypedArray | null)[], state: S, ctx: StepContext): void;
  /**
   * Passes over every group that run, in order, before any group's `update` in the same step: pass 1
   * visits groups 0, 1, ..., then pass 2 does, and so on. A pass reduces statistics across groups into
   * `ctx.global`, or perturbs the parameters before `ctx.evaluate()`. Groups without any gradient this
   * step are skipped, as in `update`.
   */
  readonly passes?: readonly RulePass<S>[];
  /**
   * Move the group's parameters to the point of `mode` (`'eval'`: where the loss is evaluated, such as
   * Schedule-Free's average `x`; `'train'`: where gradients are taken). Called once per group by
   * `optimizer.train()` / `optimizer.eval()` when the mode changes. Declare `couples: { trainEval: true }`.
   */
  setMode?(mode: 'train' | 'eval', state: S, ctx: StepContext): void;
  /** What the rule couples (closure, global statistics, train/eval points); none when absent. */
  readonly couples?: RuleCouplings;
  /** Set by {@link chain}: the blocks, which the runtime runs block by block over all groups when any has `passes`. */
  readonly blocks?: readonly UpdateRule<unknown>[];
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

/**
 * The serialised state of an optimizer: plain JSON-safe data.
 *
 * @example
 * ```ts
 * const saved = JSON.stringify(opt.stateDict());
 * const fresh = adam(model.parameters());
 * fresh.loadStateDict(JSON.parse(saved)); // continues bit for bit
 * ```
 */
export interface OptimizerStateDict {
  /** The optimizer's registered name. */
  name: string;
  /** Per group: its hyperparameters and the indices of its parameters (counted across all groups). */
  paramGroups: SavedParamGroup[];
  /** Per group: the rule's state, encoded as JSON-safe data. */
  state: unknown[];
  /** The rule's cross-group data ({@link StepContext.global}), when it keeps any. */
  global?: unknown;
  /** `'train'` or `'eval'` for an optimizer with two points (Schedule-Free): the point the parameters were at. */
  mode?: 'train' | 'eval';
}

/**
 * An optimizer, as every factory returns it (PyTorch's shape): `step`, `zeroGrad`, `paramGroups`,
 * `addParamGroup`, `stateDict` / `loadStateDict`, and step hooks.
 *
 * @example
 * ```ts
 * const opt: Optimizer = adam(model.parameters(), { lr: 1e-3 });
 * opt.zeroGrad();
 * loss.backward();
 * opt.step();
 * opt.paramGroups[0].lr = 1e-4; // schedulers do this
 * ```
 */
export interface Optimizer {
  /** The registered name (`sgd`, `adam`, ...). */
  readonly name: string;
  /** The default hyperparameters, applied to groups that do not set their own. */
  readonly defaults: Readonly<Hyperparams>;
  /** The parameter groups, with writable hyperparameters. */
  readonly paramGroups: ParamGroup[];
  /**
   * True when `step` must be given a closure (L-BFGS, SAM): it re-evaluates the loss within a step.
   * Training loops such as `fit` pass one. Absent or false otherwise.
   */
  readonly requiresClosure?: boolean;
  /**
   * What the optimizer's rule couples (closure, statistics across parameters, train/eval points), as
   * its rule declares; the testkit selects its checks by it. Absent for a hand-written optimizer that
   * does not say.
   */
  readonly couples?: RuleCouplings;
  /**
   * `'train'` or `'eval'` for an optimizer that keeps two points (Schedule-Free); absent otherwise. A
   * new optimizer is in `'train'` mode.
   */
  readonly mode?: 'train' | 'eval';
  /**
   * Update every parameter that has a gradient. With a closure, call it first (with gradients
   * enabled) and return its loss.
   */
  step(closure?: Closure): number | undefined;
  /**
   * `step(closure?)` for every backend, the loss read asynchronously: the step is queued when the call
   * returns, and the promise resolves with the closure's first loss (`undefined` without a closure) once
   * it can be read. On the cpu and wasm backends it is `step` and resolves at once. On the webgpu
   * backend a closure step whose rule can run where the values are (SAM) stays on the GPU; any other
   * closure step (L-BFGS) first brings the parameters and their gradients back, then runs on the host
   * (its closure must not read other values still on the GPU: bring them with `bringToHost` first).
   * Optional: optimizers made with `defineOptimizer` have it.
   */
  stepAsync?(closure?: Closure): Promise<number | undefined>;
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
  /**
   * Put the parameters at the point where gradients are taken (before training steps). Does nothing
   * for optimizers with one point; `fit` calls it before training and after validation.
   */
  train?(): void;
  /**
   * Put the parameters at the point to evaluate (before validation, checkpoints and at the end of
   * training). Does nothing for optimizers with one point.
   */
  eval?(): void;
}

/**
 * An optimizer made by `defineOptimizer` or `defineWrapper`: an {@link Optimizer} whose `train()`,
 * `eval()`, `requiresClosure` and `couples` are always there.
 *
 * @example
 * ```ts
 * const opt: RuleBasedOptimizer = adamwScheduleFree(model.parameters());
 * opt.train();
 * // ... steps ...
 * opt.eval(); // evaluate or save at the averaged point
 * ```
 */
export interface RuleBasedOptimizer extends Optimizer {
  /** True when the rule calls `ctx.evaluate()`: `step` needs a closure. */
  readonly requiresClosure: boolean;
  /** What the rule couples, as it declares (each false when it declares nothing). */
  readonly couples: Required<RuleCouplings>;
  /** Put the parameters at the training point (no-op for a rule with one point). */
  train(): void;
  /** Put the parameters at the evaluation point (no-op for a rule with one point). */
  eval(): void;
  /** See {@link Optimizer.stepAsync}. */
  stepAsync(closure?: Closure): Promise<number | undefined>;
  /**
   * Whether `stepAsync(closure)` would keep this step where the values are (the GPU of the webgpu
   * backend) rather than bring the parameters back: true for a rule with a device closure step (SAM)
   * whose groups allow it, on a backend that keeps values away from JavaScript; false otherwise.
   */
  closureStepOnDevice(): boolean;
}

/**
 * An optimizer whose rule re-evaluates the loss within a step (SAM): its type says that `step` takes a
 * closure, and `requiresClosure` is `true`.
 *
 * @example
 * ```ts
 * import sgdPlugin from '@nablajs/optim-sgd';
 * usePlugin(sgdPlugin); // SAM finds its base optimizer by name
 * const opt: ClosureOptimizer = sam(model.parameters(), { base: 'sgd', baseOptions: { lr: 0.1 } });
 * opt.step(() => {
 *   opt.zeroGrad();
 *   const loss = lossFn(model.forward(x), y);
 *   loss.backward();
 *   return loss;
 * });
 * ```
 */
export interface ClosureOptimizer extends RuleBasedOptimizer {
  /** Always true. */
  readonly requiresClosure: true;
  /** Call the closure (gradients at the current point), run the rule (which calls it again), return the first loss. */
  step(closure: Closure): number;
  /** {@link ClosureOptimizer.step} with the loss read asynchronously (see {@link Optimizer.stepAsync}). */
  stepAsync(closure: Closure): Promise<number>;
}
