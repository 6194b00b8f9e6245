// Schedule-Free SGD and AdamW vs the authors' reference code (test/fixtures/optim-schedulefree.json, made by
// scripts/fixtures/make_optim_schedulefree_fixture.py): losses at y, the gradient points y and the evaluation
// points x at every checkpoint (reached with optimizer.eval(), as the reference's eval()), the final losses at
// y and at x, and the final state (z, exp_avg_sq, exp_avg, and the group counters k, lr_max, weight_sum,
// scheduled_lr), per parameter group and through a scheduler that changes lr mid-run.
import type { Tensor } from '@nablajs/core';
import { decodeState, type Optimizer } from '@nablajs/optim';
import {
  adamwScheduleFree,
  type ScheduleFreeAdamState,
  type ScheduleFreeState,
  sgdScheduleFree,
} from '@nablajs/optim-schedulefree';
import { describe, expect, it } from 'vitest';
import type { FixtureTensor } from './helpers/fixtures';
import {
  caseParams,
  closeNumbers,
  fixtureGroups,
  type OptimizerCase,
  optimizerCases,
  optimizerTolerance,
  problemLoss,
  stateDictViaJson,
  toOptions,
} from './helpers/optim-golden';

type Snapshot = { step: number; values: Record<string, FixtureTensor> };

interface ScheduleFreeCase extends OptimizerCase {
  nabla: 'sgdScheduleFree' | 'adamwScheduleFree';
  groups?: ({ params: string[] } & Record<string, unknown>)[];
  lr_schedule?: { before_step: number; factor: number }[];
  trajectory: OptimizerCase['trajectory'] & { eval_params: Snapshot[]; eval_final_loss: number };
  final_state: Record<string, Record<string, FixtureTensor>>;
  final_group_state: { k: number; lr_max: number; weight_sum: number; scheduled_lr: number }[];
}

const factories = { sgdScheduleFree, adamwScheduleFree } as const;
const cases = optimizerCases('optim-schedulefree.json') as ScheduleFreeCase[];

/** The parameters' values, by fixture name, against a snapshot of the reference. */
function checkSnapshot(c: ScheduleFreeCase, params: Tensor[], snap: Snapshot, what: string): void {
  c.params.forEach((p, i) => {
    closeNumbers(
      params[i].data,
      snap.values[p.name].data as number[],
      optimizerTolerance(c),
      `${c.id}: ${what} ${p.name} after step ${snap.step}`,
    );
  });
}

/** Replay a case: the reference protocol with the train/eval round trip at every checkpoint. */
function replay(c: ScheduleFreeCase): { opt: Optimizer; params: Tensor[] } {
  const params = caseParams(c);
  const f = problemLoss(c.problem, c.dtype);
  const tol = optimizerTolerance(c);
  const input = c.groups === undefined ? params : fixtureGroups(c, c.groups, params);
  const opt = factories[c.nabla](input, toOptions(c.hyperparams));
  opt.train?.();
  const baseLrs = opt.paramGroups.map((g) => g.lr);
  let cp = 0;
  for (let k = 1; k <= c.steps; k++) {
    for (const entry of c.lr_schedule ?? [])
      if (entry.before_step === k)
        opt.paramGroups.forEach((g, i) => {
          g.lr = baseLrs[i] * entry.factor;
        });
    opt.zeroGrad();
    const loss = f(params);
    loss.backward();
    closeNumbers([loss.item()], [c.trajectory.losses[k - 1]], tol, `${c.id}: loss before step ${k}`);
    opt.step();
    if (k === c.steps) closeNumbers([f(params).item()], [c.trajectory.final_loss], tol, `${c.id}: final loss at y`);
    if (c.trajectory.checkpoints[cp] === k) {
      checkSnapshot(c, params, c.trajectory.params[cp], 'y');
      opt.eval?.();
      expect(opt.mode).toBe('eval');
      checkSnapshot(c, params, c.trajectory.eval_params[cp], 'x');
      if (k === c.steps)
        closeNumbers([f(params).item()], [c.trajectory.eval_final_loss], tol, `${c.id}: final loss at x`);
      opt.train?.();
      cp++;
    }
  }
  expect(cp).toBe(c.trajectory.checkpoints.length);
  return { opt, params };
}

/** The final state against the reference's: z / exp_avg_sq / exp_avg per parameter, and the group counters. */
function checkFinalState(c: ScheduleFreeCase, opt: Optimizer): void {
  const tol = optimizerTolerance(c);
  const sd = stateDictViaJson(opt);
  expect(sd.mode).toBe('train');
  sd.paramGroups.forEach((group, g) => {
    const chainState = decodeState(sd.state[g]) as unknown[];
    const sf = chainState[chainState.length - 1] as ScheduleFreeState;
    const adam = c.nabla === 'adamwScheduleFree' ? (chainState[0] as ScheduleFreeAdamState) : null;
    const want = c.final_group_state[g];
    expect(sf.k).toBe(want.k);
    if (adam !== null) expect(adam.k).toBe(want.k);
    // The group scalars are Python floats in the reference (double precision whatever the dtype): relative.
    const rel = (ours: number, theirs: number, what: string) =>
      closeNumbers([ours], [theirs], tol * Math.min(1, Math.abs(theirs)), `${c.id}: group ${g} ${what}`);
    rel(sf.lrMax, want.lr_max, 'lr_max');
    rel(sf.weightSum, want.weight_sum, 'weight_sum');
    rel(sf.scheduledLr, want.scheduled_lr, 'scheduled_lr');
    group.params.forEach((_index, i) => {
      const name = c.groups === undefined ? c.params[i].name : c.groups[g].params[i];
      const expected = c.final_state[name];
      const ours: Record<string, ArrayLike<number> | null> = {
        z: sf.z[i],
        exp_avg_sq: adam?.v[i] ?? null,
        exp_avg: adam?.m[i] ?? null,
      };
      const present = Object.keys(ours).filter((key) => ours[key] !== null);
      expect(present.sort(), `${c.id}: state keys of ${name}`).toEqual(Object.keys(expected).sort());
      for (const [key, value] of Object.entries(expected))
        closeNumbers(ours[key] as ArrayLike<number>, value.data as number[], tol, `${c.id}: final ${key} of ${name}`);
    });
  });
}

describe('Schedule-Free SGD and AdamW vs the reference implementation', () => {
  it('covers both optimizers, the three problems, both dtypes, groups and an lr schedule', () => {
    expect(cases).toHaveLength(42);
    for (const nabla of ['sgdScheduleFree', 'adamwScheduleFree'])
      for (const problem of ['rosenbrock2d', 'mlp', 'lstsq'])
        for (const dtype of ['float64', 'float32'])
          expect(cases.some((c) => c.nabla === nabla && c.problem.name === problem && c.dtype === dtype)).toBe(true);
    expect(cases.filter((c) => c.groups !== undefined)).toHaveLength(4);
    expect(cases.filter((c) => c.lr_schedule !== undefined)).toHaveLength(8);
    for (const c of cases) expect(c.steps).toBeGreaterThanOrEqual(20);
  });

  for (const c of cases) {
    it(c.id, () => {
      const { opt } = replay(c);
      checkFinalState(c, opt);
    });
  }
});
