// Register the sign-SGD plugin, create its optimizer by name, train with it, and run the conformance
// testkit on it.
import { Generator, randn, tensor } from '@nablajs/core';
import { createOptimizer, listOptimizers, usePlugin } from '@nablajs/optim';
import { type ConformanceResult, checkOptimizerConformance } from '@nablajs/optim/testkit';
import signSgdPlugin, { signSgd } from './sign-sgd';

/** Fit `y = 2x + 1` with the optimizer registered as `signSgd`; returns the losses and the line. */
export function fitLineWithSignSgd(steps = 300, options: { lr?: number; momentum?: number } = {}) {
  usePlugin(signSgdPlugin);
  const gen = new Generator(0);
  const x = randn([100, 1], { generator: gen });
  const y = x
    .mul(2)
    .add(1)
    .add(randn([100, 1], { generator: gen }).mul(0.1));
  const w = tensor([[0]], { requiresGrad: true });
  const b = tensor([0], { requiresGrad: true });
  const opt = createOptimizer('signSgd', [w, b], { lr: 0.01, ...options });
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    opt.zeroGrad();
    const loss = x.matmul(w).add(b).sub(y).square().mean();
    loss.backward();
    opt.step();
    losses.push(loss.item());
  }
  return { losses, w: w.item(), b: b.item(), registered: listOptimizers() };
}

/** Run the optimizer conformance suite on `signSgd`, with and without momentum. */
export function checkSignSgd(): { plain: ConformanceResult; momentum: ConformanceResult } {
  const invalidOptions = [{ lr: Number.NaN }, { momentum: 1 }, { momentum: -0.5 }];
  return {
    plain: checkOptimizerConformance(signSgd, { name: 'signSgd', options: { lr: 0.01 }, invalidOptions }),
    momentum: checkOptimizerConformance(signSgd, {
      name: 'signSgd',
      options: { lr: 0.01, momentum: 0.9 },
      invalidOptions,
    }),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { losses, w, b, registered } = fitLineWithSignSgd();
  console.log(`registered optimizers: ${registered.join(', ')}`);
  for (const step of [0, 50, 100, 200, 299])
    console.log(`step ${String(step).padStart(3)}  loss ${losses[step].toFixed(5)}`);
  console.log(
    `fitted y = ${w.toFixed(3)} x + ${b.toFixed(3)}   (true: y = 2x + 1; sign steps of 0.01 end within ~0.01)`,
  );
  for (const [label, result] of Object.entries(checkSignSgd())) {
    console.log(`\nconformance (${label}): ${result.passed.length} passed, ${result.failures.length} failed`);
    for (const f of result.failures) console.log(`  ${f.check}: ${f.message}`);
  }
}
