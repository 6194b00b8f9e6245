// Smoke tests of the optimizer examples: each example's exported functions, run with small step

// counts, must reach the outcomes their READMEs describe.
import { tensor } from '@nablajs/core';
import type { OptimizerFactory } from '@nablajs/optim';
import { stepContext } from '@nablajs/optim';
import { checkOptimizerConformance } from '@nablajs/optim/testkit';
import { describe, expect, it } from 'vitest';
import { checkSignSgd, fitLineWithSignSgd } from '../examples/custom-optimizer/main';
import signSgdPlugin, { scaleBySign, signSgd } from '../examples/custom-optimizer/sign-sgd';
import { compareOnLine } from '../examples/gd-vs-adam/main';
import { compareOptimizers, makeData } from '../examples/mlp-regression/main';
import { lrSequences, plateauSequence, STEPS_PER_EPOCH, trainWithSchedule } from '../examples/schedulers/main';
import {
  finiteDifferenceHvp,
  hessianVectorProduct,
  makeProblem,
  maxAbsDifference,
  minimiseWithAdam,
  minimiseWithLbfgs,
} from '../examples/second-order/main';

describe('examples/gd-vs-adam', () => {
  it('on standardised x, gradient descent reaches the noise floor first; both fit y = 2x + 1', () => {
    const { gd, adam } = compareOnLine({ steps: 150, lr: 0.1, xScale: 1 });
    expect(gd.losses[0]).toBe(adam.losses[0]); // same data, same start
    expect(gd.losses[0]).toBeGreaterThan(4);
    // the noise has standard deviation 0.1: the best mean squared error of a sample is about 0.01
    expect(gd.losses[25]).toBeLessThan(0.0125);
    expect(adam.losses[25]).toBeGreaterThan(5 * gd.losses[25]);
    expect(adam.losses[149]).toBeLessThan(0.0125);
    for (const run of [gd, adam]) {
      expect(run.w).toBeCloseTo(2, 1);
      expect(run.b).toBeCloseTo(1, 1);
    }
  });

  it('on x scaled by 10, gradient descent at lr 0.1 diverges while Adam still fits the line', () => {
    const { gd, adam } = compareOnLine({ steps: 150, lr: 0.1, xScale: 10 });
    expect(gd.losses[5]).toBeGreaterThan(1e10);
    expect(Number.isFinite(gd.w)).toBe(false);
    expect(adam.losses[149]).toBeLessThan(0.0125);
    expect(adam.w).toBeCloseTo(2, 2);
    expect(adam.b).toBeCloseTo(1, 1);
  });
});

describe('examples/mlp-regression', () => {
  it('Adam, RMSprop and Adagrad each bring the test MSE below a tenth of the target variance', () => {
    const epochs = 60;
    const results = compareOptimizers(epochs);
    const { test } = makeData(0);
    const variance = test.y.sub(test.y.mean()).square().mean().item();
    expect(Object.keys(results)).toEqual(['adam', 'rmsprop', 'adagrad']);
    const start = results.adam.testLoss[0];
    for (const [name, history] of Object.entries(results)) {
      expect(history.testLoss, name).toHaveLength(epochs + 1);
      expect(history.testLoss[0], name).toBe(start); // same initial weights
      expect(history.testLoss[epochs], name).toBeLessThan(0.1 * variance);
      expect(history.trainLoss[epochs], name).toBeLessThan(history.trainLoss[0] / 10);
    }
  });
});

describe('examples/second-order', () => {
  it('L-BFGS with a strong Wolfe line search reaches (1, 1) to 1e-6 in a few outer steps; Adam does not in 500', () => {
    const lbfgs = minimiseWithLbfgs(1e-6, 10);
    expect(lbfgs.steps).toBeLessThanOrEqual(3);
    expect(Math.abs(lbfgs.x - 1)).toBeLessThan(1e-6);
    expect(Math.abs(lbfgs.y - 1)).toBeLessThan(1e-6);
    expect(lbfgs.loss).toBeLessThan(1e-12);
    expect(lbfgs.evaluations).toBeLessThan(100);
    const adam = minimiseWithAdam(500, 0.02);
    expect(adam.loss).toBeGreaterThan(1e-3);
    expect(Math.abs(adam.x - 1)).toBeGreaterThan(1e-2);
  });

  it('the Hessian-vector product by double backward matches central differences of gradients to 1e-6', () => {
    const { loss, params, v } = makeProblem(0);
    const before = params.map((p) => p.data.slice());
    const exact = hessianVectorProduct(loss, params, v);
    const approx = finiteDifferenceHvp(loss, params, v);
    expect(exact.map((t) => t.shape)).toEqual(params.map((p) => p.shape));
    expect(maxAbsDifference(exact, approx)).toBeLessThan(1e-6);
    // a real product, not zeros
    expect(Math.max(...exact.flatMap((t) => Array.from(t.data, Math.abs)))).toBeGreaterThan(0.1);
    for (let i = 0; i < params.length; i++) expect(params[i].data).toEqual(before[i]); // parameters restored
  });
});

describe('examples/schedulers', () => {
  it('warm-up then cosine: linear from 0.01 to 0.1 over 5 epochs, then a half cosine down to 0.001', () => {
    const { warmupCosine } = lrSequences(20);
    expect(warmupCosine).toHaveLength(21);
    for (let t = 0; t <= 5; t++) expect(warmupCosine[t]).toBeCloseTo(0.01 + (0.09 * t) / 5, 12);
    for (let t = 5; t <= 20; t++)
      expect(warmupCosine[t]).toBeCloseTo(0.001 + (0.099 * (1 + Math.cos((Math.PI * (t - 5)) / 15))) / 2, 12);
  });

  it('one-cycle: up from maxLr/25 to maxLr at 30% of the steps, then down to maxLr/25/1e4; momentum opposite', () => {
    const { oneCycle, oneCycleMomentum } = lrSequences(20);
    expect(oneCycle[0]).toBeCloseTo(0.1 / 25, 12);
    const peak = oneCycle.indexOf(Math.max(...oneCycle));
    expect(peak).toBe(5); // pctStart 0.3 of 20 steps: the peak at step 0.3·20 - 1
    expect(oneCycle[peak]).toBeCloseTo(0.1, 12);
    expect(oneCycle[19]).toBeCloseTo(0.1 / 25 / 1e4, 12);
    for (let t = 1; t <= peak; t++) expect(oneCycle[t]).toBeGreaterThan(oneCycle[t - 1]);
    for (let t = peak + 1; t < 20; t++) expect(oneCycle[t]).toBeLessThan(oneCycle[t - 1]);
    expect(oneCycleMomentum[0]).toBeCloseTo(0.95, 12);
    expect(oneCycleMomentum[peak]).toBeCloseTo(0.85, 12);
    expect(oneCycleMomentum[19]).toBeCloseTo(0.95, 12);
  });

  it('reduce on plateau halves the lr after more than 2 epochs without improvement', () => {
    const metrics = [1, 0.8, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.6, 0.6, 0.6, 0.6];
    expect(plateauSequence(metrics)).toEqual([
      0.1, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.025, 0.0125,
    ]);
  });

  it('a small model trains with every schedule, and each schedule drives the lr as attached', () => {
    const epochs = 30;
    const runs = Object.fromEntries(
      (['constant', 'warmupCosine', 'oneCycle', 'plateau'] as const).map((name) => [
        name,
        trainWithSchedule(name, epochs),
      ]),
    );
    for (const [name, run] of Object.entries(runs)) {
      expect(run.validationLoss, name).toHaveLength(epochs);
      expect(run.validationLoss[epochs - 1], name).toBeLessThan(0.1);
    }
    expect(new Set(runs.constant.lrs)).toEqual(new Set([0.05]));
    expect(runs.warmupCosine.lrs[0]).toBeCloseTo(0.005, 12);
    expect(runs.warmupCosine.lrs[5]).toBeCloseTo(0.05, 12);
    expect(runs.warmupCosine.lrs[epochs - 1]).toBeLessThan(0.001);
    // one-cycle steps per batch: the lr seen at the start of epoch e is the one of step e·STEPS_PER_EPOCH
    expect(runs.oneCycle.lrs[0]).toBeCloseTo(0.05 / 25, 12);
    expect(Math.max(...runs.oneCycle.lrs)).toBeLessThanOrEqual(0.05);
    expect(runs.oneCycle.lrs[epochs - 1]).toBeLessThan(0.001);
    expect(STEPS_PER_EPOCH).toBe(8);
    // plateau: only ever halvings of 0.05, never increasing
    for (const lr of runs.plateau.lrs) expect(Math.log2(0.05 / lr) % 1).toBe(0);
    for (let e = 1; e < epochs; e++) expect(runs.plateau.lrs[e]).toBeLessThanOrEqual(runs.plateau.lrs[e - 1]);
    expect(runs.plateau.lrs[epochs - 1]).toBeLessThan(0.05);
  });
});

describe('examples/custom-optimizer', () => {
  it('scaleBySign keeps only signs and skips null updates', () => {
    const rule = scaleBySign();
    const u = new Float64Array([-3, 0, 0.25, -0]);
    rule.update([u, null], null, stepContext([], { lr: 1 }));
    expect(Array.from(u)).toEqual([-1, 0, 1, -0]);
  });

  it('the plugin registers signSgd, createOptimizer builds it by name, and it fits y = 2x + 1', () => {
    expect(signSgdPlugin.name).toBe('sign-sgd');
    expect(signSgdPlugin.optimizers.signSgd).toBe(signSgd);
    const { losses, w, b, registered } = fitLineWithSignSgd(300);
    expect(registered).toContain('signSgd');
    // every element moves by exactly lr = 0.01 per step, so w needs 200 steps to go from 0 to 2
    expect(losses[100]).toBeGreaterThan(0.5);
    expect(losses[299]).toBeLessThan(0.0125);
    // the least-squares fit of a noisy sample is itself a few hundredths from (2, 1)
    expect(Math.abs(w - 2)).toBeLessThan(0.03);
    expect(Math.abs(b - 1)).toBeLessThan(0.03);
  });

  it('sign-sgd.mjs, the plain JavaScript copy for the CLI, is the same plugin and conforms too', async () => {
    const url = new URL('../examples/custom-optimizer/sign-sgd.mjs', import.meta.url).href;
    const js = (await import(/* @vite-ignore */ url)) as { default: typeof signSgdPlugin };
    expect(js.default.name).toBe(signSgdPlugin.name);
    expect(Object.keys(js.default.optimizers)).toEqual(['signSgd']);
    const factory = js.default.optimizers.signSgd;
    expect(factory([tensor([1], { requiresGrad: true })]).defaults).toEqual(
      signSgd([tensor([1], { requiresGrad: true })]).defaults,
    );
    const result = checkOptimizerConformance(factory, { name: 'signSgd (mjs)', options: { lr: 0.01, momentum: 0.9 } });
    expect(result.failures).toEqual([]);
    // the same trajectory as the TypeScript plugin
    const run = (make: OptimizerFactory) => {
      const p = tensor([0.5, -2], { dtype: 'float64', requiresGrad: true });
      const opt = make([p], { lr: 0.1, momentum: 0.5 });
      for (const g of [
        [1, -1],
        [-2, -3],
        [0.5, 4],
      ]) {
        p.grad = tensor(g, { dtype: 'float64' });
        opt.step();
      }
      return Array.from(p.data);
    };
    expect(run(factory)).toEqual(run(signSgd as OptimizerFactory));
  });

  it('sign-SGD passes every check of the conformance testkit, with and without momentum', () => {
    const { plain, momentum } = checkSignSgd();
    for (const result of [plain, momentum]) {
      expect(result.failures).toEqual([]);
      expect(result.skipped).toEqual([]);
      expect(result.passed).toHaveLength(13);
    }
  });
});
