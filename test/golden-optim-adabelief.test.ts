// AdaBelief vs the authors' adabelief-pytorch 0.2.1 (juntang-zhuang/Adabelief-Optimizer) run on PyTorch 1.13
// (test/fixtures/optim-adabelief.json): losses, parameter checkpoints, the final loss and the final optimizer
// state of every case, through a JSON round trip of the state dict.
import { decodeState, type Optimizer } from '@nablajs/optim';
import { adabelief } from '@nablajs/optim-adabelief';
import { describe, expect, it } from 'vitest';
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
interface AdaBeliefCase extends OptimizerCase {
  final_state: Record<string, TorchState>;
  /** Per step() call: [step, N_sma, step size] of the reference (rectified cases). */
  rectification?: [number, number, number][];
  param_groups?: ({ params: number[] } & Record<string, unknown>)[];
}

const cases = optimizerCases('optim-adabelief.json') as AdaBeliefCase[];
const hp = (c: AdaBeliefCase, key: string) => c.hyperparams[key];

/** The factory for a case: plain, or over the fixture's parameter groups. */
const factoryOf = (c: AdaBeliefCase) => withFixtureGroups(c, adabelief);

/** Compare the state of scaleByAdaBelief (block 1 of the recipe), after a JSON round trip, with the reference's. */
function checkFinalState(c: AdaBeliefCase, opt: Optimizer): void {
  const sd = stateDictViaJson(opt);
  const tol = optimizerTolerance(c);
  const names = c.params.map((p) => p.name);
  let offset = 0;
  for (const groupState of sd.state) {
    const block = (decodeState(groupState) as unknown[])[1] as Record<string, unknown[]>;
    const count = (block.step as number[]).length;
    for (let i = 0; i < count; i++) {
      const name = names[offset + i];
      const torch = c.final_state[name];
      const label = (key: string) => `${c.id}: final_state ${name}.${key}`;
      const keys = ['exp_avg', 'exp_avg_var', 'step'];
      if (block.sMax[i] !== null) keys.push('max_exp_avg_var');
      expect(Object.keys(torch).sort()).toEqual(keys.sort());
      expect(block.step[i]).toBe(torch.step);
      const tensor = (key: string) => (torch[key] as { data: number[] }).data;
      closeNumbers(block.m[i] as ArrayLike<number>, tensor('exp_avg'), tol, label('exp_avg'));
      closeNumbers(block.s[i] as ArrayLike<number>, tensor('exp_avg_var'), tol, label('exp_avg_var'));
      if (block.sMax[i] !== null)
        closeNumbers(block.sMax[i] as ArrayLike<number>, tensor('max_exp_avg_var'), tol, label('max_exp_avg_var'));
    }
    offset += count;
  }
  expect(offset).toBe(names.length);
}

describe('adabelief vs the authors’ AdaBelief (adabelief-pytorch 0.2.1 on PyTorch 1.13)', () => {
  it('covers the three problems in float64 and float32, every option, and groups with overrides', () => {
    expect(cases).toHaveLength(33);
    expectEveryProblemInBothDtypes(cases);
    const has = (pred: (c: AdaBeliefCase) => boolean) => cases.some(pred);
    expect(has((c) => hp(c, 'rectify') === false)).toBe(true);
    expect(has((c) => hp(c, 'degenerated_to_sgd') === false && hp(c, 'rectify') !== false)).toBe(true);
    expect(has((c) => hp(c, 'amsgrad') === true && hp(c, 'rectify') === false)).toBe(true);
    expect(has((c) => hp(c, 'amsgrad') === true && hp(c, 'rectify') === undefined)).toBe(true);
    expect(has((c) => (hp(c, 'weight_decay') as number) > 0 && hp(c, 'weight_decouple') === false)).toBe(true);
    expect(has((c) => (hp(c, 'weight_decay') as number) > 0 && hp(c, 'fixed_decay') === true)).toBe(true);
    expect(has((c) => (hp(c, 'weight_decay') as number) > 0 && Object.keys(c.hyperparams).length === 2)).toBe(true);
    expect(has((c) => hp(c, 'eps') === 1e-8)).toBe(true);
    expect(has((c) => c.param_groups?.some((g) => g.betas !== undefined) === true)).toBe(true);
    expect(has((c) => c.param_groups?.some((g) => g.amsgrad === true) === true)).toBe(true);
    for (const c of cases) expect(c.steps).toBe(25);
  });

  it('the rectified cases take 5 SGD-like steps, then adaptive ones from step 6 (β₂ = 0.999)', () => {
    const rectified = cases.filter((c) => c.rectification !== undefined);
    expect(rectified.length).toBeGreaterThan(10);
    for (const c of rectified.filter((c) => c.param_groups === undefined)) {
      const rect = c.rectification as [number, number, number][];
      expect(rect.map(([step]) => step)).toEqual(Array.from({ length: 25 }, (_, k) => k + 1));
      expect(rect.findIndex(([, nSma]) => nSma >= 5)).toBe(5);
      const b1 = ((hp(c, 'betas') as number[] | undefined) ?? [0.9])[0];
      // Python's 0.9 ** t and JavaScript's may differ in the last bit: compare to 1e-15.
      for (const [t, nSma, size] of rect.slice(0, 5)) {
        expect(nSma).toBeLessThan(5);
        if (hp(c, 'degenerated_to_sgd') === false) expect(size).toBe(-1);
        else closeNumbers([size], [1 / (1 - b1 ** t)], 1e-15, `${c.id}: step size at step ${t}`);
      }
    }
  });

  it('degeneratedToSgd false: no move in the first five steps (no weight decay)', () => {
    for (const c of cases.filter((c) => hp(c, 'degenerated_to_sgd') === false && c.param_groups === undefined)) {
      const at5 = c.trajectory.params.find((cp) => cp.step === 5);
      for (const p of c.params) expect(at5?.values[p.name].data).toEqual(p.init.data);
      expect(c.trajectory.losses.slice(0, 5).every((l) => l === c.trajectory.losses[0])).toBe(true);
    }
  });

  for (const c of cases) {
    it(c.id, () => {
      const opt = replayCase(c, factoryOf(c));
      checkFinalState(c, opt);
    });
  }
});
