// AdEMAMix vs the authors' PyTorch code (apple/ml-ademamix) run on PyTorch 1.13
// (test/fixtures/optim-ademamix.json): losses, parameter checkpoints, the final loss, the final optimizer
// state and the warm-up schedules of every case.
import { ademamix, linearHalfLifeWarmup, linearWarmup } from '@nablajs/optim-ademamix';
import { describe, expect, it } from 'vitest';
import {
  checkBlockState,
  closeNumbers,
  expectEveryProblemInBothDtypes,
  type OptimizerCase,
  optimizerCases,
  replayCase,
  type TorchParamState,
} from './helpers/optim-golden';

interface AdemamixCase extends OptimizerCase {
  final_state: Record<string, TorchParamState>;
  schedule: [number, number][];
}

const cases = optimizerCases('optim-ademamix.json') as AdemamixCase[];

/** PyTorch's state key -> the field of scaleByAdemamix's state (block 0 of the recipe). */
const stateKeys = {
  step: 'step',
  exp_avg_fast: 'm1',
  exp_avg_slow: 'm2',
  exp_avg_sq: 'nu',
};

describe('ademamix vs the authors’ AdEMAMix (apple/ml-ademamix on PyTorch 1.13)', () => {
  it('covers the three problems in float64 and float32, both warm-ups shorter than the run, and weight decay', () => {
    expect(cases).toHaveLength(24);
    const has = (pred: (c: AdemamixCase) => boolean) => cases.some(pred);
    expectEveryProblemInBothDtypes(cases);
    const warm = cases.filter((c) => c.hyperparams.alpha_warmup != null && c.hyperparams.beta3_warmup != null);
    expect(warm.length).toBeGreaterThan(0);
    for (const c of warm) {
      expect(c.hyperparams.alpha_warmup as number).toBeLessThan(c.steps);
      expect(c.hyperparams.beta3_warmup as number).toBeLessThan(c.steps);
    }
    expect(has((c) => (c.hyperparams.weight_decay as number) > 0)).toBe(true);
    expect(has((c) => (c.hyperparams.betas as number[] | undefined)?.[0] === 0)).toBe(true);
    for (const c of cases) expect(c.steps).toBeGreaterThanOrEqual(20);
  });

  it('computes the reference’s warm-up schedules of alpha and beta3 at every step', () => {
    for (const c of cases) {
      const hp = c.hyperparams as { betas?: number[]; alpha?: number; alpha_warmup?: number; beta3_warmup?: number };
      const [b1, , b3] = hp.betas ?? [0.9, 0.999, 0.9999];
      const alpha = hp.alpha ?? 2;
      c.schedule.forEach(([wantAlpha, wantBeta3], k) => {
        const t = k + 1;
        const gotAlpha = hp.alpha_warmup === undefined ? alpha : linearWarmup(t, alpha, 0, hp.alpha_warmup);
        const gotBeta3 = hp.beta3_warmup === undefined ? b3 : linearHalfLifeWarmup(t, b3, b1, hp.beta3_warmup);
        closeNumbers([gotAlpha, gotBeta3], [wantAlpha, wantBeta3], 1e-15, `${c.id}: schedule at step ${t}`);
      });
    }
  });

  for (const c of cases) {
    it(c.id, () => {
      const opt = replayCase(c, ademamix);
      checkBlockState(c, opt, 0, stateKeys);
    });
  }
});
