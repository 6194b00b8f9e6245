// The hyperparam-changes check of the conformance testkit (`@nablajs/optim/testkit`): a rule must read
// its hyperparameters from the group (`ctx.hp`) at every step, so that a scheduler that writes
// `opt.paramGroups[i].lr` between two steps changes the next one. The classic bug it catches: a rule
// that copies `hp.lr` into its state (or a closure) in `init`, and then ignores every scheduler.
import type { TypedArray } from '@nablajs/core';
import { both, type CheckContext, closureOf, copies, fail, firstDifference, twoParams } from './testkit-helpers';

/**
 * The hyperparameters changed when `ConformanceOptions.hyperparams` is not given: `lr`, `weightDecay`,
 * `momentum` and the names that end with them in camelCase (Muon's `adamwLr`, `adamwWeightDecay`,
 * schedule-free's `innerMomentum`), when the group has them as finite numbers.
 */
const DEFAULT_NAMES = /^(lr|weightDecay|momentum)$|(Lr|WeightDecay)$|Momentum$/;

/** Names whose change must show in the very next step: a learning rate or a weight decay. */
const NEXT_STEP = /^(lr|weightDecay)$|(Lr|WeightDecay)$/;

/** Steps before the change: only the first parameter has a gradient, the second one takes none. */
const WARMUP = 3;

/** Steps after the change, with both parameters. */
const AFTER = 2;

/** The value a hyperparameter is changed to: half of it, or 0.1 when it is 0. */
function changedValue(value: number): number {
  return value === 0 ? 0.1 : value / 2;
}

/**
 * The parameters after each step of a fresh optimizer made with `options`: `WARMUP` steps where only
 * `a` has a gradient (`b` has none: a parameter that takes its first step after the change), then, with
 * `name` set to `value` in every group when `change` is given (as a scheduler does), `AFTER` steps of both.
 */
function trajectory(ctx: CheckContext, options: Record<string, unknown>, change?: [string, number]): TypedArray[][] {
  const { a, b, fa, fb } = twoParams(ctx.dtype);
  const params = [a, b];
  const opt = ctx.factory(params, options);
  const out: TypedArray[][] = [];
  const warm = closureOf(params, fa);
  for (let k = 0; k < WARMUP; k++) {
    opt.step(warm);
    out.push(copies(params));
  }
  if (change !== undefined)
    for (const group of opt.paramGroups) (group as Record<string, unknown>)[change[0]] = change[1];
  const after = closureOf(params, both(fa, fb));
  for (let k = 0; k < AFTER; k++) {
    opt.step(after);
    out.push(copies(params));
  }
  return out;
}

/** Whether two trajectories differ (bit for bit) at some step in `[from, to)`. */
function differ(x: TypedArray[][], y: TypedArray[][], from: number, to: number): boolean {
  for (let k = from; k < to; k++) if (x[k].some((v, i) => firstDifference(v, y[k][i]) >= 0)) return true;
  return false;
}

/**
 * `hyperparam-changes`: for each hyperparameter checked (`ctx.hyperparams`, or those of `DEFAULT_NAMES`
 * that the group has), three runs side by side from the same start: the reference; one whose groups get
 * the changed value after `WARMUP` steps; one created with the changed value. When the last differs from
 * the reference (the hyperparameter matters on this problem), the changed run must differ from it right
 * after the change: in the next step for a learning rate or a weight decay, within two steps otherwise
 * (a momentum buffer that the change starts takes the gradient as it is). The next step counts the
 * parameter that had been stepping and the one taking its first step, so that a rule that reads `lr` only
 * to start a parameter's state (Rprop's step sizes, ASGD's step size) passes, as in PyTorch.
 */
export function checkHyperparamChanges(ctx: CheckContext): void {
  const { a, b } = twoParams(ctx.dtype);
  const group = ctx.factory([a, b], ctx.options).paramGroups[0] as unknown as Record<string, unknown>;
  const isNumber = (name: string) => typeof group[name] === 'number' && Number.isFinite(group[name]);
  const listed = ctx.hyperparams !== undefined;
  const problems: string[] = [];
  const names = listed ? [...(ctx.hyperparams ?? [])] : Object.keys(group).filter((k) => DEFAULT_NAMES.test(k));
  const reference = trajectory(ctx, ctx.options);
  for (const name of names) {
    if (!isNumber(name)) {
      if (listed)
        problems.push(`${name} is not a finite number in the parameter group (got ${JSON.stringify(group[name])})`);
      continue;
    }
    const from = group[name] as number;
    const to = changedValue(from);
    let created: TypedArray[][];
    try {
      created = trajectory(ctx, { ...ctx.options, [name]: to });
    } catch (e) {
      // NOTE: an optional hyperparameter whose changed value the optimizer rejects is not checked.
      if (listed) problems.push(`an optimizer created with ${name} ${to} threw: ${(e as Error).message}`);
      continue;
    }
    // NOTE: a hyperparameter that does not change the steps of this problem (Muon's lr on vectors, a
    // weight decay under a sign) cannot show a change either: it is not checked.
    if (!differ(created, reference, 0, reference.length)) {
      if (listed)
        problems.push(
          `an optimizer created with ${name} ${to} instead of ${from} takes the same steps on the testkit's problem, so a change of ${name} cannot be seen`,
        );
      continue;
    }
    const steps = NEXT_STEP.test(name) ? 1 : 2;
    const changed = trajectory(ctx, ctx.options, [name, to]);
    if (!differ(changed, reference, WARMUP, WARMUP + steps))
      problems.push(
        `${name} set from ${from} to ${to} in paramGroups between steps ${WARMUP} and ${WARMUP + 1} (as a scheduler does) ` +
          `left the ${steps === 1 ? 'next step' : `next ${steps} steps`} bit for bit as with ${name} unchanged, though an ` +
          `optimizer created with ${name} ${to} steps differently: the rule must read ${name} from ctx.hp at every step, ` +
          'not keep the value it had at creation',
      );
  }
  if (problems.length > 0) fail(problems.join('; '));
}
