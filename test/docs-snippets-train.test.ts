// The longer code blocks of docs/guides/training-loop.md, checkpoints.md and browser.md, as small functions
// with asserted outputs, so that these guides cannot drift from the API. Each describe block names its guide
// and section.

import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Generator, randn, type Tensor } from '@nablajs/core';
import { DataLoader, loadDigits, mnistFromIdx, randomSplit, TensorDataset } from '@nablajs/data';
import { bundledMnistTestDir } from '@nablajs/data/node';
import { crossEntropy, Linear, loadSafetensors, mseLoss, ReLU, Sequential, saveSafetensors } from '@nablajs/nn';
import { adam } from '@nablajs/optim-adam';
import { lbfgs } from '@nablajs/optim-lbfgs';
import { sgd } from '@nablajs/optim-sgd';
import {
  CHECKPOINT_FORMAT,
  CheckpointError,
  captureCheckpoint,
  decodeCheckpoint,
  encodeCheckpoint,
  fit,
  isStateful,
  restoreCheckpoint,
  type Stateful,
  Trainer,
  type TrainPlugin,
} from '@nablajs/train';
import { checkpoint, latestCheckpoint, loadCheckpoint } from '@nablajs/train/node';
import { afterAll, describe, expect, it } from 'vitest';

const root = mkdtempSync(join(tmpdir(), 'nabla-docs-train-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The line of the training-loop guide: y = 2x + 1 from 256 points. */
function line() {
  const gen = new Generator(0);
  const x = randn([256, 1], { generator: gen });
  const y = x.mul(2).add(1);
  const model = new Linear(1, 1, { generator: gen });
  return { x, y, model };
}

describe('guide: training-loop', () => {
  it('fit: 20 epochs of SGD find y = 2x + 1', async () => {
    const { x, y, model } = line();
    // biome-ignore lint/suspicious/noFocusedTests: fit is nabla's training loop, not a focused test
    const { history, stopReason } = await fit({
      model,
      data: { x, y },
      batchSize: 32,
      loss: mseLoss,
      optimizer: sgd(model.parameters(), { lr: 0.1 }),
      epochs: 20,
    });
    expect(history).toHaveLength(20);
    expect(history[19].loss).toBeLessThan(1e-6);
    expect(stopReason).toBeNull();
    expect(Object.keys(history[0]).sort()).toEqual(['epochTime', 'loss', 'lr', 'stepsPerSecond']);
    expect(model.weight.data[0]).toBeCloseTo(2, 3);
    expect(model.bias!.data[0]).toBeCloseTo(1, 3);
  });

  it('Trainer: fit, evaluate, predict', async () => {
    const { images, labels } = loadDigits();
    const [train, test] = randomSplit(new TensorDataset(images, labels), [0.8, 0.2], { generator: new Generator(0) });
    const gen = new Generator(1);
    const model = new Sequential(
      new Linear(64, 32, { generator: gen }),
      new ReLU(),
      new Linear(32, 10, { generator: gen }),
    );
    const optimizer = adam(model.parameters(), { lr: 3e-3 });
    const trainer = new Trainer({ model, loss: crossEntropy, optimizer, metrics: { accuracy: true } });
    const trainLoader = new DataLoader(train, { batchSize: 32, shuffle: true, generator: new Generator(2) });
    const testLoader = new DataLoader(test, { batchSize: 512 });
    const { history } = await trainer.fit({ data: trainLoader, validation: testLoader, epochs: 3 });
    expect(Object.keys(history[2]).sort()).toEqual([
      'accuracy',
      'epochTime',
      'loss',
      'lr',
      'stepsPerSecond',
      'valAccuracy',
      'valLoss',
    ]);
    const logs = trainer.evaluate(testLoader);
    expect(Object.keys(logs).sort()).toEqual(['accuracy', 'loss']);
    expect(logs.accuracy).toBe(history[2].valAccuracy);
    expect(logs.accuracy).toBeGreaterThan(0.85);
    const xNew = images.slice([[0, 5]]);
    expect(trainer.predict(xNew).argmax(1).shape).toEqual([5]);
  });

  it('the events fire in the documented order', async () => {
    const { x, y, model } = line();
    const seen: string[] = [];
    const events = [
      'trainStart',
      'epochStart',
      'batchStart',
      'afterForward',
      'beforeBackward',
      'afterBackward',
      'beforeStep',
      'step',
      'afterStep',
      'batchEnd',
      'validationStart',
      'validationEnd',
      'epochEnd',
      'trainEnd',
    ] as const;
    const recorder = Object.fromEntries(events.map((e) => [e, () => void seen.push(e)]));
    // biome-ignore lint/suspicious/noFocusedTests: fit is nabla's training loop, not a focused test
    await fit({
      model,
      data: { x, y },
      validation: { x, y },
      loss: mseLoss,
      optimizer: sgd(model.parameters(), { lr: 0.1 }),
      epochs: 1,
      plugins: [{ name: 'recorder', ...recorder }],
    });
    expect(seen).toEqual([...events]);
  });

  it('writing a plugin: stopAtLoss stops early and logs bestLoss', async () => {
    function stopAtLoss(target: number): TrainPlugin {
      let best = Number.POSITIVE_INFINITY;
      return {
        name: 'stopAtLoss',
        batchEnd(ctx) {
          best = Math.min(best, ctx.batchLogs.loss);
          ctx.batchLogs.bestLoss = best;
        },
        epochEnd(ctx) {
          ctx.epochLogs.bestLoss = best;
          if (ctx.epochLogs.loss < target) ctx.stopTraining(`loss ${ctx.epochLogs.loss} < ${target}`);
        },
      };
    }
    const { x, y, model } = line();
    // biome-ignore lint/suspicious/noFocusedTests: fit is nabla's training loop, not a focused test
    const { history, stopReason } = await fit({
      model,
      data: { x, y },
      batchSize: 32,
      loss: mseLoss,
      optimizer: sgd(model.parameters(), { lr: 0.1 }),
      epochs: 20,
      plugins: [stopAtLoss(1e-3)],
    });
    expect(history.length).toBeLessThan(20);
    expect(history.length).toBeGreaterThan(1);
    expect(stopReason).toMatch(/^loss .* < 0\.001$/);
    expect(history.at(-1)!.loss).toBeLessThan(1e-3);
    for (const h of history) expect(h.bestLoss).toBeLessThanOrEqual(h.loss * 8);
  });

  it('L-BFGS in fit: one step per epoch on the full batch, with a closure', async () => {
    const { x, y, model } = line();
    const optimizer = lbfgs(model.parameters(), { lineSearchFn: 'strong_wolfe' });
    // biome-ignore lint/suspicious/noFocusedTests: fit is nabla's training loop, not a focused test
    const { history } = await fit({ model, data: { x, y }, loss: mseLoss, optimizer, epochs: 3 });
    expect(history[0].loss).toBeGreaterThan(1);
    expect(history[2].loss).toBeLessThan(1e-8);
    expect(optimizer.funcEvals).toBeGreaterThan(3);
  });

  it('a custom update rule: sign-SGD on step with optimizer: null', async () => {
    const signSgd = (lr: number): TrainPlugin => ({
      name: 'signSgd',
      step(ctx) {
        if (ctx.stepSkipped) return;
        for (const p of ctx.model.parameters()) {
          if (p.grad === null) continue;
          const g = p.grad.data;
          for (let i = 0; i < p.data.length; i++) p.data[i] -= lr * Math.sign(g[i]);
        }
      },
    });
    const { x, y, model } = line();
    // biome-ignore lint/suspicious/noFocusedTests: fit is nabla's training loop, not a focused test
    const { history } = await fit({
      model,
      data: { x, y },
      loss: mseLoss,
      optimizer: null,
      epochs: 300,
      plugins: [signSgd(0.01)],
    });
    expect(history[0].loss).toBeGreaterThan(1);
    expect(history[299].loss).toBeLessThan(1e-3); // sign-SGD oscillates within lr of the optimum
    expect(model.weight.data[0]).toBeCloseTo(2, 1);
    // biome-ignore lint/suspicious/noFocusedTests: fit is nabla's training loop, not a focused test
    await expect(fit({ model, data: { x, y }, loss: mseLoss, optimizer: null, epochs: 1 })).rejects.toThrow(
      /optimizer is null and no plugin handles 'step'/,
    );
  });

  it('metrics: a custom mae is logged as mae and valMae, weighted by batch size', async () => {
    const { x, y, model } = line();
    const meanAbsoluteError = (output: Tensor, targets: Tensor) => output.sub(targets).abs().mean().item();
    const xVal = x.slice([[0, 64]]);
    const yVal = y.slice([[0, 64]]);
    const optimizer = sgd(model.parameters(), { lr: 0.1 });
    // biome-ignore lint/suspicious/noFocusedTests: fit is nabla's training loop, not a focused test
    const { history } = await fit({
      model,
      data: { x, y },
      validation: { x: xVal, y: yVal },
      loss: mseLoss,
      optimizer,
      epochs: 5,
      metrics: { custom: { mae: meanAbsoluteError } },
    });
    expect(history[4].mae).toBeGreaterThan(0);
    expect(history[4].valMae).toBeCloseTo(meanAbsoluteError(model.forward(xVal), yVal), 6);
  });
});

describe('guide: checkpoints', () => {
  it('the checkpoint plugin saves every epoch and a second run resumes from the newest file', async () => {
    const { images, labels } = loadDigits();
    const [trainSet] = randomSplit(new TensorDataset(images, labels), [0.2, 0.8], { generator: new Generator(0) });
    const dir = join(root, 'digits');
    const run = async (epochs: number) => {
      const gen = new Generator(1);
      const model = new Sequential(
        new Linear(64, 16, { generator: gen }),
        new ReLU(),
        new Linear(16, 10, { generator: gen }),
      );
      const optimizer = adam(model.parameters(), { lr: 3e-3 });
      const shuffleGen = new Generator(3);
      const loader = new DataLoader(trainSet, { batchSize: 32, shuffle: true, generator: shuffleGen });
      // biome-ignore lint/suspicious/noFocusedTests: fit is nabla's training loop, not a focused test
      return fit({
        model,
        data: loader,
        loss: crossEntropy,
        optimizer,
        epochs,
        plugins: [checkpoint({ dir, resume: 'latest', generators: [shuffleGen] })],
      });
    };
    const reference = await run(4);
    rmSync(dir, { recursive: true });
    await run(2); // "kill it"
    expect(readdirSync(dir).sort()).toEqual([
      'epoch-0000-step-00000012.safetensors',
      'epoch-0001-step-00000024.safetensors',
    ]);
    expect(latestCheckpoint(dir)).toBe(join(dir, 'epoch-0001-step-00000024.safetensors'));
    const resumed = await run(4); // "run it again"
    expect(resumed.history.map((h) => h.loss)).toEqual(reference.history.map((h) => h.loss));
    const ckpt = loadCheckpoint(latestCheckpoint(dir)!);
    expect([ckpt.epoch, ckpt.batch, ckpt.globalStep]).toEqual([4, 0, 48]);
  });

  it('in memory: capture, encode, decode, restore into fresh objects', () => {
    const make = (seed: number) => {
      const gen = new Generator(seed);
      const model = new Linear(3, 2, { generator: gen });
      return { model, optimizer: adam(model.parameters(), { lr: 0.1 }), gen };
    };
    const a = make(0);
    a.model
      .forward(randn([4, 3], { generator: a.gen }))
      .sum()
      .backward();
    a.optimizer.step();
    const bytes = encodeCheckpoint(
      captureCheckpoint({ model: a.model, optimizer: a.optimizer, generators: [a.gen] }, { epoch: 3, globalStep: 120 }),
    );
    const b = make(99);
    const ckpt = decodeCheckpoint(bytes);
    restoreCheckpoint(ckpt, { model: b.model, optimizer: b.optimizer, generators: [b.gen] });
    expect(Array.from(b.model.weight.data)).toEqual(Array.from(a.model.weight.data));
    expect(b.gen.uniform()).toBe(a.gen.uniform());
    expect(b.optimizer.stateDict()).toEqual(a.optimizer.stateDict());
    expect([ckpt.epoch, ckpt.batch, ckpt.globalStep]).toEqual([3, 0, 120]);
  });

  it('the file format: a safetensors file with model.* and state.* tensors and the documented metadata', () => {
    const model = new Linear(3, 2, { generator: new Generator(0) });
    const optimizer = adam(model.parameters());
    model
      .forward(randn([4, 3]))
      .sum()
      .backward();
    optimizer.step();
    const bytes = encodeCheckpoint(captureCheckpoint({ model, optimizer }, { epoch: 1, globalStep: 1 }));
    const { tensors, metadata } = loadSafetensors(bytes);
    expect(metadata.format).toBe(CHECKPOINT_FORMAT);
    expect(metadata.format).toBe('nabla.checkpoint');
    expect(metadata.version).toBe('1');
    expect(Object.keys(metadata).sort()).toEqual(
      ['checksum', 'format', 'history', 'optimizer', 'position', 'rng', 'signature', 'states', 'version'].sort(),
    );
    expect(JSON.parse(metadata.position)).toEqual({ epoch: 1, batch: 0, globalStep: 1 });
    expect(
      Object.keys(tensors)
        .filter((k) => k.startsWith('model.'))
        .sort(),
    ).toEqual(['model.bias', 'model.weight']);
    expect(Object.keys(tensors).some((k) => k.startsWith('state.'))).toBe(true);
    expect(metadata.optimizer).toMatch(/"nabla:typed":"state\.\d+"|"nabla:encoded":"state\.\d+"/);
    expect(metadata.checksum).toMatch(/^[0-9a-f]{8}$/);
    // plain weights are not a checkpoint
    expect(() => decodeCheckpoint(saveSafetensors(model.stateDict()), 'model.safetensors')).toThrow(/plain weights\?/);
  });

  it('the Stateful convention: a counter plugin resumes counting', async () => {
    const makeCounter = () => {
      let seen = 0;
      const counter: TrainPlugin & Stateful = {
        name: 'counter',
        batchEnd() {
          seen++;
        },
        stateDict: () => ({ seen }),
        loadStateDict: (state) => {
          seen = (state as { seen: number }).seen;
        },
      };
      return { counter, seen: () => seen };
    };
    const dir = join(root, 'counter');
    const first = makeCounter();
    expect(isStateful(first.counter)).toBe(true);
    const { x, y, model } = line();
    const opts = {
      model,
      data: { x, y },
      batchSize: 64,
      loss: mseLoss,
      optimizer: sgd(model.parameters(), { lr: 0.1 }),
    };
    // biome-ignore lint/suspicious/noFocusedTests: fit is nabla's training loop, not a focused test
    await fit({ ...opts, epochs: 2, plugins: [first.counter, checkpoint({ dir })] });
    expect(first.seen()).toBe(8);
    expect(loadCheckpoint(latestCheckpoint(dir)!).states.counter).toEqual({ seen: 8 });
    const second = makeCounter();
    // biome-ignore lint/suspicious/noFocusedTests: fit is nabla's training loop, not a focused test
    await fit({ ...opts, epochs: 3, plugins: [second.counter, checkpoint({ dir, resume: 'latest' })] });
    expect(second.seen()).toBe(12);
    // strict: a resumed run without the counter is refused
    // biome-ignore lint/suspicious/noFocusedTests: fit is nabla's training loop, not a focused test
    await expect(fit({ ...opts, epochs: 4, plugins: [checkpoint({ dir, resume: 'latest' })] })).rejects.toThrow(
      /does not match the stateful plugins of this run: saved states nobody takes: "counter"/,
    );
  });

  it('errors: a fresh run into a directory with checkpoints, and a damaged file', async () => {
    const dir = join(root, 'counter');
    const { x, y, model } = line();
    const opts = { model, data: { x, y }, loss: mseLoss, optimizer: sgd(model.parameters(), { lr: 0.1 }), epochs: 1 };
    // biome-ignore lint/suspicious/noFocusedTests: fit is nabla's training loop, not a focused test
    await expect(fit({ ...opts, plugins: [checkpoint({ dir })] })).rejects.toThrow(
      /already holds 3 checkpoint\(s\) of an earlier run .*pass resume: 'latest' to continue it, overwrite: true to replace them, or another dir/,
    );
    const bytes = Uint8Array.from(readFileSync(latestCheckpoint(dir)!));
    bytes[bytes.length - 1] ^= 1;
    expect(() => decodeCheckpoint(bytes, 'x.safetensors')).toThrow(CheckpointError);
    expect(() => decodeCheckpoint(bytes, 'x.safetensors')).toThrow(
      /x\.safetensors is not a readable checkpoint: checksum mismatch/,
    );
  });
});

describe('guide: browser', () => {
  it('the bundled program: an MLP fits sin(x1 + x2) with Adam', async () => {
    const gen = new Generator(0);
    const x = randn([256, 2], { generator: gen });
    const y = x.sum(1, true).sin();
    const model = new Sequential(
      new Linear(2, 16, { generator: gen }),
      new ReLU(),
      new Linear(16, 1, { generator: gen }),
    );
    // biome-ignore lint/suspicious/noFocusedTests: fit is nabla's training loop, not a focused test
    const { history } = await fit({
      model,
      data: { x, y },
      batchSize: 32,
      loss: mseLoss,
      optimizer: adam(model.parameters(), { lr: 0.01 }),
      epochs: 20,
    });
    expect(history[0].loss).toBeGreaterThan(0.3);
    expect(history[19].loss).toBeLessThan(history[0].loss / 2);
  });

  it('MNIST from bytes: mnistFromIdx on decompressed IDX files', () => {
    const dir = bundledMnistTestDir();
    const read = (name: string) => gunzipSync(readFileSync(join(dir, name)));
    const { images, labels } = mnistFromIdx(read('t10k-images-idx3-ubyte.gz'), read('t10k-labels-idx1-ubyte.gz'));
    expect(images.shape).toEqual([10000, 784]);
    expect(Array.from(labels.data.slice(0, 5))).toEqual([7, 2, 1, 0, 4]);
  });

  it('yieldToPage: an async plugin the loop awaits', async () => {
    let yields = 0;
    const yieldToPage: TrainPlugin = {
      name: 'yieldToPage',
      async batchEnd(ctx) {
        if (ctx.batch % 10 === 9) {
          await new Promise((resolve) => setTimeout(resolve, 0));
          yields++;
        }
      },
    };
    const { x, y, model } = line();
    // biome-ignore lint/suspicious/noFocusedTests: fit is nabla's training loop, not a focused test
    await fit({
      model,
      data: { x, y },
      batchSize: 8,
      loss: mseLoss,
      optimizer: sgd(model.parameters(), { lr: 0.05 }),
      epochs: 2,
      plugins: [yieldToPage],
    });
    expect(yields).toBe(6); // 32 batches per epoch: batches 9, 19, 29
  });

  it('the main entries import no node: module; the /node entries do', () => {
    const src = (path: string) => readFileSync(join(__dirname, '..', path), 'utf8');
    for (const pkg of ['core', 'nn', 'optim', 'train', 'data']) {
      const index = src(`packages/${pkg}/src/index.ts`);
      expect(index, pkg).not.toMatch(/from '\.\/node/);
      expect(index, pkg).not.toMatch(/from 'node:/);
    }
    expect(src('packages/train/src/node.ts')).toMatch(/node-checkpoint/);
  });
});
