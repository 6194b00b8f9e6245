/**
 * A conformance suite for optimizer factories, for plugin authors: {@link checkOptimizerConformance}
 * runs every check that nabla's own optimizers pass (descent, parameter groups, null gradients, state
 * dicts, determinism, closures, train/eval points, hooks, option validation) on any factory, and
 * {@link assertOptimizerConformance} throws with the list of failures. Import it from
 * `@nablajs/optim/testkit`; the guide "Testing an optimizer" (docs/guides/testkit.md) explains each check.
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
import { type DType, NablaError, type Tensor, type TypedArray, tensor } from '@nablajs/core';
import {
  both,
  CheckFailure,
  closureOf,
  copies,
  expectSame,
  fail,
  firstDifference,
  leavesOf,
  lossValue,
  moved,
  param,
  quadratic,
  rosenbrock,
  run,
  twoParams,
} from './testkit-helpers';
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

interface Context {
  couples: Required<RuleCouplings>;
  factory: ConformanceFactory;
  options: Record<string, unknown>;
  invalid: Record<string, unknown>[];
  dtype: DType;
  steps: number;
}

function checkDescent(ctx: Context, problem: 'quadratic' | 'rosenbrock'): void {
  const x = problem === 'quadratic' ? param([1, -2, 0.5, 3], ctx.dtype) : param([-1.2, 1], ctx.dtype);
  const f = problem === 'quadratic' ? quadratic(x, ctx.dtype) : rosenbrock(x);
  const start = f().item();
  const opt = ctx.factory([x], ctx.options);
  run(opt, [x], f, ctx.steps);
  const end = f().item();
  if (!(end < start)) fail(`the loss went from ${start} to ${end} after ${ctx.steps} steps`);
}

function checkParamGroups(ctx: Context): void {
  const { a, b, fa, fb } = twoParams(ctx.dtype);
  const a0 = a.values.slice();
  const b0 = b.values.slice();
  const opt = ctx.factory([{ params: [a], lr: 0 }, { params: [b] }], ctx.options);
  if (opt.paramGroups.length !== 2) fail(`expected 2 parameter groups, got ${opt.paramGroups.length}`);
  if (opt.paramGroups[0].lr !== 0) fail(`group 0 should have lr 0, got ${opt.paramGroups[0].lr}`);
  const ref = twoParams(ctx.dtype);
  const single = ctx.factory([ref.b], ctx.options);
  if (opt.paramGroups[1].lr !== single.paramGroups[0].lr)
    fail(`group 1 should inherit lr ${single.paramGroups[0].lr} from the options, got ${opt.paramGroups[1].lr}`);
  const steps = 5;
  run(opt, [a, b], both(fa, fb), steps);
  run(single, [ref.b], ref.fb, steps);
  expectSame(a.values, a0, `the parameter of group 0 (lr 0) moved after ${steps} steps`);
  if (firstDifference(b.values, b0) < 0) fail(`the parameter of group 1 did not move in ${steps} steps`);
  // NOTE: a rule that couples parameters (a global norm) legitimately moves b differently beside a.
  if (!ctx.couples.global)
    expectSame(b.values, ref.b.values, 'group 1 differs from the same parameter optimized alone with the same options');
}

function checkNullGrads(ctx: Context): void {
  const { a, b, fa, fb } = twoParams(ctx.dtype);
  const opt = ctx.factory([a, b], ctx.options);
  run(opt, [a, b], both(fa, fb), 3);
  const frozen = b.values.slice();
  const stateBefore = leavesOf(JSON.parse(JSON.stringify(opt.stateDict().state)), b.size, 1, 2);
  run(opt, [a, b], fa, 3);
  if (b.grad !== null) fail('the parameter without a gradient got one from step()');
  expectSame(b.values, frozen, 'a parameter whose grad is null moved');
  const stateAfter = leavesOf(JSON.parse(JSON.stringify(opt.stateDict().state)), b.size, 1, 2);
  for (const [path, value] of stateBefore)
    if (stateAfter.get(path) !== value)
      fail(
        `the state of a parameter whose grad was null advanced: state${path} went from ${value} to ${stateAfter.get(path)}`,
      );
  if (ctx.couples.global) return;
  run(opt, [a, b], both(fa, fb), 3);
  // Parameters are independent: b's trajectory must equal that of a run without the steps where it had no gradient.
  const ref = twoParams(ctx.dtype);
  const refOpt = ctx.factory([ref.a, ref.b], ctx.options);
  run(refOpt, [ref.a, ref.b], both(ref.fa, ref.fb), 6);
  expectSame(
    b.values,
    ref.b.values,
    "a parameter's state advanced while its grad was null (its trajectory differs from a run without those steps)",
  );
}

function checkClosureRequired(ctx: Context): void {
  const { a, b, fa, fb } = twoParams(ctx.dtype);
  const params = [a, b];
  const opt = ctx.factory(params, ctx.options);
  const says = opt.requiresClosure === true;
  if (says !== ctx.couples.closure)
    fail(
      `requiresClosure is ${String(opt.requiresClosure)}, but the optimizer ${ctx.couples.closure ? 'couples' : 'does not couple'} a closure`,
    );
  run(opt, params, both(fa, fb), 2);
  const before = copies(params);
  const state = JSON.stringify(opt.stateDict());
  for (const p of params) p.grad = null;
  both(fa, fb)().backward();
  if (says) {
    let threw = false;
    try {
      opt.step();
    } catch {
      threw = true;
    }
    if (!threw) fail('step() without a closure did not throw, though requiresClosure is true');
    if (moved(params, before)) fail('step() without a closure threw but moved the parameters');
    if (JSON.stringify(opt.stateDict()) !== state) fail('step() without a closure threw but changed the state');
  } else {
    opt.step();
    if (!moved(params, before)) fail('step() without a closure, after backward(), did not move the parameters');
  }
}

function checkTrainEval(ctx: Context): void {
  const { a, b, fa, fb } = twoParams(ctx.dtype);
  const params = [a, b];
  const opt = ctx.factory(params, ctx.options);
  run(opt, params, both(fa, fb), 4);
  const trainPoint = copies(params);
  if (!ctx.couples.trainEval) {
    if (opt.mode !== undefined) fail(`mode is ${String(opt.mode)} for an optimizer with one point`);
    opt.eval?.();
    opt.train?.();
    if (moved(params, trainPoint)) fail('train() / eval() moved the parameters of an optimizer with one point');
    return;
  }
  if (typeof opt.eval !== 'function' || typeof opt.train !== 'function')
    fail('an optimizer with train and eval points must have train() and eval()');
  if (opt.mode !== 'train') fail(`a fresh optimizer should be in train mode, got ${String(opt.mode)}`);
  opt.eval();
  const mode = opt.mode as string | undefined;
  if (mode !== 'eval') fail(`after eval(), mode is ${String(mode)}`);
  if (!moved(params, trainPoint)) fail('eval() did not move the parameters to the evaluation point');
  const evalPoint = copies(params);
  const state = JSON.stringify(opt.stateDict());
  let threw = false;
  try {
    opt.step(closureOf(params, both(fa, fb)));
  } catch {
    threw = true;
  }
  if (!threw) fail('step() in eval mode did not throw');
  if (moved(params, evalPoint) || JSON.stringify(opt.stateDict()) !== state)
    fail('step() in eval mode threw but changed the parameters or the state');
  const saved = JSON.parse(state) as ReturnType<Optimizer['stateDict']>;
  if (saved.mode !== 'eval') fail(`the state dict saved in eval mode has mode ${JSON.stringify(saved.mode)}`);
  opt.train();
  const tol = ctx.dtype === 'float32' ? 1e-6 : 1e-12;
  params.forEach((p, i) => {
    for (let j = 0; j < p.size; j++)
      if (Math.abs(p.values[j] - trainPoint[i][j]) > tol * Math.max(1, Math.abs(trainPoint[i][j])))
        fail(
          `eval() then train() did not restore parameter ${i}: element ${j} is ${p.values[j]}, was ${trainPoint[i][j]}`,
        );
  });
  // A checkpoint taken in eval mode: parameters and state from the same moment, then train() and on.
  const copy = twoParams(ctx.dtype);
  copy.a.values.set(evalPoint[0]);
  copy.b.values.set(evalPoint[1]);
  copy.a.markModified();
  copy.b.markModified();
  const restored = ctx.factory([copy.a, copy.b], ctx.options);
  restored.loadStateDict(saved);
  if (restored.mode !== 'eval') fail(`a state dict saved in eval mode loads in mode ${String(restored.mode)}`);
  restored.train?.();
  params.forEach((p, i) => {
    const q = [copy.a, copy.b][i];
    for (let j = 0; j < p.size; j++)
      if (Math.abs(q.values[j] - p.values[j]) > tol * Math.max(1, Math.abs(p.values[j])))
        fail(`a checkpoint taken in eval mode, loaded and put in train mode, differs at parameter ${i}`);
  });
}

function checkStateDict(ctx: Context): void {
  const { a, b, fa, fb } = twoParams(ctx.dtype);
  const opt = ctx.factory([a, b], ctx.options);
  run(opt, [a, b], both(fa, fb), 4);
  let json: string;
  try {
    json = JSON.stringify(opt.stateDict());
  } catch (e) {
    fail(`stateDict() is not JSON-safe: ${(e as Error).message}`);
  }
  const copy = twoParams(ctx.dtype);
  copy.a.values.set(a.values);
  copy.b.values.set(b.values);
  copy.a.markModified();
  copy.b.markModified();
  const restored = ctx.factory([copy.a, copy.b], ctx.options);
  restored.loadStateDict(JSON.parse(json));
  const l1 = run(opt, [a, b], both(fa, fb), 4);
  const l2 = run(restored, [copy.a, copy.b], both(copy.fa, copy.fb), 4);
  expectSame(copy.a.values, a.values, 'after loadStateDict and 4 more steps, parameter 0');
  expectSame(copy.b.values, b.values, 'after loadStateDict and 4 more steps, parameter 1');
  expectSame(l2, l1, 'after loadStateDict, the losses returned by step(closure)');
}

function checkDeterministic(ctx: Context): void {
  const runs = [0, 1].map(() => {
    const { a, b, fa, fb } = twoParams(ctx.dtype);
    run(ctx.factory([a, b], ctx.options), [a, b], both(fa, fb), 8);
    return [a.values, b.values];
  });
  expectSame(runs[1][0], runs[0][0], 'two identical runs differ: parameter 0');
  expectSame(runs[1][1], runs[0][1], 'two identical runs differ: parameter 1');
}

function checkGradsUntouched(ctx: Context): void {
  const { a, b, fa, fb } = twoParams(ctx.dtype);
  const params = [a, b];
  let seen: { grad: Tensor | null; data: TypedArray | null }[] = [];
  const record = () => {
    seen = params.map((p) => ({ grad: p.grad, data: p.grad === null ? null : p.grad.values.slice() }));
  };
  const opt = ctx.factory(params, ctx.options);
  const closure = closureOf(params, both(fa, fb), record);
  for (let k = 0; k < 3; k++) {
    opt.step(closure);
    params.forEach((p, i) => {
      if (p.grad !== seen[i].grad) fail(`step() replaced the grad tensor of parameter ${i}`);
      if (p.grad !== null)
        expectSame(p.grad.values, seen[i].data as TypedArray, `step() changed the gradient of parameter ${i}`);
    });
  }
}

function checkInvalidOptions(ctx: Context): void {
  const entries = [{ lr: -1 }, { thisOptionDoesNotExist: 1 }, ...ctx.invalid];
  const problems: string[] = [];
  for (const entry of entries) {
    const { a } = twoParams(ctx.dtype);
    try {
      ctx.factory([a], { ...ctx.options, ...entry });
      problems.push(`${JSON.stringify(entry)} was accepted`);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      if (!Object.keys(entry).some((k) => message.includes(k)))
        problems.push(
          `${JSON.stringify(entry)} was rejected with a message that names none of its options: ${message}`,
        );
    }
  }
  if (problems.length > 0) fail(problems.join('; '));
}

function checkClosureLoss(ctx: Context): void {
  const { a, b, fa, fb } = twoParams(ctx.dtype);
  const opt = ctx.factory([a, b], ctx.options);
  const values: number[] = [];
  const inner = closureOf([a, b], both(fa, fb));
  for (let k = 0; k < 3; k++) {
    values.length = 0;
    const returned = opt.step(() => {
      const l = inner();
      values.push(lossValue(l));
      return l;
    });
    if (values.length === 0) fail('step(closure) did not call the closure');
    if (!Object.is(returned, values[0]))
      fail(`step ${k + 1}: step(closure) returned ${String(returned)}, the closure's first loss was ${values[0]}`);
  }
}

function checkHooks(ctx: Context): void {
  const { a, b, fa, fb } = twoParams(ctx.dtype);
  const params = [a, b];
  const opt = ctx.factory(params, ctx.options);
  const closure = closureOf(params, both(fa, fb));
  const events: string[] = [];
  let before = copies(params);
  let movedAtAfter = false;
  const hook = (label: string, check?: () => void) => (o: Optimizer) => {
    if (o !== opt) fail(`the ${label} hook did not receive the optimizer`);
    check?.();
    events.push(label);
  };
  const offs = [
    opt.onBeforeStep(
      hook('before 1', () => {
        if (moved(params, before)) fail('onBeforeStep fired after the parameters were updated');
      }),
    ),
    opt.onBeforeStep(hook('before 2')),
    opt.onAfterStep(
      hook('after 1', () => {
        movedAtAfter = moved(params, before);
      }),
    ),
    opt.onAfterStep(hook('after 2')),
  ];
  const expected = ['before 1', 'before 2', 'after 1', 'after 2'];
  // NOTE: a step may legitimately not move the parameters (SOAP's first step sets up its preconditioner;
  // L-BFGS may stop at a converged point): the hooks must see the parameters move within a few steps.
  for (let k = 0; k < 3 && !movedAtAfter; k++) {
    events.length = 0;
    before = copies(params);
    opt.step(closure);
    if (events.join() !== expected.join())
      fail(`hooks fired as [${events.join(', ')}], expected [${expected.join(', ')}]`);
    if (!movedAtAfter && moved(params, before)) fail('onAfterStep fired before the parameters were updated');
  }
  if (!movedAtAfter) fail('onAfterStep never saw the parameters move in 3 steps');
  for (const off of offs) {
    if (typeof off !== 'function') fail('onBeforeStep / onAfterStep did not return an unsubscribe function');
    off();
  }
  events.length = 0;
  before = copies(params);
  opt.step(closure);
  if (events.length > 0) fail(`hooks still fired after unsubscribing: [${events.join(', ')}]`);
}

const RUNNERS: Record<ConformanceCheck, (ctx: Context) => void> = {
  'convex-quadratic': (ctx) => checkDescent(ctx, 'quadratic'),
  rosenbrock: (ctx) => checkDescent(ctx, 'rosenbrock'),
  'param-groups': checkParamGroups,
  'null-grads': checkNullGrads,
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
  const ctx: Context = {
    couples: {
      closure: declared.closure === true || probe?.requiresClosure === true,
      global: declared.global === true,
      trainEval: declared.trainEval === true || probe?.mode !== undefined,
    },
    factory,
    options: options.options ?? {},
    invalid: options.invalidOptions ?? [],
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
