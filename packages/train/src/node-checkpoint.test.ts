import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Generator, type Tensor } from '@nablajs/core';
import { crossEntropy, Dropout, Linear, ReLU, Sequential } from '@nablajs/nn';
import { defaultAtomicWriteFs } from '@nablajs/nn/node';
import { type Optimizer, type Scheduler, stepLR } from '@nablajs/optim';
import { adam } from '@nablajs/optim-adam';
import { describe, expect, it } from 'vitest';
import { CheckpointError } from './checkpoint';
import { decodeCheckpoint } from './checkpoint-format';
import { checkpointTestSetup } from './checkpoint-test-setup';
import { type FitOptions, fit } from './fit';
import { latestCheckpoint } from './latest-checkpoint';
import { checkpoint } from './node-checkpoint';
import { earlyStopping } from './plugins/early-stopping';
import { lrScheduler } from './plugins/lr-scheduler';
import { resumeFrom } from './resume-from';
import { loadCheckpoint } from './save-checkpoint';
import type { TrainPlugin } from './types';

const { root, freshDir, x, y } = checkpointTestSetup('nabla-ckpt-');

interface Run {
  model: Sequential;
  optimizer: Optimizer;
  scheduler: Scheduler;
  shuffleGen: Generator;
  dropoutGen: Generator;
  losses: number[];
  recorder: TrainPlugin;
}

/** A fresh run: new model (weights from seed 1), Adam, a step scheduler, and the generators of shuffling and dropout. */
function makeRun(hidden = 16): Run {
  const init = new Generator(1);
  const dropoutGen = new Generator(2);
  const model = new Sequential(
    new Linear(4, hidden, { generator: init }),
    new ReLU(),
    new Dropout(0.2, { generator: dropoutGen }),
    new Linear(hidden, 3, { generator: init }),
  );
  const optimizer = adam(model.parameters(), { lr: 0.01 });
  const scheduler = stepLR(optimizer, { stepSize: 2, gamma: 0.5 });
  const losses: number[] = [];
  return {
    model,
    optimizer,
    scheduler,
    shuffleGen: new Generator(3),
    dropoutGen,
    losses,
    recorder: { name: 'recorder', batchEnd: (ctx) => void losses.push(ctx.batchLogs.loss) },
  };
}

function fitRun(run: Run, epochs: number, plugins: TrainPlugin[], extra: Partial<FitOptions> = {}) {
  return fit({
    model: run.model,
    data: { x, y },
    batchSize: 8,
    shuffle: true,
    generator: run.shuffleGen,
    loss: (out: Tensor, t: Tensor) => crossEntropy(out, t),
    optimizer: run.optimizer,
    epochs,
    plugins: [lrScheduler(run.scheduler), run.recorder, ...plugins],
    ...extra,
  });
}

const saved = (run: Run) => ({ generators: [run.shuffleGen, run.dropoutGen], states: { scheduler: run.scheduler } });

function files(dir: string): string[] {
  return readdirSync(dir).sort();
}

describe('checkpoint (Node plugin)', () => {
  it('resumes an interrupted run bit for bit: every batch loss, the history and the weights', async () => {
    const reference = makeRun();
    const full = await fitRun(reference, 6, []);
    expect(reference.losses).toHaveLength(30);

    const dir = freshDir();
    const first = makeRun();
    await fitRun(first, 3, [checkpoint({ dir, ...saved(first) })]);
    expect(files(dir)).toEqual([
      'epoch-0000-step-00000005.safetensors',
      'epoch-0001-step-00000010.safetensors',
      'epoch-0002-step-00000015.safetensors',
    ]);

    const second = makeRun(); // new model, optimizer, scheduler and generators: all state comes from the file
    const resumed = await fitRun(second, 6, [checkpoint({ dir, resume: 'latest', ...saved(second) })], {
      initialEpoch: 3,
      initialStep: 15,
    });
    const losses = [...first.losses, ...second.losses];
    expect(losses).toHaveLength(30);
    for (let i = 0; i < 30; i++) expect(losses[i]).toBe(reference.losses[i]);
    expect(resumed.history.map((h) => h.loss)).toEqual(full.history.map((h) => h.loss));
    expect(resumed.history.map((h) => h.lr)).toEqual([0.01, 0.01, 0.005, 0.005, 0.0025, 0.0025]);
    const a = reference.model.stateDict();
    const b = second.model.stateDict();
    for (const key of Object.keys(a)) expect(Array.from(b[key].data)).toEqual(Array.from(a[key].data));
    expect(files(dir)).toHaveLength(6);
    expect(loadCheckpoint(latestCheckpoint(dir)!).epoch).toBe(6);
  });

  it('resumes with resumeFrom(path) the same way', async () => {
    const reference = makeRun();
    await fitRun(reference, 4, []);
    const dir = freshDir();
    const first = makeRun();
    await fitRun(first, 2, [checkpoint({ dir, ...saved(first) })]);
    const second = makeRun();
    await fitRun(second, 4, [resumeFrom(join(dir, 'epoch-0001-step-00000010.safetensors'), saved(second))], {
      initialEpoch: 2,
      initialStep: 10,
    });
    expect([...first.losses, ...second.losses]).toEqual(reference.losses);
  });

  it('saves and restores the stateful plugins of the run by name, with no states option', async () => {
    // mode 'max' on a falling loss: the best stays at epoch 0, so a restored state is told apart from a fresh one.
    const options = { monitor: 'loss', mode: 'max', patience: 10, restoreBestWeights: true } as const;
    const dir = freshDir();
    const run = makeRun();
    const stopper = earlyStopping(options);
    const first = await fitRun(run, 2, [stopper, checkpoint({ dir, ...saved(run) })]);
    const ckpt = loadCheckpoint(join(dir, 'epoch-0001-step-00000010.safetensors'));
    const state = ckpt.states.earlyStopping as { best: number; bestEpoch: number; wait: number; bestWeights: unknown };
    expect(state).toMatchObject({ best: first.history[0].loss, bestEpoch: 0, wait: 1 });
    expect((state.bestWeights as Record<string, { data: unknown }>)['0.weight'].data).toBeInstanceOf(Float32Array);

    const again = makeRun();
    const fresh = earlyStopping(options);
    await fitRun(again, 3, [fresh, checkpoint({ dir, resume: 'latest', ...saved(again) })], {
      initialEpoch: 2,
      initialStep: 10,
    });
    expect(again.losses).toHaveLength(5);
    expect([fresh.best, fresh.bestEpoch, fresh.wait]).toEqual([first.history[0].loss, 0, 2]);
  });

  it('stores the position, history, optimizer, scheduler and generators, and its own best score', async () => {
    const dir = freshDir();
    const run = makeRun();
    const result = await fitRun(run, 2, [checkpoint({ dir, monitor: 'loss', ...saved(run) })]);
    const ckpt = loadCheckpoint(join(dir, 'epoch-0001-step-00000010.safetensors'));
    expect(ckpt.epoch).toBe(2);
    expect(ckpt.batch).toBe(0);
    expect(ckpt.globalStep).toBe(10);
    expect(ckpt.history.map((h) => h.loss)).toEqual(result.history.map((h) => h.loss));
    expect(ckpt.optimizer?.name).toBe('adam');
    expect(ckpt.states.scheduler).toEqual(run.scheduler.stateDict());
    expect(ckpt.states.checkpoint).toEqual({
      best: Math.min(...result.history.map((h) => h.loss)),
      bestEpoch: expect.any(Number),
    });
    expect(ckpt.rng).toEqual([run.shuffleGen.getState(), run.dropoutGen.getState()]);
  });

  it('keeps the newest keepLast checkpoints and best.safetensors at the best monitored value', async () => {
    const dir = freshDir();
    const run = makeRun();
    const bestLosses: number[] = [];
    const result = await fitRun(run, 5, [
      { name: 'spy', epochEnd: (ctx) => void bestLosses.push(ctx.epochLogs.loss) },
      checkpoint({ dir, keepLast: 2, monitor: 'loss', saveBest: true, ...saved(run) }),
    ]);
    expect(files(dir)).toEqual([
      'best.safetensors',
      'epoch-0003-step-00000020.safetensors',
      'epoch-0004-step-00000025.safetensors',
    ]);
    const losses = result.history.map((h) => h.loss);
    const bestEpoch = losses.indexOf(Math.min(...losses));
    const best = loadCheckpoint(join(dir, 'best.safetensors'));
    expect(best.epoch).toBe(bestEpoch + 1);
    expect(best.states.checkpoint).toEqual({ best: losses[bestEpoch], bestEpoch });
    expect(best.history.at(-1)?.loss).toBe(losses[bestEpoch]);
  });

  it('saves every N steps mid-epoch with the generator states of the epoch start', async () => {
    const dir = freshDir();
    const run = makeRun();
    let startState: unknown = null;
    await fitRun(run, 2, [
      {
        name: 'spy',
        epochStart(ctx) {
          if (ctx.epoch === 1) startState = run.shuffleGen.getState();
        },
      },
      checkpoint({ dir, everySteps: 4, ...saved(run) }),
    ]);
    expect(files(dir)).toEqual(['epoch-0000-step-00000004.safetensors', 'epoch-0001-step-00000008.safetensors']);
    const mid = loadCheckpoint(join(dir, 'epoch-0001-step-00000008.safetensors'));
    expect(mid.epoch).toBe(1);
    expect(mid.batch).toBe(3);
    expect(mid.globalStep).toBe(8);
    expect(mid.history).toHaveLength(1);
    expect(mid.epochStartRng?.[0]).toEqual(startState);
  });

  it('refuses a directory holding an earlier run unless resuming or overwrite, before any step', async () => {
    const dir = freshDir();
    const first = makeRun();
    await fitRun(first, 1, [checkpoint({ dir, ...saved(first) })]);
    const before = readFileSync(join(dir, 'epoch-0000-step-00000005.safetensors'));
    const second = makeRun();
    await expect(fitRun(second, 2, [checkpoint({ dir, ...saved(second) })])).rejects.toThrow(
      /^checkpoint: .*run-\d+ already holds 1 checkpoint\(s\) of an earlier run \(newest .*epoch-0000-step-00000005\.safetensors\); pass resume: 'latest'/,
    );
    expect(second.losses).toEqual([]);
    expect(readFileSync(join(dir, 'epoch-0000-step-00000005.safetensors')).equals(before)).toBe(true);

    const third = makeRun();
    await fitRun(third, 1, [checkpoint({ dir, overwrite: true, ...saved(third) })]);
    expect(third.losses).toHaveLength(5);

    const fresh = makeRun();
    const empty = freshDir();
    await fitRun(fresh, 1, [checkpoint({ dir: empty, resume: 'latest', ...saved(fresh) })]);
    expect(fresh.losses).toHaveLength(5); // nothing to resume: a fresh start
  });

  it('rejects a checkpoint of a different model before any step, and leaves the files alone', async () => {
    const dir = freshDir();
    const first = makeRun();
    await fitRun(first, 1, [checkpoint({ dir, ...saved(first) })]);
    const path = join(dir, 'epoch-0000-step-00000005.safetensors');
    const before = readFileSync(path);
    const other = makeRun(8);
    const weights = Array.from(other.model.stateDict()['0.weight'].data);
    const error = await fitRun(other, 2, [checkpoint({ dir, resume: 'latest', ...saved(other) })]).catch((e) => e);
    expect(error).toBeInstanceOf(CheckpointError);
    expect(error.message).toMatch(
      /^.*epoch-0000-step-00000005\.safetensors was saved from a different model: "0\.weight" has shape \[16,4\] in the checkpoint, \[8,4\] in the model/,
    );
    expect(other.losses).toEqual([]);
    expect(Array.from(other.model.stateDict()['0.weight'].data)).toEqual(weights);
    expect(files(dir)).toEqual(['epoch-0000-step-00000005.safetensors']);
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('rejects a corrupt or missing checkpoint naming the path, before any step', async () => {
    const dir = freshDir();
    const first = makeRun();
    await fitRun(first, 1, [checkpoint({ dir, ...saved(first) })]);
    const path = join(dir, 'epoch-0000-step-00000005.safetensors');
    const bytes = readFileSync(path);
    const truncated = join(root, 'truncated.safetensors');
    writeFileSync(truncated, bytes.subarray(0, bytes.length - 10));
    const run = makeRun();
    await expect(fitRun(run, 2, [resumeFrom(truncated, saved(run))])).rejects.toThrow(
      /truncated\.safetensors is not a readable checkpoint: loadSafetensors: .*\(the file is truncated or corrupt\)/,
    );
    await expect(fitRun(run, 2, [checkpoint({ dir: freshDir(), resume: truncated, ...saved(run) })])).rejects.toThrow(
      CheckpointError,
    );
    await expect(fitRun(run, 2, [resumeFrom(join(root, 'missing.safetensors'), saved(run))])).rejects.toThrow(
      /^loadCheckpoint: cannot read .*missing\.safetensors: ENOENT/,
    );
    expect(run.losses).toEqual([]);
    expect(decodeCheckpoint(readFileSync(path), path).epoch).toBe(1);
  });

  it('fails before any step when the directory cannot be created or written', async () => {
    const run = makeRun();
    const file = join(root, 'a-file');
    writeFileSync(file, 'x');
    await expect(fitRun(run, 1, [checkpoint({ dir: join(file, 'ckpts'), ...saved(run) })])).rejects.toThrow(
      /^checkpoint: cannot create the directory .*a-file\/ckpts: ENOTDIR/,
    );
    const readOnly = {
      ...defaultAtomicWriteFs,
      openSync: () => {
        throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
      },
    };
    const dir = freshDir();
    await expect(fitRun(run, 1, [checkpoint({ dir, fs: readOnly, ...saved(run) })])).rejects.toThrow(
      /^checkpoint: the directory .*run-\d+ is not writable: EACCES: permission denied$/,
    );
    expect(run.losses).toEqual([]);
  });

  it('never leaves a partial checkpoint or damages an earlier one when a write fails', async () => {
    const dir = freshDir();
    const run = makeRun();
    let writes = 0;
    const diskFullOnSecond = {
      ...defaultAtomicWriteFs,
      writeSync: (fd: number, buffer: Uint8Array, offset: number, length: number) => {
        if (length > 1000 && ++writes === 2) {
          defaultAtomicWriteFs.writeSync(fd, buffer, offset, 100); // a partial write, then the disk is full
          throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
        }
        return defaultAtomicWriteFs.writeSync(fd, buffer, offset, length);
      },
    };
    await expect(fitRun(run, 3, [checkpoint({ dir, fs: diskFullOnSecond, ...saved(run) })])).rejects.toThrow(
      /^saveCheckpoint: could not write .*epoch-0001-step-00000010\.safetensors \(any previous file is untouched\): ENOSPC/,
    );
    expect(files(dir)).toEqual(['epoch-0000-step-00000005.safetensors']);
    expect(loadCheckpoint(join(dir, 'epoch-0000-step-00000005.safetensors')).epoch).toBe(1);
    expect(existsSync(join(dir, 'epoch-0001-step-00000010.safetensors'))).toBe(false);
  });

  it('refuses to run before a stateful plugin that changes its state when checkpoints are taken', async () => {
    const run = makeRun();
    const plugins = [checkpoint({ dir: freshDir(), ...saved(run) }), lrScheduler(run.scheduler)];
    await expect(
      fit({
        model: run.model,
        data: { x, y },
        batchSize: 8,
        loss: (out: Tensor, t: Tensor) => crossEntropy(out, t),
        optimizer: run.optimizer,
        epochs: 1,
        plugins: [run.recorder, ...plugins],
      }),
    ).rejects.toThrow(
      /^checkpoint: the stateful plugin "lrScheduler" comes after checkpoint\(\) and changes its state at epochEnd, so the checkpoints would miss that change; list checkpoint\(\) after it$/,
    );
    expect(run.losses).toEqual([]);
  });

  it('checks its options and a missing monitor', async () => {
    expect(() => checkpoint({ dir: '' })).toThrow(/checkpoint: options\.dir must be a non-empty directory path/);
    expect(() => checkpoint({ dir: 'd', every: -1 })).toThrow(/checkpoint: every must be an integer >= 0, got -1/);
    expect(() => checkpoint({ dir: 'd', everySteps: 0 })).toThrow(
      /checkpoint: everySteps must be an integer >= 1, got 0/,
    );
    expect(() => checkpoint({ dir: 'd', keepLast: 0 })).toThrow(/checkpoint: keepLast must be an integer >= 1, got 0/);
    expect(() => checkpoint({ dir: 'd', saveBest: true })).toThrow(/checkpoint: saveBest needs a monitor/);
    expect(() => checkpoint({ dir: 'd', monitor: 'loss', mode: 'up' as 'min' })).toThrow(
      /mode must be 'min', 'max' or 'auto', got "up"/,
    );
    expect(() => checkpoint({ dir: 'd', resume: '' })).toThrow(/resume must be 'latest', a file path or false, got ""/);
    expect(() => resumeFrom('')).toThrow(/resumeFrom: path must be a non-empty string/);
    const run = makeRun();
    await expect(
      fitRun(run, 1, [checkpoint({ dir: freshDir(), monitor: 'valAccuracy', ...saved(run) })]),
    ).rejects.toThrow(
      /checkpoint: monitor "valAccuracy" is not in the logs of epoch 0 \(they have loss, lr, epochTime, stepsPerSecond\)/,
    );
  });
});
