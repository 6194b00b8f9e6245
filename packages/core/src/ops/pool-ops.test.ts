import { describe, expect, it } from 'vitest';
import {
  adaptiveAvgPool1d,
  adaptiveMaxPool2d,
  adaptiveMaxPool2dWithIndices,
  avgPool1d,
  DTypeError,
  gradcheck,
  gradgradcheck,
  IndexError,
  maxPool1d,
  maxPool1dWithIndices,
  maxPool2d,
  maxPool2dWithIndices,
  maxUnpool2d,
  ShapeError,
  type Tensor,
  tensor,
  ValueError,
} from '../index';

/** Distinct, well-separated values (no ties, so finite differences stay away from kinks). */
function distinct(shape: number[], requiresGrad = true): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const values = Array.from({ length: n }, (_, i) => ((i * 37) % n) / 10 - n / 20);
  return tensor(values, { shape, dtype: 'float64', requiresGrad });
}

describe('maxPool1d / maxPool1dWithIndices', () => {
  it('takes window maxima and their positions along L', () => {
    const x = tensor([[[1, 3, 2, 5, 4]]]);
    expect(maxPool1d(x, { kernelSize: 2 }).toArray()).toEqual([[[3, 5]]]);
    const { values, indices } = maxPool1dWithIndices(x, { kernelSize: 2 });
    expect(values.toArray()).toEqual([[[3, 5]]]);
    expect(indices.dtype).toBe('int32');
    expect(indices.toArray()).toEqual([[[1, 3]]]);
    // padding 1, stride 2, kernel 3: windows [-1,1], [1,3], [3,5] (position 5 is padding)
    const p = maxPool1dWithIndices(x, { kernelSize: 3, stride: 2, padding: 1 });
    expect(p.values.toArray()).toEqual([[[3, 5, 5]]]);
    expect(p.indices.toArray()).toEqual([[[1, 3, 3]]]);
    // dilation 2: taps i, i+2
    expect(maxPool1d(x, { kernelSize: 2, stride: 1, dilation: 2 }).toArray()).toEqual([[[2, 5, 4]]]);
    // ceil mode keeps the last partial window
    expect(maxPool1d(x, { kernelSize: 2, ceilMode: true }).toArray()).toEqual([[[3, 5, 4]]]);
  });

  it('accepts unbatched [C, L] inputs', () => {
    const r = maxPool1dWithIndices(tensor([[4, 1, 0, 7]]), { kernelSize: 2 });
    expect(r.values.toArray()).toEqual([[4, 7]]);
    expect(r.indices.toArray()).toEqual([[0, 3]]);
  });

  it('has gradients and second derivatives that match finite differences', () => {
    const x = distinct([2, 3, 9]);
    const f = (t: Tensor) => maxPool1d(t, { kernelSize: 3, stride: 2, padding: 1 });
    expect(gradcheck(f, [x])).toBe(true);
    expect(gradgradcheck((t) => f(t).mul(f(t)), [x])).toBe(true);
    const g = (t: Tensor) => maxPool1dWithIndices(t, { kernelSize: 2, dilation: 2, ceilMode: true }).values;
    expect(gradcheck(g, [x])).toBe(true);
    expect(gradgradcheck((t) => g(t).mul(g(t)), [x])).toBe(true);
  });

  it('rejects bad arguments before computing, naming the function', () => {
    const x = distinct([1, 2, 5], false);
    expect(() => maxPool1d(x, { kernelSize: 2, padding: 2 })).toThrow(ValueError);
    expect(() => maxPool1d(x, { kernelSize: 2, padding: 2 })).toThrow(/maxPool1d: padding must be at most half/);
    expect(() => maxPool1d(x, { kernelSize: 6 })).toThrow(ShapeError);
    expect(() => maxPool1d(x, { kernelSize: 6 })).toThrow(/maxPool1d: input of length 5 is too small for kernel 6/);
    expect(() => maxPool1d(distinct([5], false), { kernelSize: 2 })).toThrow(/expected a 2-D \[C, L\] or 3-D/);
    expect(() => maxPool1dWithIndices(x, { kernelSize: 1.5 })).toThrow(
      /maxPool1dWithIndices: kernelSize must be an integer/,
    );
    expect(() => maxPool1d(x, { kernelSize: 2, stride: 0 })).toThrow(/stride must be an integer >= 1/);
  });
});

describe('avgPool1d', () => {
  it('averages windows with PyTorch divisors', () => {
    const x = tensor([[[1, 3, 2, 6]]], { dtype: 'float64' });
    expect(avgPool1d(x, { kernelSize: 2 }).toArray()).toEqual([[[2, 4]]]);
    // padding 1: windows [-1,1], [1,3]; the pad zero counts by default
    expect(avgPool1d(x, { kernelSize: 3, stride: 2, padding: 1 }).toArray()).toEqual([[[4 / 3, 11 / 3]]]);
    expect(avgPool1d(x, { kernelSize: 3, stride: 2, padding: 1, countIncludePad: false }).toArray()).toEqual([
      [[2, 11 / 3]],
    ]);
  });

  it('has gradients that match finite differences', () => {
    const x = distinct([2, 2, 8]);
    const f = (t: Tensor) =>
      avgPool1d(t, { kernelSize: 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: false });
    expect(gradcheck(f, [x])).toBe(true);
    expect(gradgradcheck((t) => f(t).mul(f(t)), [x])).toBe(true);
  });

  it('rejects bad arguments', () => {
    expect(() => avgPool1d(distinct([1, 4], false), { kernelSize: 5 })).toThrow(
      /avgPool1d: input of length 4 is too small/,
    );
    expect(() => avgPool1d(tensor([[1, 2]], { dtype: 'int32' }), { kernelSize: 2 })).toThrow(DTypeError);
  });
});

describe('adaptiveAvgPool1d', () => {
  it('averages PyTorch adaptive windows', () => {
    // windows [0,3) and [2,5): they overlap when 2 does not divide 5
    expect(adaptiveAvgPool1d(tensor([[[1, 2, 3, 4, 5]]]), 2).toArray()).toEqual([[[2, 4]]]);
    expect(adaptiveAvgPool1d(tensor([[1, 2, 3]]), 1).toArray()).toEqual([[2]]);
    // more outputs than inputs: every window is one or two values
    expect(adaptiveAvgPool1d(tensor([[1, 3]]), 3).toArray()).toEqual([[1, 2, 3]]);
  });

  it('has gradients that match finite differences', () => {
    const x = distinct([2, 3, 7]);
    const f = (t: Tensor) => adaptiveAvgPool1d(t, 3);
    expect(gradcheck(f, [x])).toBe(true);
    expect(gradgradcheck((t) => f(t).mul(f(t)), [x])).toBe(true);
  });

  it('rejects bad arguments', () => {
    expect(() => adaptiveAvgPool1d(distinct([1, 4], false), 0)).toThrow(
      /adaptiveAvgPool1d: outputSize must be a positive integer/,
    );
    expect(() => adaptiveAvgPool1d(distinct([4], false), 2)).toThrow(ShapeError);
  });
});

describe('adaptiveMaxPool2d', () => {
  it('takes adaptive window maxima and their flat indices', () => {
    const x = tensor([
      [
        [1, 4, 0],
        [3, 2, 9],
      ],
    ]);
    const r = adaptiveMaxPool2dWithIndices(x, [1, 2]); // column windows [0,2) and [1,3)
    expect(r.values.toArray()).toEqual([[[4, 9]]]);
    expect(r.indices.toArray()).toEqual([[[1, 5]]]);
    expect(adaptiveMaxPool2d(x, [null, 1]).toArray()).toEqual([[[4], [9]]]);
  });

  it('has gradients and second derivatives that match finite differences', () => {
    const x = distinct([2, 2, 5, 4]);
    const f = (t: Tensor) => adaptiveMaxPool2d(t, [3, 2]);
    expect(gradcheck(f, [x])).toBe(true);
    expect(gradgradcheck((t) => f(t).mul(f(t)), [x])).toBe(true);
    const g = (t: Tensor) => adaptiveMaxPool2dWithIndices(t, [null, 3]).values;
    expect(gradcheck(g, [x])).toBe(true);
  });

  it('rejects bad output sizes and inputs', () => {
    const x = distinct([1, 2, 3, 3], false);
    expect(() => adaptiveMaxPool2d(x, 0)).toThrow(ValueError);
    expect(() => adaptiveMaxPool2d(x, [2, 2, 2] as never)).toThrow(/adaptiveMaxPool2d: outputSize must be/);
    expect(() => adaptiveMaxPool2dWithIndices(distinct([3, 3], false), 2)).toThrow(ShapeError);
  });
});

describe('maxPool2dWithIndices', () => {
  it('gives maxPool2d values and flat indices into each plane', () => {
    const x = tensor([
      [
        [
          [1, 2, 5, 6],
          [3, 4, 7, 8],
        ],
      ],
    ]);
    const { values, indices } = maxPool2dWithIndices(x, { kernelSize: 2 });
    expect(values.toArray()).toEqual([[[[4, 8]]]]);
    expect(indices.toArray()).toEqual([[[[5, 7]]]]);
    const y = distinct([2, 3, 7, 6], false);
    const options = { kernelSize: 3, stride: 2, padding: 1, ceilMode: true };
    expect(maxPool2dWithIndices(y, options).values.toArray()).toEqual(maxPool2d(y, options).toArray());
    const u = maxPool2dWithIndices(distinct([3, 4, 4], false), { kernelSize: 2 });
    expect(u.values.shape).toEqual([3, 2, 2]);
    expect(u.indices.shape).toEqual([3, 2, 2]);
  });

  it('has gradients and second derivatives that match finite differences', () => {
    const x = distinct([2, 2, 6, 5]);
    const f = (t: Tensor) => maxPool2dWithIndices(t, { kernelSize: [3, 2], stride: [2, 1], padding: [1, 0] }).values;
    expect(gradcheck(f, [x])).toBe(true);
    expect(gradgradcheck((t) => f(t).mul(f(t)), [x])).toBe(true);
  });

  it('keeps its own copy of the indices for the backward', () => {
    const x = distinct([1, 1, 4, 4]);
    const { values, indices } = maxPool2dWithIndices(x, { kernelSize: 2 });
    const before = Array.from(indices.values);
    indices.values.fill(0);
    values.sum().backward();
    const grad = Array.from((x.grad as Tensor).values);
    // Each window's gradient lands at its original argmax (with the zeroed indices all 4 would land at 0).
    expect(before.map((i) => grad[i])).toEqual([1, 1, 1, 1]);
    expect(grad.reduce((a, b) => a + b, 0)).toBe(4);
  });
});

describe('maxUnpool2d', () => {
  it('puts values back at their indices and zeros elsewhere', () => {
    const x = tensor([
      [
        [
          [1, 2, 5, 6],
          [3, 4, 7, 8],
        ],
      ],
    ]);
    const { values, indices } = maxPool2dWithIndices(x, { kernelSize: 2 });
    expect(maxUnpool2d(values, indices, 2).toArray()).toEqual([
      [
        [
          [0, 0, 0, 0],
          [0, 4, 0, 8],
        ],
      ],
    ]);
    // outputSize [3, 5] is within one stride of the default [2, 4]
    const wide = maxUnpool2d(values, indices, 2, { outputSize: [1, 1, 3, 5] });
    expect(wide.shape).toEqual([1, 1, 3, 5]);
    expect(Array.from(wide.values)).toEqual([0, 0, 0, 0, 0, 4, 0, 8, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('assigns (not adds) repeated indices, as PyTorch', () => {
    const out = maxUnpool2d(tensor([[[[5, 5]]]]), tensor([[[[1, 1]]]], { dtype: 'int32' }), [1, 2], { stride: 1 });
    expect(out.toArray()).toEqual([[[[0, 5, 0]]]]);
  });

  it('has gradients and second derivatives that match finite differences', () => {
    const src = distinct([2, 2, 5, 5], false);
    const { indices } = maxPool2dWithIndices(src, { kernelSize: 2 });
    const v = distinct([2, 2, 2, 2]);
    const f = (t: Tensor) => maxUnpool2d(t, indices, 2, { outputSize: [5, 5] });
    expect(gradcheck(f, [v])).toBe(true);
    expect(gradgradcheck((t) => f(t).mul(f(t)), [v])).toBe(true);
  });

  it('rejects bad indices and output sizes before computing', () => {
    const v = distinct([1, 1, 2, 2], false);
    const idx = tensor([0, 1, 4, 5], { shape: [1, 1, 2, 2], dtype: 'int32' });
    expect(() => maxUnpool2d(v, idx, 2, { outputSize: [6, 4] })).toThrow(ValueError);
    expect(() => maxUnpool2d(v, idx, 2, { outputSize: [6, 4] })).toThrow(
      /maxUnpool2d: invalid outputSize \[6,4\]: dim 0 must be between 2 and 6/,
    );
    expect(() => maxUnpool2d(v, idx, 2, { outputSize: [4] })).toThrow(/outputSize must have 2 or 4 elements/);
    expect(() => maxUnpool2d(v, tensor([0, 1, 4, 16], { shape: [1, 1, 2, 2], dtype: 'int32' }), 2)).toThrow(IndexError);
    expect(() => maxUnpool2d(v, tensor([0, 1, 4, -1], { shape: [1, 1, 2, 2], dtype: 'int32' }), 2)).toThrow(
      /indices hold -1 at flat position 3, outside the output plane of 4x4/,
    );
    expect(() => maxUnpool2d(v, tensor([0, 1, 4, 5], { shape: [1, 1, 2, 2] }), 2)).toThrow(DTypeError);
    expect(() => maxUnpool2d(v, tensor([0, 1], { shape: [1, 1, 1, 2], dtype: 'int32' }), 2)).toThrow(ShapeError);
    expect(() => maxUnpool2d(distinct([2, 2], false), idx, 2)).toThrow(/expected a 3-D \[C, H, W\] or 4-D/);
  });
});
