import { join } from 'node:path';
import { Generator, randint, randn, type Tensor } from '@nablajs/core';
import { crossEntropy, Dropout, Linear, ReLU, Sequential } from '@nablajs/nn';
import { stepLR } from '@nablajs/optim';
import { adam } from '@nablajs/optim-adam';
import { describe, expect, it } from 'vitest';
import { CheckpointError } from './checkpoint';
import { checkpointTestSetup } from './checkpoint-test-setup';
import { createContext } from './context';
import { fit } from './fit';
import { latestCheckpoint } from './latest-checkpoint';
import { checkpoint } from './node-checkpoint';
import { earlyStopping } from './plugins/early-stopping';
import { lrScheduler } from './plugins/lr-scheduler';
import { resumeFrom } from './resume-from';
import { loadCheckpoint } from './save-checkpoint';
import type { Logs, TrainPlugin } from './types';

const { freshDir, dataGen, x, y } = checkpointTestSetup('nabla-ckpt-last-');
const xVal = randn([12, 4], { generator: dataGen });
const yVal = randint(0, 3, [12], { generator: dataGen });
const BATCHES = 5; // 40 samples in batches of 8

/** One process's objects: a model with dropout, Adam, a step scheduler, early stopping, two generators. */
function makeRun(initSeed = 1) {
  const init = new Generator(initSeed);
  const dropoutGen = new Generator(2);
  const shuffleGen = new Generator(3);
  const model = new Sequential(
    new Linear(4, 16, { generator: init }),
    new ReLU(),
    new Dropout(0.2, { generator: dropoutGen }),
    new Linear(16, 3, { generator: init }),
  );
  const optimizer = adam(model.parameters(), { lr: 0.01 });
  const losses: number[] = [];
  const plugins: TrainPlugin[] = [
    lrScheduler(stepLR(optimizer, { stepSize: 2, gamma: 0.5 })),
    earlyStopping({ monitor: 'loss', patience: 1 }),
    { name: 'recorder', batchEnd: (ctx) => void losses.push(ctx.batchLogs.loss) },
  ];
  const generators = [shuffleGen, dropoutGen];
  const train = (epochs: number, more: TrainPlugin[] = []) =>
    fit({
      model,
      data: { x, y },
      validation: { x: xVal, y: yVal },
      batchSize: 8,
      generator: shuffleGen,
      loss: (out: Tensor, t: Tensor) => crossEntropy(out, t),
      optimizer,
      epochs,
      metrics: { accuracy: true },
      plugins: [...plugins, ...more],
    });
  return { model, losses, generators, plugins, train };
}

const exact = (history: readonly Logs[]) =>
  history.map(({ loss, accuracy, valLoss, valAccuracy, lr }) => ({ loss, accuracy, valLoss, valAccuracy, lr }));
const weights = (model: Sequential) => Object.values(model.stateDict()).map((t) => Array.from(t.data));
const crashAt = (step: number): TrainPlugin => ({
  name: 'crash',
  batchEnd: (ctx) => void (ctx.globalStep === step && ctx.stopTraining('simulated crash')),
});

describe('a step checkpoint at the last batch of an epoch', () => {
  it("resumes with every: 0 and resume: 'latest' to the uninterrupted run's history and weights, bit for bit", async () => {
    const reference = makeRun();
    const full = await reference.train(4);

    const dir = freshDir();
    const first = makeRun();
    await first.train(4, [
      checkpoint({ dir, every: 0, everySteps: BATCHES, generators: first.generators }),
      crashAt(5),
    ]);
    const saved = loadCheckpoint(latestCheckpoint(dir)!);
    expect([saved.epoch, saved.batch, saved.globalStep, saved.history.length]).toEqual([0, BATCHES, 5, 0]);
    expect(saved.epochLogs).toMatchObject({ loss: full.history[0].loss, accuracy: full.history[0].accuracy });

    const second = makeRun(99);
    const resumed = await second.train(4, [
      checkpoint({ dir, every: 0, everySteps: BATCHES, resume: 'latest', generators: second.generators }),
    ]);
    expect([...first.losses.slice(0, BATCHES), ...second.losses]).toEqual(reference.losses);
    expect(exact(resumed.history)).toEqual(exact(full.history));
    expect(resumed.stopReason).toBe(full.stopReason);
    expect(weights(second.model)).toEqual(weights(reference.model));

    const third = makeRun(99);
    const again = await third.train(4, [
      resumeFrom(join(dir, 'epoch-0000-step-00000005.safetensors'), { generators: third.generators }),
    ]);
    expect(exact(again.history)).toEqual(exact(full.history));
    expect(weights(third.model)).toEqual(weights(reference.model));
  });

  it("names the checkpoint's epoch when a loop does not skip the batches already run", async () => {
    const dir = freshDir();
    const first = makeRun();
    await first.train(1, [checkpoint({ dir, every: 0, everySteps: BATCHES, generators: first.generators })]);
    const second = makeRun();
    const plugin = resumeFrom(latestCheckpoint(dir)!, { generators: second.generators });
    const ctx = createContext({
      model: second.model,
      optimizer: null,
      lossFn: crossEntropy,
      epochs: 3,
      plugins: second.plugins,
    });
    await plugin.trainStart?.(ctx);
    expect([ctx.epoch, ctx.batch]).toEqual([0, BATCHES]);
    expect(ctx.epochLogs.loss).toBeTypeOf('number'); // the epoch's logs so far, for a loop that skips them all
    await plugin.epochStart?.(ctx);
    ctx.batch = 0; // a hand-written loop that starts the epoch over
    let error: unknown = null;
    try {
      await plugin.batchStart?.(ctx);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CheckpointError);
    expect((error as Error).message).toMatch(
      /epoch-0000-step-00000005\.safetensors was taken mid-epoch \(after 5 batches of epoch 0\), but the training loop's first batch was batch 0 of epoch 0; resume with a loop that skips/,
    );
  });
});
