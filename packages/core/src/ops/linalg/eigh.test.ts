import { describe, expect, it } from 'vitest';
import {
  DTypeError,
  eigh,
  enableGrad,
  Generator,
  gradcheck,
  gradgradcheck,
  gradients,
  matmulTransposed,
  mul,
  randn,
  ShapeError,
  sum,
  type Tensor,
  tensor,
  ValueError,
  zeros,
} from '../../index';
import { concat } from '../concat';
import { reshape } from '../reshape';
import { symmetricEigenKernel } from './symmetric-eigen';

/** A random symmetric float64 matrix (or batch) of `shape`. */
function randomSymmetric(shape: number[], seed: number): Tensor {
  const x = randn(shape, { dtype: 'float64', generator: new Generator(seed) });
  return x.add(x.transpose(-1, -2)).mul(0.5);
}

/** A float64 matrix with the given spectrum: Q diag(values) Qᵀ for a random orthogonal Q (from eigh). */
function withSpectrum(values: number[], seed: number): Float64Array {
  const n = values.length;
  const q = eigh(randomSymmetric([n, n], seed)).eigenvectors.data;
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += q[i * n + k] * values[k] * q[j * n + k];
      a[i * n + j] = s;
    }
  for (let i = 0; i < n; i++)
    for (let j = 0; j < i; j++) a[i * n + j] = a[j * n + i] = (a[i * n + j] + a[j * n + i]) / 2;
  return a;
}

/**
 * max |V diag(L) Vᵀ - A| / max|A| and max |VᵀV - I| for one n x n matrix, in doubles, with A the
 * symmetric matrix built from the lower triangle of `a`.
 */
function residuals(a: ArrayLike<number>, values: ArrayLike<number>, vectors: ArrayLike<number>, n: number) {
  let recon = 0;
  let orth = 0;
  let scale = 0;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      const aij = i >= j ? a[i * n + j] : a[j * n + i];
      scale = Math.max(scale, Math.abs(aij));
      let r = 0;
      let o = 0;
      for (let k = 0; k < n; k++) {
        r += vectors[i * n + k] * values[k] * vectors[j * n + k];
        o += vectors[k * n + i] * vectors[k * n + j];
      }
      recon = Math.max(recon, Math.abs(r - aij));
      orth = Math.max(orth, Math.abs(o - (i === j ? 1 : 0)));
    }
  return { recon: scale === 0 ? recon : recon / scale, orth };
}

function isAscending(values: ArrayLike<number>): boolean {
  for (let i = 1; i < values.length; i++) if (!(values[i - 1] <= values[i])) return false;
  return true;
}

describe('eigh', () => {
  it('decomposes a 2x2 matrix exactly', () => {
    const { eigenvalues, eigenvectors } = eigh(
      tensor(
        [
          [2, 1],
          [1, 2],
        ],
        { dtype: 'float64' },
      ),
    );
    expect(eigenvalues.shape).toEqual([2]);
    expect(eigenvectors.shape).toEqual([2, 2]);
    expect(eigenvalues.data[0]).toBeCloseTo(1, 14);
    expect(eigenvalues.data[1]).toBeCloseTo(3, 14);
    const v = eigenvectors.data;
    const h = Math.SQRT1_2;
    // Columns ±[1, -1]/√2 and ±[1, 1]/√2.
    expect(Math.abs(v[0])).toBeCloseTo(h, 14);
    expect(v[2]).toBeCloseTo(-v[0], 14);
    expect(Math.abs(v[1])).toBeCloseTo(h, 14);
    expect(v[3]).toBeCloseTo(v[1], 14);
  });

  it('gives ascending eigenvalues, V diag(L) Vᵀ = A and VᵀV = I for random matrices of many sizes', () => {
    for (const n of [1, 2, 3, 4, 7, 16, 31, 64, 100, 170]) {
      const a = randomSymmetric([n, n], n);
      const { eigenvalues, eigenvectors } = eigh(a);
      expect(isAscending(eigenvalues.data)).toBe(true);
      const { recon, orth } = residuals(a.data, eigenvalues.data, eigenvectors.data, n);
      expect(recon, `n=${n}`).toBeLessThan(1e-13 * n + 1e-15);
      expect(orth, `n=${n}`).toBeLessThan(1e-13 * n + 1e-15);
    }
  });

  it('stays accurate on hard spectra (clusters, graded, rank-deficient, Wilkinson), small and large', () => {
    const cases: [string, Float64Array, number][] = [];
    for (const size of [8, 120]) {
      const spectrum = (f: (i: number) => number) => Array.from({ length: size }, (_, i) => f(i));
      cases.push([
        `clustered${size}`,
        withSpectrum(
          spectrum((i) => Math.floor(i / 3) + (i % 3) * 1e-12),
          size,
        ),
        size,
      ]);
      cases.push([
        `repeated${size}`,
        withSpectrum(
          spectrum((i) => (i < size / 2 ? 1 : i % 2 ? 2 : -3)),
          size + 1,
        ),
        size,
      ]);
      cases.push([
        `graded${size}`,
        withSpectrum(
          spectrum((i) => 10 ** (3 - (18 * i) / size)),
          size + 2,
        ),
        size,
      ]);
      // A Gram matrix GᵀG of rank 5 (as in second-moment preconditioners): size - 5 zero eigenvalues.
      const g = randn([5, size], { dtype: 'float64', generator: new Generator(size + 3) });
      cases.push([`gram${size}`, matmulTransposed(g, g, { transA: true }).data as Float64Array, size]);
    }
    // Wilkinson's W+ matrices: pairs of eigenvalues that agree to many digits.
    for (const half of [10, 100]) {
      const n = 2 * half + 1;
      const w = new Float64Array(n * n);
      for (let i = 0; i < n; i++) {
        w[i * n + i] = Math.abs(half - i);
        if (i < n - 1) w[i * n + i + 1] = w[(i + 1) * n + i] = 1;
      }
      cases.push([`wilkinson${n}`, w, n]);
    }
    // Glued Wilkinson matrices (a classic stress test for tridiagonal eigensolvers), with negative
    // and tiny couplings.
    const glued = new Float64Array(105 * 105);
    for (let b = 0; b < 5; b++)
      for (let i = 0; i < 21; i++) {
        const r = b * 21 + i;
        glued[r * 105 + r] = Math.abs(10 - i);
        if (r < 104) glued[r * 105 + r + 1] = glued[(r + 1) * 105 + r] = i === 20 ? 1e-14 : -1;
      }
    cases.push(['glued_wilkinson105', glued, 105]);
    // A diagonal matrix (every coupling zero) and a multiple of the identity.
    const diag = new Float64Array(60 * 60);
    for (let i = 0; i < 60; i++) diag[i * 60 + i] = Math.cos(i);
    cases.push(['diagonal60', diag, 60]);
    const scaledIdentity = new Float64Array(50 * 50);
    for (let i = 0; i < 50; i++) scaledIdentity[i * 50 + i] = 2.5;
    cases.push(['identity50', scaledIdentity, 50]);
    for (const [name, data, n] of cases) {
      const { eigenvalues, eigenvectors } = eigh(tensor(Array.from(data), { dtype: 'float64' }).reshape([n, n]));
      expect(isAscending(eigenvalues.data), name).toBe(true);
      const { recon, orth } = residuals(data, eigenvalues.data, eigenvectors.data, n);
      expect(recon, name).toBeLessThan(1e-13 * n);
      expect(orth, name).toBeLessThan(1e-13 * n);
    }
    // Eigenvalues agree with those of the QL iteration alone (no vectors) to u·‖A‖.
    for (const [name, data, n] of cases) {
      const values = new Float64Array(n);
      symmetricEigenKernel(Float64Array.from(data), n, values, null);
      const got = eigh(tensor(Array.from(data), { dtype: 'float64' }).reshape([n, n])).eigenvalues.data;
      let norm = 0;
      for (const x of values) norm = Math.max(norm, Math.abs(x));
      for (let i = 0; i < n; i++) expect(Math.abs(got[i] - values[i]), name).toBeLessThan(1e-13 * n * norm);
    }
    // The graded spectrum's tiny eigenvalues are recovered to absolute accuracy u·‖A‖.
    const graded = eigh(tensor(Array.from(cases[2][1]), { dtype: 'float64' }).reshape([8, 8])).eigenvalues.data;
    expect(Math.abs(graded[7] - 1e3)).toBeLessThan(1e-10);
    expect(Math.abs(graded[0])).toBeLessThan(1e-11);
  });

  it('scales matrices with huge or tiny entries without overflow or underflow', () => {
    for (const s of [1e-300, 1e-200, 1e200, 1e300]) {
      const a = tensor(
        [
          [2 * s, s],
          [s, 2 * s],
        ],
        { dtype: 'float64' },
      );
      const { eigenvalues, eigenvectors } = eigh(a);
      expect(eigenvalues.data[0] / s).toBeCloseTo(1, 12);
      expect(eigenvalues.data[1] / s).toBeCloseTo(3, 12);
      expect(Math.abs(eigenvectors.data[0])).toBeCloseTo(Math.SQRT1_2, 12);
    }
  });

  it('reads only the uplo triangle', () => {
    const sym = randomSymmetric([5, 5], 10);
    const garbageAbove = sym.add(mul(randn([5, 5], { dtype: 'float64', generator: new Generator(11) }), upperMask(5)));
    const garbageBelow = sym.add(
      mul(randn([5, 5], { dtype: 'float64', generator: new Generator(12) }), upperMask(5).transpose(0, 1)),
    );
    const want = eigh(sym).eigenvalues.data;
    expect(Array.from(eigh(garbageAbove).eigenvalues.data)).toEqual(Array.from(want));
    expect(Array.from(eigh(garbageAbove, { uplo: 'L' }).eigenvectors.data)).toEqual(
      Array.from(eigh(sym).eigenvectors.data),
    );
    expect(Array.from(eigh(garbageBelow, { uplo: 'U' }).eigenvalues.data)).toEqual(
      Array.from(eigh(sym, { uplo: 'U' }).eigenvalues.data),
    );
    // ...and the garbage does change the other triangle's answer.
    expect(Array.from(eigh(garbageAbove, { uplo: 'U' }).eigenvalues.data)).not.toEqual(Array.from(want));
  });

  it('handles a batch like the matrices one by one', () => {
    const a = randomSymmetric([2, 3, 4, 4], 20);
    const { eigenvalues, eigenvectors } = eigh(a);
    expect(eigenvalues.shape).toEqual([2, 3, 4]);
    expect(eigenvectors.shape).toEqual([2, 3, 4, 4]);
    for (let b = 0; b < 6; b++) {
      const one = eigh(tensor(Array.from(a.data.slice(b * 16, b * 16 + 16)), { dtype: 'float64' }).reshape([4, 4]));
      expect(Array.from(eigenvalues.data.slice(b * 4, b * 4 + 4))).toEqual(Array.from(one.eigenvalues.data));
      expect(Array.from(eigenvectors.data.slice(b * 16, b * 16 + 16))).toEqual(Array.from(one.eigenvectors.data));
    }
  });

  it('computes float32 input in float64 and rounds once', () => {
    const a64 = randomSymmetric([12, 12], 30);
    const a32 = a64.to('float32');
    const ref = eigh(a32.to('float64'));
    const { eigenvalues, eigenvectors } = eigh(a32);
    expect(eigenvalues.dtype).toBe('float32');
    expect(eigenvectors.dtype).toBe('float32');
    for (let i = 0; i < 12; i++) expect(eigenvalues.data[i]).toBe(Math.fround(ref.eigenvalues.data[i]));
    for (let i = 0; i < 144; i++) expect(eigenvectors.data[i]).toBe(Math.fround(ref.eigenvectors.data[i]));
  });

  it('handles empty, 1x1, zero and non-finite matrices like PyTorch', () => {
    const empty = eigh(zeros([3, 0, 0], { dtype: 'float64' }));
    expect(empty.eigenvalues.shape).toEqual([3, 0]);
    expect(empty.eigenvectors.shape).toEqual([3, 0, 0]);
    const one = eigh(tensor([[-2.5]]));
    expect(Array.from(one.eigenvalues.data)).toEqual([-2.5]);
    expect(Array.from(one.eigenvectors.data)).toEqual([1]);
    const zero = eigh(zeros([3, 3], { dtype: 'float64' }));
    expect(Array.from(zero.eigenvalues.data)).toEqual([0, 0, 0]);
    expect(residuals(zeros([9]).data, zero.eigenvalues.data, zero.eigenvectors.data, 3).orth).toBe(0);
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
      const r = eigh(
        tensor(
          [
            [1, 0],
            [bad, 2],
          ],
          { dtype: 'float64' },
        ),
      );
      expect(Array.from(r.eigenvalues.data).every(Number.isNaN)).toBe(true);
      expect(Array.from(r.eigenvectors.data).every(Number.isNaN)).toBe(true);
    }
  });

  it('rejects bad input with errors naming eigh, the argument and the problem', () => {
    expect(() => eigh(zeros([3, 4]))).toThrow(ShapeError);
    expect(() => eigh(zeros([3, 4]))).toThrow('eigh: a must be square in its last two dimensions, got shape [3,4]');
    expect(() => eigh(zeros([3]))).toThrow(ShapeError);
    expect(() => eigh(zeros([3]))).toThrow('eigh: a must have at least 2 dimensions, got shape [3]');
    expect(() => eigh(zeros([2, 2], { dtype: 'int32' }))).toThrow(DTypeError);
    expect(() => eigh(zeros([2, 2], { dtype: 'int32' }))).toThrow('eigh: a must be float32 or float64, got int32');
    expect(() => eigh(zeros([2, 2]), { uplo: 'X' as 'L' })).toThrow(ValueError);
    expect(() => eigh(zeros([2, 2]), { uplo: 'X' as 'L' })).toThrow(`eigh: options.uplo must be 'L' or 'U', got "X"`);
    expect(() => eigh(zeros([2, 2]), { upper: true } as never)).toThrow('eigh: unknown option "upper"');
    expect(() => eigh([[1]] as never)).toThrow(ValueError);
  });
});

function upperMask(n: number): Tensor {
  const data = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) data[i * n + j] = 1;
  return tensor(Array.from(data), { dtype: 'float64' }).reshape([n, n]);
}

/**
 * A sign-invariant function of eigh's outputs for gradient checks: the eigenvalues, the squared
 * eigenvectors and V diag(c) Vᵀ, of the symmetric part of `x` (so that finite differences move a
 * symmetric matrix, which is what the gradient describes).
 */
function eighFeatures(x: Tensor): Tensor {
  const n = x.shape[x.ndim - 1];
  const { eigenvalues, eigenvectors: v } = eigh(x.add(x.transpose(-1, -2)).mul(0.5));
  const c = tensor(
    Array.from({ length: n }, (_, i) => 0.5 + i),
    { dtype: 'float64' },
  );
  const outer = matmulTransposed(mul(v, c), v, { transB: true });
  const batch = x.shape.slice(0, -2);
  return concat([eigenvalues, reshape(mul(v, v), [...batch, n * n]), reshape(outer, [...batch, n * n])], -1);
}

describe('eigh gradients', () => {
  it('pass gradcheck and gradgradcheck in float64', () => {
    for (const shape of [
      [1, 1],
      [2, 2],
      [4, 4],
      [2, 3, 3],
    ]) {
      const x = randn(shape, { dtype: 'float64', generator: new Generator(40 + shape.length), requiresGrad: true });
      expect(gradcheck(eighFeatures, [x]), `gradcheck ${shape}`).toBe(true);
    }
    // Above 24 rows the forward takes the divide-and-conquer path.
    const big = randn([26, 26], { dtype: 'float64', generator: new Generator(42), requiresGrad: true });
    expect(gradcheck(eighFeatures, [big]), 'gradcheck [26, 26]').toBe(true);
    const x = randn([3, 3], { dtype: 'float64', generator: new Generator(41), requiresGrad: true });
    expect(gradgradcheck((t) => enableGrad(() => eighFeatures(t)), [x])).toBe(true);
    const values = (t: Tensor) => eigh(t.add(t.transpose(-1, -2))).eigenvalues.square();
    expect(gradgradcheck((t) => enableGrad(() => values(t)), [x])).toBe(true);
  });

  it('is symmetric: the gradient with respect to a symmetric matrix, as in PyTorch', () => {
    const a = randomSymmetric([5, 5], 50);
    a.requiresGrad = true;
    const { eigenvalues, eigenvectors } = eigh(a);
    const w = randn([5, 5], { dtype: 'float64', generator: new Generator(51) });
    const [g] = gradients([sum(mul(eigenvectors, eigenvectors).mul(w)).add(eigenvalues.sum())], [a]);
    const d = (g as Tensor).data;
    for (let i = 0; i < 5; i++) for (let j = 0; j < i; j++) expect(d[i * 5 + j]).toBeCloseTo(d[j * 5 + i], 13);
  });

  it('of the eigenvalues alone is V diag(gL) Vᵀ, finite even for repeated eigenvalues', () => {
    const a = tensor(Array.from(withSpectrum([1, 1, 1, 4], 60)), { dtype: 'float64', requiresGrad: true }).reshape([
      4, 4,
    ]);
    const { eigenvalues } = eigh(a);
    const [g] = gradients([eigenvalues.sum()], [a]);
    // d(trace A)/dA = I.
    const d = (g as Tensor).data;
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) expect(d[i * 4 + j]).toBeCloseTo(i === j ? 1 : 0, 12);
  });

  it('through the eigenvectors is not finite for repeated eigenvalues, as in PyTorch', () => {
    // Exactly equal eigenvalues (a computed spectrum Q diag(2, 2, 5) Qᵀ has gaps of an ulp instead).
    const a = tensor(
      [
        [2, 0, 0],
        [0, 5, 0],
        [0, 0, 2],
      ],
      { dtype: 'float64', requiresGrad: true },
    );
    const { eigenvectors } = eigh(a);
    const [g] = gradients([sum(mul(eigenvectors, eigenvectors).mul(tensor([1, 2, 3], { dtype: 'float64' })))], [a]);
    expect(Array.from((g as Tensor).data).some((x) => !Number.isFinite(x))).toBe(true);
  });

  it('works for float32 input (computed in float32 like PyTorch)', () => {
    const a = randomSymmetric([4, 4], 70);
    const a32 = a.to('float32');
    a32.requiresGrad = true;
    a.requiresGrad = true;
    const loss = (t: Tensor) => {
      const { eigenvalues, eigenvectors } = eigh(t);
      return eigenvalues
        .mul(eigenvalues)
        .sum()
        .add(sum(mul(eigenvectors, eigenvectors).mul(eigenvectors).mul(eigenvectors)));
    };
    const [g32] = gradients([loss(a32)], [a32]);
    const [g64] = gradients([loss(a)], [a]);
    expect((g32 as Tensor).dtype).toBe('float32');
    for (let i = 0; i < 16; i++) expect(Math.abs((g32 as Tensor).data[i] - (g64 as Tensor).data[i])).toBeLessThan(1e-4);
  });
});

describe('symmetricEigenKernel', () => {
  it('computes eigenvalues alone when no vector array is given', () => {
    const a = randomSymmetric([9, 9], 90);
    const withVectors = eigh(a).eigenvalues.data;
    const work = Float64Array.from(a.data);
    const values = new Float64Array(9);
    symmetricEigenKernel(work, 9, values, null);
    for (let i = 0; i < 9; i++) expect(values[i]).toBeCloseTo(withVectors[i], 13);
  });
});
