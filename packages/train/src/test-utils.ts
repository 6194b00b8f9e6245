// Shared by fit-memory.test.ts and bench/memory.bench.ts (not exported from the package): the same
// training run written by hand with one tidy scope per step, and through fit() with every built-in
// plugin on, each reporting the wasm memory it uses as it goes.

import {
  endScope,
  Generator,
  indexSelect,
  manualSeed,
  randn,
  randperm,
  startScope,
  type Tensor,
  tensor,
  wasmMemoryBytes,
  wasmTensorBytes,
} from '@nablajs/core';
import { crossEntropy, Linear, ReLU, Sequential } from '@nablajs/nn';
import { stepLR } from '@nablajs/optim';
import { adam } from '@nablajs/optim-adam';
import { fit } from './fit';
import { csvLogger, jsonLinesLogger } from './logger';
import { earlyStopping } from './plugins/early-stopping';
import { gradientAccumulation } from './plugins/gradient-accumulation';
import { gradientClipping } from './plugins/gradient-clipping';
import { gradientMonitor } from './plugins/gradient-monitor';
import { lrScheduler } from './plugins/lr-scheduler';
import { metricsPlugin } from './plugins/metrics';
import { nanGuard } from './plugins/nan-guard';
import { progressBar } from './plugins/progress-bar';
import type { TrainPlugin } from './types';

/** The soak's data set and model sizes: 2048 samples of 64 features, 10 classes, MLP 64-128-10, batch 64. */
export const SOAK = { samples: 2048, features: 64, hidden: 128, classes: 10, batchSize: 64 } as const;

/** What a soak saw: the peak and final bytes of live tensors in wasm memory, and the memory's size. */
export interface SoakMeasure {
  /** The most bytes live tensors held at the end of a step. */
  peakTensorBytes: number;
  /** Bytes live tensors held after the last step. */
  finalTensorBytes: number;
  /** The WebAssembly memory's size after the last step (it never shrinks). */
  memoryBytes: number;
  /** The mean loss of the last 10% of steps (the run trained: it falls). */
  lateLoss: number;
  /** The mean loss of the first 10% of steps. */
  earlyLoss: number;
  /** (step, tensor bytes) every `every` steps. */
  samples: [number, number][];
}

function soakData(seed: number): { x: Tensor; y: Tensor; model: Sequential } {
  manualSeed(seed);
  const x = randn([SOAK.samples, SOAK.features]);
  // A learnable labelling: the class of the largest of the first 10 features.
  const xs = x.values as Float32Array;
  const labels = new Int32Array(SOAK.samples);
  for (let i = 0; i < SOAK.samples; i++) {
    let best = 0;
    for (let c = 1; c < SOAK.classes; c++) if (xs[i * SOAK.features + c] > xs[i * SOAK.features + best]) best = c;
    labels[i] = best;
  }
  const y = tensor(labels, { dtype: 'int32' });
  const generator = new Generator(seed);
  const model = new Sequential(
    new Linear(SOAK.features, SOAK.hidden, { generator }),
    new ReLU(),
    new Linear(SOAK.hidden, SOAK.classes, { generator }),
  );
  return { x, y, model };
}

function summarize(losses: number[], samples: [number, number][], peak: number): SoakMeasure {
  const tenth = Math.max(1, Math.floor(losses.length / 10));
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  return {
    peakTensorBytes: peak,
    finalTensorBytes: wasmTensorBytes(),
    memoryBytes: wasmMemoryBytes(),
    earlyLoss: mean(losses.slice(0, tenth)),
    lateLoss: mean(losses.slice(-tenth)),
    samples,
  };
}

/**
 * Train the soak's MLP for `steps` steps with a hand-written loop: each step's batch, forward, backward and
 * Adam update inside one `startScope()`/`endScope()`. Run it with the wasm backend active.
 *
 * @example
 * ```ts
 * const hand = handTidyLoop(2000); // hand.peakTensorBytes: the working set
 * ```
 */
export function handTidyLoop(steps: number, every = 1000): SoakMeasure {
  const { x, y, model } = soakData(7);
  const optimizer = adam(model.parameters(), { lr: 1e-3 });
  const generator = new Generator(8);
  const perEpoch = SOAK.samples / SOAK.batchSize;
  let order = new Int32Array(0);
  const losses: number[] = [];
  const samples: [number, number][] = [];
  let peak = 0;
  for (let step = 0; step < steps; step++) {
    if (step % perEpoch === 0) order = Int32Array.from(randperm(SOAK.samples, { generator }).values as Int32Array);
    const scope = startScope();
    const b = step % perEpoch;
    const index = tensor(order.slice(b * SOAK.batchSize, (b + 1) * SOAK.batchSize), { dtype: 'int32' });
    const loss = crossEntropy(model.forward(indexSelect(x, 0, index)), indexSelect(y, 0, index));
    optimizer.zeroGrad();
    loss.backward();
    optimizer.step();
    losses.push(loss.item());
    // Measured where fit's meter measures (its batchEnd): the step's activations and batch still live.
    peak = Math.max(peak, wasmTensorBytes());
    if ((step + 1) % every === 0) samples.push([step + 1, wasmTensorBytes()]);
    endScope(scope);
  }
  return summarize(losses, samples, peak);
}

/**
 * Train the same MLP for `steps` steps with {@link fit} on `{ x, y }` data, with every built-in plugin on
 * (metrics, gradient clipping, gradient accumulation of 1 batch, a step schedule, NaN guard, gradient
 * monitor, early stopping on the train loss, a progress bar, CSV and JSON-lines loggers writing nowhere),
 * then `last` (in Node, the checkpoint plugin, which runs last). Run it with the wasm backend active.
 *
 * @example
 * ```ts
 * const fitted = await fitLoop(2000); // fitted.peakTensorBytes <= 2 * hand.peakTensorBytes
 * ```
 */
export async function fitLoop(steps: number, every = 1000, last: TrainPlugin[] = []): Promise<SoakMeasure> {
  const { x, y, model } = soakData(7);
  const optimizer = adam(model.parameters(), { lr: 1e-3 });
  const perEpoch = SOAK.samples / SOAK.batchSize;
  const losses: number[] = [];
  const samples: [number, number][] = [];
  let peak = 0;
  let step = 0;
  const nowhere = { write: () => {} };
  await fit({
    model,
    data: { x, y },
    loss: crossEntropy,
    optimizer,
    epochs: Math.ceil(steps / perEpoch),
    batchSize: SOAK.batchSize,
    shuffle: true,
    generator: new Generator(8),
    plugins: [
      metricsPlugin({ accuracy: true }),
      gradientClipping({ maxNorm: 10 }),
      gradientAccumulation(1),
      lrScheduler(stepLR(optimizer, { stepSize: 10_000, gamma: 0.5 })),
      nanGuard({ action: 'stop' }),
      gradientMonitor({ every: 100 }),
      earlyStopping({ monitor: 'loss', patience: 1_000_000 }),
      progressBar({ stream: { write: () => true, isTTY: false } }),
      csvLogger(nowhere),
      jsonLinesLogger(nowhere),
      {
        name: 'soak-meter',
        batchEnd(ctx) {
          losses.push(ctx.batchLogs.loss as number);
          step++;
          peak = Math.max(peak, wasmTensorBytes());
          if (step % every === 0) samples.push([step, wasmTensorBytes()]);
          if (step >= steps) ctx.stopTraining('soak done');
        },
      },
      ...last,
    ],
  });
  return summarize(losses, samples, peak);
}
