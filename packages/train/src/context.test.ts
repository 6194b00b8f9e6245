import { tensor } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { canDeferZeroGrad, createContext, resetBatch } from './context';
import type { Trainable } from './types';

const model: Trainable = { forward: (x) => x, parameters: () => [], train: () => {}, eval: () => {} };

describe('createContext', () => {
  it('starts at initialEpoch and initialStep with empty per-batch fields', () => {
    const ctx = createContext({
      model,
      optimizer: null,
      lossFn: (o) => o,
      epochs: 7,
      initialEpoch: 2,
      initialStep: 40,
    });
    expect(ctx.epoch).toBe(2);
    expect(ctx.epochs).toBe(7);
    expect(ctx.globalStep).toBe(40);
    expect([ctx.inputs, ctx.targets, ctx.output, ctx.loss, ctx.stopReason]).toEqual([null, null, null, null, null]);
    expect([ctx.stopRequested, ctx.stepSkipped, ctx.zeroGradDeferred]).toEqual([false, false, false]);
    expect(canDeferZeroGrad(ctx)).toBe(true);
  });

  it('stopTraining keeps the first reason; skipStep and deferZeroGrad set their flags until resetBatch', () => {
    const ctx = createContext({ model, optimizer: null, lossFn: (o) => o, epochs: 1 });
    ctx.stopTraining('first');
    ctx.stopTraining('second');
    expect(ctx.stopReason).toBe('first');
    expect(() => ctx.stopTraining('')).toThrow(/stopTraining: reason must be a non-empty string/);
    ctx.skipStep();
    ctx.deferZeroGrad();
    ctx.inputs = tensor([1]);
    const logs = ctx.batchLogs;
    logs.loss = 1;
    resetBatch(ctx, 3);
    expect([ctx.batch, ctx.stepSkipped, ctx.zeroGradDeferred, ctx.inputs]).toEqual([3, false, false, null]);
    expect(ctx.batchLogs).toEqual({});
    expect(logs).toEqual({ loss: 1 });
    expect(ctx.stopRequested).toBe(true);
  });
});
