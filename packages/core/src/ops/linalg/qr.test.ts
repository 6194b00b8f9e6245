import { describe, expect, it } from 'vitest';
import {
  AutogradError,
  DTypeError,
  enableGrad,
  gradcheck,
  gradgradcheck,
  gradients,
  matmul,
  matmulTransposed,
  mul,
  qr,
  ShapeError,
  sum,
  type Tensor,
  tensor,
  ValueError,
  zeros,
} from '../../index';
import { concat } from '../concat';
import { reshape } from '../reshape';
import { maxAbsDiff, random } from './test-utils';
import { triangularSolve } from './triangular-solve';

/** max |QᵀQ - I| over a batch of matrices with `cols` columns. */
function orthogonalityError(q: Tensor): number {
  const gram = matmulTransposed(q, q, { transA: true });
  const cols = q.shape[q.ndim - 1];
  let err = 0;
  for (let i = 0; i < gram.size; i++) {
    const r = Math.floor(i / cols) % cols;
    const c = i % cols;
    err = Math.max(err, Math.abs(gram.data[i] - (r === c ? 1 : 0)));
  }
  return err;
}

function isUpperTriangular(r: Tensor): boolean {
  const rows = r.shape[r.ndim - 2];
  const cols = r.shape[r.ndim - 1];
  for (let i = 0; i < r.size; i++) {
    const row = Math.floor(i / cols) % rows;
    if (i % cols < row && r.data[i] !== 0) return false;
  }
  return true;
}

/**
 * The textbook Householder QR in doubles, one reflector at a time (LAPACK's convention: the reflector
 * maps column j to -sign(a_jj)·‖column‖·e_j, none when the column is already reduced), with Q
 * accumulated explicitly: the reference for the blocked kernels. Returns row-major complete Q and R.
 */
function unblockedQR(data: ArrayLike<number>, m: number, n: number): { q: number[]; r: number[] } {
  const r = Array.from(data);
  const q = new Array<number>(m * m).fill(0);
  for (let i = 0; i < m; i++) q[i * m + i] = 1;
  for (let j = 0; j < Math.min(m, n); j++) {
    let below = 0;
    for (let i = j + 1; i < m; i++) below += r[i * n + j] ** 2;
    if (below === 0) continue;
    const alpha = r[j * n + j];
    const norm = Math.sqrt(alpha * alpha + below);
    const beta = alpha >= 0 ? -norm : norm;
    const u = new Array<number>(m).fill(0);
    u[j] = alpha - beta;
    for (let i = j + 1; i < m; i++) u[i] = r[i * n + j];
    let uu = 0;
    for (let i = j; i < m; i++) uu += u[i] * u[i];
    // H = I - 2 u uᵀ / uᵀu, applied to R from the left and to Q from the right.
    for (let c = 0; c < n; c++) {
      let s = 0;
      for (let i = j; i < m; i++) s += u[i] * r[i * n + c];
      s = (2 * s) / uu;
      for (let i = j; i < m; i++) r[i * n + c] -= s * u[i];
    }
    for (let row = 0; row < m; row++) {
      let s = 0;
      for (let i = j; i < m; i++) s += q[row * m + i] * u[i];
      s = (2 * s) / uu;
      for (let i = j; i < m; i++) q[row * m + i] -= s * u[i];
    }
    for (let i = j + 1; i < m; i++) r[i * n + j] = 0;
  }
  return { q, r };
}

describe('qr', () => {
  it("gives LAPACK's factors of a 2x2 matrix", () => {
    const { q, r } = qr(
      tensor(
        [
          [3, 1],
          [4, 2],
        ],
        { dtype: 'float64' },
      ),
    );
    expect(maxAbsDiff(q.data, [-0.6, -0.8, -0.8, 0.6])).toBeLessThan(1e-15);
    expect(maxAbsDiff(r.data, [-5, -2.2, 0, 0.4])).toBeLessThan(1e-15);
  });

  it('follows the reflector sign convention: R_jj = -sign(a_jj)·‖column‖, no reflection for a reduced column', () => {
    // A column with a negative leading entry gets a positive diagonal.
    const { r } = qr(
      tensor(
        [
          [-3, 1],
          [4, 2],
        ],
        { dtype: 'float64' },
      ),
    );
    expect(r.data[0]).toBeCloseTo(5, 14);
    // An upper triangular matrix needs no reflections: Q = I and R = A exactly, negative entries included.
    const a = tensor(
      [
        [2, -1, 3],
        [0, -4, 1],
        [0, 0, 5],
      ],
      { dtype: 'float64' },
    );
    const f = qr(a);
    // (-0 where LAPACK scales a zero vector by -tau = -0, as PyTorch shows too)
    expect(Array.from(f.q.data, (x) => x + 0)).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    expect(Array.from(f.r.data)).toEqual(Array.from(a.data));
    // A zero first column: R[0, 0] = 0 and Q's first column is e_0.
    const z = qr(
      tensor(
        [
          [0, 1],
          [0, 2],
          [0, 3],
        ],
        { dtype: 'float64' },
      ),
    );
    expect(z.r.data[0]).toBe(0);
    expect([z.q.data[0], z.q.data[2] + 0, z.q.data[4] + 0]).toEqual([1, 0, 0]);
  });

  it('returns the shapes of each mode, batched, with Q R = A and orthonormal columns', () => {
    const cases: [number[], 'reduced' | 'complete' | 'r', number[], number[]][] = [
      [[5, 3], 'reduced', [5, 3], [3, 3]],
      [[5, 3], 'complete', [5, 5], [5, 3]],
      [[5, 3], 'r', [0], [3, 3]],
      [[3, 5], 'reduced', [3, 3], [3, 5]],
      [[3, 5], 'complete', [3, 3], [3, 5]],
      [[3, 5], 'r', [0], [3, 5]],
      [[2, 4, 6, 4], 'reduced', [2, 4, 6, 4], [2, 4, 4, 4]],
      [[2, 6, 4], 'complete', [2, 6, 6], [2, 6, 4]],
      [[40, 40], 'reduced', [40, 40], [40, 40]],
      [[70, 25], 'complete', [70, 70], [70, 25]],
    ];
    cases.forEach(([shape, mode, qShape, rShape], i) => {
      const a = random(shape, i);
      const { q, r } = qr(a, { mode });
      expect(q.shape, `${shape} ${mode}`).toEqual(qShape);
      expect(r.shape, `${shape} ${mode}`).toEqual(rShape);
      expect(isUpperTriangular(r)).toBe(true);
      if (mode === 'r') {
        expect(Array.from(r.data)).toEqual(Array.from(qr(a).r.data));
        return;
      }
      expect(orthogonalityError(q)).toBeLessThan(1e-14 * shape[shape.length - 2]);
      expect(maxAbsDiff(matmul(q, r).data, a.data)).toBeLessThan(1e-14 * shape[shape.length - 2]);
    });
  });

  it('matches a textbook unblocked Householder QR on matrices large enough for the blocked updates', () => {
    for (const [m, n, seed] of [
      [150, 120, 1],
      [200, 60, 2],
      [100, 180, 3],
      [130, 130, 4],
    ]) {
      const a = random([m, n], 10 + seed);
      const ref = unblockedQR(a.data, m, n);
      const { q, r } = qr(a, { mode: 'complete' });
      expect(maxAbsDiff(r.data, ref.r), `${m}x${n} R`).toBeLessThan(1e-12 * m);
      expect(maxAbsDiff(q.data, ref.q), `${m}x${n} Q`).toBeLessThan(1e-12 * m);
    }
  });

  it('rescales columns whose norm is tiny or huge (Q unchanged, R scaled)', () => {
    const a = random([5, 3], 40);
    const ref = qr(a);
    for (const s of [1e-300, 1e-310, 1e300]) {
      const { q, r } = qr(a.mul(s));
      expect(maxAbsDiff(q.data, ref.q.data), `scale ${s}`).toBeLessThan(1e-13);
      expect(
        maxAbsDiff(
          Array.from(r.data, (x) => x / s),
          ref.r.data,
        ),
        `scale ${s}`,
      ).toBeLessThan(1e-12);
    }
  });

  it('handles a batch like the matrices one by one', () => {
    const a = random([3, 4, 3], 20);
    const { q, r } = qr(a);
    for (let b = 0; b < 3; b++) {
      const one = qr(tensor(Array.from(a.data.slice(b * 12, b * 12 + 12)), { dtype: 'float64' }).reshape([4, 3]));
      expect(Array.from(q.data.slice(b * 12, b * 12 + 12))).toEqual(Array.from(one.q.data));
      expect(Array.from(r.data.slice(b * 9, b * 9 + 9))).toEqual(Array.from(one.r.data));
    }
  });

  it('computes float32 input in float64 and rounds once', () => {
    const a32 = random([6, 4], 30).to('float32');
    const ref = qr(a32.to('float64'), { mode: 'complete' });
    const { q, r } = qr(a32, { mode: 'complete' });
    expect(q.dtype).toBe('float32');
    expect(r.dtype).toBe('float32');
    expect(Array.from(q.data)).toEqual(Array.from(ref.q.data, Math.fround));
    expect(Array.from(r.data)).toEqual(Array.from(ref.r.data, Math.fround));
  });

  it('handles empty matrices like PyTorch', () => {
    const wide = qr(zeros([0, 3], { dtype: 'float64' }));
    expect(wide.q.shape).toEqual([0, 0]);
    expect(wide.r.shape).toEqual([0, 3]);
    const tall = qr(zeros([3, 0], { dtype: 'float64' }), { mode: 'complete' });
    expect(Array.from(tall.q.data)).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    expect(tall.r.shape).toEqual([3, 0]);
  });

  it('rejects bad input with errors naming qr, the argument and the problem', () => {
    expect(() => qr(zeros([3]))).toThrow(ShapeError);
    expect(() => qr(zeros([3]))).toThrow('qr: a must have at least 2 dimensions, got shape [3]');
    expect(() => qr(zeros([2, 2], { dtype: 'int32' }))).toThrow(DTypeError);
    expect(() => qr(zeros([2, 2], { dtype: 'int32' }))).toThrow('qr: a must be float32 or float64, got int32');
    expect(() => qr(zeros([2, 2]), { mode: 'full' as 'r' })).toThrow(ValueError);
    expect(() => qr(zeros([2, 2]), { mode: 'full' as 'r' })).toThrow(
      `qr: options.mode must be 'reduced', 'complete' or 'r', got "full"`,
    );
    expect(() => qr(zeros([2, 2]), { pivoting: true } as never)).toThrow('qr: unknown option "pivoting"');
    expect(() => qr(null as never)).toThrow('qr: a must be a Tensor, got null');
  });
});

/** Q and R of `x` flattened side by side, for gradient checks. */
function qrFeatures(mode: 'reduced' | 'complete') {
  return (x: Tensor): Tensor => {
    const { q, r } = qr(x, { mode });
    const batch = x.shape.slice(0, -2);
    return concat(
      [
        reshape(q, [...batch, q.size / Math.max(1, sizeOf(batch))]),
        reshape(r, [...batch, r.size / Math.max(1, sizeOf(batch))]),
      ],
      -1,
    );
  };
}

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

describe('qr gradients', () => {
  it('pass gradcheck in float64 for tall, square, wide and batched inputs', () => {
    const cases: [number[], 'reduced' | 'complete'][] = [
      [[5, 3], 'reduced'],
      [[4, 4], 'reduced'],
      [[4, 4], 'complete'],
      [[3, 5], 'reduced'],
      [[3, 5], 'complete'],
      [[2, 4, 3], 'reduced'],
      [[1, 1], 'reduced'],
      [[6, 1], 'reduced'],
      [[1, 4], 'reduced'],
    ];
    cases.forEach(([shape, mode], i) => {
      expect(gradcheck(qrFeatures(mode), [random(shape, 100 + i, true)]), `${shape} ${mode}`).toBe(true);
    });
  });

  it('pass gradgradcheck in float64', () => {
    for (const [shape, seed] of [
      [[4, 3], 1],
      [[3, 3], 2],
      [[2, 4], 3],
    ] as [number[], number][]) {
      const f = qrFeatures('reduced');
      expect(
        gradgradcheck((x) => enableGrad(() => f(x)), [random(shape, 200 + seed, true)]),
        `${shape}`,
      ).toBe(true);
    }
  });

  it("throw AutogradError in backward for mode 'r' and for mode 'complete' with more rows than columns", () => {
    const a = random([5, 3], 300, true);
    const { r } = qr(a, { mode: 'r' });
    expect(() => gradients([sum(r)], [a])).toThrow(AutogradError);
    expect(() => gradients([sum(r)], [a])).toThrow(
      "qr: the gradient of qr depends on Q, which mode 'r' does not compute",
    );
    const complete = qr(a, { mode: 'complete' });
    expect(() => gradients([sum(complete.q)], [a])).toThrow(AutogradError);
    expect(() => gradients([sum(complete.q)], [a])).toThrow(
      "qr: the QR decomposition is not differentiable in mode 'complete' when a has more rows than columns (got shape [5,3])",
    );
    // Wide and square inputs are differentiable in mode 'complete'.
    const wide = random([3, 5], 301, true);
    expect(gradients([sum(qr(wide, { mode: 'complete' }).q)], [wide])[0]?.shape).toEqual([3, 5]);
  });

  it('works for float32 input', () => {
    const a = random([5, 3], 400);
    const a32 = a.to('float32');
    a.requiresGrad = true;
    a32.requiresGrad = true;
    const w = random([5, 3], 401);
    const loss = (t: Tensor) => {
      const { q, r } = qr(t);
      return sum(mul(q, w.to(t.dtype))).add(sum(mul(r, r)));
    };
    const [g32] = gradients([loss(a32)], [a32]);
    const [g64] = gradients([loss(a)], [a]);
    expect((g32 as Tensor).dtype).toBe('float32');
    expect(maxAbsDiff((g32 as Tensor).data, (g64 as Tensor).data)).toBeLessThan(1e-4);
  });
});

describe('triangularSolve', () => {
  const upper = tensor(
    [
      [2, 1, -1],
      [7, 4, 0.5],
      [9, 9, 3],
    ],
    { dtype: 'float64' },
  );

  it('solves op(A) X = B reading only the named triangle', () => {
    const b = random([3, 2], 500);
    for (const isUpper of [true, false])
      for (const transpose of [false, true]) {
        const x = triangularSolve(upper, b, { upper: isUpper, transpose });
        const n = 3;
        const tri = new Array<number>(9).fill(0);
        for (let i = 0; i < n; i++)
          for (let j = 0; j < n; j++) if (isUpper ? j >= i : j <= i) tri[i * n + j] = upper.data[i * n + j];
        const t = tensor(tri, { dtype: 'float64' }).reshape([3, 3]);
        const back = transpose ? matmulTransposed(t, x, { transA: true }) : matmul(t, x);
        expect(maxAbsDiff(back.data, b.data), `upper=${isUpper} transpose=${transpose}`).toBeLessThan(1e-13);
      }
  });

  it('passes gradcheck and gradgradcheck for every variant', () => {
    for (const isUpper of [true, false])
      for (const transpose of [false, true]) {
        // Diagonally dominant, so the solve is well conditioned.
        const a = random([2, 3, 3], 600).add(
          tensor(
            [
              [4, 0, 0],
              [0, 4, 0],
              [0, 0, 4],
            ],
            { dtype: 'float64' },
          ),
        );
        a.requiresGrad = true;
        const b = random([2, 3, 2], 601, true);
        const f = (x: Tensor, y: Tensor) => triangularSolve(x, y, { upper: isUpper, transpose });
        expect(gradcheck(f, [a, b])).toBe(true);
        expect(gradgradcheck((x, y) => enableGrad(() => f(x, y)), [a, b])).toBe(true);
      }
  });
});
