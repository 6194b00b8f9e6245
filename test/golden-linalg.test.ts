import { eigh, gradients, matmul, matmulTransposed, mul, noGrad, qr, sum, type Tensor, unsqueeze } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import {
  closeTo,
  type FixtureTensor,
  fixtureValues,
  fromFixture,
  loadFixture,
  type Tolerance,
} from './helpers/fixtures';

// PyTorch 1.13.1 reference values for eigh and qr (see test/fixtures/README.md, section linalg.json).

interface EighCase {
  id: string;
  dtype: 'float64' | 'float32';
  uplo: 'L' | 'U';
  a: FixtureTensor;
  eigenvalues: FixtureTensor;
  eigenvectors: FixtureTensor;
  /** Index ranges [start, stop) of equal eigenvalues: their eigenvectors are compared as a subspace. */
  clusters?: [number, number][];
  /** float32 cases: torch's float64 decomposition of the same (float32) values. */
  exact?: { eigenvalues: FixtureTensor; eigenvectors: FixtureTensor };
  grad?: {
    w_values: FixtureTensor;
    w_outer: FixtureTensor;
    w_diag: FixtureTensor;
    w_square: FixtureTensor;
    loss: number;
    grad_a: FixtureTensor;
    /** float32 cases: the gradient in float64 at the same values. */
    exact_grad_a?: FixtureTensor;
  };
  hvp?: { t: FixtureTensor; hvp: FixtureTensor };
}

interface QRCase {
  id: string;
  dtype: 'float64' | 'float32';
  mode: 'reduced' | 'complete' | 'r';
  a: FixtureTensor;
  q: FixtureTensor;
  r: FixtureTensor;
  determined_cols: number;
  grad?: { w_q: FixtureTensor; w_r: FixtureTensor; loss: number; grad_a: FixtureTensor };
  hvp?: { t: FixtureTensor; hvp: FixtureTensor };
}

interface LinalgFixture {
  eigh: EighCase[];
  qr: QRCase[];
}

const fixture = loadFixture<LinalgFixture>('linalg.json');

/** The golden tolerance of a dtype: float64 1e-10, float32 1e-5, relative to max(1, |expected|). */
function tolerance(dtype: 'float64' | 'float32'): Tolerance {
  return { rel: dtype === 'float64' ? 1e-10 : 1e-5 };
}

/** The bound on reconstruction and orthogonality errors for an n x n problem: 1e-12·n in float64. */
function identityBound(dtype: 'float64' | 'float32', n: number): number {
  return dtype === 'float64' ? 1e-12 * Math.max(1, n) : 1e-5 * Math.max(1, n);
}

/** Row-major matrices of a [..., rows, cols] tensor's data, as plain arrays of numbers. */
function matrices(data: ArrayLike<number>, rows: number, cols: number): number[][] {
  const out: number[][] = [];
  for (let off = 0; off < data.length; off += rows * cols) out.push(Array.from(data).slice(off, off + rows * cols));
  return out;
}

/** max |a - b| / max(1, max |b|) over two equal-length arrays. */
function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let err = 0;
  let scale = 1;
  for (let i = 0; i < b.length; i++) {
    err = Math.max(err, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return err / scale;
}

/** The symmetric matrix eigh reads from `a` (its `uplo` triangle mirrored). */
function readTriangle(a: number[], n: number, uplo: 'L' | 'U'): number[] {
  const s = new Array<number>(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      const lowerIJ = i >= j;
      s[i * n + j] = lowerIJ === (uplo === 'L') ? a[i * n + j] : a[j * n + i];
    }
  return s;
}

/** `v[:, cols] v[:, cols]ᵀ` for an n x n matrix `v`. */
function projector(v: number[], n: number, start: number, stop: number): number[] {
  const p = new Array<number>(n * n).fill(0);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let c = start; c < stop; c++) s += v[i * n + c] * v[j * n + c];
      p[i * n + j] = s;
    }
  return p;
}

/** The unit roundoff of a dtype. */
function roundoff(dtype: 'float64' | 'float32'): number {
  return dtype === 'float64' ? 2 ** -53 : 2 ** -24;
}

/**
 * The backward error allowed to a decomposition, in units of u·‖A‖: LAPACK's and nabla's are a few
 * (the worst seen in these cases, PyTorch's float32 eigenvectors, is 2.6).
 */
const BACKWARD_ERROR = 4;

/**
 * How far a computed eigenvector may be from the exact one: the golden tolerance plus the first-order
 * perturbation bound c·u·‖A‖ / gap (a backward stable method solves a problem within c·u·‖A‖ of A,
 * which turns an eigenvector by at most that over the distance to the nearest other eigenvalue).
 */
function vectorTolerance(dtype: 'float64' | 'float32', u: number, norm: number, gap: number): number {
  return tolerance(dtype).rel + (BACKWARD_ERROR * u * norm) / gap;
}

/** Per column j: the distance from eigenvalue j (or its cluster) to the rest of the spectrum. */
function gapsOf(values: number[], clusters: [number, number][]): number[] {
  const n = values.length;
  const group = values.map((_, j) => [j, j + 1] as [number, number]);
  for (const [start, stop] of clusters) for (let j = start; j < stop; j++) group[j] = [start, stop];
  return values.map((_, j) => {
    const [start, stop] = group[j];
    let gap = Number.POSITIVE_INFINITY;
    for (let i = 0; i < n; i++) {
      if (i >= start && i < stop) continue;
      for (let k = start; k < stop; k++) gap = Math.min(gap, Math.abs(values[i] - values[k]));
    }
    return gap;
  });
}

/**
 * Compare eigenvectors column by column up to sign (projectors for clusters of equal eigenvalues),
 * each within `tol(gap)`.
 */
function compareEigenvectors(
  label: string,
  ours: number[],
  theirs: number[],
  n: number,
  gaps: number[],
  clusters: [number, number][],
  tol: (gap: number) => number,
): void {
  const inCluster = new Array<boolean>(n).fill(false);
  for (const [start, stop] of clusters) {
    for (let j = start; j < stop; j++) inCluster[j] = true;
    const err = relativeError(projector(ours, n, start, stop), projector(theirs, n, start, stop));
    expect(err, `${label} projector onto eigenvalues ${start}..${stop - 1}`).toBeLessThanOrEqual(tol(gaps[start]));
  }
  for (let j = 0; j < n; j++) {
    if (inCluster[j]) continue;
    // An eigenvector is defined up to its sign: align ours with the reference's before comparing.
    let dot = 0;
    for (let i = 0; i < n; i++) dot += ours[i * n + j] * theirs[i * n + j];
    const sign = dot < 0 ? -1 : 1;
    for (let i = 0; i < n; i++) {
      const err = Math.abs(sign * ours[i * n + j] - theirs[i * n + j]);
      expect(err, `${label} eigenvector ${j}, entry ${i}`).toBeLessThanOrEqual(tol(gaps[j]));
    }
  }
}

/** The largest |eigenvalue| (the 2-norm) of each matrix of a case, from torch's eigenvalues. */
function spectralNorms(c: EighCase): number[] {
  const n = c.a.shape[c.a.shape.length - 1];
  return matrices(fixtureValues(c.eigenvalues), 1, n).map((l) => l.reduce((m, x) => Math.max(m, Math.abs(x)), 0));
}

describe('eigh against torch.linalg.eigh', () => {
  for (const c of fixture.eigh) {
    it(`${c.id}: eigenvalues, eigenvectors up to sign, reconstruction and orthogonality`, () => {
      const a = fromFixture(c.a);
      const { eigenvalues, eigenvectors } = eigh(a, { uplo: c.uplo });
      expect(eigenvalues.dtype).toBe(c.dtype);
      expect(eigenvectors.dtype).toBe(c.dtype);
      expect(eigenvectors.shape).toEqual(c.eigenvectors.shape);
      closeTo(eigenvalues, c.eigenvalues, tolerance(c.dtype), `${c.id} eigenvalues`);
      if (c.exact !== undefined)
        closeTo(eigenvalues, c.exact.eigenvalues, tolerance(c.dtype), `${c.id} exact eigenvalues`);
      const n = c.a.shape[c.a.shape.length - 1];
      const clusters = c.clusters ?? [];
      const ours = matrices(eigenvectors.data, n, n);
      const theirs = matrices(fixtureValues(c.eigenvectors), n, n);
      const exact = c.exact === undefined ? null : matrices(fixtureValues(c.exact.eigenvectors), n, n);
      const torchValues = matrices(fixtureValues(c.eigenvalues), 1, n);
      const values = matrices(eigenvalues.data, 1, n);
      const inputs = matrices(fixtureValues(c.a), n, n);
      const norms = spectralNorms(c);
      ours.forEach((v, b) => {
        const gaps = gapsOf(torchValues[b], clusters);
        // Against torch: both sides carry the dtype's rounding error.
        const u = roundoff(c.dtype);
        compareEigenvectors(`${c.id}[${b}]`, v, theirs[b], n, gaps, clusters, (gap) =>
          vectorTolerance(c.dtype, u, norms[b], gap),
        );
        // float32: against the float64 decomposition of the same values, which nabla computes too.
        if (exact !== null)
          compareEigenvectors(`${c.id}[${b}] (exact)`, v, exact[b], n, gaps, clusters, (gap) =>
            vectorTolerance(c.dtype, 2 ** -53, norms[b], gap),
          );
        // V diag(L) Vᵀ = A (the triangle read) and VᵀV = I.
        const s = readTriangle(inputs[b], n, c.uplo);
        let scale = 0;
        for (const x of s) scale = Math.max(scale, Math.abs(x));
        let recon = 0;
        let orth = 0;
        for (let i = 0; i < n; i++)
          for (let j = 0; j < n; j++) {
            let r = 0;
            let o = 0;
            for (let k = 0; k < n; k++) {
              r += v[i * n + k] * values[b][k] * v[j * n + k];
              o += v[k * n + i] * v[k * n + j];
            }
            recon = Math.max(recon, Math.abs(r - s[i * n + j]));
            orth = Math.max(orth, Math.abs(o - (i === j ? 1 : 0)));
          }
        expect(recon / Math.max(scale, Number.MIN_VALUE), `${c.id}[${b}] reconstruction`).toBeLessThanOrEqual(
          identityBound(c.dtype, n),
        );
        expect(orth, `${c.id}[${b}] orthogonality`).toBeLessThanOrEqual(identityBound(c.dtype, n));
      });
    });

    const g = c.grad;
    if (g !== undefined) {
      it(`${c.id}: gradient of a sign-invariant loss of eigenvalues and eigenvectors`, () => {
        const a = fromFixture(c.a, { requiresGrad: true });
        // The eigenvector terms divide by eigenvalue gaps, so rounding errors grow by ‖A‖ / (smallest gap).
        const n = c.a.shape[c.a.shape.length - 1];
        const condition = Math.max(
          ...spectralNorms(c).map((norm, b) => {
            const gaps = gapsOf(matrices(fixtureValues(c.eigenvalues), 1, n)[b], []);
            return norm / Math.min(...gaps);
          }),
        );
        const amplified = BACKWARD_ERROR * roundoff(c.dtype) * condition;
        const loss = eighLoss(a, c);
        expect(Math.abs(loss.item() - g.loss)).toBeLessThanOrEqual(
          (tolerance(c.dtype).rel + amplified) * Math.max(1, Math.abs(g.loss)),
        );
        const [ga] = gradients([loss], [a], null, { createGraph: c.hvp !== undefined });
        let largest = 0;
        for (const x of fixtureValues(g.grad_a)) largest = Math.max(largest, Math.abs(x));
        const rel = tolerance(c.dtype).rel + amplified * Math.max(1, largest);
        closeTo(ga as Tensor, g.grad_a, { rel }, `${c.id} grad_a`);
        if (g.exact_grad_a !== undefined) closeTo(ga as Tensor, g.exact_grad_a, { rel }, `${c.id} exact grad_a`);
        const h = c.hvp;
        if (h !== undefined) {
          const [hv] = gradients([sum(mul(fromFixture(h.t), ga as Tensor))], [a]);
          closeTo(hv as Tensor, h.hvp, { rel }, `${c.id} hvp`);
        }
      });
    }
  }
});

/** sum(w_values·L) + sum(w_outer ∘ V diag(w_diag) Vᵀ) + sum(w_square ∘ V²), as the generator defines it. */
function eighLoss(a: Tensor, c: EighCase): Tensor {
  const g = c.grad;
  if (g === undefined) throw new Error('no gradient case');
  const { eigenvalues: l, eigenvectors: v } = eigh(a, { uplo: c.uplo });
  const outer = matmulTransposed(mul(v, unsqueeze(fromFixture(g.w_diag), -2)), v, { transB: true });
  return sum(mul(fromFixture(g.w_values), l))
    .add(sum(mul(fromFixture(g.w_outer), outer)))
    .add(sum(mul(fromFixture(g.w_square), mul(v, v))));
}

describe('qr against torch.linalg.qr', () => {
  for (const c of fixture.qr) {
    it(`${c.id}: Q and R with LAPACK's signs, reconstruction and orthogonality`, () => {
      const a = fromFixture(c.a);
      const { q, r } = qr(a, { mode: c.mode });
      const tol = tolerance(c.dtype);
      closeTo(r, c.r, tol, `${c.id} r`);
      const m = c.a.shape[c.a.shape.length - 2];
      const n = c.a.shape[c.a.shape.length - 1];
      if (c.mode === 'r') {
        expect(q.shape).toEqual([0]);
        return;
      }
      expect(q.shape).toEqual(c.q.shape);
      const k = Math.min(m, n);
      const cols = q.shape[q.shape.length - 1];
      if (c.determined_cols === k) {
        closeTo(q, c.q, tol, `${c.id} q`);
      } else {
        // Past the rank, Q's columns depend on rounding: compare the leading ones only.
        const ours = matrices(q.data, m, cols);
        const theirs = matrices(fixtureValues(c.q), m, cols);
        ours.forEach((x, b) => {
          for (let i = 0; i < m; i++)
            for (let j = 0; j < c.determined_cols; j++)
              expect(Math.abs(x[i * cols + j] - theirs[b][i * cols + j]), `${c.id} q[${i},${j}]`).toBeLessThanOrEqual(
                tol.rel,
              );
        });
      }
      // Q R = A and QᵀQ = I, whatever the rank.
      const [recon, gram] = noGrad(() => [matmul(q, r), matmulTransposed(q, q, { transA: true })]);
      const want = fixtureValues(c.a);
      let scale = 0;
      for (const x of want) scale = Math.max(scale, Math.abs(x));
      expect(
        (relativeError(recon.data, want) * Math.max(1, scale)) / Math.max(scale, Number.MIN_VALUE),
      ).toBeLessThanOrEqual(identityBound(c.dtype, Math.max(m, n)));
      const eye = matrices(gram.data, cols, cols).flatMap(() => {
        const e = new Array<number>(cols * cols).fill(0);
        for (let i = 0; i < cols; i++) e[i * cols + i] = 1;
        return e;
      });
      expect(relativeError(gram.data, eye)).toBeLessThanOrEqual(identityBound(c.dtype, m));
    });

    const g = c.grad;
    if (g !== undefined) {
      it(`${c.id}: gradient of sum(w_q·Q) + sum(w_r·R)`, () => {
        const a = fromFixture(c.a, { requiresGrad: true });
        const { q, r } = qr(a, { mode: c.mode });
        const loss = sum(mul(fromFixture(g.w_q), q)).add(sum(mul(fromFixture(g.w_r), r)));
        expect(Math.abs(loss.item() - g.loss)).toBeLessThanOrEqual(
          tolerance(c.dtype).rel * Math.max(1, Math.abs(g.loss)),
        );
        const [ga] = gradients([loss], [a], null, { createGraph: c.hvp !== undefined });
        closeTo(ga as Tensor, g.grad_a, tolerance(c.dtype), `${c.id} grad_a`);
        const h = c.hvp;
        if (h !== undefined) {
          const [hv] = gradients([sum(mul(fromFixture(h.t), ga as Tensor))], [a]);
          closeTo(hv as Tensor, h.hvp, tolerance(c.dtype), `${c.id} hvp`);
        }
      });
    }
  }
});

describe('linalg fixture coverage', () => {
  it('holds the cases the README lists', () => {
    const eighIds = fixture.eigh.map((c) => c.id);
    for (const id of [
      'random1',
      'random33',
      'batch2x4',
      'ill_conditioned6',
      'ill_conditioned30',
      'repeated6',
      'repeated30',
      'diagonal5',
      'tridiagonal7',
    ])
      expect(eighIds).toContain(id);
    expect(fixture.eigh.filter((c) => c.dtype === 'float32').length).toBeGreaterThan(5);
    const modes = new Set(fixture.qr.map((c) => c.mode));
    expect([...modes].sort()).toEqual(['complete', 'r', 'reduced']);
    expect(fixture.qr.some((c) => c.determined_cols < Math.min(...c.a.shape.slice(-2)))).toBe(true);
  });
});
