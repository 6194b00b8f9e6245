// fit() with optimizers beyond per-step elementwise rules: a closure rule (re-evaluates within a step) and a
// rule with train and eval points (switched around validation, checkpoints and at the end of training).
import { manualSeed, type Tensor, tensor } from '@nablajs/core';
import { Linear, mseLoss } from '@nablajs/nn';
import { chain, defineOptimizer, scaleByLearningRate, type UpdateRule } from '@nablajs/optim';
import { describe, expect, it } from 'vitest';
import type { Batch } from './batches';
import { captureCheckpoint } from './capture-checkpoint';
import { fit } from './fit';
import { restoreCheckpoint } from './restore-checkpoint';
import type { TrainPlugin } from './types';

function data(n: number): Batch[] {
  const xs = Array.from({ length: n }, (_, i) => -1 + (2 * i) / (n - 1));
  const x = tensor(xs.map((v) => [v]));
  const y = tensor(xs.map((v) => [2 * v + 1]));
  return [0, 2, 4]
    .filter((s) => s < n)
    .map((s) => [x.slice([[s, Math.min(s + 2, n)]]), y.slice([[s, Math.min(s + 2, n)]])]);
}

function model(): Linear {
  manualSeed(3);
  return new Linear(1, 1);
}

/** Extragradient: the update uses the gradient at p - 0.5·lr·g (one re-evaluation per step). */
const extragradientRule: UpdateRule<{ saved: Float64Array[] }> = {
  init: (params) => ({ saved: params.map((p) => new Float64Array(p.size)) }),
  couples: { closure: true, global: true },
  passes: [
    (updates, state, ctx) => {
      ctx.params.forEach((p, i) => {
        const u = updates[i];
        if (u === null) return;
        state.saved[i].set(p.data);
        for (let j = 0; j < u.length; j++) p.data[j] -= 0.5 * ctx.hp.lr * u[j];
      });
    },
    (updates, state, ctx) => {
      if (ctx.groupIndex === 0) ctx.evaluate();
      ctx.params.forEach((p, i) => {
        const u = updates[i];
        if (u === null || p.grad === null) return;
        p.data.set(state.saved[i]);
        u.set(p.grad.data);
      });
    },
  ],
  update(updates, _state, ctx) {
    for (const u of updates) if (u !== null) for (let j = 0; j < u.length; j++) u[j] *= -ctx.hp.lr;
  },
};
const extragradient = defineOptimizer({ name: 'extragradient', defaults: { lr: 0.1 }, rule: extragradientRule });

/** SGD at the train point; the eval point is the parameters plus a fixed offset (easy to recognise). */
function offsetRule(offset: number): UpdateRule<null> {
  return {
    init: () => null,
    couples: { trainEval: true },
    update(updates, _s, ctx) {
      for (const u of updates) if (u !== null) for (let j = 0; j < u.length; j++) u[j] *= -ctx.hp.lr;
    },
    setMode(mode, _s, ctx) {
      const d = mode === 'eval' ? offset : -offset;
      for (const p of ctx.params) for (let j = 0; j < p.size; j++) p.data[j] += d;
    },
  };
}
const twoPoint = defineOptimizer({ name: 'twoPoint', defaults: { lr: 0.1 }, rule: chain(offsetRule(0.5)) });
const plainSgd = defineOptimizer({ name: 'plainSgd', defaults: { lr: 0.1 }, rule: scaleByLearningRate() });

describe('fit with a closure rule', () => {
  it('passes a closure; the first evaluation reuses the loop forward pass, so a step costs two passes', async () => {
    const m = model();
    let forwards = 0;
    const counting = {
      ...m,
      parameters: () => m.parameters(),
      train: (on?: boolean) => m.train(on),
      eval: () => m.eval(),
      forward: (x: Tensor) => {
        forwards++;
        return m.forward(x);
      },
    } as unknown as Linear;
    const opt = extragradient(m.parameters());
    expect(opt.requiresClosure).toBe(true);
    const history = await fit({ model: counting, data: data(6), loss: mseLoss, optimizer: opt, epochs: 2 });
    expect(forwards).toBe(2 * 3 * 2); // 2 epochs x 3 batches x (loop's forward + one re-evaluation)
    expect(history.history[1].loss).toBeLessThan(history.history[0].loss);
  });
});

describe('fit with a two-point rule', () => {
  it('trains at the train point, validates at the eval point, and ends at the eval point', async () => {
    const m = model();
    const opt = twoPoint(m.parameters());
    const seen: string[] = [];
    const probe: TrainPlugin = {
      name: 'probe',
      batchStart: () => {
        seen.push(`batch:${opt.mode}`);
      },
      validationStart: () => {
        seen.push(`validation:${opt.mode}`);
      },
      epochEnd: () => {
        seen.push(`epochEnd:${opt.mode}`);
      },
      trainEnd: () => {
        seen.push(`trainEnd:${opt.mode}`);
      },
    };
    await fit({
      model: m,
      data: data(4),
      validation: data(4),
      loss: mseLoss,
      optimizer: opt,
      epochs: 2,
      plugins: [probe],
    });
    expect(seen).toEqual([
      'batch:train',
      'batch:train',
      'validation:eval',
      'epochEnd:eval',
      'batch:train',
      'batch:train',
      'validation:eval',
      'epochEnd:eval',
      'trainEnd:eval',
    ]);
    expect(opt.mode).toBe('eval');
  });

  it('matches plain SGD at the train point, offset at the eval point', async () => {
    const a = model();
    const b = model();
    const opt = twoPoint(a.parameters());
    await fit({ model: a, data: data(6), validation: data(4), loss: mseLoss, optimizer: opt, epochs: 3 });
    await fit({ model: b, data: data(6), loss: mseLoss, optimizer: plainSgd(b.parameters()), epochs: 3 });
    a.parameters().forEach((p, i) => {
      const q = b.parameters()[i];
      for (let j = 0; j < p.size; j++) expect(p.data[j]).toBeCloseTo(q.data[j] + 0.5, 6);
    });
  });

  it('a checkpoint taken in train mode holds the eval point; restored, the run continues identically', async () => {
    const a = model();
    const optA = twoPoint(a.parameters());
    await fit({ model: a, data: data(6), loss: mseLoss, optimizer: optA, epochs: 1 });
    optA.train();
    const trainPoint = a.parameters().map((p) => Array.from(p.data));
    const ckpt = captureCheckpoint({ model: a, optimizer: optA }, { epoch: 1, globalStep: 3 });
    expect(optA.mode).toBe('train');
    expect(a.parameters().map((p) => Array.from(p.data))).toEqual(trainPoint);
    expect(ckpt.optimizer?.mode).toBe('eval');
    const b = model();
    const optB = twoPoint(b.parameters());
    restoreCheckpoint(ckpt, { model: b, optimizer: optB });
    expect(optB.mode).toBe('eval');
    await fit({ model: a, data: data(6), loss: mseLoss, optimizer: optA, epochs: 2, initialEpoch: 1 });
    await fit({ model: b, data: data(6), loss: mseLoss, optimizer: optB, epochs: 2, initialEpoch: 1 });
    expect(b.parameters().map((p) => Array.from(p.data))).toEqual(a.parameters().map((p) => Array.from(p.data)));
  });
});
