// Gradient descent vs Adam on y = 2x + 1: the same data, the same start, the same learning rate.
import { Generator, randn, type Tensor, tensor } from '@nablajs/core';
import type { Optimizer } from '@nablajs/optim';
import { adam } from '@nablajs/optim-adam';
import { sgd } from '@nablajs/optim-sgd';

/** One optimizer's run: the loss before each step and the fitted line. */
export interface Run {
  losses: number[];
  w: number;
  b: number;
}

/** Options of {@link compareOnLine}. */
export interface CompareOptions {
  /** Optimizer steps (full batch). Default 100. */
  steps?: number;
  /** The learning rate of both optimizers. Default 0.1. */
  lr?: number;
  /** The standard deviation of x: 1 gives a well-conditioned problem, 10 a badly scaled one. Default 1. */
  xScale?: number;
  /** Seed of the data. Default 0. */
  seed?: number;
}

function fit(makeOptimizer: (params: Tensor[]) => Optimizer, steps: number, xScale: number, seed: number): Run {
  const gen = new Generator(seed);
  const x = randn([100, 1], { generator: gen }).mul(xScale);
  const y = x
    .mul(2)
    .add(1)
    .add(randn([100, 1], { generator: gen }).mul(0.1));
  const w = tensor([[0]], { requiresGrad: true });
  const b = tensor([0], { requiresGrad: true });
  const opt = makeOptimizer([w, b]);
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    opt.zeroGrad();
    const loss = x.matmul(w).add(b).sub(y).square().mean();
    loss.backward();
    opt.step();
    losses.push(loss.item());
  }
  return { losses, w: w.item(), b: b.item() };
}

/**
 * Fit `y = w x + b` to 100 noisy samples of `y = 2x + 1` twice from `w = b = 0`: once with plain
 * gradient descent (`sgd` without momentum) and once with Adam, at the same learning rate.
 */
export function compareOnLine(options: CompareOptions = {}): { gd: Run; adam: Run } {
  const { steps = 100, lr = 0.1, xScale = 1, seed = 0 } = options;
  return {
    gd: fit((params) => sgd(params, { lr }), steps, xScale, seed),
    adam: fit((params) => adam(params, { lr }), steps, xScale, seed),
  };
}

function show(v: number): string {
  return (Number.isFinite(v) ? v.toPrecision(4) : String(v)).padStart(12);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const xScale of [1, 10]) {
    const { gd, adam: ad } = compareOnLine({ steps: 200, lr: 0.1, xScale });
    console.log(`\nx ~ N(0, ${xScale}²), lr 0.1 for both`);
    console.log(`${'step'.padStart(5)} ${'GD loss'.padStart(12)} ${'Adam loss'.padStart(12)}`);
    for (const step of [0, 5, 10, 25, 50, 100, 150, 199])
      console.log(`${String(step).padStart(5)} ${show(gd.losses[step])} ${show(ad.losses[step])}`);
    console.log(`GD:   y = ${gd.w.toFixed(4)} x + ${gd.b.toFixed(4)}`);
    console.log(`Adam: y = ${ad.w.toFixed(4)} x + ${ad.b.toFixed(4)}   (true: y = 2x + 1)`);
  }
}
