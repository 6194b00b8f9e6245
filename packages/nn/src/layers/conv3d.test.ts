import { Generator, randn, ShapeError, ValueError, zeros } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { ConvTranspose3d } from '../extra/conv-transpose3d';
import { Conv3d } from './conv3d';

describe('Conv3d', () => {
  it('initialises weight and bias from U(-1/√fanIn, 1/√fanIn), as PyTorch does', () => {
    const conv = new Conv3d(4, 6, [2, 3, 1], { groups: 2, generator: new Generator(0) });
    expect(conv.weight.shape).toEqual([6, 2, 2, 3, 1]);
    const bound = 1 / Math.sqrt(2 * 2 * 3 * 1);
    for (const t of [conv.weight, conv.bias]) {
      const v = Array.from(t?.values ?? []);
      expect(v.every((x) => Math.abs(x) <= bound)).toBe(true);
      expect(Math.max(...v.map(Math.abs))).toBeGreaterThan(0.7 * bound);
    }
    expect(conv.toString()).toContain('4, 6, kernelSize=[2,3,1], stride=[1,1,1], groups=2');
  });

  it('keeps the input size with padding same (also in a padding mode) and takes unbatched inputs', () => {
    const conv = new Conv3d(2, 3, [2, 3, 4], { padding: 'same', paddingMode: 'replicate' });
    expect(conv.forward(randn([1, 2, 5, 6, 7])).shape).toEqual([1, 3, 5, 6, 7]);
    expect(new Conv3d(2, 3, 3, { padding: 1 }).forward(randn([2, 4, 4, 4])).shape).toEqual([3, 4, 4, 4]);
  });

  it('refuses bad arguments with errors that name the layer', () => {
    expect(() => new Conv3d(3, 4, 3, { groups: 2 })).toThrow(/Conv3d\(3, 4, kernelSize=3\): inChannels \(3\)/);
    expect(() => new Conv3d(2, 4, [3, 3] as never)).toThrow(/kernelSize must be an integer >= 1 or three of them/);
    expect(() => new Conv3d(2, 4, 3, { stride: 2, padding: 'same' })).toThrow(ValueError);
    expect(() => new Conv3d(2, 4, 3, { paddingMode: 'mirror' } as never)).toThrow(/paddingMode/);
    expect(() => new Conv3d(2, 4, 3).forward(zeros([1, 3, 4, 4, 4]))).toThrow(ShapeError);
    expect(() => new Conv3d(2, 4, 3).forward(zeros([1, 2, 4, 4]))).toThrow(/input has 1 channels, expected 2/);
  });
});

describe('ConvTranspose3d', () => {
  it('initialises as PyTorch does and doubles the size with kernel 2 and stride 2', () => {
    const up = new ConvTranspose3d(4, 6, 2, { stride: 2, groups: 2, generator: new Generator(1) });
    expect(up.weight.shape).toEqual([4, 3, 2, 2, 2]);
    const bound = 1 / Math.sqrt(3 * 8);
    expect(Array.from(up.weight.values).every((v) => Math.abs(v) <= bound)).toBe(true);
    expect(up.forward(randn([1, 4, 2, 3, 4])).shape).toEqual([1, 6, 4, 6, 8]);
    expect(up.toString()).toContain('4, 6, kernelSize=[2,2,2], stride=[2,2,2], groups=2');
  });

  it('refuses bad arguments with errors that name the layer', () => {
    expect(() => new ConvTranspose3d(2, 2, 3, { outputPadding: 1 })).toThrow(
      /ConvTranspose3d\(2, 2, kernelSize=3\): outputPadding/,
    );
    expect(() =>
      new ConvTranspose3d(2, 2, 3, { stride: 2 }).forward(zeros([1, 2, 3, 3, 3]), { outputSize: [9, 9, 9] }),
    ).toThrow(/requested an output size of \[9, ?9, ?9\]/);
  });
});
