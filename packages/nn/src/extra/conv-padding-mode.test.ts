import { conv2d, Generator, gradcheck, randn, ShapeError, type Tensor, ValueError } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import * as F from '../functional/index';
import { Conv1d, Conv2d } from '../layers/conv';

const f64 = (shape: number[], seed: number, requiresGrad = false): Tensor =>
  randn(shape, { dtype: 'float64', generator: new Generator(seed), requiresGrad });

describe('Conv2d / Conv1d paddingMode', () => {
  for (const mode of ['reflect', 'replicate', 'circular'] as const) {
    it(`Conv2d '${mode}' pads with F.pad then convolves with padding 0`, () => {
      const m = new Conv2d(2, 3, 3, { padding: [1, 2], paddingMode: mode, dtype: 'float64', stride: [1, 2] });
      const x = f64([2, 2, 4, 5], 1);
      const want = conv2d(F.pad(x, [2, 2, 1, 1], { mode }), m.weight, m.bias, { stride: [1, 2] });
      const got = m.forward(x);
      expect(got.shape).toEqual(want.shape);
      expect(Array.from(got.values)).toEqual(Array.from(want.values));
    });

    it(`Conv1d '${mode}' pads with F.pad then convolves with padding 0`, () => {
      const m = new Conv1d(2, 3, 3, { padding: 2, paddingMode: mode, dtype: 'float64' });
      const x = f64([2, 2, 6], 2);
      const padded = F.pad(x, [2, 2], { mode });
      const want = F.conv2d(padded.unsqueeze(-2), m.weight.unsqueeze(-2), m.bias).squeeze(-2);
      expect(Array.from(m.forward(x).values)).toEqual(Array.from(want.values));
      expect(m.forward(f64([2, 6], 3)).shape).toEqual([3, 8]);
    });
  }

  it("'zeros' (the default) is the plain convolution, and 'same' works with the other modes", () => {
    const x = f64([1, 2, 5, 5], 4);
    const a = new Conv2d(2, 2, 3, { padding: 1, dtype: 'float64', generator: new Generator(1) });
    const b = new Conv2d(2, 2, 3, { padding: 1, paddingMode: 'zeros', dtype: 'float64', generator: new Generator(1) });
    expect(a.paddingMode).toBe('zeros');
    expect(Array.from(a.forward(x).values)).toEqual(Array.from(b.forward(x).values));
    const same = new Conv2d(2, 2, [4, 3], { padding: 'same', paddingMode: 'reflect', dtype: 'float64' });
    expect(same.forward(x).shape).toEqual([1, 2, 5, 5]);
    const want = conv2d(F.pad(x, [1, 1, 1, 2], { mode: 'reflect' }), same.weight, same.bias);
    expect(Array.from(same.forward(x).values)).toEqual(Array.from(want.values));
  });

  it('passes gradcheck with every mode', () => {
    for (const paddingMode of ['reflect', 'replicate', 'circular'] as const) {
      const m = new Conv2d(1, 2, 2, { padding: 1, paddingMode, dtype: 'float64' });
      const x = f64([1, 1, 3, 3], 5, true);
      expect(gradcheck((t) => m.forward(t), [x])).toBe(true);
    }
  });

  it('names the layer on an unsupported mode and on too much reflect padding', () => {
    // biome-ignore lint/suspicious/noExplicitAny: an unsupported mode on purpose
    expect(() => new Conv2d(1, 1, 3, { paddingMode: 'symmetric' as any })).toThrow(ValueError);
    // biome-ignore lint/suspicious/noExplicitAny: an unsupported mode on purpose
    expect(() => new Conv1d(1, 1, 3, { paddingMode: 'mirror' as any })).toThrow(
      /Conv1d\(1, 1, kernelSize=3\): paddingMode must be/,
    );
    const m = new Conv2d(1, 1, 3, { padding: 3, paddingMode: 'reflect' });
    expect(() => m.forward(randn([1, 1, 3, 3]))).toThrow(ShapeError);
    expect(() => m.forward(randn([1, 1, 3, 3]))).toThrow(/Conv2d\(1, 1, kernelSize=\[3,3\]\): paddingMode 'reflect'/);
  });

  it('shows a non-default mode in its repr', () => {
    expect(new Conv2d(1, 1, 3, { paddingMode: 'circular' }).extraRepr()).toContain("paddingMode='circular'");
    expect(new Conv1d(1, 1, 3).extraRepr()).not.toContain('paddingMode');
  });
});
