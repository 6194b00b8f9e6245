// Fit y = 2x + 1 by plain (full-batch) gradient descent, with @nablajs/core alone.
import { Generator, noGrad, randn, tensor } from '@nablajs/core';

export interface FitResult {
  w: number;
  b: number;
  losses: number[];
}

/** Fit `y = w x + b` to noisy samples of `y = 2x + 1` with `steps` gradient-descent steps. */
export function fitLine(steps = 200, lr = 0.1, seed = 0): FitResult {
  const gen = new Generator(seed);
  const x = randn([100, 1], { generator: gen });
  const noise = randn([100, 1], { generator: gen }).mul(0.1);
  const y = x.mul(2).add(1).add(noise);

  const w = tensor([[0]], { requiresGrad: true });
  const b = tensor([0], { requiresGrad: true });
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    const loss = x.matmul(w).add(b).sub(y).square().mean();
    w.grad = null;
    b.grad = null;
    loss.backward();
    noGrad(() => {
      w.sub_(w.grad!, { alpha: lr });
      b.sub_(b.grad!, { alpha: lr });
    });
    losses.push(loss.item());
  }
  return { w: w.item(), b: b.item(), losses };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { w, b, losses } = fitLine();
  for (const step of [0, 10, 50, 100, 199])
    console.log(`step ${String(step).padStart(3)}  loss ${losses[step].toFixed(6)}`);
  console.log(`fitted y = ${w.toFixed(4)} x + ${b.toFixed(4)}   (true: y = 2x + 1)`);
}
