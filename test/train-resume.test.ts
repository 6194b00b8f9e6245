// Interrupted and resumed training equals uninterrupted training, bit for bit (issue 5).
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Generator, type Tensor } from '@nablajs/core';
import { DataLoader, loadDigits, randomSplit, TensorDataset } from '@nablajs/data';
import { crossEntropy, Dropout, Linear, ReLU, Sequential } from '@nablajs/nn';
import { type Optimizer, type Scheduler, stepLR } from '@nablajs/optim';
import { adam } from '@nablajs/optim-adam';
import { CheckpointError, earlyStopping, fit, type Logs, lrScheduler, type TrainPlugin } from '@nablajs/train';
import { checkpoint, latestCheckpoint, loadCheckpoint, resumeFrom } from '@nablajs/train/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = mkdtempSync(join(tmpdir(), 'nabla-resume-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let runs = 0;
const freshDir = () => join(root, `run-${runs++}`);

const digits = loadDigits();
const [trainSet, testSet] = randomSplit(new TensorDataset(digits.images, digits.labels), [0.8, 0.2], {
  generator: new Generator(42),
});
const BATCHES = Math.ceil(trainSet.length / 32); // 45 per epoch

/**
 * Everything one process would build: a model with dropout, Adam (whose moments matter), a step scheduler,
 * and a shuffling DataLoader, each random source with its own seeded generator.
 */
interface Run {
  model: Sequential;
  optimizer: Optimizer;
  scheduler: Scheduler;
  loader: Iterable<readonly [Tensor, Tensor]>;
  shuffleGen: Generator;
  dropoutGen: Generator;
  losses: number[];
}

function makeRun(initSeed = 1, hidden = 32): Run {
  const init = new Generator(initSeed);
  const dropoutGen = new Generator(2);
  const shuffleGen = new Generator(3);
  const model = new Sequential(
    new Linear(64, hidden, { generator: init }),
    new ReLU(),
    new Dropout(0.25, { generator: dropoutGen }),
    new Linear(hidden, 10, { generator: init }),
  );
  const optimizer = adam(model.parameters(), { lr: 3e-3 });
  return {
    model,
    optimizer,
    scheduler: stepLR(optimizer, { stepSize: 2, gamma: 0.5 }),
    loader: new DataLoader(trainSet, { batchSize: 32, shuffle: true, generator: shuffleGen }),
    shuffleGen,
    dropoutGen,
    losses: [],
  };
}

function train(run: Run, epochs: number, plugins: TrainPlugin[] = []) {
  // biome-ignore lint/suspicious/noFocusedTests: fit is nabla's training loop, not a focused test
  return fit({
    model: run.model,
    data: run.loader,
    validation: new DataLoader(testSet, { batchSize: 512 }),
    loss: (output: Tensor, targets: Tensor) => crossEntropy(output, targets),
    optimizer: run.optimizer,
    epochs,
    metrics: { accuracy: true },
    plugins: [
      lrScheduler(run.scheduler),
      { name: 'recorder', batchEnd: (ctx) => void run.losses.push(ctx.batchLogs.loss) },
      ...plugins,
    ],
  });
}

/**
 * What the checkpoint must be told about besides the model and optimizer: the generators of shuffling and dropout.
 * (The lrScheduler plugin is stateful: the checkpoint finds it among the run's plugins.)
 */
const state = (run: Run) => ({ generators: [run.shuffleGen, run.dropoutGen] });

function exact(history: readonly Logs[]) {
  return history.map(({ loss, accuracy, valLoss, valAccuracy, lr }) => ({ loss, accuracy, valLoss, valAccuracy, lr }));
}

function weights(model: Sequential): number[][] {
  return Object.values(model.stateDict()).map((t) => Array.from(t.data));
}

describe('resuming from a checkpoint', () => {
  const reference = makeRun();
  let full: Awaited<ReturnType<typeof train>>;
  beforeAll(async () => {
    full = await train(reference, 6);
  });

  it('after epoch 3, with fresh objects, gives every batch loss of the uninterrupted run (===)', async () => {
    expect(reference.losses).toHaveLength(6 * BATCHES);

    const dir = freshDir();
    const first = makeRun();
    await train(first, 3, [checkpoint({ dir, ...state(first) })]);
    expect(latestCheckpoint(dir)).toBe(
      join(dir, `epoch-0002-step-${String(3 * BATCHES).padStart(8, '0')}.safetensors`),
    );
    expect(Object.keys(loadCheckpoint(latestCheckpoint(dir)!).states).sort()).toEqual(['checkpoint', 'lrScheduler']);

    const second = makeRun(99); // other initial weights: everything must come from the file
    const resumed = await train(second, 6, [checkpoint({ dir, resume: 'latest', ...state(second) })]);
    const losses = [...first.losses, ...second.losses];
    expect(losses).toHaveLength(reference.losses.length);
    let equal = 0;
    for (let i = 0; i < losses.length; i++) if (losses[i] === reference.losses[i]) equal++;
    expect(equal).toBe(reference.losses.length);
    expect(exact(resumed.history)).toEqual(exact(full.history));
    expect(resumed.history.map((h) => h.lr)).toEqual([3e-3, 3e-3, 1.5e-3, 1.5e-3, 7.5e-4, 7.5e-4]);
    expect(weights(second.model)).toEqual(weights(reference.model));
  });

  it('diverges when the generators are not restored (so the test above depends on them)', async () => {
    const dir = freshDir();
    const first = makeRun();
    await train(first, 3, [checkpoint({ dir, ...state(first) })]);
    const second = makeRun(99);
    second.shuffleGen.manualSeed(1234);
    await train(second, 4, [checkpoint({ dir, resume: 'latest', generators: [], strict: false })]);
    expect(second.losses[0]).not.toBe(reference.losses[3 * BATCHES]);
  });

  it('mid-epoch, from a step checkpoint, gives the same batch losses and weights', async () => {
    const dir = freshDir();
    const first = makeRun();
    const crashAt = 2 * BATCHES + 10; // the 11th batch of epoch 2
    await train(first, 6, [
      checkpoint({ dir, every: 0, everySteps: 50, ...state(first) }),
      { name: 'crash', batchEnd: (ctx) => void (ctx.globalStep === crashAt && ctx.stopTraining('simulated crash')) },
    ]);
    const latest = loadCheckpoint(latestCheckpoint(dir)!);
    expect([latest.epoch, latest.batch, latest.globalStep]).toEqual([2, 10, 100]);

    const second = makeRun(99);
    await train(second, 6, [checkpoint({ dir, every: 0, everySteps: 50, resume: 'latest', ...state(second) })]);
    const losses = [...first.losses.slice(0, 100), ...second.losses];
    expect(losses).toHaveLength(reference.losses.length);
    for (let i = 0; i < losses.length; i++) expect(losses[i]).toBe(reference.losses[i]);
    expect(weights(second.model)).toEqual(weights(reference.model));
  });

  it('refuses a checkpoint of a different model or a corrupt one before any step, overwriting nothing', async () => {
    const dir = freshDir();
    const first = makeRun();
    await train(first, 1, [checkpoint({ dir, ...state(first) })]);
    const listing = readdirSync(dir);
    const path = join(dir, listing[0]);
    const bytes = readFileSync(path);

    const other = makeRun(1, 48);
    await expect(train(other, 2, [checkpoint({ dir, resume: 'latest', ...state(other) })])).rejects.toThrow(
      /epoch-0000-step-00000045\.safetensors was saved from a different model: "0\.weight" has shape \[32,64\] in the checkpoint, \[48,64\] in the model/,
    );
    expect(other.losses).toEqual([]);

    const corrupt = join(root, 'corrupt.safetensors');
    const damaged = Uint8Array.from(bytes);
    damaged[damaged.length - 1] ^= 1;
    writeFileSync(corrupt, damaged);
    const again = makeRun();
    const error = await train(again, 2, [checkpoint({ dir: freshDir(), resume: corrupt, ...state(again) })]).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(CheckpointError);
    expect(error.message).toMatch(/corrupt\.safetensors is not a readable checkpoint: checksum mismatch/);
    expect(again.losses).toEqual([]);

    expect(readdirSync(dir)).toEqual(listing);
    expect(readFileSync(path).equals(bytes)).toBe(true);
  });
});

describe('resuming from a step checkpoint taken at the last batch of an epoch', () => {
  // A checkpoint every BATCHES steps lands on every epoch's last batch, before its validation and epochEnd.
  const stopper = () => earlyStopping({ monitor: 'loss', patience: 1, restoreBestWeights: true });
  const crashAt = 2 * BATCHES; // the last batch of epoch 1
  const crash: TrainPlugin = {
    name: 'crash',
    batchEnd: (ctx) => void (ctx.globalStep === crashAt && ctx.stopTraining('simulated crash')),
  };
  const reference = makeRun();
  const referenceStopper = stopper();
  let full: Awaited<ReturnType<typeof train>>;
  beforeAll(async () => {
    full = await train(reference, 5, [referenceStopper]);
  });

  async function crashed() {
    const dir = freshDir();
    const first = makeRun();
    await train(first, 5, [stopper(), checkpoint({ dir, every: 0, everySteps: BATCHES, ...state(first) }), crash]);
    const latest = loadCheckpoint(latestCheckpoint(dir)!);
    expect([latest.epoch, latest.batch, latest.globalStep]).toEqual([1, BATCHES, crashAt]);
    expect(latest.history).toHaveLength(1);
    expect(latest.epochLogs?.loss).toBe(full.history[1].loss); // the whole epoch's mean, saved with the file
    return { dir, first };
  }

  function expectSameRun(first: Run, second: Run, resumed: Awaited<ReturnType<typeof train>>) {
    const losses = [...first.losses.slice(0, crashAt), ...second.losses];
    expect(losses).toHaveLength(reference.losses.length);
    for (let i = 0; i < losses.length; i++) expect(losses[i]).toBe(reference.losses[i]);
    // Epoch 1 too: validation, epochEnd (scheduler, early stopping) and its history entry run after resuming.
    expect(exact(resumed.history)).toEqual(exact(full.history));
    expect(resumed.stopReason).toBe(full.stopReason);
    expect(weights(second.model)).toEqual(weights(reference.model));
  }

  it("with every: 0 and resume: 'latest', equals the uninterrupted run bit for bit (history and weights)", async () => {
    const { dir, first } = await crashed();
    const second = makeRun(99);
    const secondStopper = stopper();
    const resumed = await train(second, 5, [
      secondStopper,
      checkpoint({ dir, every: 0, everySteps: BATCHES, resume: 'latest', ...state(second) }),
    ]);
    expectSameRun(first, second, resumed);
    expect([secondStopper.bestEpoch, secondStopper.wait]).toEqual([referenceStopper.bestEpoch, referenceStopper.wait]);
    // It keeps saving at the last batch of every later epoch.
    expect(latestCheckpoint(dir)).toMatch(/epoch-0004-step-00000225\.safetensors$/);
  });

  it('with resumeFrom, equals the uninterrupted run bit for bit', async () => {
    const { dir, first } = await crashed();
    const second = makeRun(99);
    const resumed = await train(second, 5, [stopper(), resumeFrom(latestCheckpoint(dir)!, state(second))]);
    expectSameRun(first, second, resumed);
  });
});
