import { Generator, getBackend, initWasmBackend, setBackend } from '@nablajs/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseOptimizerSpecs, resolveOptimizers } from './optimizer-spec';
import { registerBuiltinPlugins } from './plugins';
import { runModelTask } from './runner';
import { parseSchedule } from './schedule';
import { silentEvents } from './task-runner';
import { getTask, type ModelTask } from './tasks';

beforeAll(() => registerBuiltinPlugins());

describe('the tiny-shakespeare task', () => {
  const task = getTask('tiny-shakespeare') as ModelTask;
  const previous = getBackend();
  beforeAll(async () => {
    await initWasmBackend();
    setBackend('wasm');
  });
  afterAll(() => setBackend(previous));

  it("has nanoGPT's CPU settings as defaults; its default optimizers resolve", () => {
    expect(task.kind).toBe('model');
    expect(task.classification).toBe(true); // next-character accuracy
    expect(task.defaults).toMatchObject({ epochs: 1, batchSize: 12, targetLoss: 2 });
    const optimizers = resolveOptimizers(parseOptimizerSpecs([task.defaults.optimizers]));
    expect(optimizers.map((o) => o.label)).toEqual(['adamw', 'adam']);
  });

  it('windows of 64 characters with targets one later; an 804,096-parameter GPT mapping [B, T] ids to [B, 65, T] logits', () => {
    const data = task.load({ seed: 0, dataDir: null, limit: 30 });
    expect(data.train.x.shape).toEqual([30, 64]);
    expect(data.train.y.shape).toEqual([30, 64]);
    expect(data.validation?.x.shape).toEqual([240, 64]);
    expect(data.train.x.dtype).toBe('int32');
    const x = data.train.x.values;
    const y = data.train.y.values;
    for (let i = 0; i < 63; i++) expect(y[i]).toBe(x[i + 1]);
    const model = data.buildModel(new Generator(0));
    let n = 0;
    for (const p of model.parameters()) n += p.size;
    expect(n).toBe(65 * 128 + 64 * 128 + 4 * (2 * 128 + 12 * 128 * 128) + 128);
    const logits = model.forward(data.train.x.slice([[0, 2]]));
    expect(logits.shape).toEqual([2, 65, 64]);
    // near-zero initial logits: about ln(65) nats per character
    expect(Math.abs(data.loss(logits, data.train.y.slice([[0, 2]])).item() - Math.log(65))).toBeLessThan(0.1);
  });

  it('adamw lowers the loss over a few steps (wasm backend)', async () => {
    const data = task.load({ seed: 1, dataDir: null, limit: 72 });
    const [run] = await runModelTask(
      data,
      resolveOptimizers(parseOptimizerSpecs(['adamw:lr=1e-2'])),
      { epochs: 1, steps: null, batchSize: 12, seed: 1, schedule: parseSchedule('none'), targetLoss: 2 },
      silentEvents,
    );
    expect(run.summary.steps).toBe(6);
    expect(run.steps.loss.at(-1)).toBeLessThan(run.steps.loss[0] - 0.3);
    expect(run.epochs.valLoss[0]).toBeLessThan(Math.log(65) - 0.3);
    expect(run.epochs.valAccuracy[0]).toBeGreaterThan(1 / 65);
  });
});
