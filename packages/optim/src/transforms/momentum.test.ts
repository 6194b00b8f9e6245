import { type Tensor, tensor } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { stepContext } from '../context';
import type { Hyperparams, StepContext } from '../types';
import { traceMomentum } from './momentum';

const params = (...sizes: number[]): Tensor[] => sizes.map((n) => tensor(new Float64Array(n)));
const ctxOf = (ps: Tensor[], hp: Partial<Hyperparams>): StepContext => stepContext(ps, { lr: 0.1, ...hp });

describe('traceMomentum', () => {
  it('starts the buffer at the gradient itself, without the (1 - dampening) factor', () => {
    const ps = params(2);
    const rule = traceMomentum();
    const state = rule.init(ps, { lr: 0.1 });
    expect(state.momentumBuffer).toEqual([null]);
    const u = new Float64Array([1, -2]);
    rule.update([u], state, ctxOf(ps, { momentum: 0.9, dampening: 0.5 }));
    expect(Array.from(state.momentumBuffer[0]!)).toEqual([1, -2]);
    expect(Array.from(u)).toEqual([1, -2]);
  });

  it('then accumulates buf = momentum * buf + (1 - dampening) * g', () => {
    const ps = params(1);
    const rule = traceMomentum();
    const state = rule.init(ps, { lr: 0.1 });
    const ctx = ctxOf(ps, { momentum: 0.9, dampening: 0.5 });
    rule.update([new Float64Array([2])], state, ctx);
    const u = new Float64Array([4]);
    rule.update([u], state, ctx);
    expect(u[0]).toBeCloseTo(0.9 * 2 + 0.5 * 4, 15);
    expect(state.momentumBuffer[0]![0]).toBeCloseTo(3.8, 15);
  });

  it('nesterov: u = g + momentum * buf, with the buffer already updated', () => {
    const ps = params(1);
    const rule = traceMomentum();
    const state = rule.init(ps, { lr: 0.1 });
    const ctx = ctxOf(ps, { momentum: 0.5, nesterov: true });
    const u1 = new Float64Array([2]);
    rule.update([u1], state, ctx);
    expect(u1[0]).toBe(2 + 0.5 * 2);
    const u2 = new Float64Array([1]);
    rule.update([u2], state, ctx);
    // buf = 0.5 * 2 + 1 = 2; u = 1 + 0.5 * 2
    expect(u2[0]).toBe(2);
  });

  it('passes the updates through while momentum is 0, and starts from the gradient once it is not', () => {
    const ps = params(1);
    const rule = traceMomentum();
    const state = rule.init(ps, { lr: 0.1 });
    const u = new Float64Array([3]);
    rule.update([u], state, ctxOf(ps, { momentum: 0 }));
    expect(u[0]).toBe(3);
    expect(state.momentumBuffer[0]).toBeNull();
    const v = new Float64Array([5]);
    rule.update([v], state, ctxOf(ps, { momentum: 0.9 }));
    expect(v[0]).toBe(5);
    expect(state.momentumBuffer[0]![0]).toBe(5);
  });

  it('reads momentum at every step', () => {
    const ps = params(1);
    const rule = traceMomentum();
    const state = rule.init(ps, { lr: 0.1 });
    rule.update([new Float64Array([1])], state, ctxOf(ps, { momentum: 0.9 }));
    const u = new Float64Array([1]);
    rule.update([u], state, ctxOf(ps, { momentum: 0.5 }));
    expect(u[0]).toBe(1.5);
  });

  it('skips parameters without a gradient and keeps per-parameter buffers', () => {
    const ps = params(1, 2);
    const rule = traceMomentum();
    const state = rule.init(ps, { lr: 0.1 });
    rule.update([null, new Float64Array([1, 1])], state, ctxOf(ps, { momentum: 0.9 }));
    expect(state.momentumBuffer[0]).toBeNull();
    expect(state.momentumBuffer[1]).toBeInstanceOf(Float64Array);
  });

  it("allocates the buffer with the parameter's dtype once, then reuses it", () => {
    const ps = [tensor(new Float32Array(2))];
    const rule = traceMomentum();
    const state = rule.init(ps, { lr: 0.1 });
    const ctx = ctxOf(ps, { momentum: 0.9 });
    rule.update([new Float32Array([1, 2])], state, ctx);
    const buf = state.momentumBuffer[0];
    expect(buf).toBeInstanceOf(Float32Array);
    rule.update([new Float32Array([1, 2])], state, ctx);
    expect(state.momentumBuffer[0]).toBe(buf);
  });
});
