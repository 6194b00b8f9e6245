import {
  adaptiveMaxPool2d,
  Generator,
  gradcheck,
  maxPool1d,
  maxPool2d,
  randn,
  ShapeError,
  type Tensor,
  tensor,
  ValueError,
} from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import * as F from '../functional/index';
import { MaxPool2d } from '../layers/pooling';
import { AdaptiveAvgPool1d, AdaptiveMaxPool2d, AvgPool1d, MaxPool1d, MaxUnpool2d } from './pool-layers';

const f64 = (shape: number[], seed: number, requiresGrad = false): Tensor =>
  randn(shape, { dtype: 'float64', generator: new Generator(seed), requiresGrad });

describe('MaxPool1d', () => {
  it('gives the values, or [values, indices] with returnIndices', () => {
    const x = tensor([[[1, 3, 2, 5, 4, 0]]]);
    const plain = new MaxPool1d(2).forward(x);
    expect(plain.toArray()).toEqual([[[3, 5, 4]]]);
    const [values, indices] = new MaxPool1d(2, { returnIndices: true }).forward(x);
    expect(values.toArray()).toEqual([[[3, 5, 4]]]);
    expect(indices.toArray()).toEqual([[[1, 3, 4]]]);
    expect(indices.dtype).toBe('int32');
    const pool = new MaxPool1d(3, { stride: 2, padding: 1, dilation: 1, ceilMode: true });
    expect(pool.stride).toBe(2);
    expect(pool.forward(x).toArray()).toEqual(
      maxPool1d(x, { kernelSize: 3, stride: 2, padding: 1, ceilMode: true }).toArray(),
    );
    expect(new MaxPool1d(2).parameters()).toEqual([]);
  });

  it('has gradients through the module', () => {
    const x = f64([2, 2, 7], 1, true);
    const pool = new MaxPool1d(3, { stride: 2 });
    expect(gradcheck((t) => pool.forward(t), [x])).toBe(true);
  });

  it('rejects bad options at construction', () => {
    expect(() => new MaxPool1d(0)).toThrow(ValueError);
    expect(() => new MaxPool1d(2, { padding: 2 })).toThrow(
      'MaxPool1d(2): padding must be at most half the kernel size, got padding 2 for kernel 2',
    );
    expect(() => new MaxPool1d(2, { stride: 1.5 })).toThrow(/stride must be an integer >= 1/);
    expect(() => new MaxPool1d(3).forward(f64([1, 2, 2], 0))).toThrow(ShapeError);
  });
});

describe('AvgPool1d and AdaptiveAvgPool1d', () => {
  it('average like PyTorch', () => {
    const x = tensor([[[1, 3, 2, 6, 4]]], { dtype: 'float64' });
    expect(new AvgPool1d(2).forward(x).toArray()).toEqual([[[2, 4]]]);
    expect(new AvgPool1d(2, { ceilMode: true, countIncludePad: false }).forward(x).toArray()).toEqual([[[2, 4, 4]]]);
    expect(new AdaptiveAvgPool1d(2).forward(x).toArray()).toEqual([[[2, 4]]]); // windows [0,3) and [2,5)
    expect(new AdaptiveAvgPool1d(1).forward(tensor([[1, 2, 6]], { dtype: 'float64' })).toArray()).toEqual([[3]]);
  });

  it('reject bad options', () => {
    expect(() => new AvgPool1d(3, { padding: 2 })).toThrow(/AvgPool1d\(3\): padding must be at most half/);
    expect(() => new AdaptiveAvgPool1d(0)).toThrow('AdaptiveAvgPool1d: outputSize must be an integer >= 1, got 0');
  });
});

describe('AdaptiveMaxPool2d', () => {
  it('gives the values, or [values, indices] with returnIndices', () => {
    const x = f64([2, 3, 5, 4], 2);
    const values = new AdaptiveMaxPool2d([2, null]).forward(x);
    expect(values.shape).toEqual([2, 3, 2, 4]);
    expect(values.toArray()).toEqual(adaptiveMaxPool2d(x, [2, null]).toArray());
    const [v, i] = new AdaptiveMaxPool2d(1, { returnIndices: true }).forward(x);
    expect(v.shape).toEqual([2, 3, 1, 1]);
    // the index of the global maximum of each plane
    for (let p = 0; p < 6; p++) {
      const plane = Array.from(x.values.slice(p * 20, (p + 1) * 20));
      expect(i.values[p]).toBe(plane.indexOf(Math.max(...plane)));
      expect(v.values[p]).toBe(Math.max(...plane));
    }
  });

  it('rejects bad output sizes', () => {
    expect(() => new AdaptiveMaxPool2d(0)).toThrow(ValueError);
    expect(() => new AdaptiveMaxPool2d([2, 0])).toThrow(/AdaptiveMaxPool2d: outputSize must be a positive integer/);
  });
});

describe('MaxPool2d with returnIndices, and MaxUnpool2d', () => {
  it('pool with indices, then unpool the maxima back into place', () => {
    const x = f64([2, 3, 6, 6], 3);
    const [values, indices] = new MaxPool2d(2, { returnIndices: true }).forward(x);
    expect(values.toArray()).toEqual(maxPool2d(x, { kernelSize: 2 }).toArray());
    const back = new MaxUnpool2d(2).forward(values, indices);
    expect(back.shape).toEqual([2, 3, 6, 6]);
    // every non-zero of the unpooled tensor is the input value at that position, one per window
    let nonZero = 0;
    for (let k = 0; k < back.size; k++)
      if (back.values[k] !== 0) {
        nonZero++;
        expect(back.values[k]).toBe(x.values[k]);
      }
    expect(nonZero).toBe(values.size);
  });

  it('unpools to an odd size given outputSize, as F.maxUnpool2d', () => {
    const x = f64([1, 2, 5, 5], 4);
    const [values, indices] = new MaxPool2d(2, { returnIndices: true }).forward(x);
    const unpool = new MaxUnpool2d(2);
    expect(unpool.forward(values, indices).shape).toEqual([1, 2, 4, 4]);
    const full = unpool.forward(values, indices, [5, 5]);
    expect(full.shape).toEqual([1, 2, 5, 5]);
    expect(full.toArray()).toEqual(F.maxUnpool2d(values, indices, 2, { outputSize: [5, 5] }).toArray());
    expect(() => unpool.forward(values, indices, [7, 5])).toThrow(/dim 0 must be between 2 and 6/);
  });

  it('rejects bad options and inputs', () => {
    expect(() => new MaxPool2d(2, { returnIndices: true, padding: 2 }).forward(f64([1, 1, 4, 4], 0))).toThrow(
      ValueError,
    );
    expect(new MaxPool2d(2).forward(f64([1, 1, 4, 4], 0))).not.toBeInstanceOf(Array);
    expect(() => new MaxUnpool2d(0)).toThrow(/MaxUnpool2d\(0\): kernelSize must be an integer >= 1/);
    expect(() => new MaxUnpool2d(2).forward(f64([1, 1, 2, 2], 0), null as unknown as Tensor)).toThrow(
      'MaxUnpool2d(2): indices must be a Tensor, got null',
    );
  });
});

describe('F exports', () => {
  it('has the functional forms', () => {
    for (const name of [
      'groupNorm',
      'instanceNorm',
      'rmsNorm',
      'maxPool1d',
      'maxPool1dWithIndices',
      'avgPool1d',
      'adaptiveAvgPool1d',
      'adaptiveMaxPool2d',
      'adaptiveMaxPool2dWithIndices',
      'maxPool2dWithIndices',
      'maxUnpool2d',
    ])
      expect(typeof (F as Record<string, unknown>)[name], name).toBe('function');
  });
});
