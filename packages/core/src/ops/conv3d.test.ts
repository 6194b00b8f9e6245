import { describe, expect, it } from 'vitest';
import { gradcheck } from '../autograd/gradcheck';
import { zeros } from '../creation';
import { DTypeError, ShapeError, ValueError } from '../errors';
import type { Tensor } from '../tensor';
import { convTranspose3d } from './conv-transpose3d';
import { conv3d } from './conv3d';
import { gradgradcheck, rnd } from './grad-test-helpers';

/** conv3d by its definition, with zero padding: the reference of the tests below. */
function direct(
  x: Tensor,
  w: Tensor,
  stride: number[],
  padding: number[],
  dilation: number[],
): { shape: number[]; values: number[] } {
  const [n, c, d, h, wd] = x.shape;
  const [o, , kd, kh, kw] = w.shape;
  const out = [0, 1, 2].map(
    (i) => Math.floor(([d, h, wd][i] + 2 * padding[i] - dilation[i] * ([kd, kh, kw][i] - 1) - 1) / stride[i]) + 1,
  );
  const xv = x.values;
  const wv = w.values;
  const values: number[] = [];
  for (let b = 0; b < n; b++)
    for (let oc = 0; oc < o; oc++)
      for (let z = 0; z < out[0]; z++)
        for (let y = 0; y < out[1]; y++)
          for (let q = 0; q < out[2]; q++) {
            let s = 0;
            for (let ic = 0; ic < c; ic++)
              for (let a = 0; a < kd; a++)
                for (let e = 0; e < kh; e++)
                  for (let f = 0; f < kw; f++) {
                    const zi = z * stride[0] - padding[0] + a * dilation[0];
                    const yi = y * stride[1] - padding[1] + e * dilation[1];
                    const qi = q * stride[2] - padding[2] + f * dilation[2];
                    if (zi < 0 || yi < 0 || qi < 0 || zi >= d || yi >= h || qi >= wd) continue;
                    s +=
                      xv[(((b * c + ic) * d + zi) * h + yi) * wd + qi] *
                      wv[(((oc * c + ic) * kd + a) * kh + e) * kw + f];
                  }
            values.push(s);
          }
  return { shape: [n, o, ...out], values };
}

describe('conv3d', () => {
  it('matches its definition (stride, padding and dilation on every axis)', () => {
    const x = rnd([2, 2, 5, 4, 6], 1, false);
    const w = rnd([3, 2, 2, 3, 2], 2, false);
    const options = {
      stride: [2, 1, 2] as [number, number, number],
      padding: [1, 1, 0] as [number, number, number],
      dilation: [1, 1, 2] as [number, number, number],
    };
    const y = conv3d(x, w, null, options);
    const want = direct(x, w, options.stride, options.padding, options.dilation);
    expect(y.shape).toEqual(want.shape);
    Array.from(y.values).forEach((v, i) => {
      expect(v).toBeCloseTo(want.values[i], 12);
    });
  });

  it('has gradients, and gradients of gradients, in input, weight and bias that match finite differences', () => {
    const f = (x: Tensor, w: Tensor, b: Tensor) => conv3d(x, w, b, { stride: [1, 2, 1], padding: 1, groups: 2 });
    const args = [rnd([1, 4, 3, 4, 3], 3), rnd([2, 2, 2, 2, 3], 4), rnd([2], 5)];
    expect(gradcheck(f, args)).toBe(true);
    expect(gradgradcheck((x, w, b) => f(x, w, b).square(), args)).toBe(true);
  });

  it('pads the extra zero after the input for an even kernel with padding same, as PyTorch does', () => {
    const x = rnd([1, 1, 4, 4, 4], 6, false);
    const w = rnd([1, 1, 2, 2, 2], 7, false);
    const y = conv3d(x, w, null, { padding: 'same' });
    expect(y.shape).toEqual([1, 1, 4, 4, 4]);
    // the first output element sees x[0, 0, 0:2, 0:2, 0:2]: nothing padded before
    const want = direct(x, w, [1, 1, 1], [0, 0, 0], [1, 1, 1]).values[0];
    expect(y.values[0]).toBeCloseTo(want, 12);
  });

  it('refuses bad arguments with errors that name them', () => {
    const x = zeros([1, 2, 3, 3, 3]);
    expect(() => conv3d(x, zeros([1, 2, 3, 3]))).toThrow(/conv3d: weight must be 5-D/);
    expect(() => conv3d(zeros([2, 3, 3]), zeros([1, 2, 1, 1, 1]))).toThrow(ShapeError);
    expect(() => conv3d(x, zeros([1, 3, 1, 1, 1]))).toThrow(/conv3d: input has 2 channels/);
    expect(() => conv3d(x, zeros([1, 2, 4, 1, 1]))).toThrow(/conv3d: the input's depth 3/);
    expect(() => conv3d(x, zeros([1, 2, 1, 1, 1]), null, { stride: 2, padding: 'same' })).toThrow(ValueError);
    expect(() => conv3d(x, zeros([1, 2, 1, 1, 1]), null, { stride: [1, 1] as never })).toThrow(
      /conv3d: stride must be an integer >= 1 or three of them/,
    );
    expect(() => conv3d(x, zeros([1, 2, 1, 1, 1]), zeros([2]))).toThrow(/conv3d: bias must have shape \[1\]/);
    expect(() => conv3d(zeros([1, 2, 3, 3, 3], { dtype: 'int32' }), zeros([1, 2, 1, 1, 1]))).toThrow(DTypeError);
  });
});

describe('convTranspose3d', () => {
  it('is the adjoint of conv3d: <conv3d(x, w), y> = <x, convTranspose3d(y, w)>', () => {
    const x = rnd([1, 2, 5, 4, 4], 11, false);
    const w = rnd([3, 2, 3, 2, 2], 12, false);
    const options = { stride: [2, 1, 2] as [number, number, number], padding: [1, 0, 1] as [number, number, number] };
    const y = conv3d(x, w, null, options);
    const z = rnd(y.shape as number[], 13, false);
    const back = convTranspose3d(z, w, null, options);
    expect(back.shape).toEqual(x.shape);
    const dot = (a: Tensor, b: Tensor) => Array.from(a.values).reduce((s, v, i) => s + v * b.values[i], 0);
    expect(dot(y, z)).toBeCloseTo(dot(x, back), 10);
  });

  it('has gradients, and gradients of gradients, that match finite differences', () => {
    const f = (x: Tensor, w: Tensor, b: Tensor) =>
      convTranspose3d(x, w, b, { stride: [2, 1, 1], outputPadding: [1, 0, 0], groups: 2 });
    const args = [rnd([1, 4, 2, 2, 3], 14), rnd([4, 1, 2, 2, 1], 15), rnd([2], 16)];
    expect(gradcheck(f, args)).toBe(true);
    expect(gradgradcheck((x, w, b) => f(x, w, b).square(), args)).toBe(true);
  });

  it('refuses bad arguments with errors that name them', () => {
    const x = zeros([1, 2, 3, 3, 3]);
    expect(() => convTranspose3d(x, zeros([3, 1, 1, 1, 1]))).toThrow(
      /convTranspose3d: input has 2 channels but weight expects 3/,
    );
    expect(() => convTranspose3d(x, zeros([2, 1, 1, 1, 1]), null, { outputPadding: 1 })).toThrow(
      /convTranspose3d: outputPadding \[1, ?1, ?1\] must be smaller than either stride/,
    );
    expect(() => convTranspose3d(x, zeros([2, 1, 1, 1]))).toThrow(ShapeError);
  });
});
