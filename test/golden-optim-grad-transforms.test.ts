// optim's centralize() and adaptiveGradClip() blocks, chained with SGD's and Adam's, vs the authors' code
// (Gradient Centralization's SGD and Adam; NFNets' adaptive_grad_clip ported to PyTorch's layout) run on
// PyTorch 1.13 by scripts/fixtures/make_optim_grad_transforms_fixture.py (test/fixtures/optim-grad-transforms.json).
import type { Tensor } from '@nablajs/core';
import {
  adaptiveGradClip,
  addWeightDecay,
  centralize,
  chain,
  defineOptimizer,
  flipIfMaximize,
  type Hyperparams,
  scaleByAdam,
  scaleByLearningRate,
  traceMomentum,
  type UpdateRule,
} from '@nablajs/optim';
import { describe, expect, it } from 'vitest';
import { type FixtureTensor, fromFixture } from './helpers/fixtures';
import {
  checkBlockState,
  type OptimizerCase,
  optimizerCases,
  replayCase,
  type TorchParamState,
} from './helpers/optim-golden';

type Transform =
  | { kind: 'gc'; where: 'grad' | 'step'; conv_only: boolean }
  | { kind: 'agc'; clipping: number; eps: number };

interface TransformCase extends OptimizerCase {
  transform: Transform;
  final_state: Record<string, TorchParamState>;
  scaled_units?: number[];
}

const cases = optimizerCases('optim-grad-transforms.json') as TransformCase[];

/** PyTorch's defaults of the base optimizers, in nabla's names (the fixture lists only what it changes). */
const BASE_DEFAULTS: Record<string, Hyperparams> = {
  SGD: { lr: 0.1, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0, maximize: false },
  Adam: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false },
};

/** The chain a case pins: the base optimizer's blocks with the transform where the authors put it. */
function ruleOf(c: TransformCase): UpdateRule<unknown> {
  const t = c.transform;
  const base = c.optimizer === 'SGD' ? traceMomentum() : scaleByAdam();
  if (t.kind === 'agc')
    return chain(adaptiveGradClip(t.clipping, t.eps), flipIfMaximize(), addWeightDecay(), base, scaleByLearningRate());
  const gc = centralize({ convOnly: t.conv_only });
  return t.where === 'grad'
    ? chain(flipIfMaximize(), addWeightDecay(), gc, base, scaleByLearningRate())
    : chain(flipIfMaximize(), addWeightDecay(), base, gc, scaleByLearningRate());
}

/** The generator's `units` problem: f = Σ_k mean(W_k ⊙ (p_k - C_k)²) + 0.05·mean(p_k⁴). */
function unitsLoss(c: TransformCase): (params: Tensor[]) => Tensor {
  const names = c.params.map((p) => p.name);
  const W = names.map((n) => fromFixture((c.problem.W as Record<string, FixtureTensor>)[n]));
  const C = names.map((n) => fromFixture((c.problem.C as Record<string, FixtureTensor>)[n]));
  return (params) =>
    params
      .map((p, k) => p.sub(C[k]).square().mul(W[k]).mean().add(p.square().square().mean().mul(0.05)))
      .reduce((a, b) => a.add(b));
}

/** PyTorch's state keys -> the fields of the base block's state. */
const SGD_KEYS = { momentum_buffer: 'momentumBuffer' };
const ADAM_KEYS = { step: 'step', exp_avg: 'm', exp_avg_sq: 'v' };
const AMSGRAD_KEYS = { ...ADAM_KEYS, max_exp_avg_sq: 'vmax' };

describe('centralize() and adaptiveGradClip() vs the authors’ code (PyTorch 1.13)', () => {
  it('covers both blocks, both bases, every placement, the three problems and float32', () => {
    expect(cases).toHaveLength(25);
    const has = (pred: (c: TransformCase) => boolean) => expect(cases.some(pred)).toBe(true);
    has((c) => c.transform.kind === 'gc' && c.transform.where === 'grad' && c.optimizer === 'Adam');
    has((c) => c.transform.kind === 'gc' && c.transform.where === 'step');
    has((c) => c.transform.kind === 'gc' && c.transform.conv_only);
    has((c) => c.transform.kind === 'gc' && c.hyperparams.nesterov === true);
    has((c) => c.transform.kind === 'agc' && c.optimizer === 'Adam');
    for (const problem of ['mlp', 'lstsq', 'units']) has((c) => c.problem.name === problem);
    has((c) => c.dtype === 'float32' && c.transform.kind === 'gc');
    has((c) => c.dtype === 'float32' && c.transform.kind === 'agc');
    // AGC both scales and keeps units: the count changes over every AGC case's steps, and some step keeps all
    for (const c of cases.filter((x) => x.transform.kind === 'agc')) {
      const counts = c.scaled_units as number[];
      expect(Math.max(...counts)).toBeGreaterThan(Math.min(...counts));
    }
    has((c) => (c.scaled_units ?? [1]).includes(0));
  });

  for (const c of cases) {
    it(c.id, () => {
      const factory = defineOptimizer({
        name: `${c.config}`,
        defaults: BASE_DEFAULTS[c.optimizer],
        rule: ruleOf(c),
      });
      const opt = replayCase(c, factory, c.problem.name === 'units' ? { loss: unitsLoss(c) } : {});
      // The base block's place in ruleOf's chain: after the centralization of the step it is block 2, else 3.
      const block = c.transform.kind === 'gc' && c.transform.where === 'step' ? 2 : 3;
      if (c.optimizer === 'Adam') checkBlockState(c, opt, block, c.hyperparams.amsgrad ? AMSGRAD_KEYS : ADAM_KEYS);
      // The authors' Nesterov SGD keeps the buffer uncentralized (its step is a new tensor): only the steps match.
      else if (c.hyperparams.momentum !== undefined && c.hyperparams.nesterov !== true)
        checkBlockState(c, opt, block, SGD_KEYS);
    });
  }
});
