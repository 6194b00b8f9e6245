import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tensor, ValueError } from '@nablajs/core';
import { Linear, mseLoss } from '@nablajs/nn';
import { stepLR } from '@nablajs/optim';
import { sgd } from '@nablajs/optim-sgd';
import { afterAll, describe, expect, it } from 'vitest';
import { captureCheckpoint } from './capture-checkpoint';
import { createContext } from './context';
import { evaluate, predict } from './evaluate';
import { fit } from './fit';
import { csvLogger, jsonLinesLogger, memoryWriter } from './logger';
import { checkpoint } from './node-checkpoint';
import { appendFileWriter, csvFileLogger, jsonLinesFileLogger } from './node-logger';
import { earlyStopping } from './plugins/early-stopping';
import { gradientClipping } from './plugins/gradient-clipping';
import { gradientMonitor } from './plugins/gradient-monitor';
import { lrScheduler } from './plugins/lr-scheduler';
import { nanGuard } from './plugins/nan-guard';
import { progressBar } from './plugins/progress-bar';
import { restoreCheckpoint } from './restore-checkpoint';
import { resumeFrom } from './resume-from';
import { saveCheckpoint } from './save-checkpoint';
import { Trainer } from './trainer';

const root = mkdtempSync(join(tmpdir(), 'nabla-options-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const x = tensor([[1], [2], [3], [4]]);
const y = tensor([[2], [4], [6], [8]]);
const model = new Linear(1, 1);
const optimizer = sgd(model.parameters(), { lr: 0.01 });
// biome-ignore lint/suspicious/noExplicitAny: the point is to pass what the types forbid, as plain JavaScript can
type Loose = any;

describe('every options object of @nablajs/train rejects unknown keys', () => {
  const base = { model, data: { x, y }, loss: mseLoss, optimizer, epochs: 1 };
  const cases: [string, () => unknown, RegExp][] = [
    [
      'fit',
      () => fit({ ...base, batch_size: 1 } as Loose),
      /^fit: unknown option "batch_size" \(did you mean "batchSize"\?\); options are model, data, loss, optimizer, epochs, validation,/,
    ],
    [
      'fit',
      () => fit({ ...base, validationData: { x, y } } as Loose),
      /^fit: unknown option "validationData" \(did you mean "validation"\?\)/,
    ],
    [
      'evaluate',
      () => evaluate({ model, data: { x, y }, loss: mseLoss, batch_size: 2 } as Loose),
      /^evaluate: unknown option "batch_size" \(did you mean "batchSize"\?\); options are model, data, loss, metrics, batchSize$/,
    ],
    [
      'predict',
      () => predict(model, x, { batch: 2 } as Loose),
      /^predict: unknown option "batch" \(did you mean "batchSize"\?\); options are batchSize$/,
    ],
    [
      'Trainer',
      () => new Trainer({ model, loss: mseLoss, optimizer, metric: {} } as Loose),
      /^Trainer: unknown option "metric" \(did you mean "metrics"\?\)/,
    ],
    [
      'Trainer.fit',
      () => new Trainer({ model, loss: mseLoss, optimizer }).fit({ data: { x, y }, epochs: 1, epoch: 2 } as Loose),
      /^Trainer\.fit: unknown option "epoch" \(did you mean "epochs"\?\); options are data, epochs, validation, plugins, batchSize,/,
    ],
    [
      'Trainer.evaluate',
      () => new Trainer({ model, loss: mseLoss, optimizer }).evaluate({ x, y }, { batch_size: 2 } as Loose),
      /^Trainer\.evaluate: unknown option "batch_size" \(did you mean "batchSize"\?\)/,
    ],
    [
      'Trainer.predict',
      () => new Trainer({ model, loss: mseLoss, optimizer }).predict(x, { bs: 2 } as Loose),
      /^Trainer\.predict: unknown option "bs"; options are batchSize$/,
    ],
    [
      'earlyStopping',
      () => earlyStopping({ min_delta: 0.5 } as Loose),
      /^earlyStopping: unknown option "min_delta" \(did you mean "minDelta"\?\); options are monitor, mode, patience, minDelta, restoreBestWeights, baseline, startFromEpoch$/,
    ],
    [
      'gradientClipping',
      () => gradientClipping({ max_norm: 1 } as Loose),
      /^gradientClipping: unknown option "max_norm" \(did you mean "maxNorm"\?\); options are maxNorm, normType, clipValue$/,
    ],
    [
      'gradientMonitor',
      () => gradientMonitor({ evry: 2 } as Loose),
      /^gradientMonitor: unknown option "evry" \(did you mean "every"\?\)/,
    ],
    [
      'lrScheduler',
      () => lrScheduler(stepLR(optimizer, { stepSize: 1 }), { intervall: 'step' } as Loose),
      /^lrScheduler: unknown option "intervall" \(did you mean "interval"\?\); options are interval, monitor$/,
    ],
    [
      'nanGuard',
      () => nanGuard({ on_nan: 'stop' } as Loose),
      /^nanGuard: unknown option "on_nan"; options are action, warn$/,
    ],
    [
      'progressBar',
      () => progressBar({ refresh_ms: 10 } as Loose),
      /^progressBar: unknown option "refresh_ms" \(did you mean "refreshMs"\?\)/,
    ],
    [
      'csvLogger',
      () => csvLogger(memoryWriter(), { sep: ';' } as Loose),
      /^csvLogger: unknown option "sep"; options are separator, batches, columns, header$/,
    ],
    [
      'jsonLinesLogger',
      () => jsonLinesLogger(memoryWriter(), { batch: true } as Loose),
      /^jsonLinesLogger: unknown option "batch" \(did you mean "batches"\?\); options are batches$/,
    ],
    [
      'appendFileWriter',
      () => appendFileWriter(join(root, 'a.txt'), { sync: true } as Loose),
      /^appendFileWriter: unknown option "sync" \(did you mean "fsync"\?\); options are fsync$/,
    ],
    [
      'csvFileLogger',
      () => csvFileLogger(join(root, 'a.csv'), { header: false } as Loose),
      /^csvFileLogger: unknown option "header"; options are separator, batches, columns, fsync, append$/,
    ],
    [
      'jsonLinesFileLogger',
      () => jsonLinesFileLogger(join(root, 'a.jsonl'), { appendMode: true } as Loose),
      /^jsonLinesFileLogger: unknown option "appendMode" \(did you mean "append"\?\)/,
    ],
    [
      'checkpoint',
      () => checkpoint({ dir: root, every_steps: 10 } as Loose),
      /^checkpoint: unknown option "every_steps" \(did you mean "everySteps"\?\); options are dir, every, everySteps, keepLast,/,
    ],
    [
      'resumeFrom',
      () => resumeFrom('run.safetensors', { generator: [] } as Loose),
      /^resumeFrom: unknown option "generator" \(did you mean "generators"\?\); options are generators, states, strict$/,
    ],
    [
      'saveCheckpoint',
      () =>
        saveCheckpoint(join(root, 'c.safetensors'), captureCheckpoint({ model }, { epoch: 0, globalStep: 0 }), {
          fileSystem: null,
        } as Loose),
      /^saveCheckpoint: unknown option "fileSystem"; options are fs$/,
    ],
    [
      'restoreCheckpoint',
      () =>
        restoreCheckpoint(captureCheckpoint({ model }, { epoch: 0, globalStep: 0 }), { model }, { name: 'x' } as Loose),
      /^restoreCheckpoint: unknown option "name"; options are source, strict$/,
    ],
    [
      'captureCheckpoint target',
      () => captureCheckpoint({ model, generator: [] } as Loose, { epoch: 0, globalStep: 0 }),
      /^captureCheckpoint: unknown target field "generator" \(did you mean "generators"\?\); target fields are model, optimizer, generators, states$/,
    ],
    [
      'captureCheckpoint position',
      () => captureCheckpoint({ model }, { epoch: 0, global_step: 0 } as Loose),
      /^captureCheckpoint: unknown position field "global_step" \(did you mean "globalStep"\?\)/,
    ],
    [
      'createContext',
      () => createContext({ model, optimizer, lossFn: mseLoss, epochs: 1, loss: mseLoss } as Loose),
      /^createContext: unknown option "loss" \(did you mean "lossFn"\?\)/,
    ],
  ];
  for (const [name, call, pattern] of cases)
    it(`${name}`, async () => {
      let error: unknown = null;
      try {
        await call();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ValueError);
      expect((error as Error).message).toMatch(pattern);
    });

  it('fit rejects the unknown key before any step', async () => {
    const m = new Linear(1, 1);
    const before = Array.from(m.weight.data);
    await expect(
      fit({ ...base, model: m, optimizer: sgd(m.parameters(), { lr: 0.1 }), batch_size: 1 } as Loose),
    ).rejects.toThrow(ValueError);
    expect(Array.from(m.weight.data)).toEqual(before);
  });
});
