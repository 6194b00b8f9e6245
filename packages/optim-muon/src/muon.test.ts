import { type Tensor, type TypedArray, tensor, tidy, zeros } from '@nablajs/core';
import { createOptimizer, resetRegistry, spyOnKernel, stepContext, usePlugin } from '@nablajs/optim';
import { checkOptimizerConformance } from '@nablajs/optim/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import muonPlugin, {
  MUON_NS_COEFFICIENTS,
  muon,
  muonLrScale,
  muonMatrixShape,
  routesToMuon,
  scaleByAuxAdamW,
  scaleByMuon,
  zeropowerViaNewtonSchulz,
} from './index';

const f64 = (values: number | number[] | number[][], requiresGrad = true) =>
  tensor(values, { dtype: 'float64', requiresGrad });
const withShape = (values: number[], shape: number[]) => f64(values).reshape(shape).detach().requiresGrad_(true);

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-13): void {
  expect(actual.length).toBe(expected.length);
  for (let j = 0; j < expected.length; j++)
    expect(Math.abs(actual[j] - expected[j]), `element ${j}: ${actual[j]} vs ${expected[j]}`).toBeLessThanOrEqual(
      tol * Math.max(1, Math.abs(expected[j])),
    );
}

/**
 * Newton-Schulz on a diagonal matrix by hand: X·Xᵀ is diagonal, so the iteration is the odd polynomial
 * x ← a·x + b·x³ + c·x⁵ on each entry, after dividing by the Frobenius norm (floored at eps).
 */
function nsDiagonal(d: readonly number[], coefficients = MUON_NS_COEFFICIENTS, steps = 5, eps = 1e-7): number[] {
  const [a, b, c] = coefficients;
  const norm = Math.max(Math.sqrt(d.reduce((s, v) => s + v * v, 0)), eps);
  let x = d.map((v) => v / norm);
  for (let k = 0; k < steps; k++) x = x.map((v) => a * v + b * v ** 3 + c * v ** 5);
  return x;
}

/** Row-major product of an [m, k] and a [k, n] matrix (plain loops, for the expected values). */
function matmulPlain(a: number[], b: number[], m: number, k: number, n: number): number[] {
  const out = new Array<number>(m * n).fill(0);
  for (let i = 0; i < m; i++)
    for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) out[i * n + j] += a[i * k + p] * b[p * n + j];
  return out;
}

function setGrad(p: Tensor, values: number[]): void {
  p.grad = tensor(values, { dtype: p.dtype }).reshape(p.shape);
}

afterEach(() => resetRegistry());

describe('zeropowerViaNewtonSchulz', () => {
  it('maps the singular values of a diagonal matrix by the quintic polynomial (hand computation)', () => {
    // diag(3, 0.5): ‖·‖_F = √9.25; then five steps of x ← 3.4445x - 4.775x³ + 2.0315x⁵ on each entry.
    const out = zeropowerViaNewtonSchulz(
      f64(
        [
          [3, 0],
          [0, 0.5],
        ],
        false,
      ),
    );
    const [s1, s2] = nsDiagonal([3, 0.5]);
    expectClose(out.data, [s1, 0, 0, s2], 1e-14);
    // The default coefficients leave the singular values near, not at, 1: here 0.7136 and 1.0420.
    expectClose([s1, s2], [0.7136083295325255, 1.041969377297892], 1e-12);
    // Signs are kept (the polynomial is odd) and g itself is untouched.
    const g = f64(
      [
        [-2, 0],
        [0, 1],
      ],
      false,
    );
    const o = zeropowerViaNewtonSchulz(g);
    const [t1, t2] = nsDiagonal([-2, 1]);
    expectClose(o.data, [t1, 0, 0, t2], 1e-14);
    expect(t1).toBeLessThan(0);
    expect(Array.from(g.data)).toEqual([-2, 0, 0, 1]);
  });

  it('acts on singular values: U·diag(s)·Vᵀ gives U·diag(f(s))·Vᵀ for a wide and a tall matrix', () => {
    // U a 2x2 rotation, V the first two columns of a 3x3 orthogonal matrix: G = U·diag(2, 0.5)·Vᵀ is [2, 3].
    const c = Math.cos(0.3);
    const s = Math.sin(0.3);
    const U = [c, -s, s, c];
    const q = 1 / Math.sqrt(2);
    const Vt = [q, q, 0, 0, 0, 1]; // rows: (1/√2, 1/√2, 0) and (0, 0, 1), orthonormal
    const G = matmulPlain(matmulPlain(U, [2, 0, 0, 0.5], 2, 2, 2), Vt, 2, 2, 3);
    const [f1, f2] = nsDiagonal([2, 0.5]);
    const expected = matmulPlain(matmulPlain(U, [f1, 0, 0, f2], 2, 2, 2), Vt, 2, 2, 3);
    const wide = zeropowerViaNewtonSchulz(tensor(G, { dtype: 'float64' }).reshape([2, 3]));
    expectClose(wide.data, expected, 1e-13);
    // The tall matrix Gᵀ [3, 2] is iterated on its transpose and transposed back: the result is wideᵀ.
    const Gt = [G[0], G[3], G[1], G[4], G[2], G[5]];
    const tall = zeropowerViaNewtonSchulz(tensor(Gt, { dtype: 'float64' }).reshape([3, 2]));
    expect(tall.shape).toEqual([3, 2]);
    expectClose(tall.data, [expected[0], expected[3], expected[1], expected[4], expected[2], expected[5]], 1e-13);
  });

  it('with the cubic coefficients (1.5, -0.5, 0) converges to the orthogonal factor: O·Oᵀ = I', () => {
    const g = f64(
      [
        [1, 2, 0.5],
        [-0.3, 0.8, 2],
      ],
      false,
    );
    const o = zeropowerViaNewtonSchulz(g, [1.5, -0.5, 0], 40);
    const ooT = matmulPlain(
      Array.from(o.data),
      [o.data[0], o.data[3], o.data[1], o.data[4], o.data[2], o.data[5]],
      2,
      3,
      2,
    );
    expectClose(ooT, [1, 0, 0, 1], 1e-12);
  });

  it('divides by max(‖G‖_F, eps) (PyTorch 2.9), not ‖G‖_F + eps (Keller Jordan)', () => {
    // ‖G‖_F = 5 and eps = 1: PyTorch's normalisation gives X = G/5, Keller Jordan's G/6.
    const out = zeropowerViaNewtonSchulz(
      f64(
        [
          [3, 0],
          [0, 4],
        ],
        false,
      ),
      [1, 0, 0],
      0,
      1,
    );
    expectClose(out.data, [0.6, 0, 0, 0.8], 1e-15);
    // A zero matrix stays zero (0 / eps), and a tiny one is scaled by 1/eps instead of normalised.
    expect(Array.from(zeropowerViaNewtonSchulz(zeros([2, 2], { dtype: 'float64' })).data)).toEqual([0, 0, 0, 0]);
    expectClose(
      zeropowerViaNewtonSchulz(
        f64(
          [
            [1e-9, 0],
            [0, 0],
          ],
          false,
        ),
        [1, 0, 0],
        0,
        1e-7,
      ).data,
      [0.01, 0, 0, 0],
    );
  });

  it('works in float32 too, and rejects bad arguments', () => {
    const out = zeropowerViaNewtonSchulz(
      tensor([
        [3, 0],
        [0, 0.5],
      ]),
    );
    expect(out.dtype).toBe('float32');
    expectClose(out.data, [0.7136083295325255, 0, 0, 1.041969377297892], 1e-5);
    expect(() => zeropowerViaNewtonSchulz(f64([1, 2]))).toThrow('zeropowerViaNewtonSchulz: g must be a matrix');
    expect(() => zeropowerViaNewtonSchulz(f64([[1]]), [1, 2])).toThrow('coefficients must be 3 finite numbers');
    expect(() => zeropowerViaNewtonSchulz(f64([[1]]), MUON_NS_COEFFICIENTS, 1.5)).toThrow('steps must be an integer');
    expect(() => zeropowerViaNewtonSchulz(f64([[1]]), MUON_NS_COEFFICIENTS, 5, 0)).toThrow('eps must be a number > 0');
  });
});

describe('routing and shapes', () => {
  it('routes by ndim unless the group says otherwise', () => {
    const hp = (useMuon: boolean | null) => ({ lr: 1e-3, useMuon });
    expect(routesToMuon(zeros([8, 4]), hp(null))).toBe(true);
    expect(routesToMuon(zeros([2, 3, 3, 3]), hp(null))).toBe(true);
    expect(routesToMuon(zeros([8]), hp(null))).toBe(false);
    expect(routesToMuon(zeros([]), hp(null))).toBe(false);
    expect(routesToMuon(zeros([8, 4]), hp(false))).toBe(false);
    expect(routesToMuon(zeros([8]), hp(true))).toBe(true);
  });

  it('views parameters as matrices and scales the learning rate by their shape', () => {
    expect(muonMatrixShape([6, 4])).toEqual([1, 6, 4]);
    expect(muonMatrixShape([16, 3, 3, 3])).toEqual([1, 16, 27]);
    expect(muonMatrixShape([5, 8, 4])).toEqual([5, 8, 4]);
    expect(muonMatrixShape([2, 3, 8, 4, 5])).toEqual([48, 4, 5]);
    expect(() => muonMatrixShape([3])).toThrow('muonMatrixShape: Muon needs ndim >= 2, got shape [3]');
    expect(muonLrScale(6, 4, null)).toBe(Math.sqrt(1.5));
    expect(muonLrScale(6, 4, 'original')).toBe(Math.sqrt(1.5));
    expect(muonLrScale(4, 6, 'original')).toBe(1);
    expect(muonLrScale(3, 8, 'match_rms_adamw')).toBe(0.2 * Math.sqrt(8));
    expect(muonLrScale(8, 3, 'match_rms_adamw')).toBe(0.2 * Math.sqrt(8));
  });
});

describe('muon: hand-derived steps', () => {
  it('one step on a matrix: Nesterov momentum, Newton-Schulz, the shape scale and decoupled weight decay', () => {
    // W [2, 2] = [[1, 2], [3, 4]], g = [[0, 2], [1, 0]] (singular values 2 and 1, a permuted diagonal).
    // Step 1: B = 0 + (1-μ)(g - 0) = 0.05 g; M = g + μ(B - g) = (1 - μ + μ(1-μ)) g = 0.0975 g.
    // NS is scale-free, so O = [[0, f(2/√5)], [f(1/√5), 0]] with f the 5-step polynomial.
    // W ← W·(1 - lr·wd) - lr·1·O (square matrix: scale 1), lr = 0.1, wd = 0.5.
    const w = f64([
      [1, 2],
      [3, 4],
    ]);
    const opt = muon([w], { lr: 0.1, weightDecay: 0.5 });
    setGrad(w, [0, 2, 1, 0]);
    opt.step();
    const [f1, f2] = nsDiagonal([0.0975 * 2, 0.0975 * 1]);
    expectClose(w.data, [1 * 0.95, 2 * 0.95 - 0.1 * f1, 3 * 0.95 - 0.1 * f2, 4 * 0.95]);
    const buf = (opt.stateDict().state[0] as unknown[])[0] as { momentumBuffer: unknown[] };
    expect(buf.momentumBuffer).toHaveLength(1);
  });

  it('two steps of plain momentum: B averages the gradients (B₂ = μ·B₁ + (1-μ)·g₂)', () => {
    // Diagonal gradients keep everything diagonal: NS is the polynomial on the diagonal of B.
    const w = f64([
      [0, 0],
      [0, 0],
    ]);
    const opt = muon([w], { lr: 0.2, weightDecay: 0, nesterov: false, momentum: 0.9 });
    setGrad(w, [1, 0, 0, 2]);
    opt.step();
    const b1 = [0.1 * 1, 0.1 * 2];
    const o1 = nsDiagonal(b1);
    expectClose(w.data, [-0.2 * o1[0], 0, 0, -0.2 * o1[1]]);
    setGrad(w, [-3, 0, 0, 0.5]);
    opt.step();
    // B₂ = B₁ + 0.1 (g₂ - B₁) = [0.1 - 0.31, 0.2 + 0.03] = [-0.21, 0.23].
    const b2 = [b1[0] + 0.1 * (-3 - b1[0]), b1[1] + 0.1 * (0.5 - b1[1])];
    expectClose(b2, [-0.21, 0.23], 1e-14);
    const o2 = nsDiagonal(b2);
    expectClose(w.data, [-0.2 * (o1[0] + o2[0]), 0, 0, -0.2 * (o1[1] + o2[1])]);
    expect(o2[0]).toBeLessThan(0); // the momentum has turned for the first entry
  });

  it('scales a tall matrix by √(rows/cols), or by 0.2·√max(rows, cols) with match_rms_adamw', () => {
    // W [4, 2] with g = [[1, 0], [0, 1], [0, 0], [0, 0]] (both singular values 1): O = f(1/√2)·g.
    const make = () =>
      f64([
        [0, 0],
        [0, 0],
        [0, 0],
        [0, 0],
      ]);
    const [f] = nsDiagonal([Math.SQRT1_2, Math.SQRT1_2]);
    const g = [1, 0, 0, 1, 0, 0, 0, 0];
    const original = make();
    const o1 = muon([original], { lr: 0.1, weightDecay: 0 });
    setGrad(original, g);
    o1.step();
    expectClose(
      original.data,
      g.map((v) => -0.1 * Math.SQRT2 * f * v),
    );
    const matched = make();
    const o2 = muon([matched], { lr: 0.1, weightDecay: 0, adjustLrFn: 'match_rms_adamw' });
    setGrad(matched, g);
    o2.step();
    expectClose(
      matched.data,
      g.map((v) => -0.1 * 0.2 * 2 * f * v),
    );
  });

  it('weight decay uses the unscaled lr: a zero gradient only decays, W ← W·(1 - lr·wd)', () => {
    const w = f64([
      [1, -2],
      [3, 0.5],
      [2, 2],
    ]); // tall: the scale √1.5 must not touch the decay
    const opt = muon([w], { lr: 0.1, weightDecay: 0.3, adjustLrFn: 'match_rms_adamw' });
    setGrad(w, [0, 0, 0, 0, 0, 0]);
    opt.step();
    expectClose(
      w.data,
      [1, -2, 3, 0.5, 2, 2].map((v) => v * 0.97),
      1e-15,
    );
  });

  it('non-matrices take the AdamW fallback: a first step moves by adamwLr·g/(|g| + ε)', () => {
    // m = 0.1 g, v = 0.05 g²; m̂ = g, v̂ = g²: the first step is -adamwLr·g/(|g| + ε), after decay.
    const w = f64([
      [1, 0],
      [0, 1],
    ]);
    const b = f64([0.5, -1, 2]);
    const s = f64(3);
    const opt = muon([w, b, s], { lr: 0, weightDecay: 0, adamwLr: 0.01, adamwWeightDecay: 0.2, adamwEps: 0.1 });
    setGrad(w, [1, 1, 1, 1]);
    setGrad(b, [2, -4, 0]);
    setGrad(s, [-1]);
    opt.step();
    expect(Array.from(w.data)).toEqual([1, 0, 0, 1]); // lr 0 on the Muon path, and no decay
    const decay = 1 - 0.01 * 0.2;
    expectClose(b.data, [0.5 * decay - (0.01 * 2) / 2.1, -1 * decay + (0.01 * 4) / 4.1, 2 * decay]);
    expectClose(s.data, [3 * decay + 0.01 / 1.1]);
    // Second step, g = [2, -4, 0] again: m = 0.19 g, v = 0.0975 g²; m̂ = g, v̂ = g² (constant gradients).
    const before = Array.from(b.data);
    setGrad(b, [2, -4, 0]);
    opt.step();
    expectClose(b.data, [
      before[0] * decay - (0.01 * 2) / 2.1,
      before[1] * decay + (0.01 * 4) / 4.1,
      before[2] * decay,
    ]);
  });

  it('useMuon: false sends matrices to AdamW; the state shows the path each parameter took', () => {
    const a = f64([
      [1, 2],
      [3, 4],
    ]);
    const b = f64([
      [1, 2],
      [3, 4],
    ]);
    const bias = f64([1, 1]);
    const opt = muon([{ params: [a, bias] }, { params: [b], useMuon: false }], {
      lr: 0.1,
      adamwLr: 0.1,
      weightDecay: 0,
    });
    for (const p of [a, b]) setGrad(p, [1, -1, 0.5, 2]);
    setGrad(bias, [1, 1]);
    opt.step();
    // AdamW's first step is -adamwLr·sign(g) (ε = 1e-10).
    expectClose(b.data, [0.9, 2.1, 2.9, 3.9], 1e-9);
    expect(Array.from(a.data)).not.toEqual(Array.from(b.data));
    const [g0, g1] = opt.stateDict().state as { data?: unknown }[][];
    const muonState = (s: unknown) => (s as unknown[])[0] as { momentumBuffer: unknown[] };
    const adamState = (s: unknown) => (s as unknown[])[1] as { step: number[]; expAvg: unknown[] };
    expect(muonState(g0).momentumBuffer.map((x) => x !== null)).toEqual([true, false]);
    expect(adamState(g0).step).toEqual([0, 1]);
    expect(muonState(g1).momentumBuffer).toEqual([null]);
    expect(adamState(g1).step).toEqual([1]);
  });
});

describe('muon: shapes beyond matrices', () => {
  it('flattens a 4-D conv weight to [out, in·kh·kw], scale included', () => {
    // [4, 1, 1, 2] is the matrix [4, 2] (scale √2); stepping it equals stepping that matrix.
    const values = [0.3, -1, 2, 0.5, 1, 1, -0.7, 0.2];
    const grads = [
      [1, 2, -0.5, 0.3, 0.8, -1, 0.1, 0.4],
      [0.2, -0.3, 1, 1, -2, 0.5, 0.7, 0.1],
    ];
    const conv = withShape(values, [4, 1, 1, 2]);
    const mat = withShape(values, [4, 2]);
    const o1 = muon([conv], { lr: 0.05 });
    const o2 = muon([mat], { lr: 0.05 });
    for (const g of grads) {
      setGrad(conv, g);
      setGrad(mat, g);
      o1.step();
      o2.step();
    }
    expect(Array.from(conv.data)).toEqual(Array.from(mat.data));
    expect(Array.from(conv.data)).not.toEqual(values);
  });

  it('orthogonalises a 3-D parameter matrix by matrix (a batch over the leading dimension)', () => {
    const m0 = [1, 2, -1, 0.5];
    const m1 = [0.3, -0.2, 0.9, 1.5];
    const stacked = withShape([...m0, ...m1], [2, 2, 2]);
    const a = withShape(m0, [2, 2]);
    const b = withShape(m1, [2, 2]);
    const o1 = muon([stacked], { lr: 0.05, weightDecay: 0.1 });
    const o2 = muon([a, b], { lr: 0.05, weightDecay: 0.1 });
    for (const [ga, gb] of [
      [
        [1, 0.5, -2, 1],
        [0.1, 3, 0.2, -1],
      ],
      [
        [0.4, -1, 1, 2],
        [-2, 0.5, 0.5, 0.3],
      ],
    ]) {
      setGrad(stacked, [...ga, ...gb]);
      setGrad(a, ga);
      setGrad(b, gb);
      o1.step();
      o2.step();
    }
    expect(Array.from(stacked.data)).toEqual([...a.data, ...b.data]);
  });
});

describe('muon: runtime behaviour', () => {
  it('runs the Newton-Schulz products on the backend matmul kernel', () => {
    let products = 0;
    // A plain kernel with the cpu matmul's signature, registered on a spy backend.
    const plain = (
      a: TypedArray,
      ao: number,
      b: TypedArray,
      bo: number,
      out: TypedArray,
      oo: number,
      m: number,
      k: number,
      n: number,
      transA: boolean,
      transB: boolean,
      accumulate: boolean,
    ) => {
      products++;
      for (let i = 0; i < m; i++)
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let p = 0; p < k; p++)
            s += a[ao + (transA ? p * m + i : i * k + p)] * b[bo + (transB ? j * k + p : p * n + j)];
          out[oo + i * n + j] = accumulate ? out[oo + i * n + j] + s : s;
        }
    };
    const spy = spyOnKernel('matmul', plain);
    const w = f64([
      [1, 2, 0],
      [0.5, -1, 3],
    ]);
    const ref = f64([
      [1, 2, 0],
      [0.5, -1, 3],
    ]);
    const opt = muon([w], { lr: 0.1, nsSteps: 4 });
    const refOpt = muon([ref], { lr: 0.1, nsSteps: 4 });
    setGrad(w, [1, 0, 2, -1, 0.5, 0.3]);
    setGrad(ref, [1, 0, 2, -1, 0.5, 0.3]);
    spy.start();
    try {
      opt.step();
    } finally {
      spy.stop();
    }
    refOpt.step();
    // Three products per iteration: X·Xᵀ, A·A and B·X.
    expect(products).toBe(12);
    expectClose(w.data, ref.data, 1e-14);
  });

  it('reads hyperparameters at every step and skips parameters without a gradient', () => {
    const w = f64([
      [1, 2],
      [3, 4],
    ]);
    const b = f64([1, 2]);
    const opt = muon([w, b], { lr: 0.1, adamwLr: 0.1 });
    setGrad(w, [1, 0, 0, 1]);
    b.grad = null;
    opt.step();
    expect(Array.from(b.data)).toEqual([1, 2]);
    const state = () => opt.stateDict().state[0] as [unknown, { step: number[] }];
    expect(state()[1].step).toEqual([0, 0]);
    // lr 0 and weightDecay 0 now: the matrix stays put, the vector moves.
    opt.paramGroups[0].lr = 0;
    opt.paramGroups[0].weightDecay = 0;
    const before = Array.from(w.data);
    setGrad(w, [1, 0, 0, 1]);
    setGrad(b, [1, -1]);
    opt.step();
    expect(Array.from(w.data)).toEqual(before);
    expectClose(b.data, [0.9, 2.1], 1e-9);
    expect(state()[1].step).toEqual([0, 1]);
  });

  it('continues bit for bit after a stateDict round trip through JSON', () => {
    const make = () => [
      f64([
        [1, 2, 0.5],
        [0.3, -1, 2],
      ]),
      f64([0.1, -0.2]),
    ];
    const grads = (k: number) => [
      [Math.sin(k), Math.cos(2 * k), 0.5, -k / 3, 1, 0.2],
      [Math.sin(3 * k), 0.1 * k],
    ];
    const a = make();
    const opt = muon(a, { lr: 0.05, adamwLr: 0.02 });
    for (let k = 1; k <= 3; k++) {
      a.forEach((p, i) => {
        setGrad(p, grads(k)[i]);
      });
      opt.step();
    }
    const b = make();
    b.forEach((p, i) => {
      p.data.set(a[i].data);
    });
    const copy = muon(b, { lr: 0.05, adamwLr: 0.02 });
    copy.loadStateDict(JSON.parse(JSON.stringify(opt.stateDict())));
    for (let k = 4; k <= 6; k++) {
      a.forEach((p, i) => {
        setGrad(p, grads(k)[i]);
      });
      b.forEach((p, i) => {
        setGrad(p, grads(k)[i]);
      });
      opt.step();
      copy.step();
    }
    a.forEach((p, i) => {
      expect(Array.from(b[i].data)).toEqual(Array.from(p.data));
    });
  });

  it('can step inside tidy() repeatedly', () => {
    const w = f64([
      [1, 2],
      [3, 4],
    ]);
    const ref = f64([
      [1, 2],
      [3, 4],
    ]);
    const opt = muon([w], { lr: 0.1 });
    const refOpt = muon([ref], { lr: 0.1 });
    for (let k = 0; k < 3; k++) {
      tidy(() => {
        setGrad(w, [1, k, -1, 0.5]);
        opt.step();
      });
      setGrad(ref, [1, k, -1, 0.5]);
      refOpt.step();
    }
    expect(Array.from(w.data)).toEqual(Array.from(ref.data));
  });

  it('the rule blocks work alone through stepContext', () => {
    const w = f64([
      [2, 0],
      [0, 1],
    ]);
    const hp = { ...muon([f64([[1]])]).defaults, lr: 0.1, weightDecay: 0 };
    const u = Float64Array.from([1, 0, 0, 3]);
    const rule = scaleByMuon();
    rule.update([u], rule.init([w], hp), stepContext([w], hp, { updates: [u] }));
    // Nesterov first step: M = 0.0975·g; O = f on the diagonal; u = -lr·O.
    const [f1, f2] = nsDiagonal([1, 3]);
    expectClose(u, [-0.1 * f1, 0, 0, -0.1 * f2]);
    // scaleByAuxAdamW leaves the matrix alone (it is on the Muon path).
    const aux = scaleByAuxAdamW();
    const v = Float64Array.from([1, 2, 3, 4]);
    aux.update([v], aux.init([w], hp), stepContext([w], hp, { updates: [v] }));
    expect(Array.from(v)).toEqual([1, 2, 3, 4]);
  });
});

describe('muon: options', () => {
  it('a group with lr 0 and adamwLr 0 does not move (the conformance check param-groups, for both paths)', () => {
    const w = f64([
      [1, 2],
      [3, 4],
    ]);
    const b = f64([1, 2]);
    const v = f64([
      [1, 2],
      [3, 4],
    ]);
    const opt = muon([{ params: [w, b], lr: 0, adamwLr: 0 }, { params: [v] }], {
      lr: 0.1,
      weightDecay: 0.5,
      adamwWeightDecay: 0.5,
    });
    for (let k = 0; k < 3; k++) {
      setGrad(w, [1, -1, 2, 0.5]);
      setGrad(b, [1, -1]);
      setGrad(v, [1, -1, 2, 0.5]);
      opt.step();
    }
    expect(Array.from(w.data)).toEqual([1, 2, 3, 4]);
    expect(Array.from(b.data)).toEqual([1, 2]);
    expect(Array.from(v.data)).not.toEqual([1, 2, 3, 4]);
  });

  it("has PyTorch 2.9's defaults and Keller Jordan's aux-Adam defaults", () => {
    expect({ ...muon([f64([[1]])]).defaults }).toEqual({
      lr: 1e-3,
      weightDecay: 0.1,
      momentum: 0.95,
      nesterov: true,
      nsCoefficients: [3.4445, -4.775, 2.0315],
      eps: 1e-7,
      nsSteps: 5,
      adjustLrFn: null,
      useMuon: null,
      adamwLr: 3e-4,
      adamwBetas: [0.9, 0.95],
      adamwEps: 1e-10,
      adamwWeightDecay: 0,
    });
  });

  it('rejects a group with useMuon: true holding a non-matrix, naming its index and shape, before anything changes', () => {
    const w = f64([
      [1, 2],
      [3, 4],
    ]);
    const b = f64([1, 2, 3]);
    expect(() => muon([w, b], { useMuon: true })).toThrow(
      'muon: params[1] has shape [3] (ndim 1), but its group has useMuon: true and Muon needs matrices (ndim >= 2)',
    );
    const opt = muon([{ params: [w] }], { lr: 0.1 });
    expect(() => opt.addParamGroup({ params: [f64(2)], useMuon: true })).toThrow(
      'muon: params[0] has shape [] (ndim 0)',
    );
    expect(opt.paramGroups).toHaveLength(1);
    opt.addParamGroup({ params: [b] });
    expect(opt.paramGroups).toHaveLength(2);
    // Switched on later: the step throws before the group changes.
    opt.paramGroups[1].useMuon = true;
    setGrad(b, [1, 1, 1]);
    expect(() => opt.step()).toThrow('muon: params[0] has shape [3] (ndim 1)');
    expect(Array.from(b.data)).toEqual([1, 2, 3]);
    expect(((opt.stateDict().state[1] as unknown[])[1] as { step: number[] }).step).toEqual([0]);
  });

  it('validates every option with a message naming it', () => {
    const p = [f64([[1]])];
    const cases: [Record<string, unknown>, string][] = [
      [{ lr: -1 }, 'muon: lr must be in [0, inf), got -1'],
      [{ weightDecay: -0.1 }, 'muon: weightDecay must be in [0, inf), got -0.1'],
      [{ momentum: 1.5 }, 'muon: momentum must be in [0, 1), got 1.5'],
      [{ momentum: 1 }, 'muon: momentum must be in [0, 1), got 1'],
      [{ nesterov: 1 }, 'muon: nesterov must be true or false, got 1'],
      [{ nsCoefficients: [1, 2] }, 'muon: nsCoefficients must be an array of 3 numbers'],
      [{ nsCoefficients: [1, Number.NaN, 0] }, 'muon: nsCoefficients[1] must be'],
      [{ eps: 0 }, 'muon: eps must be in (0, inf), got 0'],
      [{ nsSteps: 2.5 }, 'muon: nsSteps must be an integer in [0, 100), got 2.5'],
      [{ nsSteps: 100 }, 'muon: nsSteps must be an integer in [0, 100), got 100'],
      [{ adjustLrFn: 'rms' }, `muon: adjustLrFn must be null, 'original' or 'match_rms_adamw', got "rms"`],
      [{ useMuon: 'yes' }, 'muon: useMuon must be true, false or null (by ndim), got "yes"'],
      [{ adamwLr: -1 }, 'muon: adamwLr must be in [0, inf), got -1'],
      [{ adamwBetas: [0.9, 1] }, 'muon: adamwBetas[1] must be in [0, 1), got 1'],
      [{ adamwEps: -1 }, 'muon: adamwEps must be in [0, inf), got -1'],
      [{ adamwWeightDecay: -1 }, 'muon: adamwWeightDecay must be in [0, inf), got -1'],
      [{ betas: [0.9, 0.99] }, 'muon: unknown option "betas"'],
    ];
    for (const [options, message] of cases) expect(() => muon(p, options), message).toThrow(message);
    expect(() => muon(p, { nsSteps: 0, momentum: 0, adjustLrFn: 'original', useMuon: false })).not.toThrow();
  });

  it('is a plugin', () => {
    expect(muonPlugin.name).toBe('@nablajs/optim-muon');
    usePlugin(muonPlugin);
    expect(createOptimizer('muon', [f64([[1]])], { lr: 0.02 }).name).toBe('muon');
  });

  it('passes the conformance suite (its vector parameters take the AdamW fallback)', () => {
    for (const dtype of ['float64', 'float32'] as const) {
      const result = checkOptimizerConformance(muon, {
        name: 'muon',
        dtype,
        options: { lr: 0.02, adamwLr: 0.05 },
        invalidOptions: [{ momentum: 1.5 }, { nsSteps: -1 }, { adjustLrFn: 'rms' }, { adamwBetas: [1, 0.9] }],
        // The fallback's learning rate is adamwLr, not lr: a group with lr 0 still moves its vectors
        // (the check's parameters are vectors). Muon's lr 0 is checked in 'reads hyperparameters ...'.
        skip: ['param-groups'],
      });
      expect(result.failures).toEqual([]);
      expect(result.skipped).toEqual(['param-groups']);
    }
  });
});
