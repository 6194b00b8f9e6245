// Training memory is flat: 20,000 steps grow the heap by less than 10 MB (issue 5).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Generator, randn, type Tensor } from '@nablajs/core';
import { Linear, mseLoss, ReLU, Sequential } from '@nablajs/nn';
import { adam } from '@nablajs/optim-adam';
import { fit } from '@nablajs/train';
import { describe, expect, it } from 'vitest';

/** The garbage collector: `global.gc` under `--expose-gc`, else exposed at run time through a fresh V8 context. */
function collector(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (typeof exposed === 'function') return exposed;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

describe('training memory', () => {
  it('20,000 steps of Linear 10 -> 20 -> 1 with Adam, batch 8, grow the heap by less than 10 MB', async () => {
    const gc = collector();
    const heap = () => {
      gc();
      gc();
      return process.memoryUsage().heapUsed;
    };
    const gen = new Generator(0);
    const x = randn([800, 10], { generator: gen });
    const y = randn([800, 1], { generator: gen });
    const model = new Sequential(
      new Linear(10, 20, { generator: gen }),
      new ReLU(),
      new Linear(20, 1, { generator: gen }),
    );
    const warmup = 1_000;
    const steps = 20_000;
    let before = 0;
    let after = 0;
    const start = performance.now();
    // biome-ignore lint/suspicious/noFocusedTests: fit is nabla's training loop, not a focused test
    const { history } = await fit({
      model,
      data: { x, y },
      batchSize: 8,
      shuffle: true,
      generator: gen,
      loss: (out: Tensor, t: Tensor) => mseLoss(out, t),
      optimizer: adam(model.parameters(), { lr: 1e-3 }),
      epochs: (warmup + steps) / 100,
      plugins: [
        {
          name: 'heap',
          batchEnd(ctx) {
            // Measured inside one run, at the same point of a batch: only what training accumulates counts.
            if (ctx.globalStep === warmup) before = heap();
            if (ctx.globalStep === warmup + steps) after = heap();
          },
        },
      ],
    });
    const seconds = (performance.now() - start) / 1000;
    const growth = (after - before) / 2 ** 20;
    console.log(`memory: ${steps} steps grew the heap by ${growth.toFixed(3)} MB in ${seconds.toFixed(1)} s`);
    expect(history).toHaveLength(210);
    expect(history[209].loss).toBeLessThan(history[0].loss);
    expect(before).toBeGreaterThan(0);
    expect(after).toBeGreaterThan(0);
    expect(growth).toBeLessThan(10);
  });
});
