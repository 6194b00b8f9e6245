import { Generator, gradients, manualSeed, ones, tensor, ValueError } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { randomTensor, snapshot } from '../losses/test-utils';
import { dropout } from './dropout';

describe('dropout', () => {
  it('zeroes about p of the elements and scales the rest by 1 / (1 - p)', () => {
    const y = dropout(ones([10000], { dtype: 'float64' }), 0.2, true, new Generator(0));
    const values = Array.from(y.data);
    expect(values.every((v) => v === 0 || v === 1.25)).toBe(true);
    const dropped = values.filter((v) => v === 0).length / values.length;
    expect(Math.abs(dropped - 0.2)).toBeLessThan(0.02);
  });

  it('gives the same mask for the same seed and a different one for another seed', () => {
    const x = ones([64]);
    const a = Array.from(dropout(x, 0.5, true, new Generator(7)).data);
    const b = Array.from(dropout(x, 0.5, true, new Generator(7)).data);
    const c = Array.from(dropout(x, 0.5, true, new Generator(8)).data);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    manualSeed(3);
    const d = Array.from(dropout(x).data);
    manualSeed(3);
    expect(Array.from(dropout(x).data)).toEqual(d);
  });

  it('is the identity outside training and with p = 0, and all zeros with p = 1', () => {
    const x = randomTensor([3, 4], new Generator(1));
    expect(dropout(x, 0.5, false)).toBe(x);
    expect(dropout(x, 0, true)).toBe(x);
    expect(Array.from(dropout(x, 1, true, new Generator(1)).data).every((v) => v === 0)).toBe(true);
  });

  it('sends the gradient through the kept elements, scaled', () => {
    const x = randomTensor([200], new Generator(2), { requiresGrad: true });
    const y = dropout(x, 0.3, true, new Generator(5));
    const [g] = gradients([y.sum()], [x]);
    for (let i = 0; i < x.size; i++) {
      const kept = y.data[i] !== 0;
      expect(g?.data[i]).toBeCloseTo(kept ? 1 / 0.7 : 0, 12);
      if (kept) expect(y.data[i]).toBeCloseTo(x.data[i] / 0.7, 12);
    }
  });

  it('does not mutate its input', () => {
    const x = randomTensor([50], new Generator(3));
    const unchanged = snapshot(x);
    dropout(x, 0.5, true, new Generator(0));
    unchanged();
  });

  it('rejects p outside [0, 1] and integer input', () => {
    expect(() => dropout(ones([2]), -0.1)).toThrow(ValueError);
    expect(() => dropout(ones([2]), -0.1)).toThrow('dropout: p must be in [0, 1], got -0.1');
    expect(() => dropout(ones([2]), 1.5)).toThrow(/got 1.5/);
    expect(() => dropout(ones([2]), Number.NaN)).toThrow(/got NaN/);
    expect(() => dropout(tensor([1, 2], { dtype: 'int32' }), 0.5)).toThrow(
      /dropout: input must be a float32 or float64 tensor/,
    );
  });
});
