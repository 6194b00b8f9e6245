import {
  CaptureError,
  capture,
  getBackend,
  IndexError,
  initWasmBackend,
  manualSeed,
  randint,
  randn,
  setBackend,
  type Tensor,
  tensor,
  tidy,
  zeros,
} from '@nablajs/core';
import { CrossEntropyLoss, crossEntropy, Dropout, Linear, ReLU, Sequential } from '@nablajs/nn';
import { adam } from '@nablajs/optim-adam';
import { describe, expect, it } from 'vitest';

// capture() with the packages a training step uses: a Sequential MLP, the cross-entropy (whose class picks a
// host task computes, again on every replay), backward and Adam after each replay.

function mlp(): Sequential {
  manualSeed(7);
  return new Sequential(new Linear(20, 16), new ReLU(), new Linear(16, 12), new ReLU(), new Linear(12, 4));
}

function batches(n: number, ignore = false): { x: Tensor; y: Tensor }[] {
  return Array.from({ length: n }, (_, i) => {
    manualSeed(100 + i);
    const y = randint(0, 4, [8], { dtype: 'int32' });
    if (ignore) y.values[i % 8] = -100;
    return { x: randn([8, 20]), y };
  });
}

/** capture() of a cross-entropy step of `model`: clear the gradients, forward, loss, backward. */
function captureStep(model: Sequential, clear: () => void, x: Tensor, y: Tensor) {
  return capture(
    (input, target) => {
      clear();
      const loss = crossEntropy(model.forward(input), target);
      loss.backward();
      return loss;
    },
    [x, y],
  );
}

async function onBackends(run: () => void): Promise<void> {
  const previous = getBackend();
  expect(await initWasmBackend()).toBe(true);
  try {
    for (const backend of ['cpu', 'wasm']) {
      setBackend(backend);
      run();
    }
  } finally {
    setBackend(previous);
  }
}

describe('capture of a training step', () => {
  it('trains as eager code does, bit for bit: Sequential, crossEntropy (weights, ignoreIndex), Adam', async () => {
    await onBackends(() => {
      const data = batches(6, true);
      const lossFn = new CrossEntropyLoss({ weight: tensor([1, 2, 0.5, 1]) });
      const eager = mlp();
      const eagerOpt = adam(eager.parameters(), { lr: 1e-2 });
      const expected = data.map(({ x, y }) =>
        tidy(() => {
          eagerOpt.zeroGrad();
          const loss = lossFn.forward(eager.forward(x), y);
          loss.backward();
          eagerOpt.step();
          return loss.item();
        }),
      );
      const model = mlp();
      const opt = adam(model.parameters(), { lr: 1e-2 });
      const [x0, y0] = [zeros([8, 20]), zeros([8], { dtype: 'int32' })];
      const step = capture(
        (x, y) => {
          opt.zeroGrad();
          const loss = lossFn.forward(model.forward(x), y);
          loss.backward();
          return loss;
        },
        [x0, y0],
      );
      const got = data.map(({ x, y }) => {
        const loss = step.replay(x, y).item();
        opt.step();
        return loss;
      });
      expect(got).toEqual(expected);
      const a = eager.parameters().map((p) => Array.from(p.values));
      const b = model.parameters().map((p) => Array.from(p.values));
      expect(b).toEqual(a);
      step.dispose();
    });
  });

  it('checks the targets again on every replay, and refuses a batch that needs another computation', async () => {
    await onBackends(() => {
      const model = mlp();
      const [x0, y0] = [randn([8, 20]), tensor([0, 1, 2, 3, 0, 1, 2, 3], { dtype: 'int32' })];
      const step = captureStep(model, () => model.zeroGrad(), x0, y0);
      expect(() => step.replay(x0, tensor([0, 1, 2, 9, 0, 1, 2, 3], { dtype: 'int32' }))).toThrow(IndexError);
      expect(() => step.replay(x0, tensor([0, 1, 2, 9, 0, 1, 2, 3], { dtype: 'int32' }))).toThrow(
        /crossEntropy: target 9 is out of range for 4 classes/,
      );
      // every target ignored: the mean is 0/0, which the captured (fused) computation does not do as PyTorch
      const allIgnored = tensor(new Array(8).fill(-100), { dtype: 'int32' });
      expect(() => step.replay(x0, allIgnored)).toThrow(CaptureError);
      expect(() => step.replay(x0, allIgnored)).toThrow(/crossEntropy: this batch needs another computation/);
      // and a good batch afterwards replays as eager code computes it
      const y = tensor([3, 3, 2, 2, 1, 1, 0, 0], { dtype: 'int32' });
      const l = step.replay(x0, y).item();
      model.zeroGrad();
      expect(crossEntropy(model.forward(x0), y).item()).toBe(l);
      step.dispose();
    });
  });

  it('runs the loop of docs/guides/performance.md (capturing a step), and the loss goes down', () => {
    const model = mlp();
    const opt = adam(model.parameters(), { lr: 1e-2 });
    const x = zeros([8, 20]);
    const y = zeros([8], { dtype: 'int32' });
    const step = captureStep(model, () => opt.zeroGrad(), x, y);
    opt.step();
    const [batch] = batches(1);
    const losses: number[] = [];
    for (let i = 0; i < 30; i++) {
      const loss = step.replay(batch.x, batch.y);
      opt.step();
      losses.push(loss.item());
    }
    expect(losses[29]).toBeLessThan(0.5 * losses[0]);
    step.dispose();
    expect(() => step.replay()).toThrow(CaptureError);
  });

  it("refuses an optimizer step and dropout's random mask inside the capture", () => {
    const model = mlp();
    const opt = adam(model.parameters(), { lr: 1e-2 });
    const x = randn([8, 20]);
    const y = randint(0, 4, [8], { dtype: 'int32' });
    expect(() =>
      capture(() => {
        opt.zeroGrad();
        crossEntropy(model.forward(x), y).backward();
        opt.step();
      }),
    ).toThrow(/Adam\.step: cannot run inside capture\(\)/i);
    const withDropout = new Sequential(new Linear(20, 4), new Dropout(0.5));
    expect(() => capture(() => withDropout.forward(x))).toThrow(/cannot draw random numbers inside capture/);
    withDropout.eval();
    const step = capture(() => withDropout.forward(x));
    expect(Array.from(step.replay().values)).toEqual(Array.from(withDropout.forward(x).values));
  });
});
