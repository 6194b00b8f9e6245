import { type Tensor, tensor } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { stepContext } from '../context';
import type { Hyperparams } from '../types';
import { type AdamState, scaleByAdam } from './adam';

const hp = (extra: Partial<Hyperparams> = {}): Hyperparams => ({
  lr: 0.1,
  betas: [0.9, 0.999],
  eps: 1e-8,
  amsgrad: false,
  ...extra,
});

/** Run one update of a fresh or given state on gradient buffers, as the runtime would. */
function run(params: Tensor[], grads: (number[] | null)[], h: Hyperparams, state?: AdamState) {
  const rule = scaleByAdam();
  const s = state ?? rule.init(params, h);
  const updates = grads.map((g) => (g === null ? null : Float64Array.from(g)));
  rule.update(updates, s, stepContext(params, h));
  return { state: s, updates, rule };
}

const param = (values: number[]) => tensor(values, { dtype: 'float64', requiresGrad: true });

describe('scaleByAdam', () => {
  it('first step: m = (1-b1) g, v = (1-b2) g², update = g / (|g| + eps) after bias correction', () => {
    const p = param([0.5, -1, 2]);
    const { state, updates } = run([p], [[0.2, -3, 0]], hp());
    // m = 0.1 * g; v = 0.001 * g²; m̂ = g; √v / √(1 - 0.999) = |g|.
    expect(state.m[0][0]).toBeCloseTo(0.1 * 0.2, 15);
    expect(state.m[0][1]).toBeCloseTo(0.1 * -3, 15);
    expect(state.m[0][2]).toBe(0);
    expect(state.v[0][0]).toBeCloseTo(0.001 * 0.04, 16);
    expect(state.v[0][1]).toBeCloseTo(0.001 * 9, 15);
    expect(state.step).toEqual([1]);
    const u = updates[0]!;
    expect(u[0]).toBeCloseTo(0.2 / (0.2 + 1e-8), 14);
    expect(u[1]).toBeCloseTo(-3 / (3 + 1e-8), 14);
    expect(u[2]).toBe(0);
  });

  it('two steps by hand: eps is added after the bias correction, outside the sqrt', () => {
    const p = param([1]);
    const h = hp({ betas: [0.5, 0.75], eps: 0.1 });
    const first = run([p], [[2]], h);
    // step 1: m = 0.5*2 = 1, v = 0.25*4 = 1; m̂ = 1/0.5 = 2; √v/√(1-0.75) = 1/0.5 = 2; u = 2/(2+0.1)
    expect(first.updates[0]![0]).toBeCloseTo(2 / 2.1, 15);
    const u2 = [4];
    const updates = [Float64Array.from(u2)];
    first.rule.update(updates, first.state, stepContext([p], h));
    // step 2: m = 0.5*1 + 0.5*4 = 2.5; v = 0.75*1 + 0.25*16 = 4.75
    // m̂ = 2.5/(1-0.25) = 3.3333; √v/√(1-0.5625) = 2.17945/0.661438 = 3.29502; u = 3.3333/(3.29502+0.1)
    const expected = 2.5 / 0.75 / (Math.sqrt(4.75) / Math.sqrt(1 - 0.5625) + 0.1);
    expect(updates[0][0]).toBeCloseTo(expected, 14);
    expect(expected).toBeCloseTo(0.98181, 4);
  });

  it('amsgrad keeps the max of the un-corrected v and divides it by the current sqrt(1-b2^t)', () => {
    const p = param([1]);
    const h = hp({ betas: [0.5, 0.5], eps: 0, amsgrad: true });
    const { state, rule } = run([p], [[4]], h);
    // step 1: v = 0.5*16 = 8, vmax = 8
    expect(state.vmax[0]![0]).toBe(8);
    const updates = [Float64Array.from([0])];
    rule.update(updates, state, stepContext([p], h));
    // step 2: m = 0.5*2 + 0 = 1; v = 0.5*8 = 4 < vmax = 8 (kept, not bias corrected);
    // u = (1/(1-0.25)) / (√8/√(1-0.25)) = (4/3) / 3.26599 = 0.408248
    expect(state.v[0][0]).toBe(4);
    expect(state.vmax[0]![0]).toBe(8);
    expect(updates[0][0]).toBeCloseTo(1 / 0.75 / (Math.sqrt(8) / Math.sqrt(0.75)), 15);
  });

  it('skips null updates and does not advance their step counters', () => {
    const a = param([1, 2]);
    const b = param([3]);
    const { state, rule } = run([a, b], [[1, 1], null], hp());
    expect(state.step).toEqual([1, 0]);
    expect(Array.from(state.m[1])).toEqual([0]);
    rule.update([null, Float64Array.from([1])], state, stepContext([a, b], hp()));
    expect(state.step).toEqual([1, 1]);
  });

  it('reads betas, eps and amsgrad from the hyperparameters at every step', () => {
    const p = param([1]);
    const { state, rule } = run([p], [[1]], hp());
    expect(state.vmax[0]).toBeNull();
    const h2 = hp({ betas: [0.5, 0.5], eps: 1, amsgrad: true });
    const updates = [Float64Array.from([1])];
    rule.update(updates, state, stepContext([p], h2));
    // m = 0.5*0.1 + 0.5*1 = 0.55; v = 0.5*0.001 + 0.5 = 0.5005; vmax allocated now, = v
    expect(state.m[0][0]).toBeCloseTo(0.55, 15);
    expect(state.vmax[0]![0]).toBeCloseTo(0.5005, 15);
    expect(updates[0][0]).toBeCloseTo(0.55 / 0.75 / (Math.sqrt(0.5005) / Math.sqrt(0.75) + 1), 15);
  });

  it('biasCorrection: false (LAMB) uses m / (sqrt(v) + eps)', () => {
    const p = param([1]);
    const { updates } = run([p], [[2]], hp({ biasCorrection: false, eps: 0 }));
    // m = 0.2, v = 0.004: u = 0.2 / 0.0632456
    expect(updates[0]![0]).toBeCloseTo(0.2 / Math.sqrt(0.004), 14);
  });

  it('keeps its moments in the parameter dtype', () => {
    const p = tensor([1, 2], { dtype: 'float32', requiresGrad: true });
    const rule = scaleByAdam();
    const state = rule.init([p], hp({ amsgrad: true }));
    expect(state.m[0]).toBeInstanceOf(Float32Array);
    expect(state.v[0]).toBeInstanceOf(Float32Array);
    expect(state.vmax[0]).toBeInstanceOf(Float32Array);
  });
});
