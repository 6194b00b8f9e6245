// Learning-rate schedules: warm-up then cosine (sequentialLR of linearLR and cosineAnnealingLR),
// one-cycle, and reduce-on-plateau; the sequences they produce, and a small model trained with each.
import { Generator, indexSelect, noGrad, randn, randperm, type Tensor, tensor } from '@nablajs/core';
import { Linear, mseLoss, ReLU, Sequential } from '@nablajs/nn';
import {
  cosineAnnealingLR,
  linearLR,
  type MetricScheduler,
  type Optimizer,
  oneCycleLR,
  reduceLROnPlateau,
  type Scheduler,
  sequentialLR,
} from '@nablajs/optim';
import { sgd } from '@nablajs/optim-sgd';

/** The schedules of this example. */
export type ScheduleName = 'constant' | 'warmupCosine' | 'oneCycle' | 'plateau';

/** How many optimizer steps an epoch has in {@link trainWithSchedule}. */
export const STEPS_PER_EPOCH = 8;

/** A schedule attached to an optimizer: when to step it, and how. */
interface Attached {
  /** Called after every optimizer step (per-batch schedules). */
  afterBatch(): void;
  /** Called at the end of every epoch with the validation loss. */
  afterEpoch(validationLoss: number): void;
}

/**
 * Attach schedule `name` to `opt` (whose `lr` is the base learning rate) for `epochs` epochs:
 * - `warmupCosine`: `linearLR` from 0.1·lr up to lr over 5 epochs, then `cosineAnnealingLR` down to
 *   lr/100 over the remaining epochs, joined by `sequentialLR` at milestone 5 (stepped per epoch);
 * - `oneCycle`: `oneCycleLR` to `maxLr = lr` over every batch of the run (stepped per batch);
 * - `plateau`: `reduceLROnPlateau` halving lr after 2 epochs without improvement of the validation loss;
 * - `constant`: nothing.
 */
export function attachSchedule(name: ScheduleName, opt: Optimizer, epochs: number): Attached {
  const lr = opt.paramGroups[0].lr;
  const none = () => {};
  switch (name) {
    case 'warmupCosine': {
      const warmup = linearLR(opt, { startFactor: 0.1, totalIters: 5 });
      const cosine = cosineAnnealingLR(opt, { tMax: epochs - 5, etaMin: lr / 100 });
      const scheduler: Scheduler = sequentialLR(opt, { schedulers: [warmup, cosine], milestones: [5] });
      return { afterBatch: none, afterEpoch: () => scheduler.step() };
    }
    case 'oneCycle': {
      const scheduler = oneCycleLR(opt, { maxLr: lr, epochs, stepsPerEpoch: STEPS_PER_EPOCH });
      return { afterBatch: () => scheduler.step(), afterEpoch: none };
    }
    case 'plateau': {
      const scheduler: MetricScheduler = reduceLROnPlateau(opt, { factor: 0.5, patience: 2 });
      return { afterBatch: none, afterEpoch: (loss) => scheduler.step(loss) };
    }
    default:
      return { afterBatch: none, afterEpoch: none };
  }
}

/** The learning rate of every epoch (warm-up + cosine, per-epoch) or step (one-cycle), base lr 0.1. */
export function lrSequences(epochs = 20): { warmupCosine: number[]; oneCycle: number[]; oneCycleMomentum: number[] } {
  const param = () => [tensor([0], { requiresGrad: true })];

  const a = sgd(param(), { lr: 0.1, momentum: 0.9 });
  const warm = attachSchedule('warmupCosine', a, epochs);
  const warmupCosine: number[] = [];
  for (let epoch = 0; epoch <= epochs; epoch++) {
    warmupCosine.push(a.paramGroups[0].lr);
    warm.afterEpoch(0);
  }

  const b = sgd(param(), { lr: 0.1, momentum: 0.9 });
  const cycle = oneCycleLR(b, { maxLr: 0.1, totalSteps: epochs });
  const oneCycle: number[] = [];
  const oneCycleMomentum: number[] = [];
  for (let step = 0; step < epochs; step++) {
    oneCycle.push(b.paramGroups[0].lr);
    oneCycleMomentum.push(b.paramGroups[0].momentum as number);
    if (step < epochs - 1) cycle.step();
  }
  return { warmupCosine, oneCycle, oneCycleMomentum };
}

/** The learning rate after each `step(metric)` of `reduceLROnPlateau(factor 0.5, patience 2)`, base lr 0.1. */
export function plateauSequence(metrics: readonly number[]): number[] {
  const opt = sgd([tensor([0], { requiresGrad: true })], { lr: 0.1 });
  const scheduler = reduceLROnPlateau(opt, { factor: 0.5, patience: 2 });
  return metrics.map((m) => {
    scheduler.step(m);
    return opt.paramGroups[0].lr;
  });
}

/** What {@link trainWithSchedule} returns: per epoch, the lr used and the validation loss after it. */
export interface ScheduledRun {
  lrs: number[];
  validationLoss: number[];
}

/**
 * Train a 4 -> 16 -> 1 ReLU network on a seeded regression with SGD (momentum 0.9, lr 0.05) and the
 * schedule `name`, from the same initial weights and batches whatever the schedule.
 */
export function trainWithSchedule(name: ScheduleName, epochs = 30, seed = 0): ScheduledRun {
  const gen = new Generator(seed);
  const w = randn([4, 1], { generator: gen });
  const f = (x: Tensor) =>
    x
      .matmul(w)
      .tanh()
      .mul(2)
      .add(
        x
          .slice([null, [0, 1]])
          .square()
          .mul(0.5),
      );
  const n = STEPS_PER_EPOCH * 32;
  const x = randn([n, 4], { generator: gen });
  const y = f(x).add(randn([n, 1], { generator: gen }).mul(0.1));
  const xVal = randn([128, 4], { generator: gen });
  const yVal = f(xVal);

  const init = new Generator(seed + 1);
  const model = new Sequential(
    new Linear(4, 16, { generator: init }),
    new ReLU(),
    new Linear(16, 1, { generator: init }),
  );
  const opt = sgd(model.parameters(), { lr: 0.05, momentum: 0.9 });
  const schedule = attachSchedule(name, opt, epochs);
  const batches = new Generator(seed + 2);
  const run: ScheduledRun = { lrs: [], validationLoss: [] };
  for (let epoch = 0; epoch < epochs; epoch++) {
    run.lrs.push(opt.paramGroups[0].lr);
    const order = randperm(n, { generator: batches });
    for (let start = 0; start < n; start += 32) {
      const idx = order.slice([[start, start + 32]]);
      opt.zeroGrad();
      mseLoss(model.forward(indexSelect(x, 0, idx)), indexSelect(y, 0, idx)).backward();
      opt.step();
      schedule.afterBatch();
    }
    const validation = noGrad(() => mseLoss(model.forward(xVal), yVal).item());
    run.validationLoss.push(validation);
    schedule.afterEpoch(validation);
  }
  return run;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const fmt = (xs: readonly number[], digits = 4) => xs.map((v) => v.toFixed(digits)).join(' ');
  const { warmupCosine, oneCycle, oneCycleMomentum } = lrSequences(20);
  console.log(`warm-up then cosine, per epoch:\n  ${fmt(warmupCosine)}`);
  console.log(`one-cycle, per step:\n  lr       ${fmt(oneCycle)}\n  momentum ${fmt(oneCycleMomentum, 3)}`);
  const metrics = [1, 0.8, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.6, 0.6, 0.6, 0.6];
  console.log(`reduce on plateau, validation losses ${metrics.join(' ')}:\n  ${fmt(plateauSequence(metrics))}`);
  console.log('\ntraining a 4 -> 16 -> 1 MLP with SGD (momentum 0.9, lr 0.05) for 30 epochs:');
  for (const name of ['constant', 'warmupCosine', 'oneCycle', 'plateau'] as const) {
    const run = trainWithSchedule(name);
    const last = run.validationLoss.length - 1;
    console.log(
      `  ${name.padEnd(13)} validation MSE after epoch 1: ${run.validationLoss[0].toFixed(4)}, ` +
        `epoch 10: ${run.validationLoss[9].toFixed(4)}, epoch 30: ${run.validationLoss[last].toFixed(4)}; ` +
        `lr in epoch 30: ${run.lrs[last].toPrecision(3)}`,
    );
  }
}
