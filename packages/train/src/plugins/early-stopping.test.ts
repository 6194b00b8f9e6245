import { manualSeed, type Tensor, tensor } from '@nablajs/core';
import { Linear, mseLoss } from '@nablajs/nn';
import { sgd } from '@nablajs/optim-sgd';
import { describe, expect, it } from 'vitest';
import { fit } from '../fit';
import type { Trainable, TrainPlugin } from '../types';
import { earlyStopping } from './early-stopping';

/** Train a Linear(1, 1) for up to `scores.length` epochs with `score` = scores[epoch] in the epoch logs. */
function seeded(): Linear {
  manualSeed(0);
  return new Linear(1, 1);
}

async function run(scores: number[], plugin: TrainPlugin, model: Trainable = seeded()) {
  const weights: number[][] = [];
  const result = await fit({
    model,
    data: { x: tensor([[1], [2]]), y: tensor([[2], [4]]) },
    loss: mseLoss,
    optimizer: sgd(model.parameters(), { lr: 0.05 }),
    epochs: scores.length,
    plugins: [
      {
        name: 'scores',
        epochEnd: (c) => {
          c.epochLogs.score = scores[c.epoch];
          weights.push(model.parameters().flatMap((p: Tensor) => Array.from(p.data)));
        },
      },
      plugin,
    ],
  });
  return { ...result, weights, model };
}

describe('earlyStopping', () => {
  it('stops when the metric has not improved for patience epochs (Keras semantics)', async () => {
    const stopper = earlyStopping({ monitor: 'score', patience: 3 });
    const { history, stopReason } = await run([5, 4, 3, 3.5, 3.2, 3.1, 2, 1], stopper);
    expect(history).toHaveLength(6);
    expect(stopReason).toBe('earlyStopping: score did not improve for 3 epochs (best 3 at epoch 2)');
    expect([stopper.best, stopper.bestEpoch, stopper.stoppedEpoch, stopper.wait]).toEqual([3, 2, 5, 3]);
  });

  it('counts changes smaller than minDelta as no improvement', async () => {
    const stopper = earlyStopping({ monitor: 'score', patience: 2, minDelta: 0.5 });
    const { history } = await run([5, 4.8, 4.6, 4.4, 1], stopper);
    // 4.8 and 4.6 do not beat 5 - 0.5: stop after epoch 2
    expect(history).toHaveLength(3);
    expect(stopper.best).toBe(5);
  });

  it("maximizes in mode 'max'", async () => {
    const stopper = earlyStopping({ monitor: 'score', mode: 'max', patience: 1 });
    const { history } = await run([0.5, 0.7, 0.6, 0.9], stopper);
    expect(history).toHaveLength(3);
    expect(stopper.bestEpoch).toBe(1);
  });

  it('restores the weights of the best epoch at the end', async () => {
    const stopper = earlyStopping({ monitor: 'score', patience: 2, restoreBestWeights: true });
    const { weights, model, history } = await run([3, 1, 2, 2.5, 0], stopper);
    expect(history).toHaveLength(4);
    const final = model.parameters().flatMap((p) => Array.from(p.data));
    expect(final).toEqual(weights[1]);
    expect(weights[3]).not.toEqual(weights[1]);
  });

  it('restores the best weights even when every epoch ran (Keras 3), for a model without stateDict too', async () => {
    const inner = seeded();
    const bare: Trainable = {
      forward: (x) => inner.forward(x),
      parameters: () => inner.parameters(),
      train: () => {},
      eval: () => {},
    };
    const stopper = earlyStopping({ monitor: 'score', patience: 10, restoreBestWeights: true });
    const { weights, history } = await run([3, 1, 2], stopper, bare);
    expect(history).toHaveLength(3);
    expect(inner.parameters().flatMap((p) => Array.from(p.data))).toEqual(weights[1]);
  });

  it('needs the baseline beaten before resetting the wait', async () => {
    const withBaseline = earlyStopping({ monitor: 'score', patience: 2, baseline: 1 });
    const without = earlyStopping({ monitor: 'score', patience: 2 });
    // with the baseline, the improvements 5 -> 4 do not reset the wait (they still return early, as in Keras)
    expect((await run([5, 4, 4, 4, 4], withBaseline)).history).toHaveLength(3);
    expect((await run([5, 4, 4, 4, 4], without)).history).toHaveLength(4);
    expect(withBaseline.best).toBe(4);
  });

  it('waits startFromEpoch epochs before watching', async () => {
    const stopper = earlyStopping({ monitor: 'score', patience: 1, startFromEpoch: 3 });
    const { history } = await run([1, 2, 3, 4, 5, 6], stopper);
    expect(history).toHaveLength(5);
  });

  it('monitors valLoss by default, and names a missing log', async () => {
    await expect(run([1, 2], earlyStopping())).rejects.toThrow(
      /earlyStopping: the monitored metric 'valLoss' is not in the epoch logs \(loss, lr, epochTime, stepsPerSecond, score\)/,
    );
  });

  it('stops on valLoss of real validation data', async () => {
    manualSeed(0);
    const model = new Linear(1, 1);
    const stopper = earlyStopping({ patience: 2 });
    const { history, stopReason } = await fit({
      model,
      data: { x: tensor([[1], [2]]), y: tensor([[2], [4]]) },
      validation: { x: tensor([[3]]), y: tensor([[-100]]) },
      loss: mseLoss,
      optimizer: sgd(model.parameters(), { lr: 0.05 }),
      epochs: 50,
      plugins: [stopper],
    });
    // fitting y = 2x moves away from the validation target: valLoss rises from the first epoch
    expect(history.length).toBe(3);
    expect(stopReason).toMatch(/earlyStopping: valLoss did not improve for 2 epochs \(best .* at epoch 0\)/);
  });

  it('resumes from its state dict: a split run stops where the uninterrupted one does', async () => {
    const scores = [5, 4, 3, 3.5, 3.2, 3.1, 2, 1];
    const whole = earlyStopping({ monitor: 'score', patience: 3, restoreBestWeights: true });
    const reference = await run(scores, whole);
    expect(reference.history).toHaveLength(6);

    const first = earlyStopping({ monitor: 'score', patience: 3, restoreBestWeights: true });
    const model = seeded();
    await run(scores.slice(0, 4), first, model);
    // JSON-like round trip of the plain state (typed arrays copied)
    const saved = first.stateDict();
    expect(saved).toMatchObject({ best: 3, bestEpoch: 2, stoppedEpoch: -1 });
    expect(saved.bestWeights?.weight.data).toBeInstanceOf(Float32Array);
    const second = earlyStopping({ monitor: 'score', patience: 3, restoreBestWeights: true });
    second.loadStateDict(saved);
    const weights: number[][] = [];
    const resumed = await fit({
      model,
      data: { x: tensor([[1], [2]]), y: tensor([[2], [4]]) },
      loss: mseLoss,
      optimizer: sgd(model.parameters(), { lr: 0.05 }),
      epochs: 8,
      initialEpoch: 4,
      plugins: [
        {
          name: 'scores',
          epochEnd: (c) => {
            c.epochLogs.score = scores[c.epoch];
            weights.push(model.parameters().flatMap((p: Tensor) => Array.from(p.data)));
          },
        },
        second,
      ],
    });
    expect(resumed.history).toHaveLength(2);
    expect(resumed.stopReason).toBe(reference.stopReason);
    expect(second.stoppedEpoch).toBe(5);
    expect(() => second.loadStateDict({} as never)).toThrow(
      /earlyStopping: loadStateDict expects the object of stateDict/,
    );
  });

  it('rejects bad options', () => {
    expect(() => earlyStopping({ patience: -1 })).toThrow(/earlyStopping: patience must be an integer >= 0, got -1/);
    expect(() => earlyStopping({ mode: 'auto' as never })).toThrow(/mode must be 'min' or 'max', got "auto"/);
    expect(() => earlyStopping({ minDelta: Number.NaN })).toThrow(/minDelta must be a finite number/);
  });
});
