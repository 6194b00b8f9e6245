import {
  DTypeError,
  Generator,
  gradcheck,
  gradgradcheck,
  gradients,
  manualSeed,
  ones,
  ShapeError,
  type Tensor,
  tensor,
  ValueError,
} from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { randomTensor, snapshot } from '../losses/test-utils';
import { dropout2d } from './dropout2d';

/** The factor each channel `[n, c]` of `y = dropout2d(x)` was multiplied by, checking it is one per channel. */
function channelFactors(x: Tensor, y: Tensor): number[] {
  const [n, c] = x.shape;
  const plane = x.size / (n * c);
  const factors: number[] = [];
  let worst = 0;
  for (let k = 0; k < n * c; k++) {
    const f = y.values[k * plane] / x.values[k * plane];
    for (let i = 1; i < plane; i++)
      worst = Math.max(worst, Math.abs(y.values[k * plane + i] - f * x.values[k * plane + i]));
    factors.push(f);
  }
  expect(worst).toBeLessThan(1e-12);
  return factors;
}

describe('dropout2d', () => {
  it('zeroes whole channels, about p of them, and scales the others by 1 / (1 - p)', () => {
    for (const p of [0.2, 0.5, 0.7]) {
      const x = ones([64, 64, 3, 2], { dtype: 'float64' });
      const y = dropout2d(x, p, true, new Generator(1));
      const factors = channelFactors(x, y);
      expect(factors.every((f) => f === 0 || f === 1 / (1 - p))).toBe(true);
      const dropped = factors.filter((f) => f === 0).length / factors.length;
      // 4096 channels: the standard deviation of the fraction is at most 0.008
      expect(Math.abs(dropped - p)).toBeLessThan(0.035);
      let mean = 0;
      for (const v of y.values) mean += v / y.size;
      expect(Math.abs(mean - 1)).toBeLessThan(0.1);
    }
  });

  it('reads a 3-D input as [N, C, L], as PyTorch 1.13 does: each row x[n, c] is dropped whole', () => {
    const x = randomTensor([16, 8, 5], new Generator(2));
    const y = dropout2d(x, 0.5, true, new Generator(3));
    const factors = channelFactors(x, y);
    expect(factors.length).toBe(128);
    expect(factors.every((f) => Math.abs(f) < 1e-15 || Math.abs(f - 2) < 1e-12)).toBe(true);
    expect(factors.some((f) => f === 0)).toBe(true);
    expect(factors.some((f) => f !== 0)).toBe(true);
  });

  it('draws one uniform per channel in (n, c) order: the same mask for the same seed on every call', () => {
    const x = ones([3, 5, 2, 2]);
    const a = Array.from(dropout2d(x, 0.4, true, new Generator(7)).values);
    const b = Array.from(dropout2d(x, 0.4, true, new Generator(7)).values);
    const c = Array.from(dropout2d(x, 0.4, true, new Generator(8)).values);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    const g = new Generator(9);
    const y = dropout2d(x, 0.4, true, g);
    const reference = new Generator(9);
    for (let k = 0; k < 15; k++) expect(y.values[k * 4]).toBe(reference.uniform() < 0.6 ? Math.fround(1 / 0.6) : 0);
    expect(g.uniform()).toBe(reference.uniform());
    manualSeed(11);
    const d = Array.from(dropout2d(x).values);
    manualSeed(11);
    expect(Array.from(dropout2d(x).values)).toEqual(d);
  });

  it('is the identity outside training and with p = 0, and all zeros with p = 1', () => {
    const x = randomTensor([2, 3, 4, 4], new Generator(4));
    expect(dropout2d(x, 0.5, false)).toBe(x);
    expect(dropout2d(x, 0, true)).toBe(x);
    expect(Array.from(dropout2d(x, 1, true, new Generator(5)).values).every((v) => v === 0)).toBe(true);
  });

  it('keeps the dtype and does not mutate its input', () => {
    const x = randomTensor([2, 3, 2, 2], new Generator(6), { dtype: 'float32' });
    const unchanged = snapshot(x);
    expect(dropout2d(x, 0.5, true, new Generator(0)).dtype).toBe('float32');
    unchanged();
  });

  it('sends the gradient through the kept channels, scaled, and passes gradcheck and gradgradcheck', () => {
    const x = randomTensor([4, 6, 2, 3], new Generator(7), { requiresGrad: true });
    const y = dropout2d(x, 0.3, true, new Generator(5));
    const [g] = gradients([y.sum()], [x]);
    for (let i = 0; i < x.size; i++) {
      const kept = y.values[i] !== 0;
      expect((g as Tensor).values[i]).toBeCloseTo(kept ? 1 / 0.7 : 0, 12);
    }
    // a fresh generator per call: the same mask at every finite-difference point
    const f = (t: Tensor) => dropout2d(t, 0.3, true, new Generator(5));
    expect(gradcheck(f, [x])).toBe(true);
    expect(gradgradcheck(f, [x])).toBe(true);
  });

  it('rejects p outside [0, 1], ranks other than 3 and 4, and integer input', () => {
    const x = ones([2, 3, 2, 2]);
    expect(() => dropout2d(x, -0.1)).toThrow(ValueError);
    expect(() => dropout2d(x, -0.1)).toThrow('dropout2d: p must be in [0, 1], got -0.1');
    expect(() => dropout2d(x, 1.5)).toThrow(/got 1.5/);
    expect(() => dropout2d(x, Number.NaN)).toThrow(/got NaN/);
    expect(() => dropout2d(ones([4, 3]))).toThrow(ShapeError);
    expect(() => dropout2d(ones([4, 3]))).toThrow(
      'dropout2d: expected a 4-D [N, C, H, W] or 3-D [N, C, L] input, got shape [4,3]',
    );
    expect(() => dropout2d(ones([2, 3, 2, 2, 2]))).toThrow(ShapeError);
    expect(() => dropout2d(ones([2, 3, 2, 2, 2]), 0.5, false)).toThrow(ShapeError);
    expect(() => dropout2d(tensor([[[1, 2]]], { dtype: 'int32' }))).toThrow(DTypeError);
    expect(() => dropout2d(tensor([[[1, 2]]], { dtype: 'int32' }))).toThrow(/dropout2d: input must be a float32/);
  });
});
