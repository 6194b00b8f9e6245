import { type Tensor, ValueError } from '@nablajs/core';
import type {
  FusedUpdate,
  Hyperparams,
  Optimizer,
  ParamGroup,
  ParamsInput,
  RuleBasedOptimizer,
  StepContext,
  UpdateRule,
} from './types';
import { checkBoolean, checkNumber, checkTuple } from './validate';

/**
 * How to build a named optimizer from an update rule: what {@link defineOptimizer} takes.
 *
 * @example
 * ```ts
 * const definition: OptimizerDefinition = {
 *   name: 'signum',
 *   defaults: { lr: 0.01, momentum: 0.9, weightDecay: 0 }, // every option, lr included
 *   validate: (hp) => checkNumber('signum', 'momentum', hp.momentum, { min: 0, max: 1, maxInclusive: false }),
 *   rule: chain(scaleBySignum(), scaleByLearningRate()),
 * };
 * const signum = defineOptimizer(definition);
 * definitionOf(signum) === definition; // true: wrappers find the rule of a registered optimizer this way
 * ```
 */
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
  /**
   * For a rule with passes (a step that couples the groups, see `UpdateRule.passes`), which otherwise never
   * takes its fused path: whether `fused` applies to this step, given every group's hyperparameters. It is
   * asked before any group steps; when it says yes, `fused` runs for every group and must return true.
   */
  fusedWhen?: (groups: readonly Readonly<Hyperparams>[]) => boolean;
  /**
   * Optional: a closure rule's step where the values live (the GPU of the webgpu backend), which
   * `stepAsync(closure)` runs instead of taking the whole step on the host. See {@link DeviceClosureStep}.
   */
  closureOnDevice?: DeviceClosureStep;
}

/**
 * How a rule that re-evaluates the loss within a step (`couples: { closure: true }`) runs that step
 * where the values live, without reading the loss or the gradients back (SAM's climb to `w + ε`, its
 * second evaluation and its return to `w`, as tensor ops). {@link defineWrapper} builds one from a
 * wrapper's `beforeOnDevice`. The runtime calls the closure once, then `run` over every group, then the
 * rest of the step: `rest.fused` per group (`rest.fusedWhen` decides for a rule with passes), and
 * `rest.rule` as a host task for the groups it refuses.
 *
 * @example
 * ```ts
 * const step: DeviceClosureStep = {
 *   when: (groups) => groups.every((g) => g.params.every((p) => p.dtype === 'float32')),
 *   run: (states, contexts, evaluate) => {
 *     climb(states, contexts); // tensor ops: move the parameters to the perturbed point
 *     evaluate(); // the closure again: the gradients there
 *     restore(states, contexts); // back to the original point, before the rest of the step
 *     return undefined; // or a function to call after the rest
 *   },
 *   rest: { rule: innerRule, state: (s) => (s as unknown[])[1], fused: innerFused },
 * };
 * ```
 */
export interface DeviceClosureStep {
  /** Whether this step can run where the values are, given every group (its hyperparameters and params). */
  when(groups: readonly ParamGroup[]): boolean;
  /**
   * The closure rule's part over every group: `states` and `contexts` of every group, in order;
   * `evaluate()` calls the closure again (gradients enabled) and returns its loss as the closure
   * returned it, unread. Returns a function to call after the rest of the step, or nothing.
   */
  run(states: unknown[], contexts: readonly StepContext[], evaluate: () => Tensor | number): (() => void) | undefined;
  /** The rest of the step on the gradients `run` left in `p.grad`. */
  rest: {
    /** The rule of the rest, run as a host task for the groups `fused` refuses. */
    rule: UpdateRule<unknown>;
    /** The rest's state within a group's state. */
    state(groupState: unknown): unknown;
    /** Its fused step (see {@link OptimizerDefinition.fused}). */
    fused?: FusedUpdate;
    /** For a rest with passes: see {@link OptimizerDefinition.fusedWhen}. */
    fusedWhen?: (groups: readonly Readonly<Hyperparams>[]) => boolean;
  };
}

/**
 * An optimizer factory: `name(params, options)`, as every optimizer package exports.
 *
 * @example
 * ```ts
 * const factory: OptimizerFactory<AdamOptions> = adam;
 * const opt = factory(model.parameters(), { lr: 3e-4 });
 * const grouped = factory([{ params: weights, weightDecay: 0.01 }, { params: biases }], { lr: 3e-4 });
 * ```
 */
export type OptimizerFactory<O extends object = Partial<Hyperparams>> = (params: ParamsInput, options?: O) => Optimizer;

/**
 * A factory made by {@link defineOptimizer}: returns a {@link RuleBasedOptimizer}, whose `train()`,
 * `eval()`, `requiresClosure` and `couples` are always present.
 *
 * @example
 * ```ts
 * const signSgd: RuleOptimizerFactory = defineOptimizer({ name: 'signSgd', defaults: { lr: 0.01 }, rule });
 * signSgd(params).couples; // { closure: false, global: false, trainEval: false }
 * ```
 */
export type RuleOptimizerFactory<O extends object = Partial<Hyperparams>> = (
  params: ParamsInput,
  options?: O,
) => RuleBasedOptimizer;

/** A clear error for a malformed definition, at definition time rather than at the first step. */
export function checkDefinition(definition: OptimizerDefinition): void {
  if (definition === null || typeof definition !== 'object')
    throw new ValueError('defineOptimizer: expected a definition object { name, defaults, rule }');
  const { name, defaults, rule, validate, fused, fusedWhen, closureOnDevice } = definition;
  if (typeof name !== 'string' || name.length === 0)
    throw new ValueError('defineOptimizer: name must be a non-empty string');
  if (defaults === null || typeof defaults !== 'object' || Array.isArray(defaults))
    throw new ValueError(`defineOptimizer: ${name}: defaults must be an object of hyperparameters`);
  if (typeof defaults.lr !== 'number')
    throw new ValueError(`defineOptimizer: ${name}: defaults.lr must be a number (the default learning rate)`);
  if (rule === null || typeof rule !== 'object' || typeof rule.init !== 'function' || typeof rule.update !== 'function')
    throw new ValueError(`defineOptimizer: ${name}: rule must be an update rule with init and update functions`);
  if (validate !== undefined && typeof validate !== 'function')
    throw new ValueError(`defineOptimizer: ${name}: validate must be a function`);
  if (fused !== undefined && typeof fused !== 'function')
    throw new ValueError(`defineOptimizer: ${name}: fused must be a function`);
  if (fusedWhen !== undefined && (typeof fusedWhen !== 'function' || fused === undefined))
    throw new ValueError(`defineOptimizer: ${name}: fusedWhen must be a function, given with fused`);
  if (
    closureOnDevice !== undefined &&
    (closureOnDevice === null ||
      typeof closureOnDevice.when !== 'function' ||
      typeof closureOnDevice.run !== 'function' ||
      typeof closureOnDevice.rest?.state !== 'function' ||
      typeof closureOnDevice.rest.rule?.update !== 'function')
  )
    throw new ValueError(
      `defineOptimizer: ${name}: closureOnDevice must be { when, run, rest: { rule, state } } (see DeviceClosureStep)`,
    );
}

/**
 * The checks every optimizer made by {@link defineOptimizer} runs after its own `validate`: `lr` is a
 * finite number ≥ 0, and every hyperparameter has the type of its default (a number that is not NaN,
 * and finite when its default is, for a number; true or false for a flag; a string for a string; as
 * many numbers for a tuple).
 *
 * @example
 * ```ts
 * checkAgainstDefaults('adam', { lr: 1e-3, betas: [0.9, 0.999] }, { lr: -1, betas: [0.9, 0.999] }); // throws: adam: lr must be in [0, inf), got -1
 * ```
 */
export function checkAgainstDefaults(name: string, defaults: Readonly<Hyperparams>, hp: Readonly<Hyperparams>): void {
  checkNumber(name, 'lr', hp.lr, { min: 0 });
  if (!Number.isFinite(hp.lr)) throw new ValueError(`${name}: lr must be a finite number >= 0, got ${hp.lr}`);
  for (const [key, d] of Object.entries(defaults)) {
    if (key === 'lr' || !(key in hp)) continue;
    const v = hp[key];
    if (typeof d === 'number') {
      checkNumber(name, key, v);
      // NOTE: an option whose default is finite must be finite (Prodigy's growthRate defaults to Infinity).
      if (Number.isFinite(d) && !Number.isFinite(v))
        throw new ValueError(`${name}: ${key} must be a finite number, got ${String(v)}`);
    } else if (typeof d === 'boolean') checkBoolean(name, key, v);
    else if (typeof d === 'string') {
      if (typeof v !== 'string') throw new ValueError(`${name}: ${key} must be a string, got ${JSON.stringify(v)}`);
    } else if (Array.isArray(d)) {
      // An array default with a null entry (Adafactor's eps, [null, 1e-3]): only the length here; the
      // optimizer's validate checks the entries.
      if (d.includes(null)) {
        if (!Array.isArray(v) || v.length !== d.length)
          throw new ValueError(`${name}: ${key} must be an array of ${d.length} values, got ${JSON.stringify(v)}`);
      } else checkTuple(name, key, v, d.length);
    }
  }
}

/** Throw a ValueError naming `name` for a key of `options` (beside `params`) that `defaults` does not have. */
export function checkOptionNames(name: string, defaults: Readonly<Hyperparams>, options: object, where: string): void {
  for (const key of Object.keys(options)) {
    if (key === 'params') continue;
    if (!(key in defaults))
      throw new ValueError(
        `${name}: unknown option ${JSON.stringify(key)} in ${where}; valid options: ${Object.keys(defaults).join(', ')}`,
      );
  }
}

/** Whether `rule`, or a block of it, has passes over every group (the runtime then runs it block by block). */
export function hasPasses(rule: UpdateRule<unknown>): boolean {
  return (rule.passes !== undefined && rule.passes.length > 0) || (rule.blocks?.some(hasPasses) ?? false);
}
