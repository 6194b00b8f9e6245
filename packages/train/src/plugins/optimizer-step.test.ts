import { manualSeed, tensor } from '@nablajs/core';
import { Linear, mseLoss } from '@nablajs/nn';
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
});
