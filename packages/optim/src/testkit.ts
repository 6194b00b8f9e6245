/**
 * A conformance suite for optimizer factories, for plugin authors: {@link checkOptimizerConformance}
 * runs every check that nabla's own optimizers pass (descent, parameter groups, null gradients,
 * hyperparameters changed between steps, state dicts, determinism, closures, train/eval points, hooks,
 * option validation) on any factory, and {@link assertOptimizerConformance} throws with the list of
 * failures. Import it from `@nablajs/optim/testkit`; the guide "Testing an optimizer"
 * (docs/guides/testkit.md) explains each check.
 *
 * @example
 * ```ts
 * import { checkOptimizerConformance } from '@nablajs/optim/testkit';
 * expect(checkOptimizerConformance(signum, { name: 'signum' }).failures).toEqual([]);
 * ```
 *
 * @packageDocumentation
 * @module @nablajs/optim/testkit
 */
// This file is the testkit's API: its options, the runner and the report. The checks are in
// testkit-checks.ts (hyperparam-changes in testkit-hyperparams.ts), the problems and helpers they share
// in testkit-helpers.ts.
import { NablaError, tensor } from '@nablajs/core';
import {
  checkClosureLoss,
  checkClosureRequired,
  checkDescent,
  checkDeterministic,
  checkGradsUntouched,
  checkHooks,
  checkInvalidOptions,
  checkNullGrads,
  checkParamGroups,
  checkStateDict,
  checkTrainEval,
} from './testkit-checks';
import { type CheckContext, CheckFailure } from './testkit-helpers';
import { checkHyperparamChanges } from './testkit-hyperparams';
import type { Optimizer, ParamsInput, RuleCouplings } from './types';

/**
 * An optimizer factory as the testkit calls it: `factory(params, options)`, where `params` is a list
 * of tensors or of parameter groups. Every nabla factory (`sgd`, `adam`, `lbfgs`, ...) fits.
 */
// biome-ignore lint/suspicious/noExplicitAny: any factory, whatever its options type
export type ConformanceFactory = (params: ParamsInput, options?: any) => Optimizer;

/** The checks of {@link checkOptimizerConformance}, by id. */
export const CONFORMANCE_CHECKS = {
  /** A convex quadratic in 4 variables decreases over `steps` steps. */
  'convex-quadratic': 'decreases a convex quadratic',
  /** Rosenbrock's function decreases over `steps` steps from (-1.2, 1). */
  rosenbrock: 'decreases the Rosenbrock function',
  /** A group with lr 0 does not move; the other moves (as when alone, unless the rule couples parameters). */
  'param-groups': 'respects per-group hyperparameters (a group with lr 0 does not move)',
  /** A parameter whose grad is null does not move and its state does not advance. */
  'null-grads': 'skips parameters whose grad is null (no move, no state advance)',
  /**
   * `lr`, `weightDecay`, `momentum` (and `...Lr`, `...WeightDecay`, `...Momentum`, or `hyperparams`) set in
   * `paramGroups` between two steps, as a scheduler does, change the next step(s) compared with a twin run.
   */
  'hyperparam-changes':
    'reads its hyperparameters at every step (lr, weight decay, momentum changed between steps change the next step)',
  /** `requiresClosure` is true exactly when a closure is needed; then `step()` without one throws. */
  'closure-required':
    'requires a closure exactly when it says so (requiresClosure); without one, step() throws and changes nothing',
  /** `eval()` / `train()` move the parameters between two points and back (no-ops for one point). */
  'train-eval':
    'swaps the parameters between its train and eval points and back, refuses to step in eval mode, keeps the mode in its state dict (no-ops for one point)',
  /** `stateDict()` survives JSON and a fresh optimizer loaded with it continues bit for bit. */
  'state-dict': 'round-trips stateDict through JSON with identical continuation',
  /** Two identical runs agree bit for bit. */
  deterministic: 'is deterministic',
  /** `step()` leaves the gradient tensors and their values alone. */
  'grads-untouched': 'leaves gradients untouched',
  /** `{ lr: -1 }`, an unknown option and each `invalidOptions` entry are rejected, naming the option. */
  'invalid-options': 'rejects invalid options',
  /** `step(closure)` returns the closure's first loss. */
  'closure-loss': "returns the closure's loss from step(closure)",
  /** `onBeforeStep` / `onAfterStep` hooks fire in order around the update and stop when unsubscribed. */
  hooks: 'fires onBeforeStep / onAfterStep hooks in order, and unsubscribes them',
} as const;

/** The id of one conformance check. */
export type ConformanceCheck = keyof typeof CONFORMANCE_CHECKS;

/** Options of {@link checkOptimizerConformance}. */
export interface ConformanceOptions {
  /** The optimizer's name, used in messages. */
  name: string;
  /** Options passed to every factory call (default `{}`: the optimizer's defaults). */
  options?: Record<string, unknown>;
  /**
   * Options that the factory must reject by throwing, each merged over `options`. `{ lr: -1 }` and an
   * unknown option name are always checked too. The error message must name one of the entry's keys.
   */
  invalidOptions?: Record<string, unknown>[];
  /** The dtype of the test parameters (default `'float64'`). */
  dtype?: 'float32' | 'float64';
  /** Steps for the descent checks (default 30); the other checks take a few steps. */
  steps?: number;
  /**
   * Checks that do not apply, with the reason given in the docs of the row (e.g. L-BFGS has a single
   * parameter group and treats a null gradient as zero, as PyTorch's). They are reported as skipped.
   */
  skip?: readonly ConformanceCheck[];
  /**
   * The hyperparameters that the `hyperparam-changes` check changes between two steps, each a finite
   * number in the parameter group; each must change the steps of an optimizer created with the changed
   * value, and then change the steps that follow the change. Default: those of the group among `lr`,
   * `weightDecay`, `momentum` and the names ending in `Lr`, `WeightDecay` or `Momentum` (`adamwLr`), each
   * checked only when it changes the steps of the testkit's problem. List others that a scheduler may
   * change (the `beta` of an EMA); leave out one that a rule reads only when it starts (`[]` checks none).
   *
   * @example
   * ```ts
   * // emaSgd's rule reads ctx.hp.beta at every step, so a scheduler may change it: check it with lr.
   * const result = checkOptimizerConformance(emaSgd, { name: 'emaSgd', hyperparams: ['lr', 'beta'] });
   * result.failures; // []; for a rule that kept the beta of init, one failure:
   * // { check: 'hyperparam-changes', message: 'emaSgd: beta set from 0.9 to 0.45 in paramGroups ...' }
   * ```
   */
  hyperparams?: readonly string[];
  /**
   * What the optimizer couples, when its instances do not say so themselves in `couples` (a
   * hand-written optimizer). Rules made with `defineOptimizer` declare it; this overrides it.
   * - `global`: a parameter's step depends on the other parameters (a global norm, Prodigy's `d`):
   *   `param-groups` then checks that a group with lr 0 stays still and the other moves, but not that it
   *   moves as when optimized alone, and `null-grads` checks that the frozen parameter's own state does
   *   not change rather than comparing trajectories.
   * - `closure`: `step()` without a closure must throw and change nothing.
   * - `trainEval`: `train()` / `eval()` must move the parameters between two points and back.
   */
  couples?: RuleCouplings;
}

/** What {@link checkOptimizerConformance} returns. */
export interface ConformanceResult {
  /** The ids of the checks that passed. */
  passed: string[];
  /** One entry per failed check: its id and what went wrong. */
  failures: {
    /** The id of the check that failed. */
    check: string;
    /** What went wrong, prefixed with the optimizer's name. */
    message: string;
  }[];
  /** The ids of the checks skipped on request. */
  skipped: string[];
}

const RUNNERS: Record<ConformanceCheck, (ctx: CheckContext) => void> = {
  'convex-quadratic': (ctx) => checkDescent(ctx, 'quadratic'),
  rosenbrock: (ctx) => checkDescent(ctx, 'rosenbrock'),
  'param-groups': checkParamGroups,
  'null-grads': checkNullGrads,
  'hyperparam-changes': checkHyperparamChanges,
  'closure-required': checkClosureRequired,
  'train-eval': checkTrainEval,
  'state-dict': checkStateDict,
  deterministic: checkDeterministic,
  'grads-untouched': checkGradsUntouched,
  'invalid-options': checkInvalidOptions,
  'closure-loss': checkClosureLoss,
  hooks: checkHooks,
};

/**
 * Run the optimizer conformance suite on `factory`, synchronously, and report every check. An
 * optimizer conforms when it:
 * - decreases a convex quadratic and the Rosenbrock function (`steps` steps of `step(closure)` from a
 *   fixed start, with `options` or the optimizer's defaults);
 * - respects per-group hyperparameters: with groups `[{ params: [a], lr: 0 }, { params: [b] }]`, `a`
 *   does not move and `b` moves (exactly as when optimized alone, unless the rule couples parameters);
 * - skips parameters whose `grad` is null: they do not move, and their own state (typed arrays of their
 *   size, their entry in per-parameter lists) does not change; for a rule that does not couple
 *   parameters, their later trajectory also equals that of a run without those steps;
 * - reads its hyperparameters at every step: `lr`, `weightDecay` and `momentum` (and the names ending in
 *   `Lr`, `WeightDecay`, `Momentum`, or those of `hyperparams`), changed in `paramGroups` between two
 *   steps as a scheduler does, change the next step (within two steps, other than a learning rate or a
 *   weight decay: a momentum buffer that the change starts) compared with an
 *   identical run where they did not change, whenever an optimizer created with the changed value steps
 *   differently; a parameter that takes its first step then counts, so a rule may read `lr` only to start
 *   a parameter's state (Rprop's step sizes);
 * - round-trips `stateDict()` through `JSON.stringify` / `JSON.parse` into a fresh optimizer that
 *   then continues bit for bit like the original;
 * - is deterministic (two identical runs agree bit for bit);
 * - leaves gradients untouched (same tensors, same values after `step`);
 * - rejects every `invalidOptions` entry (plus `{ lr: -1 }` and an unknown option name) by throwing an
 *   error whose message names the option;
 * - returns the closure's (first) loss from `step(closure)`;
 * - requires a closure exactly when `requiresClosure` says so: then `step()` without one throws and
 *   changes nothing, otherwise `step()` after `backward()` moves the parameters;
 * - for an optimizer with train and eval points (`couples.trainEval`): `eval()` moves the parameters,
 *   `train()` brings them back, `step()` in eval mode throws and changes nothing, and a state dict saved in
 *   eval mode loads in eval mode and continues; for any other optimizer `train()` / `eval()` change nothing;
 * - fires `onBeforeStep` hooks before the update and `onAfterStep` hooks after it, in registration
 *   order, each receiving the optimizer, and not after their unsubscribe function is called.
 *
 * All checks call `step(closure)`, so closure-only optimizers such as L-BFGS can be checked too. The
 * checks read what the optimizer couples from its `couples` (rules declare it) or from
 * `options.couples` (a hand-written optimizer).
 *
 * @example
 * ```ts
 * import { checkOptimizerConformance } from '@nablajs/optim/testkit';
 * const result = checkOptimizerConformance(signSgd, { name: 'signSgd', options: { lr: 0.01 } });
 * expect(result.failures).toEqual([]);
 * ```
 */
export function checkOptimizerConformance(factory: ConformanceFactory, options: ConformanceOptions): ConformanceResult {
  if (typeof factory !== 'function') throw new NablaError('checkOptimizerConformance: factory must be a function');
  if (options === null || typeof options !== 'object' || typeof options.name !== 'string')
    throw new NablaError('checkOptimizerConformance: options.name (the optimizer name) is required');
  const steps = options.steps ?? 30;
  if (!Number.isInteger(steps) || steps < 1)
    throw new NablaError(`checkOptimizerConformance: steps must be an integer >= 1, got ${steps}`);
  const hyperparams = options.hyperparams;
  if (hyperparams !== undefined && (!Array.isArray(hyperparams) || hyperparams.some((h) => typeof h !== 'string')))
    throw new NablaError('checkOptimizerConformance: hyperparams must be an array of hyperparameter names');
  const probe = (() => {
    try {
      return factory(
        [tensor([0.5, -1, 2], { dtype: options.dtype ?? 'float64', requiresGrad: true })],
        options.options ?? {},
      );
    } catch {
      return null;
    }
  })();
  const declared = options.couples ?? probe?.couples ?? {};
  const ctx: CheckContext = {
    couples: {
      closure: declared.closure === true || probe?.requiresClosure === true,
      global: declared.global === true,
      trainEval: declared.trainEval === true || probe?.mode !== undefined,
    },
    factory,
    options: options.options ?? {},
    invalid: options.invalidOptions ?? [],
    hyperparams,
    dtype: options.dtype ?? 'float64',
    steps,
  };
  const skip = new Set<string>(options.skip ?? []);
  for (const id of skip)
    if (!(id in RUNNERS))
      throw new NablaError(
        `checkOptimizerConformance: unknown check ${JSON.stringify(id)} in skip; checks: ${Object.keys(RUNNERS).join(', ')}`,
      );
  const result: ConformanceResult = { passed: [], failures: [], skipped: [] };
  for (const [id, runner] of Object.entries(RUNNERS)) {
    if (skip.has(id)) {
      result.skipped.push(id);
      continue;
    }
    try {
      runner(ctx);
      result.passed.push(id);
    } catch (e) {
      const message =
        e instanceof CheckFailure ? e.message : `threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;
      result.failures.push({ check: id, message: `${options.name}: ${message}` });
    }
  }
  return result;
}

/**
 * Like {@link checkOptimizerConformance}, but throw an error listing every failure (and return the
 * result when all checks pass), for use in any test runner.
 *
 * @example
 * ```ts
 * it('signSgd conforms', () => {
 *   assertOptimizerConformance(signSgd, { name: 'signSgd', invalidOptions: [{ lr: 'fast' }] });
 * });
 * ```
 */
export function assertOptimizerConformance(
  factory: ConformanceFactory,
  options: ConformanceOptions,
): ConformanceResult {
  const result = checkOptimizerConformance(factory, options);
  if (result.failures.length > 0)
    throw new NablaError(
      `${options.name} fails ${result.failures.length} conformance check(s):\n` +
        result.failures
          .map((f) => `- ${f.check} (${CONFORMANCE_CHECKS[f.check as ConformanceCheck]}): ${f.message}`)
          .join('\n'),
    );
  return result;
}
