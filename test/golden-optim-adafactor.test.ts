// Adafactor vs torch.optim.Adafactor's rule (PyTorch 2.5+, its single-tensor path ported to PyTorch 1.13 by
// scripts/fixtures/make_optim_adafactor_fixture.py; test/fixtures/optim-adafactor.json): losses, parameter
// checkpoints, the final loss and every parameter's final state after a JSON round trip of the state dict.
import type { Tensor } from '@nablajs/core';
import { decodeState, type Optimizer } from '@nablajs/optim';
import { type AdafactorState, adafactor } from '@nablajs/optim-adafactor';
import { describe, expect, it } from 'vitest';
import { type FixtureTensor, fromFixture } from './helpers/fixtures';
import {
  closeNumbers,
  expectEveryProblemInBothDtypes,
  type OptimizerCase,
  optimizerCases,
  optimizerTolerance,
  replayCase,
  stateDictViaJson,
  withFixtureGroups,
} from './helpers/optim-golden';

type TorchState = Record<string, number | { data: number[] }>;

interface AdafactorCase extends OptimizerCase {
  final_state: Record<string, TorchState>;
  /** Per step, per parameter with a gradient: ρ, the clipping denominator, and the entries ε₁ raised. */
  stats: { rho: number[][]; denoms: number[][]; eps1_binds: number[][] };
  param_groups?: ({ params: number[] } & Record<string, unknown>)[];
}

const cases = optimizerCases('optim-adafactor.json') as AdafactorCase[];

/** The factory for a case: plain, or over the fixture's parameter groups. */
const factoryOf = (c: AdafactorCase) => withFixtureGroups(c, adafactor);

/**
 * The generator's own problem (not in optim_common's set): a 3-D parameter T [2, 3, 4] and a 0-d scalar s,
 * f(T, s) = mean(W ⊙ (s·T - C)²) + 0.1·(s - 1.5)².
 */
function shapes3dLoss(c: AdafactorCase): (params: Tensor[]) => Tensor {
  const W = fromFixture(c.problem.W as FixtureTensor);
  const C = fromFixture(c.problem.C as FixtureTensor);
  return ([T, s]) => s.mul(T).sub(C).square().mul(W).mean().add(s.sub(1.5).square().mul(0.1));
}

/** PyTorch's state key -> the field of AdafactorState. */
const STATE_KEYS: Record<string, keyof AdafactorState> = {
  step: 'step',
  row_var: 'rowVar',
  col_var: 'colVar',
  variance: 'variance',
};

/**
 * Compare every parameter's state (scaleByAdafactor's, block 1 of the recipe, in every group) after a JSON
 * round trip of the state dict with PyTorch's: the same keys (the factors for 2+ dims, the variance
 * otherwise), the same step count, the statistics within the case's tolerance.
 */
function checkFinalState(c: AdafactorCase, opt: Optimizer): void {
  const sd = stateDictViaJson(opt);
  const tol = optimizerTolerance(c);
  const members = c.param_groups?.map((g) => g.params) ?? [c.params.map((_, i) => i)];
  expect(sd.state).toHaveLength(members.length);
  sd.state.forEach((groupState, g) => {
    const block = (decodeState(groupState) as unknown[])[1] as AdafactorState;
    members[g].forEach((index, i) => {
      const name = c.params[index].name;
      const torch = c.final_state[name];
      const ours = Object.keys(STATE_KEYS).filter((key) => block[STATE_KEYS[key]][i] !== null);
      expect(ours.sort(), `${c.id}: state keys of ${name}`).toEqual(Object.keys(torch).sort());
      for (const [key, want] of Object.entries(torch)) {
        const got = block[STATE_KEYS[key]][i];
        const label = `${c.id}: final_state ${name}.${key}`;
        if (typeof want === 'number') expect(got, label).toBe(want);
        else closeNumbers(got as ArrayLike<number>, want.data, tol, label);
      }
    });
  });
}

const byConfig = (config: string) => cases.filter((c) => c.config === config);

describe('adafactor vs torch.optim.Adafactor (its rule ported to PyTorch 1.13)', () => {
  it('covers every option, both dtypes, a 3-D and a 0-d parameter, and the regimes each option controls', () => {
    expect(cases).toHaveLength(39);
    expectEveryProblemInBothDtypes(cases);
    for (const dtype of ['float64', 'float32'])
      expect(cases.some((c) => c.problem.name === 'shapes3d' && c.dtype === dtype)).toBe(true);
    expect(new Set(cases.map((c) => c.config))).toEqual(
      new Set([
        'defaults',
        'lr_small',
        'lr_large',
        'weight_decay',
        'maximize',
        'eps1_tiny',
        'eps1_large',
        'eps2_large',
        'clip_d',
        'beta2_decay',
        'groups',
      ]),
    );
    for (const c of cases) expect(c.steps).toBeGreaterThanOrEqual(20);
    for (const c of byConfig('defaults')) expect(c.hyperparams).toEqual({});
    // shapes3d holds a 3-D parameter (factored with a batch dimension) and a 0-d one (unfactored).
    const shapes = cases.find((c) => c.problem.name === 'shapes3d') as AdafactorCase;
    expect(shapes.params.map((p) => p.init.shape)).toEqual([[2, 3, 4], []]);
    expect(Object.keys(shapes.final_state.T).sort()).toEqual(['col_var', 'row_var', 'step']);
    expect(Object.keys(shapes.final_state.s).sort()).toEqual(['step', 'variance']);
    // ρ = min(lr, 1/√t): lr binds throughout with a small lr, 1/√t takes over with a large one.
    for (const c of [...byConfig('lr_small'), ...byConfig('defaults')])
      for (const step of c.stats.rho) for (const rho of step) expect(rho).toBe(c.hyperparams.lr ?? 1e-2);
    for (const c of byConfig('lr_large')) {
      const rhos = c.stats.rho.map((step) => step[0]);
      expect(rhos[0]).toBe(c.hyperparams.lr);
      expect(rhos.some((rho) => rho < (c.hyperparams.lr as number))).toBe(true);
    }
    // The clipping threshold d > 1 still clips some steps (a denominator above 1) in every clip_d case.
    for (const c of byConfig('clip_d')) {
      expect(c.hyperparams.d as number).toBeGreaterThan(1);
      expect(c.stats.denoms.some((step) => step.some((den) => den > 1))).toBe(true);
    }
    // A large ε₁ raises variance-estimate entries; the default and tiny ones never do.
    for (const c of byConfig('eps1_large')) expect(c.stats.eps1_binds.flat().some((n) => n > 0)).toBe(true);
    for (const c of [...byConfig('defaults'), ...byConfig('eps1_tiny')])
      expect(c.stats.eps1_binds.flat().every((n) => n === 0)).toBe(true);
    expect(byConfig('eps1_tiny').every((c) => (c.hyperparams.eps as number[])[0] === 1e-30)).toBe(true);
    expect(byConfig('eps2_large').every((c) => (c.hyperparams.eps as (number | null)[])[0] === null)).toBe(true);
    // maximize ascends: the loss grows.
    for (const c of byConfig('maximize')) {
      expect(c.hyperparams.maximize).toBe(true);
      expect(c.trajectory.final_loss).toBeGreaterThan(c.trajectory.losses[0]);
    }
    expect(byConfig('weight_decay').every((c) => (c.hyperparams.weight_decay as number) > 0)).toBe(true);
    expect(byConfig('beta2_decay').every((c) => c.hyperparams.beta2_decay !== -0.8)).toBe(true);
    expect(byConfig('groups').every((c) => c.param_groups !== undefined && c.param_groups.length === 2)).toBe(true);
  });

  for (const c of cases) {
    it(c.id, () => {
      const opt = replayCase(c, factoryOf(c), c.problem.name === 'shapes3d' ? { loss: shapes3dLoss(c) } : {});
      checkFinalState(c, opt);
    });
  }
});
