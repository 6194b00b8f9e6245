import { describe, expect, it } from 'vitest';
import {
  add,
  DTypeError,
  div,
  Generator,
  gradcheck,
  gradgradcheck,
  gradients,
  layerNorm,
  mean,
  mul,
  randn,
  ShapeError,
  sqrt,
  sub,
  sum,
  type Tensor,
  tensor,
  ValueError,
  variance,
} from '../index';

const f64 = { dtype: 'float64' } as const;

/** The definition written with separate ops: the reference the fused op must reproduce. */
function composed(x: Tensor, k: number, w: Tensor | null, b: Tensor | null, eps: number): Tensor {
  const axes = Array.from({ length: k }, (_, i) => x.ndim - k + i);
  let y = div(sub(x, mean(x, axes, true)), sqrt(add(variance(x, axes, { unbiased: false, keepdims: true }), eps)));
  if (w !== null) y = mul(y, w);
  if (b !== null) y = add(y, b);
  return y;
}

function leaf(t: Tensor): Tensor {
  t.requiresGrad = true;
  return t;
}

function maxDiff(a: Tensor, b: Tensor): number {
  expect(a.shape).toEqual(b.shape);
  let m = 0;
  for (let i = 0; i < a.size; i++) m = Math.max(m, Math.abs(a.values[i] - b.values[i]));
  return m;
}

const cases: { shape: number[]; norm: number[] }[] = [
  { shape: [4, 8], norm: [8] },
  { shape: [2, 3, 5], norm: [5] },
  { shape: [2, 3, 6], norm: [3, 6] },
  { shape: [7], norm: [7] },
];

describe('layerNorm (fused op)', () => {
  for (const { shape, norm } of cases)
    for (const affine of ['none', 'weight', 'bias', 'both'] as const)
      it(`matches the composed definition forward and backward: shape [${shape}], normalizedShape [${norm}], ${affine}`, () => {
        const g = new Generator(shape.length * 10 + norm.length);
        const x = leaf(
          randn(shape, { ...f64, generator: g })
            .mul(3)
            .add(1),
        );
        const w = affine === 'weight' || affine === 'both' ? leaf(randn(norm, { ...f64, generator: g })) : null;
        const b = affine === 'bias' || affine === 'both' ? leaf(randn(norm, { ...f64, generator: g })) : null;
        const up = randn(shape, { ...f64, generator: g });
        const y = layerNorm(x, norm, w, b, 1e-5);
        const ref = composed(x, norm.length, w, b, 1e-5);
        expect(maxDiff(y, ref)).toBeLessThan(1e-12);
        const wrt = [x, ...(w ? [w] : []), ...(b ? [b] : [])];
        const got = gradients([y], wrt, [up]);
        const want = gradients([ref], wrt, [up]);
        for (let i = 0; i < wrt.length; i++) expect(maxDiff(got[i]!, want[i]!)).toBeLessThan(1e-11);
      });

  it('passes gradcheck and gradgradcheck in x, weight and bias (float64)', () => {
    const g = new Generator(3);
    const x = leaf(randn([3, 2, 4], { ...f64, generator: g }));
    const w = leaf(randn([2, 4], { ...f64, generator: g }));
    const b = leaf(randn([2, 4], { ...f64, generator: g }));
    const f = (xx: Tensor, ww: Tensor, bb: Tensor) => layerNorm(xx, [2, 4], ww, bb, 1e-3).mul(xx).sum();
    expect(gradcheck(f, [x, w, b])).toBe(true);
    expect(gradgradcheck((xx: Tensor, ww: Tensor, bb: Tensor) => layerNorm(xx, [2, 4], ww, bb, 1e-3), [x, w, b])).toBe(
      true,
    );
  });

  it('computes float32 in float64 and rounds once; rows far from zero keep their precision', () => {
    // A row of large, close values: one-pass E[x²] - E[x]² would cancel to garbage in float32.
    const x = tensor([[10000, 10001, 10002, 10003]]);
    const y = layerNorm(x, [4], null, null, 0);
    const s = Math.sqrt(1.25);
    expect(Array.from(y.values)).toEqual([-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s].map(Math.fround));
  });

  it('gives the float32 backward within float32 rounding of the float64 one', () => {
    const g = new Generator(9);
    const x64 = leaf(randn([6, 12], { ...f64, generator: g }));
    const w64 = leaf(randn([12], { ...f64, generator: g }));
    const up64 = randn([6, 12], { ...f64, generator: g });
    const x32 = leaf(x64.detach().to('float32'));
    const w32 = leaf(w64.detach().to('float32'));
    const [dx64, dw64] = gradients([layerNorm(x64, [12], w64)], [x64, w64], [up64]);
    const [dx32, dw32] = gradients([layerNorm(x32, [12], w32)], [x32, w32], [up64.to('float32')]);
    expect(dx32!.dtype).toBe('float32');
    expect(maxDiff(dx32!, dx64!)).toBeLessThan(1e-5);
    expect(maxDiff(dw32!, dw64!)).toBeLessThan(1e-5);
  });

  it('handles an empty batch and a zero-variance row', () => {
    expect(layerNorm(tensor([], { dtype: 'float32' }).reshape([0, 3]), [3]).shape).toEqual([0, 3]);
    const x = leaf(tensor([[2, 2, 2]], f64));
    const y = layerNorm(x, [3], null, null, 1e-5);
    expect(Array.from(y.values)).toEqual([0, 0, 0]);
    const [dx] = gradients([sum(mul(y, tensor([[1, 2, 3]], f64)))], [x]);
    // With zero variance, dx = rstd (g - mean g) = (g - 2) / sqrt(eps).
    const r = 1 / Math.sqrt(1e-5);
    expect(Array.from(dx!.values).map((v) => v / r)).toEqual([-1, 0, 1].map((v) => expect.closeTo(v, 9)));
  });

  it('rejects bad arguments with named errors before computing', () => {
    const x = tensor([[1, 2, 3]]);
    expect(() => layerNorm(x, [4])).toThrow(ShapeError);
    expect(() => layerNorm(x, [4])).toThrow(
      /layerNorm: input of shape \[1,3\] does not end with normalizedShape \[4\]/,
    );
    expect(() => layerNorm(x, [])).toThrow(/normalizedShape must name at least one dimension/);
    expect(() => layerNorm(x, [3], tensor([1, 2]))).toThrow(/layerNorm: weight must have shape \[3\], got \[2\]/);
    expect(() => layerNorm(x, [3], null, tensor([1, 2, 3], { dtype: 'int32' }))).toThrow(DTypeError);
    expect(() => layerNorm(tensor([[1, 2]], { dtype: 'int32' }), [2])).toThrow(/layerNorm: input must be a float32/);
    expect(() => layerNorm(x, [3], null, null, -1)).toThrow(ValueError);
    expect(() => layerNorm(x, [3], null, null, Number.NaN)).toThrow(/eps must be a finite number >= 0, got NaN/);
  });
});
