// Train a small least-squares model with each optimizer of this folder, created by name from the
// plugin, and run the conformance testkit on each.
import { Generator, randn, type Tensor } from '@nablajs/core';
import { createOptimizer, type HyperValue, type OptimizerFactory, usePlugin } from '@nablajs/optim';
import { type ConformanceResult, checkOptimizerConformance } from '@nablajs/optim/testkit';
import sgdPlugin from '@nablajs/optim-sgd';
import { blockNormalizedSgd } from './block-normalized-sgd';
import { extragradient } from './extragradient';
import { grokfast } from './grokfast';
import { normalizedSgd } from './normalized-sgd';
import customOptimizers from './plugin';
import { polyakSgd } from './polyak-sgd';
import { signum } from './signum';

/** `Y = X·W* + b* + noise` with `X` [64, 4]: fit a weight matrix `W` [4, 3] and a bias `b` [3] by least squares. */
export function makeProblem(seed = 0): { params: Tensor[]; loss: () => Tensor } {
  const gen = new Generator(seed);
  const x = randn([64, 4], { generator: gen });
  const target = x
    .matmul(randn([4, 3], { generator: gen }))
    .add(randn([3], { generator: gen }))
    .add(randn([64, 3], { generator: gen }).mul(0.05));
  const w = randn([4, 3], { generator: gen, requiresGrad: true });
  const b = randn([3], { generator: gen, requiresGrad: true });
  return { params: [w, b], loss: () => x.matmul(w).add(b).sub(target).square().mean() };
}

/** Each optimizer by its registered name, with the options used below (Grokfast wraps SGD). */
export const RUNS: Record<string, Record<string, HyperValue>> = {
  signum: { lr: 0.01 },
  blockNormalizedSgd: { lr: 0.05 },
  normalizedSgd: { lr: 0.05 },
  extragradient: { lr: 0.1 },
  polyakSgd: { lr: 0.1 },
  grokfast: { inner: 'sgd', lr: 0.02 },
};

/** Train `name` for `steps` steps of `step(closure)`; the losses, and the final loss at the evaluation point. */
export function train(name: string, steps = 200): { losses: number[]; final: number } {
  usePlugin(sgdPlugin);
  usePlugin(customOptimizers);
  const { params, loss } = makeProblem();
  const opt = createOptimizer(name, params, RUNS[name]);
  const closure = () => {
    opt.zeroGrad();
    const l = loss();
    l.backward();
    return l;
  };
  const losses: number[] = [];
  for (let k = 0; k < steps; k++) losses.push(opt.step(closure) as number);
  opt.eval?.(); // Polyak-averaged SGD evaluates at the average of its iterates; the others do nothing
  return { losses, final: loss().item() };
}

/** The factories as the testkit takes them, with the options each is checked with. */
export const CONFORMANCE: Record<string, { factory: OptimizerFactory; options: Record<string, unknown> }> = {
  signum: { factory: signum, options: { lr: 0.01 } },
  blockNormalizedSgd: { factory: blockNormalizedSgd, options: { lr: 0.01 } },
  normalizedSgd: { factory: normalizedSgd, options: { lr: 0.01 } },
  extragradient: { factory: extragradient, options: { lr: 5e-4 } },
  polyakSgd: { factory: polyakSgd, options: { lr: 1e-3 } },
  grokfast: { factory: grokfast, options: { inner: 'sgd', lr: 1e-3 } },
};

/** Run the conformance testkit on every optimizer of this folder. */
export function checkAll(): Record<string, ConformanceResult> {
  usePlugin(sgdPlugin);
  const results: Record<string, ConformanceResult> = {};
  for (const [name, { factory, options }] of Object.entries(CONFORMANCE))
    results[name] = checkOptimizerConformance(factory, { name, options });
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log('optimizer            first loss  loss after 200 steps');
  for (const name of Object.keys(RUNS)) {
    const { losses, final } = train(name);
    console.log(`${name.padEnd(20)} ${losses[0].toFixed(4).padStart(10)}  ${final.toFixed(6).padStart(20)}`);
  }
  console.log('');
  for (const [name, result] of Object.entries(checkAll())) {
    console.log(`conformance ${name}: ${result.passed.length} passed, ${result.failures.length} failed`);
    for (const f of result.failures) console.log(`  ${f.check}: ${f.message}`);
  }
}
