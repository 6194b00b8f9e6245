import { ValueError } from '@nablajs/core';
import { checkDefinition, type OptimizerDefinition, type RuleOptimizerFactory } from './definition';
import { RuleOptimizer } from './runtime';
import type { Hyperparams, ParamsInput } from './types';

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
 * Declare `definition` as the one behind a hand-written `factory`: a factory that builds optimizers of
 * `definition` but also takes options that are not hyperparameters (a function, say, which a parameter
 * group cannot hold). {@link definitionOf} then returns it, so that wrappers (`lookahead`, `sam`) can wrap
 * the factory by name, with the definition's own options. Returns `factory`.
 *
 * @typeParam F - the factory's own type, kept as it is
 *
 * @example
 * ```ts
 * const plain = defineOptimizer(myDefinition(defaultSchedule));
 * export const mine = withDefinition(
 *   (params: ParamsInput, { schedule, ...rest }: MyOptions = {}) =>
 *     schedule === undefined ? plain(params, rest) : defineOptimizer(myDefinition(schedule))(params, rest),
 *   definitionOf(plain) as OptimizerDefinition,
 * );
 * lookahead(params, { inner: 'mine' }); // wraps the definition (the default schedule)
 * ```
 */
export function withDefinition<F extends (...args: never[]) => unknown>(
  factory: F,
  definition: OptimizerDefinition,
): F {
  if (typeof factory !== 'function')
    throw new ValueError(`withDefinition: factory must be a function, got ${typeof factory}`);
  checkDefinition(definition);
  definitions.set(factory, definition);
  return factory;
}

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
