// Checkpoint and resume: a run that crashes mid-epoch, resumed from its newest checkpoint by a fresh
// process (new model, optimizer, scheduler, loader and generators), gives the same losses, bit for bit,
// as a run that never stopped.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Generator, type Tensor } from '@nablajs/core';
import { DataLoader, loadDigits, randomSplit, TensorDataset } from '@nablajs/data';
import { crossEntropy, Dropout, Linear, ReLU, Sequential } from '@nablajs/nn';
import { stepLR } from '@nablajs/optim';
import { adam } from '@nablajs/optim-adam';
import { fit, lrScheduler, type TrainPlugin } from '@nablajs/train';
import { checkpoint, latestCheckpoint, loadCheckpoint } from '@nablajs/train/node';

const digits = loadDigits();
const [trainSet] = randomSplit(new TensorDataset(digits.images, digits.labels), [0.8, 0.2], {
  generator: new Generator(42),
});

/** Options of {@link train}. */
export interface RunOptions {
  /** The number of epochs of the run. */
  epochs: number;
  /** The checkpoint directory; none: no checkpoints. */
  dir?: string;
  /** Save every this many optimizer steps (mid-epoch checkpoints), besides every epoch. */
  everySteps?: number;
  /** Resume from the newest checkpoint of `dir`. */
  resume?: boolean;
  /** Simulate a crash: throw after this global step (no epoch end, no saving: the process just dies). */
  crashAfterStep?: number;
  /** Training images used (default all 1438 of the training split). */
  samples?: number;
}

/**
 * One training process: everything built from scratch (model with dropout, Adam, a step scheduler, a shuffling
 * loader, each random source with its own seeded generator), then `fit`; returns every batch loss it ran.
 */
export async function train(options: RunOptions): Promise<number[]> {
  const init = new Generator(1);
  const dropoutGen = new Generator(2);
  const shuffleGen = new Generator(3);
  const model = new Sequential(
    new Linear(64, 32, { generator: init }),
    new ReLU(),
    new Dropout(0.25, { generator: dropoutGen }),
    new Linear(32, 10, { generator: init }),
  );
  const optimizer = adam(model.parameters(), { lr: 3e-3 });
  const data =
    options.samples === undefined
      ? trainSet
      : new TensorDataset(
          ...(trainSet.dataset as TensorDataset<[Tensor, Tensor]>).getBatch(trainSet.indices.slice(0, options.samples)),
        );
  const losses: number[] = [];
  const plugins: TrainPlugin[] = [
    lrScheduler(stepLR(optimizer, { stepSize: 2, gamma: 0.5 })),
    { name: 'recorder', batchEnd: (ctx) => void losses.push(ctx.batchLogs.loss) },
  ];
  if (options.dir !== undefined)
    plugins.push(
      checkpoint({
        dir: options.dir,
        every: 1,
        everySteps: options.everySteps,
        keepLast: 3,
        resume: options.resume ? 'latest' : false,
        // the generators that make the run random besides the weights: the loader's order and dropout's masks
        generators: [shuffleGen, dropoutGen],
      }),
    );
  const crash = options.crashAfterStep;
  if (crash !== undefined)
    plugins.push({
      name: 'crash',
      batchEnd(ctx) {
        if (ctx.globalStep === crash) throw new Error(`simulated crash after step ${crash}`);
      },
    });
  const run = fit({
    model,
    data: new DataLoader(data, { batchSize: 32, shuffle: true, generator: shuffleGen }),
    loss: crossEntropy,
    optimizer,
    epochs: options.epochs,
    plugins,
  });
  await run.catch((error: Error) => {
    if (!error.message.startsWith('simulated crash')) throw error;
  });
  return losses;
}

/** What {@link crashAndResume} returns. */
export interface CrashAndResume {
  /** Every batch loss of the run that never stopped. */
  uninterrupted: number[];
  /** The batch losses of the crashed run up to its newest checkpoint, then those of the resumed run. */
  resumed: number[];
  /** Where the newest checkpoint before the crash was: epoch, batches of it run, global step. */
  resumedAt: { epoch: number; batch: number; globalStep: number };
  /** The checkpoint files left in the directory after the resumed run. */
  files: string[];
}

/**
 * Train `epochs` epochs uninterrupted; then train again with checkpoints every epoch and every `everySteps`
 * steps, crash after step `crashAfterStep`, and resume in a fresh "process" from the newest checkpoint.
 */
export async function crashAndResume(
  dir: string,
  options: { epochs?: number; everySteps?: number; crashAfterStep?: number; samples?: number } = {},
): Promise<CrashAndResume> {
  const { epochs = 4, everySteps = 20, crashAfterStep = 70, samples } = options;
  const uninterrupted = await train({ epochs, samples });
  const crashed = await train({ epochs, samples, dir, everySteps, crashAfterStep });
  const newest = loadCheckpoint(latestCheckpoint(dir)!);
  const after = await train({ epochs, samples, dir, everySteps, resume: true });
  return {
    uninterrupted,
    // the batches between the newest checkpoint and the crash are lost, and run again after resuming
    resumed: [...crashed.slice(0, newest.globalStep), ...after],
    resumedAt: { epoch: newest.epoch, batch: newest.batch, globalStep: newest.globalStep },
    files: readdirSync(dir).sort(),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = mkdtempSync(join(tmpdir(), 'nabla-checkpoint-resume-'));
  try {
    const r = await crashAndResume(dir);
    const same = r.resumed.every((loss, i) => loss === r.uninterrupted[i]);
    console.log(
      `crashed after step 70; resumed from epoch ${r.resumedAt.epoch}, batch ${r.resumedAt.batch} (step ${r.resumedAt.globalStep})`,
    );
    console.log(
      `batch losses: ${r.resumed.length} resumed, ${r.uninterrupted.length} uninterrupted, identical: ${same && r.resumed.length === r.uninterrupted.length}`,
    );
    console.log(`last loss: ${r.resumed.at(-1)} vs ${r.uninterrupted.at(-1)}`);
    console.log(`files in ${dir}:\n  ${r.files.join('\n  ')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
