import { manualSeed, type Tensor, tensor } from '@nablajs/core';
import { Linear, mseLoss } from '@nablajs/nn';
import { multiStepLR, reduceLROnPlateau, stepLR } from '@nablajs/optim';
import { sgd } from '@nablajs/optim-sgd';
import { describe, expect, it } from 'vitest';
import type { Batch } from '../batches';
import { fit } from '../fit';
import { lrScheduler } from './lr-scheduler';

function batches(n: number): Batch[] {
  return Array.from({ length: n }, (_, i) => [tensor([[i]]), tensor([[2 * i]])] as [Tensor, Tensor]);
}

function setup(lr = 1) {
  manualSeed(0);
  const model = new Linear(1, 1);
  return { model, opt: sgd(model.parameters(), { lr }) };
}

describe('lrScheduler', () => {
  it("steps per epoch by default: history's lr is the rate each epoch trained with", async () => {
    const { model, opt } = setup();
    const { history } = await fit({
      model,
      data: batches(2),
      loss: mseLoss,
      optimizer: opt,
      epochs: 5,
      plugins: [
        lrScheduler(stepLR(opt, { stepSize: 2, gamma: 0.5 })),
        { name: 'zero', beforeStep: (c) => c.skipStep() },
      ],
    });
    expect(history.map((h) => h.lr)).toEqual([1, 1, 0.5, 0.5, 0.25]);
    expect(opt.paramGroups[0].lr).toBe(0.25); // after 5 scheduler steps: 0.5^floor(5 / 2)
  });

  it("steps after every taken optimizer step with interval 'step'", async () => {
    const { model, opt } = setup();
    const rates: number[] = [];
    await fit({
      model,
      data: batches(3),
      loss: mseLoss,
      optimizer: sgd(model.parameters(), { lr: 0 }),
      epochs: 2,
      plugins: [
        { name: 'skip-second', beforeStep: (c) => (c.batch === 1 ? c.skipStep() : undefined) },
        lrScheduler(multiStepLR(opt, { milestones: [1, 2, 3], gamma: 0.1 }), { interval: 'step' }),
        { name: 'read', batchEnd: () => void rates.push(opt.paramGroups[0].lr) },
      ],
    });
    // 4 taken steps (batches 0 and 2 of each epoch); the skipped ones do not advance the schedule
    expect(rates.map((r) => Number(r.toPrecision(6)))).toEqual([0.1, 0.1, 0.01, 0.001, 0.001, 0.001]);
  });

  it('steps reduceLROnPlateau with the monitored metric at epochEnd', async () => {
    const { model, opt } = setup(0.8);
    const scores = [5, 4, 4, 4, 4, 4];
    const { history } = await fit({
      model,
      data: batches(1),
      loss: mseLoss,
      optimizer: opt,
      epochs: 6,
      plugins: [
        {
          name: 'score',
          epochEnd: (c) => {
            c.epochLogs.score = scores[c.epoch];
          },
        },
        lrScheduler(reduceLROnPlateau(opt, { patience: 1, factor: 0.5 }), { monitor: 'score' }),
        { name: 'freeze', beforeStep: (c) => c.skipStep() },
      ],
    });
    // bad epochs: 2, 3 (reduce after 3), cooldown 0 -> 4, 5 (reduce after 5)
    expect(history.map((h) => h.lr)).toEqual([0.8, 0.8, 0.8, 0.8, 0.4, 0.4]);
    expect(opt.paramGroups[0].lr).toBe(0.2);
  });

  it('monitors valLoss by default and names the missing log', async () => {
    const { model, opt } = setup();
    await expect(
      fit({
        model,
        data: batches(2),
        loss: mseLoss,
        optimizer: opt,
        epochs: 2,
        plugins: [lrScheduler(reduceLROnPlateau(opt))],
      }),
    ).rejects.toThrow(
      /lrScheduler: the monitored metric 'valLoss' is not in the epoch logs \(loss, lr, epochTime, stepsPerSecond\); pass validation data/,
    );
  });

  it('exposes the scheduler state for checkpoints', () => {
    const { opt } = setup();
    const scheduler = stepLR(opt, { stepSize: 1, gamma: 0.5 });
    const plugin = lrScheduler(scheduler);
    scheduler.step();
    const saved = plugin.stateDict();
    expect(saved).toEqual(scheduler.stateDict());
    scheduler.step();
    plugin.loadStateDict(saved);
    expect(scheduler.lastEpoch).toBe(1);
    expect(opt.paramGroups[0].lr).toBe(0.5);
  });

  it('rejects bad options', () => {
    const { opt } = setup();
    expect(() => lrScheduler(stepLR(opt, { stepSize: 1 }), { monitor: 'loss' })).toThrow(
      /lrScheduler: monitor applies to reduceLROnPlateau only, not to stepLR/,
    );
    expect(() => lrScheduler(reduceLROnPlateau(opt), { interval: 'step' })).toThrow(/use interval 'epoch'/);
    expect(() => lrScheduler(stepLR(opt, { stepSize: 1 }), { interval: 'batch' as never })).toThrow(
      /interval must be 'epoch' or 'step', got "batch"/,
    );
    expect(() => lrScheduler({} as never)).toThrow(/lrScheduler: expected a scheduler/);
  });
});
