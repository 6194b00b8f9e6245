import { type Tensor, tensor } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { stepContext } from '../context';
import type { Hyperparams, StepContext } from '../types';
import { scaleByRms } from './rms';

const params = (...sizes: number[]): Tensor[] => sizes.map((n) => tensor(new Float64Array(n)));
const base = { lr: 0.01, alpha: 0.99, eps: 1e-8, momentum: 0, centered: false };
const ctxOf = (ps: Tensor[], hp: Partial<Hyperparams> = {}): StepContext => stepContext(ps, { ...base, ...hp });

describe('scaleByRms', () => {
  it('scales by sqrt(v) + eps with v = alpha * v + (1 - alpha) * g², no bias correction', () => {
    const ps = params(2);
    const rule = scaleByRms();
    const state = rule.init(ps, ctxOf(ps).hp);
    expect(state.gradAvg).toEqual([null]);
    expect(state.momentumBuffer).toEqual([null]);
    const u = new Float64Array([2, -0.5]);
    rule.update([u], state, ctxOf(ps));
    const v0 = (1 - 0.99) * 2 * 2;
    const v1 = (1 - 0.99) * 0.5 * 0.5;
    expect(state.step).toEqual([1]);
    expect(state.squareAvg[0][0]).toBe(v0);
    expect(u[0]).toBeCloseTo(2 / (Math.sqrt(v0) + 1e-8), 12);
    expect(u[1]).toBeCloseTo(-0.5 / (Math.sqrt(v1) + 1e-8), 12);
  });

  it('puts eps outside the square root', () => {
    const ps = params(1);
    const rule = scaleByRms();
    const state = rule.init(ps, ctxOf(ps).hp);
    const u = new Float64Array([1e-3]);
    rule.update([u], state, ctxOf(ps, { alpha: 0, eps: 1e-3 }));
    expect(u[0]).toBeCloseTo(1e-3 / (1e-3 + 1e-3), 14);
  });

  it('centered: divides by sqrt(v - ga²) + eps', () => {
    const ps = params(1);
    const rule = scaleByRms();
    const hp = ctxOf(ps, { alpha: 0.5, centered: true });
    const state = rule.init(ps, hp.hp);
    expect(state.gradAvg[0]).toBeInstanceOf(Float64Array);
    rule.update([new Float64Array([2])], state, hp); // v = 2, ga = 1
    const u = new Float64Array([4]);
    rule.update([u], state, hp); // v = 1 + 8 = 9, ga = 0.5 + 2 = 2.5
    expect(state.gradAvg[0]![0]).toBe(2.5);
    expect(u[0]).toBeCloseTo(4 / (Math.sqrt(9 - 6.25) + 1e-8), 12);
  });

  it("keeps RMSprop's own momentum buffer, which starts at zero", () => {
    const ps = params(1);
    const rule = scaleByRms();
    const hp = ctxOf(ps, { alpha: 0, eps: 0, momentum: 0.9 });
    const state = rule.init(ps, hp.hp);
    const u1 = new Float64Array([3]);
    rule.update([u1], state, hp);
    expect(u1[0]).toBe(1); // buf = 0.9 * 0 + 3 / 3
    const u2 = new Float64Array([-2]);
    rule.update([u2], state, hp);
    expect(u2[0]).toBeCloseTo(0.9 - 1, 15);
    expect(state.momentumBuffer[0]![0]).toBeCloseTo(-0.1, 15);
  });

  it('allocates the centered and momentum buffers (as zeros) at the first step that needs them', () => {
    const ps = params(1);
    const rule = scaleByRms();
    const state = rule.init(ps, ctxOf(ps).hp);
    rule.update([new Float64Array([1])], state, ctxOf(ps, { alpha: 0 }));
    expect(state.gradAvg[0]).toBeNull();
    expect(state.momentumBuffer[0]).toBeNull();
    const u = new Float64Array([2]);
    rule.update([u], state, ctxOf(ps, { alpha: 0.5, eps: 0, momentum: 0.5, centered: true }));
    // v = 0.5 * 1 + 0.5 * 4 = 2.5; ga = 0 * 0.5 + 0.5 * 2 = 1 (from zero); buf = 0 * 0.5 + 2 / sqrt(1.5)
    expect(state.gradAvg[0]![0]).toBe(1);
    expect(u[0]).toBeCloseTo(2 / Math.sqrt(1.5), 15);
    expect(state.momentumBuffer[0]![0]).toBe(u[0]);
  });

  it('skips parameters without a gradient: their step does not advance', () => {
    const ps = params(1, 1);
    const rule = scaleByRms();
    const state = rule.init(ps, ctxOf(ps).hp);
    rule.update([new Float64Array([1]), null], state, ctxOf(ps));
    expect(state.step).toEqual([1, 0]);
    expect(state.squareAvg[1][0]).toBe(0);
  });

  it("reads alpha and eps at every step and keeps state in the parameter's dtype", () => {
    const ps = [tensor(new Float32Array(1))];
    const rule = scaleByRms();
    const state = rule.init(ps, ctxOf(ps).hp);
    expect(state.squareAvg[0]).toBeInstanceOf(Float32Array);
    rule.update([new Float32Array([1])], state, ctxOf(ps, { alpha: 0.5 }));
    expect(state.squareAvg[0][0]).toBe(0.5);
    rule.update([new Float32Array([1])], state, ctxOf(ps, { alpha: 0 }));
    expect(state.squareAvg[0][0]).toBe(1);
  });
});
