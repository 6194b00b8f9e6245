// ADOPT vs the authors' PyTorch code (iShohei220/adopt) run on PyTorch 1.13 (test/fixtures/optim-adopt.json):
// losses, parameter checkpoints, the final loss and the final optimizer state of every case.
import { decodeState, type Optimizer } from '@nablajs/optim';
import { type AdoptClip, type AdoptOptions, type AdoptState, adopt } from '@nablajs/optim-adopt';
import { describe, expect, it } from 'vitest';
import {
  closeNumbers,
  expectEveryProblemInBothDtypes,
  type OptimizerCase,
  optimizerCases,
  optimizerTolerance,
  replayCase,
  stateDictViaJson,
  toOptions,
  withFixtureGroups,
} from './helpers/optim-golden';

interface AdoptCase extends OptimizerCase {
  /** The name of the case's clip_lambda in CLIPS (the generator's table of the same name). */
  clip: 'default' | 'none' | 'constant' | 'linear';
  final_state: Record<string, { step: number; exp_avg: { data: number[] }; exp_avg_sq: { data: number[] } }>;
  clip_hits: number[];
  eps_hits: number[];
  param_groups?: ({ params: number[] } & Record<string, unknown>)[];
}

/** The generator's CLIPS: the clip functions of the cases by name (`default`: the option left out). */
const CLIPS: Record<AdoptCase['clip'], AdoptClip | null | undefined> = {
  default: undefined,
  none: null,
  constant: () => 0.5,
  linear: (step) => 0.2 * step,
};

const cases = optimizerCases('optim-adopt.json') as AdoptCase[];

/** The case's options: its hyperparameters in camelCase and its clip function, when not the default. */
function optionsOf(c: AdoptCase): AdoptOptions {
  const options = toOptions(c.hyperparams) as AdoptOptions;
  const clip = CLIPS[c.clip];
  return clip === undefined ? options : { ...options, clipLambda: clip };
}

/** The factory for a case: plain, or over the fixture's parameter groups. */
const factoryOf = (c: AdoptCase) => withFixtureGroups(c, adopt);

/** Compare the state of scaleByAdopt (block 2 of the recipe), after a JSON round trip, with PyTorch's. */
function checkFinalState(c: AdoptCase, opt: Optimizer): void {
  const sd = stateDictViaJson(opt);
  const tol = optimizerTolerance(c);
  const names = c.params.map((p) => p.name);
  let offset = 0;
  sd.state.forEach((groupState) => {
    const block = (decodeState(groupState) as unknown[])[2] as AdoptState;
    for (let i = 0; i < block.step.length; i++) {
      const name = names[offset + i];
      const torch = c.final_state[name];
      const label = (key: string) => `${c.id}: final_state ${name}.${key}`;
      expect(Object.keys(torch).sort()).toEqual(['exp_avg', 'exp_avg_sq', 'step']);
      expect(block.step[i], label('step')).toBe(torch.step);
      closeNumbers(block.m[i], torch.exp_avg.data, tol, label('exp_avg'));
      closeNumbers(block.v[i], torch.exp_avg_sq.data, tol, label('exp_avg_sq'));
    }
    offset += block.step.length;
  });
  expect(offset).toBe(names.length);
}

describe('adopt vs the authors’ ADOPT (iShohei220/adopt on PyTorch 1.13)', () => {
  it('covers the problems in float64 and float32, every option, each clip, and groups', () => {
    expect(cases).toHaveLength(31);
    expectEveryProblemInBothDtypes(cases);
    const has = (pred: (c: AdoptCase) => boolean) => cases.some(pred);
    const hp = (c: AdoptCase, key: string) => c.hyperparams[key];
    for (const clip of Object.keys(CLIPS)) expect(has((c) => c.clip === clip)).toBe(true);
    expect(has((c) => (hp(c, 'weight_decay') as number) > 0 && hp(c, 'decouple') === true)).toBe(true);
    expect(has((c) => (hp(c, 'weight_decay') as number) > 0 && hp(c, 'decouple') === undefined)).toBe(true);
    expect(has((c) => hp(c, 'maximize') === true)).toBe(true);
    expect(has((c) => hp(c, 'betas') !== undefined && hp(c, 'eps') !== undefined)).toBe(true);
    expect(has((c) => c.param_groups !== undefined && c.dtype === 'float32')).toBe(true);
    // Each option acts: the custom clips bind, the default bound would bind where clipping is off (so null
    // changes the trajectory), and the eps floor binds in the cases that raise eps.
    for (const c of cases) {
      if (c.clip === 'constant' || c.clip === 'linear') expect(Math.max(...c.clip_hits), c.id).toBeGreaterThan(0);
      if (c.clip === 'none') expect(Math.max(...c.clip_hits), c.id).toBeGreaterThan(0);
      if (hp(c, 'eps') === 0.02 && c.problem.name !== 'rosenbrock2d')
        expect(Math.max(...c.eps_hits), c.id).toBeGreaterThan(0);
      expect(c.clip_hits[0], `${c.id}: the first step normalises nothing`).toBe(0);
      expect(c.steps).toBeGreaterThanOrEqual(20);
    }
  });

  for (const c of cases) {
    it(c.id, () => {
      const opt = replayCase(c, factoryOf(c), { options: optionsOf(c) as Record<string, unknown> });
      checkFinalState(c, opt);
    });
  }
});
