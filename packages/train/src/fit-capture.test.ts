import { CaptureError, getBackend, initWasmBackend, manualSeed, randint, randn, setBackend } from '@nablajs/core';
import { crossEntropy, Dropout, Linear, mseLoss, ReLU, Sequential } from '@nablajs/nn';
import { adam } from '@nablajs/optim-adam';
import { describe, expect, it } from 'vitest';
import { fit } from './fit';
import { gradientAccumulation } from './plugins/gradient-accumulation';
import type { TrainPlugin } from './types';

// fit({ capture: true }): each batch shape's forward, loss and backward recorded once and replayed; the run must
// be the run without it, bit for bit (the losses, the metrics, the parameters), on the cpu and wasm backends.

function mlp(): Sequential {
  manualSeed(4);
  return new Sequential(new Linear(12, 16), new ReLU(), new Linear(16, 3));
}

function data() {
  manualSeed(9);
  // 50 rows in batches of 16: three full batches and one of 2, so two shapes are captured
  return { x: randn([50, 12]), y: randint(0, 3, [50], { dtype: 'int32' }) };
}

async function run(capture: boolean) {
  const model = mlp();
  let forwards = 0;
  const forward = model.forward.bind(model);
  model.forward = (x) => {
    forwards++;
    return forward(x);
  };
  const seen: number[] = [];
  const probe: TrainPlugin = { name: 'probe', batchEnd: (ctx) => void seen.push(ctx.output?.values[0] ?? Number.NaN) };
  const { history } = await fit({
    model,
    data: data(),
    loss: crossEntropy,
    optimizer: adam(model.parameters(), { lr: 1e-2 }),
    epochs: 3,
    batchSize: 16,
    metrics: { accuracy: true },
    plugins: [probe],
    capture,
  });
  return {
    losses: history.map((h) => [h.loss, h.accuracy]),
    params: model.parameters().map((p) => Array.from(p.values)),
    seen,
    forwards,
  };
}

describe('fit with capture', () => {
  it('trains as without it, bit for bit, with two batch shapes, on the cpu and wasm backends', async () => {
    const previous = getBackend();
    expect(await initWasmBackend()).toBe(true);
    try {
      for (const backend of ['cpu', 'wasm']) {
        setBackend(backend);
        const plain = await run(false);
        const captured = await run(true);
        expect(captured.losses).toEqual(plain.losses);
        expect(captured.params).toEqual(plain.params);
        expect(captured.seen).toEqual(plain.seen);
        expect(captured.seen).toHaveLength(12);
        // the modules ran once per batch shape (3 of 16 rows and 1 of 2 per epoch); replays did the rest
        expect(plain.forwards).toBe(12);
        expect(captured.forwards).toBe(2);
        expect(plain.losses[2][0]).toBeLessThan(plain.losses[0][0]);
      }
    } finally {
      setBackend(previous);
    }
  });

  it('refuses plugins that run between forward and backward, dropout, and a capture option that is not a boolean', async () => {
    const model = mlp();
    const base = { model, data: data(), loss: crossEntropy, epochs: 1, batchSize: 16 } as const;
    await expect(
      fit({ ...base, optimizer: adam(model.parameters()), plugins: [gradientAccumulation(2)], capture: true }),
    ).rejects.toThrow(
      /fit: capture replays forward, loss and backward as one step, but a plugin handles 'beforeBackward'/,
    );
    const spy: TrainPlugin = { name: 'spy', afterForward: () => {} };
    await expect(fit({ ...base, optimizer: adam(model.parameters()), plugins: [spy], capture: true })).rejects.toThrow(
      /'afterForward'/,
    );
    const withDropout = new Sequential(new Linear(12, 3), new Dropout(0.5));
    const dropoutRun = fit({
      ...base,
      model: withDropout,
      optimizer: adam(withDropout.parameters()),
      capture: true,
    });
    await expect(dropoutRun).rejects.toThrow(CaptureError);
    await expect(
      fit({ ...base, model: withDropout, optimizer: adam(withDropout.parameters()), capture: true }),
    ).rejects.toThrow(/fit: capture: Generator: cannot draw random numbers inside capture/);
    await expect(fit({ ...base, optimizer: adam(model.parameters()), capture: 'yes' as never })).rejects.toThrow(
      /fit: capture must be true or false/,
    );
  });

  it('works with a loss of two tensors computed from the output (mseLoss on a regression)', async () => {
    const results = [];
    for (const capture of [false, true]) {
      manualSeed(2);
      const model = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 1));
      manualSeed(3);
      const x = randn([40, 4]);
      const y = x.sum(1, true).mul(0.5);
      const { history } = await fit({
        model,
        data: { x, y },
        loss: mseLoss,
        optimizer: adam(model.parameters(), { lr: 1e-2 }),
        epochs: 4,
        batchSize: 8,
        capture,
      });
      results.push(history.map((h) => h.loss));
    }
    expect(results[1]).toEqual(results[0]);
  });
});
