import {
  DisposedError,
  getBackend,
  initWasmBackend,
  keep,
  manualSeed,
  randint,
  randn,
  setBackend,
  type Tensor,
  wasmMemoryBytes,
} from '@nablajs/core';
import { crossEntropy, Linear, ReLU, Sequential } from '@nablajs/nn';
import { adam } from '@nablajs/optim-adam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fit } from './fit';
import type { TrainPlugin } from './types';

function setup() {
  manualSeed(11);
  const model = new Sequential(new Linear(32, 64), new ReLU(), new Linear(64, 5));
  const x = randn([256, 32]);
  const y = randint(0, 5, [256]);
  return { model, data: { x, y }, optimizer: adam(model.parameters(), { lr: 1e-2 }) };
}

describe('fit disposes each batch (tidy)', () => {
  let previous = 'cpu';
  beforeAll(async () => {
    previous = getBackend();
    expect(await initWasmBackend()).toBe(true);
  });
  afterAll(() => setBackend(previous));

  it('on the wasm backend by default: wasm memory stays flat over epochs and training matches the cpu run', async () => {
    setBackend('wasm');
    const run = setup();
    const sizes: number[] = [];
    const track: TrainPlugin = { name: 'track', epochEnd: () => void sizes.push(wasmMemoryBytes()) };
    const { history } = await fit({
      ...run,

      loss: crossEntropy,
      epochs: 12,
      batchSize: 32,
      plugins: [track],
    });
    expect(new Set(sizes.slice(2)).size).toBe(1);
    expect(history[history.length - 1].loss).toBeLessThan(history[0].loss);
    setBackend('cpu');
    const ref = setup();
    const cpu = await fit({ ...ref, loss: crossEntropy, epochs: 12, batchSize: 32 });
    for (let e = 0; e < 12; e++) expect(history[e].loss).toBeCloseTo(cpu.history[e].loss, 4);
  });

  it('a plugin that keeps a batch tensor must keep() it; a stale one fails clearly', async () => {
    setBackend('cpu');
    const run = setup();
    let stale: Tensor | null = null;
    let kept: Tensor | null = null;
    const oneEpoch = (tidy: boolean) =>
      fit({
        ...run,

        loss: crossEntropy,
        epochs: 1,
        batchSize: 64,
        plugins: [plugin],
        tidy,
      });
    const plugin: TrainPlugin = {
      name: 'stash',
      batchEnd: (ctx) => {
        stale = ctx.output as Tensor;
        kept = keep((ctx.output as Tensor).detach());
      },
    };
    await oneEpoch(true);
    expect(() => (stale as unknown as Tensor).sum()).toThrow(DisposedError);
    expect((kept as unknown as Tensor).shape).toEqual([64, 5]);
    // Off: nothing is disposed.
    await oneEpoch(false);
    expect((stale as unknown as Tensor).isDisposed).toBe(false);
    await expect(fit({ ...run, loss: crossEntropy, epochs: 1, tidy: 'yes' as never })).rejects.toThrow(
      /fit: tidy must be true, false or 'auto'/,
    );
  });
});
