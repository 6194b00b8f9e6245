import { describe, expect, it } from 'vitest';
import {
  add,
  eye,
  gradcheck,
  gradgradcheck,
  householderProduct,
  matmul,
  matmulTransposed,
  matrixExp,
  mul,
  ShapeError,
  solve,
  tensor,
  ValueError,
  zeros,
} from '../../index';
import { maxAbsDiff, random } from './test-utils';

describe('matrixExp', () => {
  it('is the identity at 0, a rotation for a skew matrix, and exp(A) exp(-A) = I at a large norm', () => {
    expect(Array.from(matrixExp(zeros([3, 3], { dtype: 'float64' })).data)).toEqual(Array.from(eye(3).data));
    const r = matrixExp(
      tensor(
        [
          [0, 1],
          [-1, 0],
        ],
        { dtype: 'float64' },
      ),
    );
    expect(maxAbsDiff(r.data, [Math.cos(1), Math.sin(1), -Math.sin(1), Math.cos(1)])).toBeLessThan(1e-15);
    const a = mul(random([4, 4], 1), 3); // 1-norm well above 1/2: several squarings
    const prod = matmul(matrixExp(a), matrixExp(mul(a, -1)));
    expect(maxAbsDiff(prod.data, eye(4, 4, { dtype: 'float64' }).data)).toBeLessThan(1e-10);
    // A diagonal matrix's exponential is the exponential of its diagonal.
    const d = matrixExp(
      tensor(
        [
          [2, 0],
          [0, -3],
        ],
        { dtype: 'float64' },
      ),
    );
    expect(maxAbsDiff(d.data, [Math.exp(2), 0, 0, Math.exp(-3)])).toBeLessThan(1e-13 * Math.exp(2));
  });

  it('passes gradcheck and gradgradcheck, batched', () => {
    const a = mul(random([2, 3, 3], 2), 0.8)
      .detach()
      .requiresGrad_();
    expect(gradcheck((x) => matrixExp(x), [a])).toBe(true);
    expect(
      gradgradcheck(
        (x) => matrixExp(x),
        [
          mul(random([2, 2], 3), 0.5)
            .detach()
            .requiresGrad_(),
        ],
      ),
    ).toBe(true);
  });

  it('refuses non-square matrices and non-finite values with a named error', () => {
    expect(() => matrixExp(zeros([2, 3]))).toThrow(/matrixExp: a must be square matrices/);
    expect(() =>
      matrixExp(
        tensor([
          [Number.NaN, 0],
          [0, 1],
        ]),
      ),
    ).toThrow(ValueError);
    expect(() => matrixExp(zeros([3]))).toThrow(ShapeError);
  });
});

describe('householderProduct', () => {
  it('gives orthonormal columns, and passes gradcheck for a and tau', () => {
    const a = random([5, 3], 4, true);
    const v = add(a, 0).detach();
    // The QR convention: tau = 2 / (1 + |v below the diagonal|²) makes each reflector orthogonal.
    const tau = tensor(
      [0, 1, 2].map((j) => {
        let s = 0;
        for (let i = j + 1; i < 5; i++) s += v.data[i * 3 + j] ** 2;
        return 2 / (1 + s);
      }),
      { dtype: 'float64', requiresGrad: true },
    );
    const q = householderProduct(a, tau);
    const gram = matmulTransposed(q, q, { transA: true });
    expect(maxAbsDiff(gram.data, eye(3, 3, { dtype: 'float64' }).data)).toBeLessThan(1e-14);
    expect(gradcheck((x, t) => householderProduct(x, t), [a, tau])).toBe(true);
  });

  it('refuses a wide matrix and a tau of the wrong shape', () => {
    expect(() => householderProduct(zeros([2, 3]), zeros([2]))).toThrow(/at least as many rows as columns/);
    expect(() => householderProduct(zeros([3, 2]), zeros([3]))).toThrow(/tau must be a float32 tensor \[\.\.\., k\]/);
    expect(() => householderProduct(zeros([3, 2]), zeros([2], { dtype: 'float64' }))).toThrow(ShapeError);
  });
});

describe('solve', () => {
  it('solves for a vector and for several right-hand sides, batched, with gradients', () => {
    const a = add(random([2, 3, 3], 5), mul(eye(3, 3, { dtype: 'float64' }), 3))
      .detach()
      .requiresGrad_();
    const b = random([2, 3, 2], 6, true);
    const x = solve(a, b);
    expect(maxAbsDiff(matmul(a, x).data, b.data)).toBeLessThan(1e-13);
    expect(solve(a, random([2, 3], 7)).shape).toEqual([2, 3]);
    const two = solve(
      tensor(
        [
          [2, 0],
          [1, 1],
        ],
        { dtype: 'float64' },
      ),
      tensor([4, 3], { dtype: 'float64' }),
    );
    expect(maxAbsDiff(two.data, [2, 1])).toBeLessThan(1e-15);
    expect(gradcheck((p, q) => solve(p, q), [a, b])).toBe(true);
  });

  it('refuses a singular matrix and mismatched shapes, naming the function', () => {
    expect(() =>
      solve(
        tensor(
          [
            [1, 2],
            [2, 4],
          ],
          { dtype: 'float64' },
        ),
        tensor([1, 1], { dtype: 'float64' }),
      ),
    ).toThrow(/solve: a is singular/);
    expect(() => solve(zeros([2, 3]), zeros([2]))).toThrow(/solve: a must be square/);
    expect(() => solve(eye(2), zeros([3]))).toThrow(/solve: b must be/);
    expect(() => solve(eye(2), zeros([2], { dtype: 'float64' }))).toThrow(/b must be a tensor of a's dtype float32/);
  });
});
