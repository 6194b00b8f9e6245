// The checks of the conformance testkit (`@nablajs/optim/testkit`), one function per check id of
// `CONFORMANCE_CHECKS`, in its order; internal to the testkit. Each throws a `CheckFailure` (`fail`) saying
// what went wrong; `checkOptimizerConformance` (testkit.ts) runs them. The hyperparam-changes check is in
// testkit-hyperparams.ts.
import type { Tensor, TypedArray } from '@nablajs/core';
import {
  both,
  type CheckContext,
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
import type { Optimizer } from './types';

/** `convex-quadratic` and `rosenbrock`: the loss decreases over `ctx.steps` steps from a fixed start. */
export function checkDescent(ctx: CheckContext, problem: 'quadratic' | 'rosenbrock'): void {
  const x = problem === 'quadratic' ? param([1, -2, 0.5, 3], ctx.dtype) : param([-1.2, 1], ctx.dtype);
  const f = problem === 'quadratic' ? quadratic(x, ctx.dtype) : rosenbrock(x);
  const start = f().item();
  const opt = ctx.factory([x], ctx.options);
  run(opt, [x], f, ctx.steps);
  const end = f().item();
  if (!(end < start)) fail(`the loss went from ${start} to ${end} after ${ctx.steps} steps`);
}

/** `param-groups`: a group with lr 0 stays still; the other moves (as when alone, for independent parameters). */
export function checkParamGroups(ctx: CheckContext): void {
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

/** `null-grads`: a parameter without a gradient does not move, and its own state does not advance. */
export function checkNullGrads(ctx: CheckContext): void {
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

/** `closure-required`: `requiresClosure` matches the couplings; without a closure, throw and change nothing. */
export function checkClosureRequired(ctx: CheckContext): void {
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

/** `train-eval`: two points swapped by `eval()` / `train()`, no step in eval mode, the mode in the state dict. */
export function checkTrainEval(ctx: CheckContext): void {
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

/** `state-dict`: the state dict survives JSON, and a fresh optimizer loaded with it continues bit for bit. */
export function checkStateDict(ctx: CheckContext): void {
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

/** `deterministic`: two identical runs agree bit for bit. */
export function checkDeterministic(ctx: CheckContext): void {
  const runs = [0, 1].map(() => {
    const { a, b, fa, fb } = twoParams(ctx.dtype);
    run(ctx.factory([a, b], ctx.options), [a, b], both(fa, fb), 8);
    return [a.values, b.values];
  });
  expectSame(runs[1][0], runs[0][0], 'two identical runs differ: parameter 0');
  expectSame(runs[1][1], runs[0][1], 'two identical runs differ: parameter 1');
}

/** `grads-untouched`: `step()` keeps the gradient tensors and their values. */
export function checkGradsUntouched(ctx: CheckContext): void {
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

/** `invalid-options`: `{ lr: -1 }`, an unknown option and each `invalidOptions` entry throw, naming the option. */
export function checkInvalidOptions(ctx: CheckContext): void {
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

/** `closure-loss`: `step(closure)` returns the closure's first loss. */
export function checkClosureLoss(ctx: CheckContext): void {
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

/** `hooks`: before / after hooks fire in order around the update, and stop once unsubscribed. */
export function checkHooks(ctx: CheckContext): void {
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
