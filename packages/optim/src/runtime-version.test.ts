import { SavedTensorModifiedError, tensor } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { chain } from './chain';
import { defineOptimizer } from './define';
import { emaWeights } from './ema';
import { scaleByLearningRate } from './transforms/basic';

const plainSgd = defineOptimizer({ name: 'versionTestSgd', defaults: { lr: 0.1 }, rule: chain(scaleByLearningRate()) });

describe('the runtime counts its writes into the parameters (version counters)', () => {
  it('steps bump every parameter version, and training keeps working', () => {
    const w = tensor([1, -2], { requiresGrad: true, dtype: 'float64' });
    const opt = plainSgd([w]);
    for (let i = 0; i < 3; i++) {
      opt.zeroGrad();
      w.mul(w).sum().backward();
      opt.step();
    }
    expect(w.version).toBe(3);
    expect(Array.from(w.values)).toEqual([0.8 ** 3, -2 * 0.8 ** 3].map((v) => expect.closeTo(v, 14)));
  });

  it('a graph that saved a parameter before step() cannot be backpropagated after it', () => {
    const w = tensor([1, -2], { requiresGrad: true, dtype: 'float64' });
    const opt = plainSgd([w]);
    w.mul(w).sum().backward();
    const stale = w.mul(w).sum();
    opt.step();
    const err = (() => {
      try {
        stale.backward();
      } catch (e) {
        return e;
      }
      return null;
    })() as SavedTensorModifiedError;
    expect(err).toBeInstanceOf(SavedTensorModifiedError);
    expect([err.op, err.savedVersion, err.version]).toEqual(['mul', 0, 1]);
  });

  it('zeroGrad(false) and EMA swaps count as writes too', () => {
    const w = tensor([1, 2], { requiresGrad: true });
    const opt = plainSgd([w]);
    w.mul(w).sum().backward();
    const g = w.grad;
    opt.zeroGrad(false);
    expect(g?.version).toBe(1);
    const ema = emaWeights([w], { decay: 0.5 });
    ema.update();
    const before = w.version;
    ema.swap();
    expect(w.version).toBe(before + 1);
  });
});
