import { describe, expect, it } from 'vitest';
import {
  DTypeError,
  Generator,
  gradcheck,
  gradgradcheck,
  gradients,
  matmul,
  randn,
  ShapeError,
  scaledDotProductAttention,
  scaledDotProductAttentionWeights,
  softmax,
  type Tensor,
  tensor,
  transpose,
  ValueError,
  where,
} from '../index';

const f64 = { dtype: 'float64' } as const;

function leaf(t: Tensor): Tensor {
  t.requiresGrad = true;
  return t;
}

function rnd(shape: number[], seed: number, requiresGrad = false): Tensor {
  const t = randn(shape, { ...f64, generator: new Generator(seed) });
  return requiresGrad ? leaf(t) : t;
}

/** The composite reference: softmax(q kᵀ · scale + bias) v with plain ops (no fused op). */
function reference(q: Tensor, k: Tensor, v: Tensor, scale: number, bias: Tensor | null): Tensor {
  let s = matmul(q, transpose(k, -2, -1)).mul(scale);
  if (bias !== null) s = s.add(bias);
  return matmul(softmax(s, -1), v);
}

function expectAllClose(a: Tensor, b: Tensor, tol = 1e-12): void {
  expect(a.shape).toEqual(b.shape);
  for (let i = 0; i < a.size; i++) {
    const x = a.values[i];
    const y = b.values[i];
    if (Number.isNaN(y)) expect(x).toBeNaN();
    else expect(Math.abs(x - y)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(y)));
  }
}

describe('scaledDotProductAttention: forward', () => {
  it('matches softmax(QKᵀ/√E)V on a hand-computed case', () => {
    const q = tensor([[1, 0]], f64);
    const k = tensor(
      [
        [1, 0],
        [0, 1],
      ],
      f64,
    );
    const v = tensor(
      [
        [10, 0],
        [0, 10],
      ],
      f64,
    );
    const w0 = Math.exp(1 / Math.sqrt(2)) / (Math.exp(1 / Math.sqrt(2)) + 1);
    const out = scaledDotProductAttention(q, k, v);
    expect(out.shape).toEqual([1, 2]);
    expect(out.values[0]).toBeCloseTo(10 * w0, 12);
    expect(out.values[1]).toBeCloseTo(10 * (1 - w0), 12);
  });

  it('agrees with the composite of plain ops, with broadcast batch and head dimensions', () => {
    const q = rnd([2, 3, 4, 5], 1);
    const k = rnd([1, 3, 6, 5], 2);
    const v = rnd([2, 1, 6, 7], 3);
    expectAllClose(scaledDotProductAttention(q, k, v), reference(q, k, v, 1 / Math.sqrt(5), null));
    expectAllClose(scaledDotProductAttention(q, k, v, { scale: 0.3 }), reference(q, k, v, 0.3, null));
  });

  it('applies a float additive mask and an int32 boolean mask (1 = takes part)', () => {
    const q = rnd([2, 4, 3], 4);
    const k = rnd([2, 5, 3], 5);
    const v = rnd([2, 5, 2], 6);
    const add = rnd([4, 5], 7);
    expectAllClose(scaledDotProductAttention(q, k, v, { attnMask: add }), reference(q, k, v, 1 / Math.sqrt(3), add));
    const keep = tensor([1, 1, 0, 1, 0], { dtype: 'int32' });
    const bias = where(keep, 0, Number.NEGATIVE_INFINITY).to('float64');
    const out = scaledDotProductAttention(q, k, v, { attnMask: keep });
    expectAllClose(out, reference(q, k, v, 1 / Math.sqrt(3), bias));
    const w = scaledDotProductAttentionWeights(q, k, { attnMask: keep });
    for (let r = 0; r < 8; r++) {
      expect(w.values[r * 5 + 2]).toBe(0);
      expect(w.values[r * 5 + 4]).toBe(0);
    }
  });

  it('isCausal is the upper-left aligned lower triangle, also for L != S', () => {
    const q = rnd([3, 5, 4], 8);
    const k = rnd([3, 6, 4], 9);
    const v = rnd([3, 6, 2], 10);
    const tri: number[] = [];
    for (let i = 0; i < 5; i++) for (let j = 0; j < 6; j++) tri.push(j <= i ? 0 : Number.NEGATIVE_INFINITY);
    const bias = tensor(tri, { ...f64, shape: [5, 6] });
    expectAllClose(scaledDotProductAttention(q, k, v, { isCausal: true }), reference(q, k, v, 0.5, bias));
  });

  it('is stable for large scores (the row max is subtracted)', () => {
    const q = tensor([[1000], [-1000]], f64);
    const k = tensor([[1], [1.001]], f64);
    const w = scaledDotProductAttentionWeights(q, k, { scale: 1 });
    const e = Math.exp(1);
    expect(w.values[0]).toBeCloseTo(1 / (1 + e), 9);
    expect(w.values[2]).toBeCloseTo(e / (1 + e), 9);
    expect([...w.values].every(Number.isFinite)).toBe(true);
  });

  it('gives NaN for a query whose every key is masked, as PyTorch math path does', () => {
    const q = rnd([2, 3], 11);
    const k = rnd([3, 3], 12);
    const v = rnd([3, 2], 13);
    const mask = tensor(
      [
        [1, 1, 0],
        [0, 0, 0],
      ],
      { dtype: 'int32' },
    );
    const out = scaledDotProductAttention(q, k, v, { attnMask: mask });
    expect(Number.isFinite(out.values[0])).toBe(true);
    expect(out.values[2]).toBeNaN();
    expect(out.values[3]).toBeNaN();
  });

  it('applies dropout to the weights only when dropoutP > 0, reproducibly with a generator', () => {
    const q = rnd([4, 6, 3], 14);
    const k = rnd([4, 6, 3], 15);
    const v = rnd([4, 6, 3], 16);
    const plain = scaledDotProductAttention(q, k, v);
    expectAllClose(scaledDotProductAttention(q, k, v, { dropoutP: 0 }), plain);
    const a = scaledDotProductAttention(q, k, v, { dropoutP: 0.5, generator: new Generator(3) });
    const b = scaledDotProductAttention(q, k, v, { dropoutP: 0.5, generator: new Generator(3) });
    expectAllClose(a, b, 0);
    expect([...a.values].some((x, i) => Math.abs(x - plain.values[i]) > 1e-6)).toBe(true);
    const zero = scaledDotProductAttention(q, k, v, { dropoutP: 1, generator: new Generator(3) });
    expect([...zero.values].every((x) => x === 0)).toBe(true);
  });

  it('keeps float32 in float32', () => {
    const q = randn([2, 3], { generator: new Generator(1) });
    expect(scaledDotProductAttention(q, q, q).dtype).toBe('float32');
  });
});

describe('scaledDotProductAttention: gradients', () => {
  it('passes gradcheck in q, k, v (no mask, broadcast batch)', () => {
    const q = rnd([2, 1, 3, 4], 20, true);
    const k = rnd([1, 2, 5, 4], 21, true);
    const v = rnd([2, 2, 5, 3], 22, true);
    expect(gradcheck((a, b, c) => scaledDotProductAttention(a, b, c), [q, k, v])).toBe(true);
  });

  it('passes gradcheck with a float mask that requires gradients, and with a boolean mask', () => {
    const q = rnd([2, 3, 4], 23, true);
    const k = rnd([2, 5, 4], 24, true);
    const v = rnd([2, 5, 2], 25, true);
    const m = rnd([3, 5], 26, true);
    expect(gradcheck((a, b, c, d) => scaledDotProductAttention(a, b, c, { attnMask: d }), [q, k, v, m])).toBe(true);
    const keep = tensor([[1, 0, 1, 1, 0]], { dtype: 'int32' });
    expect(gradcheck((a, b, c) => scaledDotProductAttention(a, b, c, { attnMask: keep, scale: 0.7 }), [q, k, v])).toBe(
      true,
    );
  });

  it('passes gradcheck with isCausal', () => {
    const q = rnd([2, 4, 3], 27, true);
    const k = rnd([2, 4, 3], 28, true);
    const v = rnd([2, 4, 3], 29, true);
    expect(gradcheck((a, b, c) => scaledDotProductAttention(a, b, c, { isCausal: true }), [q, k, v])).toBe(true);
  });

  it('passes gradgradcheck (double backward) in q, k, v and a float mask', () => {
    const q = rnd([2, 3, 2], 30, true);
    const k = rnd([2, 4, 2], 31, true);
    const v = rnd([2, 4, 2], 32, true);
    const m = rnd([3, 4], 33, true);
    expect(gradgradcheck((a, b, c, d) => scaledDotProductAttention(a, b, c, { attnMask: d }), [q, k, v, m])).toBe(true);
    expect(gradgradcheck((a, b, c) => scaledDotProductAttention(a, b, c, { isCausal: true }), [q, k, v])).toBe(true);
  });

  it('gives the same gradients as the composite of plain ops', () => {
    const q = rnd([3, 4], 34, true);
    const k = rnd([5, 4], 35, true);
    const v = rnd([5, 2], 36, true);
    const g = rnd([3, 2], 37);
    const fused = gradients([scaledDotProductAttention(q, k, v)], [q, k, v], [g]);
    const plain = gradients([reference(q, k, v, 0.5, null)], [q, k, v], [g]);
    for (let i = 0; i < 3; i++) expectAllClose(fused[i]!, plain[i]!, 1e-12);
  });
});

describe('scaledDotProductAttention: bad input', () => {
  const q = rnd([2, 3, 4], 40);
  const k = rnd([2, 5, 4], 41);
  const v = rnd([2, 5, 6], 42);

  it('rejects mismatched head dimensions and sequence lengths', () => {
    expect(() => scaledDotProductAttention(q, rnd([2, 5, 3], 1), v)).toThrow(ShapeError);
    expect(() => scaledDotProductAttention(q, rnd([2, 5, 3], 1), v)).toThrow(/same last \(head\) dimension.*4 != 3/);
    expect(() => scaledDotProductAttention(q, k, rnd([2, 4, 6], 1))).toThrow(/same sequence length/);
    expect(() => scaledDotProductAttention(q, rnd([3, 5, 4], 1), v)).toThrow(/cannot be broadcast/);
    expect(() => scaledDotProductAttention(rnd([4], 1), k, v)).toThrow(/at least 2 dimensions/);
  });

  it('rejects a mask of the wrong shape or dtype', () => {
    expect(() => scaledDotProductAttention(q, k, v, { attnMask: rnd([3, 4], 1) })).toThrow(ShapeError);
    expect(() => scaledDotProductAttention(q, k, v, { attnMask: rnd([3, 2, 3, 5], 1) })).toThrow(
      /does not broadcast to the attention weights' shape \[2,3,5\]/,
    );
    const m32 = randn([3, 5], { generator: new Generator(1) });
    expect(() => scaledDotProductAttention(q, k, v, { attnMask: m32 })).toThrow(DTypeError);
    const notBool = tensor([[0, 2, 1, 1, 1]], { dtype: 'int32' });
    expect(() => scaledDotProductAttention(q, k, v, { attnMask: notBool })).toThrow(/only 0 and 1/);
  });

  it('rejects isCausal with attnMask, a bad dropoutP or scale, and mixed dtypes', () => {
    expect(() => scaledDotProductAttention(q, k, v, { attnMask: rnd([3, 5], 1), isCausal: true })).toThrow(ValueError);
    expect(() => scaledDotProductAttention(q, k, v, { dropoutP: 1.5 })).toThrow(/dropoutP/);
    expect(() => scaledDotProductAttention(q, k, v, { scale: Number.NaN })).toThrow(/scale/);
    expect(() => scaledDotProductAttention(q, k, v.to('float32'))).toThrow(DTypeError);
    expect(() => scaledDotProductAttention(q.to('int32'), k, v)).toThrow(DTypeError);
  });
});
