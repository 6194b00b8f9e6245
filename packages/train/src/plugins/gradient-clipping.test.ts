import { manualSeed, tensor } from '@nablajs/core';
import { Linear, mseLoss } from '@nablajs/nn';
import { sgd } from '@nablajs/optim-sgd';
import { describe, expect, it } from 'vitest';
import { fit } from '../fit';
import { gradientClipping } from './gradient-clipping';

function setup() {
  manualSeed(0);
  const model = new Linear(2, 1);
  model.weight.data.set([0, 0]);
  (model.bias as { data: Float32Array }).data[0] = 0;
  // loss = (w·x + b - 10)^2 at x = [3, 4]: grad = 2·(-10)·[3, 4, 1] = [-60, -80, -20]
  const data = { x: tensor([[3, 4]]), y: tensor([[10]]) };
  return { model, data };
}

const norm = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

describe('gradientClipping', () => {
  it('clips the global norm after backward, before the step, and logs the norm before clipping', async () => {
    const { model, data } = setup();
    const atStep: number[][] = [];
    let logged = Number.NaN;
    await fit({
      model,
      data,
      loss: mseLoss,
      optimizer: sgd(model.parameters(), { lr: 0.1 }),
      epochs: 1,
      plugins: [
        gradientClipping({ maxNorm: 1 }),
        {
          name: 'read',
          beforeStep: () =>
            void atStep.push([
              ...Array.from(model.weight.grad?.data ?? []),
              ...Array.from(model.bias?.grad?.data ?? []),
            ]),
          batchEnd: (ctx) => {
            logged = ctx.batchLogs.gradNorm;
          },
        },
      ],
    });
    const raw = [-60, -80, -20];
    const scale = 1 / (norm(raw) + 1e-6);
    expect(logged).toBeCloseTo(norm(raw), 3);
    atStep[0].forEach((g, i) => {
      expect(g).toBeCloseTo(raw[i] * scale, 5);
    });
    expect(norm(atStep[0])).toBeLessThanOrEqual(1);
    // the step used the clipped gradient: w = -lr * g_clipped
    expect(model.weight.data[0]).toBeCloseTo(-0.1 * raw[0] * scale, 5);
    expect(model.weight.data[1]).toBeCloseTo(-0.1 * raw[1] * scale, 5);
  });

  it('clamps values with clipValue (then the norm, when both are given)', async () => {
    const { model, data } = setup();
    await fit({
      model,
      data,
      loss: mseLoss,
      optimizer: sgd(model.parameters(), { lr: 0.1 }),
      epochs: 1,
      plugins: [gradientClipping({ clipValue: 30 })],
    });
    expect(Array.from(model.weight.data).map((v) => Number(v.toFixed(5)))).toEqual([3, 3]);
    expect(model.bias?.data[0]).toBeCloseTo(2, 5);

    const second = setup();
    await fit({
      model: second.model,
      data: second.data,
      loss: mseLoss,
      optimizer: sgd(second.model.parameters(), { lr: 1 }),
      epochs: 1,
      plugins: [gradientClipping({ clipValue: 30, maxNorm: 3 })],
    });
    // clamped [-30, -30, -20] (norm ~47.96), then scaled to norm 3
    const clamped = [-30, -30, -20];
    const s = 3 / (norm(clamped) + 1e-6);
    expect(second.model.weight.data[0]).toBeCloseTo(30 * s, 5);
    expect(second.model.bias?.data[0]).toBeCloseTo(20 * s, 5);
  });

  it('uses the given norm order', async () => {
    const { model, data } = setup();
    let logged = 0;
    await fit({
      model,
      data,
      loss: mseLoss,
      optimizer: sgd(model.parameters(), { lr: 0 }),
      epochs: 1,
      plugins: [
        gradientClipping({ maxNorm: 1, normType: Number.POSITIVE_INFINITY }),
        {
          name: 'r',
          batchEnd: (c) => {
            logged = c.batchLogs.gradNorm;
          },
        },
      ],
    });
    expect(logged).toBe(80);
  });

  it('rejects bad options', () => {
    expect(() => gradientClipping({})).toThrow(/gradientClipping: give maxNorm, clipValue or both/);
    expect(() => gradientClipping({ maxNorm: -1 })).toThrow(/maxNorm must be a number >= 0, got -1/);
    expect(() => gradientClipping({ clipValue: Number.NaN })).toThrow(/clipValue must be a number >= 0, got NaN/);
    expect(() => gradientClipping({ maxNorm: 1, normType: Number.NaN })).toThrow(
      /^gradientClipping: normType must be a number .*, got NaN$/,
    );
  });
});
