import { describe, expect, it } from 'vitest';
import { ValueError } from '../../errors';
import { lookaheadSyncKernel } from './optim-lookahead';

describe("Lookahead's sync kernel", () => {
  it('moves the slow weights toward the fast ones, rounded once from doubles, and restarts the fast ones there', () => {
    const p = Float32Array.from([0.81, -3]);
    const slow = Float32Array.from([1, 2]);
    lookaheadSyncKernel(p, slow, 0.3);
    const expected = [Math.fround(1 + 0.3 * (Math.fround(0.81) - 1)), Math.fround(2 + 0.3 * (-3 - 2))];
    expect(Array.from(slow)).toEqual(expected);
    expect(Array.from(p)).toEqual(expected);
    // in float64 the same formula, unrounded
    const p64 = Float64Array.from([0.81]);
    const s64 = Float64Array.from([1]);
    lookaheadSyncKernel(p64, s64, 0.5);
    expect(s64[0]).toBe(1 + 0.5 * (0.81 - 1));
    expect(p64[0]).toBe(s64[0]);
  });

  it('refuses slow weights of another length, naming the kernel, and writes nothing', () => {
    const p = Float32Array.from([1, 2]);
    const slow = Float32Array.from([3]);
    expect(() => lookaheadSyncKernel(p, slow, 0.5)).toThrow(ValueError);
    expect(() => lookaheadSyncKernel(p, slow, 0.5)).toThrow('lookaheadSyncKernel: slow has 1 elements, param has 2');
    expect(Array.from(p)).toEqual([1, 2]);
    expect(Array.from(slow)).toEqual([3]);
  });
});
