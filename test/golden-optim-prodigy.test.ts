// Prodigy vs the authors' prodigyopt.Prodigy on PyTorch 1.13 (test/fixtures/optim-prodigy.json): losses,
// parameter checkpoints, every parameter's final state, and d with the statistics behind it.
import type { Tensor } from '@nablajs/core';
import { decodeState, type Optimizer, type ParamsInput } from '@nablajs/optim';
import { type ProdigyOptions, prodigy, prodigyStats } from '@nablajs/optim-prodigy';
import { describe, expect, it } from 'vitest';
import {
  closeNumbers,
  expectEveryProblemInBothDtypes,
  fixtureGroups,
  type OptimizerCase,
  optimizerCases,
  optimizerTolerance,
  replayCase,
  stateDictViaJson,
} from './helpers/optim-golden';

interface ProdigyCase extends OptimizerCase {
  param_groups?: ({ params: string[] } & Record<string, unknown>)[];
  final_state: Record<string, Record<string, number | { data: number[] }>>;
  final_d: { d: number; d_max: number; d_hat: number; d_numerator: number; d_denom: number; k: number };
}

const cases = optimizerCases('optim-prodigy.json') as ProdigyCase[];

/** The reference's state key -> the field of ProdigyState. */
const stateKeys: Record<string, string> = {
  step: 'step',
  s: 's',
  p0: 'p0',
  exp_avg: 'expAvg',
  exp_avg_sq: 'expAvgSq',
};

/** `prodigy` over the case's parameter groups (by parameter name), or over all parameters as one group. */
function factoryFor(c: ProdigyCase): (params: ParamsInput, options: ProdigyOptions) => Optimizer {
  const groups = c.param_groups;
  if (groups === undefined) return prodigy;
  return (params, options) => prodigy(fixtureGroups(c, groups, params as readonly Tensor[]), options);
}

/** Our state of parameter `name`, wherever its group puts it, through a JSON round trip of the state dict. */
function stateOf(c: ProdigyCase, opt: Optimizer): Map<string, Record<string, unknown>> {
  const sd = stateDictViaJson(opt);
  const names = c.params.map((p) => p.name);
  const out = new Map<string, Record<string, unknown>>();
  sd.paramGroups.forEach((group, g) => {
    const state = decodeState(sd.state[g]) as Record<string, unknown[]>;
    group.params.forEach((_index, i) => {
      const name = c.param_groups === undefined ? names[group.params[i]] : (c.param_groups[g].params[i] as string);
      const entry: Record<string, unknown> = {};
      for (const [torchKey, field] of Object.entries(stateKeys)) entry[torchKey] = state[field][i];
      out.set(name, entry);
    });
  });
  return out;
}

/**
 * `|a - b| <= rel * max(1, max|b|)` elementwise: the error measured against the size of the whole tensor.
 * Used for `s` in float32 only. `s` sums gradients with weights (d/d0)·d·lr that grow by about 1e5 over a
 * run, and its entries are what is left after those terms cancel: an entry of `s` can be ~100x more
 * sensitive than the parameters to the last bits of the gradients. In float64 the entries still meet the
 * elementwise bound; in float32, nabla's forward and backward (not Prodigy) round differently from
 * PyTorch's by ~1e-7, and small entries of `s` then miss the elementwise bound while `s` as a vector, and
 * the `Σ‖s‖₁` that Prodigy uses (`d_denom`, checked elementwise), meet it.
 */
function closeNormwise(actual: ArrayLike<number>, expected: readonly number[], rel: number, label: string): void {
  let scale = 1;
  for (const v of expected) scale = Math.max(scale, Math.abs(v));
  closeNumbers(
    Array.from(actual, (v) => v / scale),
    expected.map((v) => v / scale),
    rel,
    `${label} (relative to max|s| = ${scale})`,
  );
}

function checkFinalState(c: ProdigyCase, opt: Optimizer): void {
  const tol = optimizerTolerance(c);
  const ours = stateOf(c, opt);
  for (const p of c.params) {
    const expected = c.final_state[p.name];
    const mine = ours.get(p.name);
    expect(mine, `${c.id}: no state for ${p.name}`).toBeDefined();
    const present = Object.keys(stateKeys).filter((k) => mine?.[k] !== null && mine?.[k] !== undefined);
    expect(present.sort(), `${c.id}: state keys of ${p.name}`).toEqual(Object.keys(expected).sort());
    for (const [key, want] of Object.entries(expected)) {
      const label = `${c.id}: final_state ${p.name}.${key}`;
      const got = mine?.[key];
      if (typeof want === 'number') {
        expect(got, label).toBe(want);
        continue;
      }
      // The reference keeps x0 = 0 as a 0-d zero for a parameter that was all zeros; nabla as an empty array.
      if (key === 'p0' && want.data.length === 1 && (got as ArrayLike<number>).length === 0) {
        expect(want.data[0], label).toBe(0);
        continue;
      }
      if (key === 's' && c.dtype === 'float32') closeNormwise(got as ArrayLike<number>, want.data, tol, label);
      else closeNumbers(got as ArrayLike<number>, want.data, tol, label);
    }
  }
}

function checkD(c: ProdigyCase, opt: Optimizer): void {
  const tol = optimizerTolerance(c);
  const stats = prodigyStats(opt);
  const want = c.final_d;
  expect(stats.k, `${c.id}: k`).toBe(want.k);
  closeNumbers([stats.d], [want.d], tol, `${c.id}: d`);
  closeNumbers([stats.dMax], [want.d_max], tol, `${c.id}: d_max`);
  closeNumbers([stats.dHat], [want.d_hat], tol, `${c.id}: d_hat`);
  closeNumbers([stats.dNumerator], [want.d_numerator], tol, `${c.id}: d_numerator`);
  closeNumbers([stats.dDenom], [want.d_denom], tol, `${c.id}: d_denom`);
}

describe('Prodigy vs the authors’ prodigyopt (PyTorch 1.13)', () => {
  it('covers the three problems, both dtypes, the options and the two-group cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
    expectEveryProblemInBothDtypes(cases);
    const options = new Set(cases.flatMap((c) => Object.keys(c.hyperparams)));
    for (const key of [
      'lr',
      'betas',
      'beta3',
      'eps',
      'weight_decay',
      'decouple',
      'use_bias_correction',
      'safeguard_warmup',
      'd0',
      'd_coef',
      'growth_rate',
      'slice_p',
    ])
      expect(options.has(key), key).toBe(true);
    expect(cases.filter((c) => c.param_groups?.some((g) => g.lr === 0)).length).toBeGreaterThanOrEqual(2);
    for (const c of cases) expect(c.steps).toBeGreaterThanOrEqual(20);
  });

  for (const c of cases) {
    it(c.id, () => {
      const opt = replayCase(c, factoryFor(c));
      checkFinalState(c, opt);
      checkD(c, opt);
    });
  }
});
