import { randn, ShapeError, ValueError } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { AdaptiveAvgPool3d, AvgPool3d, MaxPool3d, MaxUnpool3d } from './pooling3d';

describe('3-D pooling layers', () => {
  it('give PyTorch shapes, indices with returnIndices, and global pooling with AdaptiveAvgPool3d(1)', () => {
    expect(new MaxPool3d(2).forward(randn([1, 3, 4, 6, 6])).shape).toEqual([1, 3, 2, 3, 3]);
    const [values, indices] = new MaxPool3d([1, 2, 2], { returnIndices: true }).forward(randn([3, 2, 4, 4]));
    expect(values.shape).toEqual([3, 2, 2, 2]);
    expect(indices.dtype).toBe('int32');
    expect(new AvgPool3d(3, { stride: 2, padding: 1 }).forward(randn([2, 1, 5, 5, 5])).shape).toEqual([2, 1, 3, 3, 3]);
    const x = randn([2, 4, 3, 5, 2]);
    const pooled = new AdaptiveAvgPool3d(1).forward(x);
    expect(pooled.shape).toEqual([2, 4, 1, 1, 1]);
    expect(pooled.values[0]).toBeCloseTo(Array.from(x.values.slice(0, 30)).reduce((a, b) => a + b, 0) / 30, 5);
    expect(new MaxPool3d(2).toString()).toContain('kernelSize=[2,2,2], stride=[2,2,2]');
  });

  it('refuse bad arguments with errors that name the layer', () => {
    expect(() => new MaxPool3d(2).forward(randn([2, 3, 3]))).toThrow(ShapeError);
    expect(() => new AvgPool3d(2, { divisorOverride: 1.5 })).toThrow(/AvgPool3d\(2\): divisorOverride/);
    expect(() => new AdaptiveAvgPool3d([1, 2] as never)).toThrow(ValueError);
    expect(() => new MaxPool3d([2, 2] as never)).toThrow(/MaxPool3d\(\[2,2\]\): kernelSize/);
  });
});

describe('MaxUnpool3d', () => {
  it('puts each maximum back where MaxPool3d found it, zeros elsewhere', () => {
    const x = randn([1, 2, 4, 4, 4]);
    const [values, indices] = new MaxPool3d(2, { returnIndices: true }).forward(x);
    const back = new MaxUnpool3d(2).forward(values, indices);
    expect(back.shape).toEqual([1, 2, 4, 4, 4]);
    const kept = Array.from(back.values).filter((v) => v !== 0);
    expect(kept.length).toBe(16);
    expect([...kept].sort()).toEqual(Array.from(values.values).sort());
    expect(() => new MaxUnpool3d(2).forward(values, indices, [9, 9, 9])).toThrow(/maxUnpool3d: invalid outputSize/);
  });
});
