import {
  AxisError,
  DTypeError,
  Generator,
  gradcheck,
  gradgradcheck,
  gradients,
  type Tensor,
  tensor,
  ValueError,
  zeros,
} from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { expectValues, randomTensor, snapshot } from '../losses/test-utils';
import { normalize } from './normalize';

const f64 = { dtype: 'float64' } as const;

describe('normalize', () => {
  it('gives the values of its examples', () => {
    expectValues(
      normalize(
        tensor([
          [3, 4],
          [0, 0],
        ]),
      ),
      [0.6, 0.8, 0, 0],
      1e-7,
    );
    expectValues(normalize(tensor([[1, -3]]), { p: 1 }), [0.25, -0.75], 1e-7);
    expectValues(normalize(tensor([2, 0, 2]), { axis: 0, p: Infinity }), [1, 0, 1], 1e-7);
  });

  it('scales every vector along the axis to unit norm, for each order and axis', () => {
    const x = randomTensor([2, 3, 4], new Generator(1));
    for (const p of [1, 2, 3, Infinity])
      for (const axis of [0, 1, 2, -1, -3]) {
        const y = normalize(x, { p, axis });
        expect(y.shape).toEqual([2, 3, 4]);
        const d = axis < 0 ? axis + 3 : axis;
        const strides = [12, 4, 1];
        const sizes = x.shape;
        // every vector along d: start at each index with coordinate d = 0
        for (let start = 0; start < 24; start++) {
          if (Math.floor(start / strides[d]) % sizes[d] !== 0) continue;
          let n = 0;
          for (let k = 0; k < sizes[d]; k++) {
            const v = Math.abs(y.values[start + k * strides[d]]);
            n = p === Infinity ? Math.max(n, v) : n + v ** p;
          }
          expect(p === Infinity ? n : n ** (1 / p)).toBeCloseTo(1, 12);
        }
      }
  });

  it('normalises over several axes at once', () => {
    const x = randomTensor([2, 3, 4], new Generator(2));
    const y = normalize(x, { axis: [1, -1] });
    for (let b = 0; b < 2; b++) {
      let s = 0;
      for (let i = 0; i < 12; i++) s += y.values[b * 12 + i] ** 2;
      expect(s).toBeCloseTo(1, 12);
    }
  });

  it('divides by eps where the norm is below it: a zero vector stays 0 with the gradient g / eps', () => {
    const x = tensor(
      [
        [0, 0, 0],
        [1, 2, 2],
      ],
      { dtype: 'float64', requiresGrad: true },
    );
    const y = normalize(x);
    expectValues(y, [0, 0, 0, 1 / 3, 2 / 3, 2 / 3], 1e-15);
    const up = tensor(
      [
        [1, -2, 0.5],
        [0, 0, 0],
      ],
      f64,
    );
    const [g] = gradients([y], [x], [up]);
    expectValues(g as Tensor, [1e12, -2e12, 0.5e12, 0, 0, 0], 1e-12);
    // a large eps clamps a whole row: only the direct path remains
    expectValues(normalize(tensor([[0.3, 0.4]], f64), { eps: 2 }), [0.15, 0.2], 1e-15);
  });

  it('handles 0-d and empty inputs as PyTorch does', () => {
    expectValues(normalize(tensor(-3, f64), { axis: 0 }), -1);
    expectValues(normalize(tensor(0, f64), { axis: -1 }), 0);
    expect(normalize(zeros([0, 3]), { p: Infinity }).shape).toEqual([0, 3]);
    expect(normalize(zeros([2, 0]), { p: Infinity }).shape).toEqual([2, 0]);
    expectValues(normalize(tensor([[3, 4, 0]], f64), { p: 0 }), [1.5, 2, 0]);
  });

  it('keeps the dtype and does not mutate its input', () => {
    const x = randomTensor([3, 4], new Generator(3), { dtype: 'float32' });
    const unchanged = snapshot(x);
    expect(normalize(x).dtype).toBe('float32');
    unchanged();
  });

  it('passes gradcheck and gradgradcheck in float64 for each order, axis and a clamping eps', () => {
    const gen = new Generator(4);
    for (const p of [2, 1, 3, 0.5, Infinity]) {
      const x = randomTensor([3, 4], gen, { requiresGrad: true, offset: p === 0.5 ? 0.2 : 0 });
      const f = (t: Tensor) => normalize(t, { p });
      expect(gradcheck(f, [x])).toBe(true);
      expect(gradgradcheck(f, [x])).toBe(true);
    }
    const x3 = randomTensor([2, 3, 2], gen, { requiresGrad: true });
    for (const axis of [-1, 0, [0, 2]] as const) {
      const f = (t: Tensor) => normalize(t, { axis });
      expect(gradcheck(f, [x3])).toBe(true);
      expect(gradgradcheck(f, [x3])).toBe(true);
    }
    // row 0's norm is far below eps = 1, row 1's far above
    const x = tensor(
      [
        [0.1, -0.2, 0.3],
        [2, 1.5, -3],
      ],
      { dtype: 'float64', requiresGrad: true },
    );
    const f = (t: Tensor) => normalize(t, { eps: 1 });
    expect(gradcheck(f, [x])).toBe(true);
    expect(gradgradcheck(f, [x])).toBe(true);
  });

  it('rejects bad arguments with errors naming normalize and the argument', () => {
    const x = zeros([2, 3]);
    // biome-ignore lint/suspicious/noExplicitAny: a misspelled key, as a JavaScript caller passes it
    const bad: any = { dim: 0 };
    expect(() => normalize(x, bad)).toThrow(ValueError);
    expect(() => normalize(x, bad)).toThrow('normalize: unknown option "dim"');
    expect(() => normalize(x, { p: -1 })).toThrow(
      'normalize: p must be 0, a positive number, Infinity or -Infinity, got -1',
    );
    expect(() => normalize(x, { p: Number.NaN })).toThrow(ValueError);
    expect(() => normalize(x, { eps: -1 })).toThrow('normalize: eps must be a finite number >= 0, got -1');
    expect(() => normalize(x, { eps: Number.POSITIVE_INFINITY })).toThrow(ValueError);
    expect(() => normalize(x, { axis: 2 })).toThrow(AxisError);
    expect(() => normalize(x, { axis: 2 })).toThrow(/normalize: axis 2 is out of range for an input of 2 dimension/);
    expect(() => normalize(x, { axis: 0.5 })).toThrow('normalize: axis must be an integer, got 0.5');
    expect(() => normalize(x, { axis: [1, -1] })).toThrow(/names dimension 1 more than once/);
    expect(() => normalize(x, { axis: [] })).toThrow(AxisError);
    expect(() => normalize(zeros([3]))).toThrow(AxisError);
    expect(() => normalize(tensor([1, 2], { dtype: 'int32' }), { axis: 0 })).toThrow(DTypeError);
    expect(() => normalize(tensor([1, 2], { dtype: 'int32' }), { axis: 0 })).toThrow(/normalize: input must be/);
    // biome-ignore lint/suspicious/noExplicitAny: not a tensor
    expect(() => normalize([1, 2] as any)).toThrow('normalize: input must be a Tensor, got object');
  });
});
