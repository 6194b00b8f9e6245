import { manualSeed, type Tensor, tensor } from '@nablajs/core';
import { Linear, mseLoss } from '@nablajs/nn';
import type { Closure, Optimizer } from '@nablajs/optim';
import { sgd } from '@nablajs/optim-sgd';
import { describe, expect, it } from 'vitest';
import { createContext } from '../context';
import { optimizerStep } from './optimizer-step';

function setup() {
  manualSeed(0);
  const model = new Linear(1, 1);
  const optimizer = sgd(model.parameters(), { lr: 0.5 });
  const ctx = createContext({ model, optimizer, lossFn: mseLoss, epochs: 1 });
  mseLoss(model.forward(tensor([[1]])), tensor([[3]])).backward();
  return { model, ctx };
}

describe('optimizerStep', () => {
  it('calls optimizer.step(): w <- w - lr * grad', async () => {
    const { model, ctx } = setup();
    const w = model.weight.data[0];
    const g = model.weight.grad?.data[0] ?? Number.NaN;
    await optimizerStep().step?.(ctx);
    expect(model.weight.data[0]).toBeCloseTo(w - 0.5 * g, 6);
    expect(g).not.toBe(0);
  });

  it('does nothing when the step is skipped or there is no optimizer', async () => {
    const { model, ctx } = setup();
    const w = model.weight.data[0];
    ctx.skipStep();
    await optimizerStep().step?.(ctx);
    expect(model.weight.data[0]).toBe(w);
    const noOptimizer = createContext({ model, optimizer: null, lossFn: mseLoss, epochs: 1 });
    await optimizerStep().step?.(noOptimizer);
    expect(model.weight.data[0]).toBe(w);
  });

  it('passes a closure that re-runs forward, loss and backward on the batch to an optimizer that requires one', async () => {
    manualSeed(0);
    const model = new Linear(1, 1);
    const inner = sgd(model.parameters(), { lr: 0.5 });
    const seen: { loss: number; grad: number }[] = [];
    // A stand-in for L-BFGS: evaluates the closure twice, then takes an SGD step.
    const optimizer: Optimizer & { requiresClosure: true } = {
      ...inner,
      name: 'twice',
      requiresClosure: true,
      paramGroups: inner.paramGroups,
      zeroGrad: (setToNone) => inner.zeroGrad(setToNone),
      step(closure?: Closure) {
        if (closure === undefined) throw new Error('no closure');
        for (let k = 0; k < 2; k++) {
          const loss = closure() as Tensor;
          seen.push({ loss: loss.item(), grad: model.weight.grad?.data[0] ?? Number.NaN });
        }
        return inner.step();
      },
    };
    const ctx = createContext({ model, optimizer, lossFn: mseLoss, epochs: 1 });
    ctx.inputs = tensor([[2]]);
    ctx.targets = tensor([[3]]);
    const w = model.weight.data[0];
    const b = model.bias!.data[0];
    // a stale gradient that the closure must clear
    model.weight.grad = tensor([[100]]);
    await optimizerStep().step?.(ctx);
    const residual = w * 2 + b - 3;
    expect(seen).toHaveLength(2);
    for (const s of seen) {
      expect(s.loss).toBeCloseTo(residual ** 2, 5);
      expect(s.grad).toBeCloseTo(2 * residual * 2, 5); // d/dw (2w + b - 3)² = 4 (2w + b - 3), not accumulated
    }
    expect(model.weight.data[0]).toBeCloseTo(w - 0.5 * 4 * residual, 5);
  });

  it('an optimizer named lbfgs gets a closure too; without a batch in the context it fails clearly', async () => {
    manualSeed(0);
    const model = new Linear(1, 1);
    let calls = 0;
    const fake = {
      ...sgd(model.parameters(), { lr: 0.1 }),
      name: 'lbfgs',
      step(closure?: Closure) {
        if (typeof closure === 'function') calls++;
        return undefined;
      },
    } as Optimizer;
    const ctx = createContext({ model, optimizer: fake, lossFn: mseLoss, epochs: 1 });
    expect(() => optimizerStep().step?.(ctx)).toThrow(
      /optimizerStep: lbfgs needs a closure, which re-runs the current batch, but the context has no batch/,
    );
    ctx.inputs = tensor([[1]]);
    ctx.targets = tensor([[1]]);
    await optimizerStep().step?.(ctx);
    expect(calls).toBe(1);
  });
});
