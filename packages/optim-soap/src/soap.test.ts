import { matmul, type Tensor, tensor } from '@nablajs/core';
import { createOptimizer, decodeState, type Optimizer, resetRegistry, usePlugin } from '@nablajs/optim';
import { checkOptimizerConformance } from '@nablajs/optim/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import soapPlugin, {
  mergeDims,
  type SoapOptions,
  type SoapParamState,
  type SoapState,
  soap,
  soapLayout,
} from './index';

const f64 = (values: number[] | number[][], requiresGrad = true) => tensor(values, { dtype: 'float64', requiresGrad });

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-12): void {
  expect(actual.length).toBe(expected.length);
  for (let j = 0; j < expected.length; j++)
    expect(Math.abs(actual[j] - expected[j]), `element ${j}: ${actual[j]} vs ${expected[j]}`).toBeLessThanOrEqual(
      tol * Math.max(1, Math.abs(expected[j])),
    );
}

function paramState(opt: Optimizer, i = 0): SoapParamState {
  return (decodeState(JSON.parse(JSON.stringify(opt.stateDict().state[0]))) as SoapState).params[i] as SoapParamState;
}

/** A least-squares loss `mean((X·W.reshape(rows, cols) − Y)²)` with fixed, well-conditioned data. */
function lstsq(rows: number, cols: number, samples = 2 * rows + 3): (w: Tensor) => Tensor {
  const x: number[][] = [];
  const y: number[][] = [];
  for (let i = 0; i < samples; i++) {
    x.push(Array.from({ length: rows }, (_, j) => Math.sin(1.3 * i + 0.7 * j + 0.2 * i * j)));
    y.push(Array.from({ length: cols }, (_, j) => Math.cos(0.9 * i - 1.1 * j)));
  }
  const X = f64(x, false);
  const Y = f64(y, false);
  return (w) =>
    matmul(X, w.reshape([rows, cols]))
      .sub(Y)
      .square()
      .mean();
}

function run(opt: Optimizer, loss: () => Tensor, steps: number): void {
  for (let k = 0; k < steps; k++) {
    opt.zeroGrad();
    loss().backward();
    opt.step();
  }
}

function rotation(theta: number): number[][] {
  return [
    [Math.cos(theta), -Math.sin(theta)],
    [Math.sin(theta), Math.cos(theta)],
  ];
}

function matmul2(a: number[][], b: number[][]): number[][] {
  return a.map((row) => b[0].map((_, j) => row.reduce((s, v, k) => s + v * b[k][j], 0)));
}

afterEach(() => resetRegistry());

describe('soap: hand-derived steps', () => {
  it('a 1-D parameter (not preconditioned) takes Adam steps after an initialisation step', () => {
    // lr 0.1, betas [0.5, 0.75], eps 0, weightDecay 0.1; constant g = [2, -1]; p0 = [1, -2].
    const p = f64([1, -2]);
    const opt = soap([p], { lr: 0.1, betas: [0.5, 0.75], eps: 0, weightDecay: 0.1 });
    const step = () => {
      p.grad = f64([2, -1], false);
      opt.step();
    };
    // Step 1 only initialises: p does not move, and weight decay does not apply either.
    step();
    expect(Array.from(p.data)).toEqual([1, -2]);
    // Step 2 (t = 1): m = 0.5·g = [1, -0.5]; v = 0.25·g² = [1, 0.25]; m/√v = [1, -1];
    //   step size = 0.1·√(1-0.75)/(1-0.5) = 0.1;  p1 = [0.9, -1.9];  p2 = p1 - 0.1·0.1·p1 = [0.891, -1.881].
    step();
    expectClose(p.data, [0.891, -1.881]);
    // Step 3 (t = 2): m = [1.5, -0.75]; v = [1.75, 0.4375]; m/√v = ±1.5/√1.75;
    //   step size = 0.1·√0.4375/0.75, so the move is 0.1·2·√(0.4375/1.75) = 0.1 per entry:
    //   p1 = [0.791, -1.781];  p2 = 0.99·p1 = [0.78309, -1.76319].
    step();
    expectClose(p.data, [0.78309, -1.76319]);
    expect(paramState(opt).step).toBe(2);
  });

  it('correctBias: false uses lr alone as the step size', () => {
    // Step 2: m/√v = [1, -1]·(1-0.5)/√(1-0.75) = [1, -1]; p = [1, -2] - 0.1·[1, -1] = [0.9, -1.9].
    const p = f64([1, -2]);
    const opt = soap([p], { lr: 0.1, betas: [0.5, 0.75], eps: 0, weightDecay: 0, correctBias: false });
    for (let k = 0; k < 2; k++) {
      p.grad = f64([2, -1], false);
      opt.step();
    }
    expectClose(p.data, [0.9, -1.9]);
  });

  it('the first matrix step is lr·U·Vᵀ, the orthogonal factor of the gradient U·Σ·Vᵀ (Adam would take lr·sign(G))', () => {
    // G = U·diag(3, 1)·Vᵀ with U, V rotations by 0.4 and -0.3: the bases from eigh are U and V (up to
    // column signs, which cancel), the projected gradient is diag(σ) = diag(3, 1), and Adam's first step
    // there is diag(rᵢ), rᵢ = (1-β₁)σᵢ / (√(1-β₂)·σᵢ + ε); the bias correction multiplies it by
    // √(1-β₂)/(1-β₁), so p ← p − lr·U·diag(ρᵢ)·Vᵀ with ρᵢ = √(1-β₂)σᵢ / (√(1-β₂)σᵢ + ε) ≈ 1: U·Vᵀ = R(0.7).
    const U = rotation(0.4);
    const V = rotation(-0.3);
    const transpose = (m: number[][]) => m[0].map((_, j) => m.map((row) => row[j]));
    const sigma = [3, 1];
    const G = matmul2(
      matmul2(U, [
        [sigma[0], 0],
        [0, sigma[1]],
      ]),
      transpose(V),
    );
    const w0 = [
      [0.5, -0.25],
      [1, 2],
    ];
    const w = f64(w0);
    const eps = 1e-3;
    const opt = soap([w], { lr: 0.1, eps, weightDecay: 0 });
    for (let k = 0; k < 2; k++) {
      w.grad = f64(G, false);
      opt.step();
    }
    const rho = sigma.map((s) => (Math.sqrt(0.05) * s) / (Math.sqrt(0.05) * s + eps));
    const step = matmul2(
      matmul2(U, [
        [rho[0], 0],
        [0, rho[1]],
      ]),
      transpose(V),
    );
    expectClose(
      w.data,
      w0.flat().map((v, j) => v - 0.1 * step[Math.floor(j / 2)][j % 2]),
      1e-12,
    );
    // ρ ≈ 1: the step is nearly lr·R(0.7), nothing like Adam's lr·sign(G).
    const R = rotation(0.7);
    expectClose(
      w.data,
      w0.flat().map((v, j) => v - 0.1 * R[Math.floor(j / 2)][j % 2]),
      1e-3,
    );
    // The factors: GG_L accumulated twice with βₛ = β₂ = 0.95 from zero: (0.05 + 0.95·0.05)·G·Gᵀ.
    const s = paramState(opt);
    const after2 = (x: number) => 0.05 * x + 0.95 * (0.05 * x);
    expectClose(s.gg[0] as Float64Array, matmul2(G, transpose(G)).flat().map(after2));
    expectClose(s.gg[1] as Float64Array, matmul2(transpose(G), G).flat().map(after2));
  });
});

describe('soap: structure', () => {
  it('builds one factor per dimension, none for dimensions larger than maxPrecondDim', () => {
    const w = f64(Array.from({ length: 3 }, (_, i) => [i + 1, 2 - i]));
    const b = f64([1, 2, 3]);
    const c = f64([1, 2, 3]);
    const opt = soap([{ params: [w, b] }, { params: [c], precondition1d: true }], { maxPrecondDim: 2 });
    const loss = () => w.square().sum().add(b.square().sum()).add(c.square().sum());
    run(opt, loss, 1);
    const s = paramState(opt);
    expect(s.dims).toEqual([3, 2]);
    expect(s.gg[0]).toBeNull();
    expect((s.gg[1] as Float64Array).length).toBe(4);
    expect(paramState(opt, 1).gg).toEqual([null]);
    // precondition1d, but 3 > maxPrecondDim: not preconditioned either.
    const g2 = decodeState(JSON.parse(JSON.stringify(opt.stateDict().state[1]))) as SoapState;
    expect(g2.params[0]?.gg).toEqual([null]);
    const d = f64([1, 2]);
    const opt2 = soap([d], { precondition1d: true });
    run(opt2, () => d.square().sum(), 1);
    expect((paramState(opt2).gg[0] as Float64Array).length).toBe(4);
  });

  it('with maxPrecondDim 0 a matrix takes the same steps as its flattened vector (plain Adam in that form)', () => {
    const lossOf = lstsq(3, 2);
    const init = [0.3, -0.2, 0.5, 0.1, -0.4, 0.2];
    const w = f64(init).reshape([3, 2]).detach();
    w.requiresGrad = true;
    const v = f64(init);
    const options: SoapOptions = { lr: 0.05, maxPrecondDim: 0, preconditionFrequency: 2 };
    run(soap([w], options), () => lossOf(w), 12);
    run(soap([v], options), () => lossOf(v), 12);
    expect(Array.from(w.data)).toEqual(Array.from(v.data));
  });

  it('mergeDims preconditions a [2, 3, 4] parameter as the [6, 4] matrix it merges into', () => {
    const lossOf = lstsq(6, 4);
    const init = Array.from({ length: 24 }, (_, j) => Math.sin(j + 0.5) * 0.5);
    const a = f64(init).reshape([2, 3, 4]).detach();
    a.requiresGrad = true;
    const m = f64(init).reshape([6, 4]).detach();
    m.requiresGrad = true;
    const common: SoapOptions = { lr: 0.02, eps: 1e-6, preconditionFrequency: 3, maxPrecondDim: 6 };
    const merged = soap([a], { ...common, mergeDims: true });
    run(merged, () => lossOf(a), 10);
    run(soap([m], common), () => lossOf(m), 10);
    expect(paramState(merged).dims).toEqual([6, 4]);
    expect(Array.from(a.data)).toEqual(Array.from(m.data));
  });

  it("dataFormat 'channels_last' merges a 4-D parameter as if permuted (0, 3, 1, 2)", () => {
    // NHWC [2, 2, 1, 3] merges, moved to NCHW [2, 3, 2, 1], into [6, 2]; compare with the NCHW parameter.
    const lossOf = lstsq(6, 2);
    const init = Array.from({ length: 12 }, (_, j) => Math.cos(1.7 * j) * 0.5);
    const nhwc = f64(init).reshape([2, 2, 1, 3]).detach();
    nhwc.requiresGrad = true;
    const nchw = nhwc.permute([0, 3, 1, 2]).detach();
    nchw.requiresGrad = true;
    const common: SoapOptions = { lr: 0.02, eps: 1e-6, preconditionFrequency: 3, maxPrecondDim: 6, mergeDims: true };
    const last = soap([nhwc], { ...common, dataFormat: 'channels_last' });
    run(last, () => lossOf(nhwc.permute([0, 3, 1, 2])), 10);
    run(soap([nchw], common), () => lossOf(nchw), 10);
    expect(paramState(last).channelsLast).toBe(true);
    expect(Array.from(nhwc.permute([0, 3, 1, 2]).data)).toEqual(Array.from(nchw.data));
  });

  it('the trajectory does not depend on the signs of the eigenbases’ columns', () => {
    const lossOf = lstsq(4, 3);
    const init = Array.from({ length: 12 }, (_, j) => Math.sin(0.9 * j) * 0.4);
    const make = () => {
      const w = f64(init).reshape([4, 3]).detach();
      w.requiresGrad = true;
      return w;
    };
    const [a, b] = [make(), make()];
    const options: SoapOptions = { lr: 0.02, eps: 1e-5, preconditionFrequency: 3 };
    const optA = soap([a], options);
    const optB = soap([b], options);
    run(optA, () => lossOf(a), 1);
    run(optB, () => lossOf(b), 1);
    // Flip the signs of some columns of B's bases (the moments are still zero).
    const sd = JSON.parse(JSON.stringify(optB.stateDict()));
    const q = sd.state[0].params[0].q as { data: number[] }[];
    q.forEach((basis, k) => {
      const d = Math.round(Math.sqrt(basis.data.length));
      for (let r = 0; r < d; r++) for (let c = 0; c < d; c += 2) basis.data[r * d + c] *= -1;
      expect(k).toBeLessThan(2);
    });
    optB.loadStateDict(sd);
    expect(paramState(optB).q[0]?.[0]).toBe(-(paramState(optA).q[0]?.[0] as number));
    run(optA, () => lossOf(a), 12);
    run(optB, () => lossOf(b), 12);
    expectClose(b.data, a.data, 1e-13);
  });

  it('is equivariant under orthogonal changes of the rows and columns of a matrix (unlike Adam)', () => {
    // f'(W') = f(Uᵀ·W'·V) with W' = U·W·Vᵀ: SOAP's iterates stay related by W' = U·W·Vᵀ.
    const lossOf = lstsq(2, 2);
    const U = rotation(0.8);
    const V = rotation(-0.5);
    const W0 = [
      [0.4, -0.3],
      [0.2, 0.6],
    ];
    const transpose = (m: number[][]) => m[0].map((_, j) => m.map((row) => row[j]));
    const w = f64(W0);
    const wr = f64(matmul2(matmul2(U, W0), transpose(V)));
    const Ut = f64(transpose(U), false);
    const Vt = f64(V, false);
    const options: SoapOptions = { lr: 0.03, eps: 1e-4, preconditionFrequency: 3, weightDecay: 0.05 };
    run(soap([w], options), () => lossOf(w), 15);
    run(soap([wr], options), () => lossOf(matmul(matmul(Ut, wr), Vt)), 15);
    const back = matmul(matmul(Ut, wr), Vt);
    expectClose(back.data, w.data, 1e-10);
  });

  it('refreshes the bases every preconditionFrequency steps (QR of one power-iteration step)', () => {
    const lossOf = lstsq(3, 3);
    const w = f64(Array.from({ length: 3 }, (_, i) => [0.1 * i, -0.2, 0.3 - 0.1 * i]));
    const opt = soap([w], { lr: 0.05, preconditionFrequency: 4, eps: 1e-5 });
    const bases: number[][] = [];
    for (let k = 0; k < 10; k++) {
      run(opt, () => lossOf(w), 1);
      bases.push(Array.from(paramState(opt).q[0] as Float64Array));
    }
    // Steps 2..10 have state step 1..9: the basis changes after steps with step 4 and 8 only.
    const changed = bases.slice(1).map((q, k) => q.some((v, j) => v !== bases[k][j]));
    expect(changed).toEqual([false, false, false, true, false, false, false, true, false]);
    // The refreshed basis is orthonormal.
    const q = bases[9];
    for (let a = 0; a < 3; a++)
      for (let b = 0; b < 3; b++) {
        let dot = 0;
        for (let r = 0; r < 3; r++) dot += q[r * 3 + a] * q[r * 3 + b];
        expect(Math.abs(dot - (a === b ? 1 : 0))).toBeLessThan(1e-14);
      }
  });
});

describe('soap: hyperparameters and state', () => {
  it('reads lr at every step, and shampooBeta and preconditionFrequency at a parameter’s first step', () => {
    const lossOf = lstsq(3, 2);
    const make = () =>
      f64([
        [0.1, 0.2],
        [-0.3, 0.4],
        [0.5, -0.6],
      ]);
    const [a, b, c] = [make(), make(), make()];
    const options: SoapOptions = { lr: 0.02, eps: 1e-5, preconditionFrequency: 3 };
    const optA = soap([a], options);
    const optB = soap([b], options);
    const optC = soap([c], options);
    run(optA, () => lossOf(a), 2);
    run(optB, () => lossOf(b), 2);
    run(optC, () => lossOf(c), 2);
    optB.paramGroups[0].shampooBeta = 0.5;
    optB.paramGroups[0].preconditionFrequency = 1;
    optC.paramGroups[0].lr = 0.01;
    run(optA, () => lossOf(a), 8);
    run(optB, () => lossOf(b), 8);
    run(optC, () => lossOf(c), 8);
    expect(Array.from(b.data)).toEqual(Array.from(a.data));
    expect(paramState(optB).shampooBeta).toBe(0.95);
    expect(Array.from(c.data)).not.toEqual(Array.from(a.data));
    // A parameter added later takes the group's values at its own first step.
    const d = make();
    optB.addParamGroup({ params: [d], shampooBeta: 0.5 });
    run(optB, () => lossOf(b).add(lossOf(d)), 1);
    const s = decodeState(JSON.parse(JSON.stringify(optB.stateDict().state[1]))) as SoapState;
    expect(s.params[0]?.shampooBeta).toBe(0.5);
  });

  it('shampooBeta -1 means betas[1]', () => {
    const w = f64([
      [1, 2],
      [3, 4],
    ]);
    const opt = soap([w], { betas: [0.9, 0.8] });
    run(opt, () => w.square().sum(), 1);
    expect(paramState(opt).shampooBeta).toBe(0.8);
  });

  it('continues bit for bit from a JSON round trip of its state dict (across a basis refresh)', () => {
    const lossOf = lstsq(4, 3);
    const init = Array.from({ length: 12 }, (_, j) => Math.cos(0.7 * j) * 0.3);
    const make = () => {
      const w = f64(init).reshape([4, 3]).detach();
      w.requiresGrad = true;
      return w;
    };
    const options: SoapOptions = { lr: 0.02, eps: 1e-6, preconditionFrequency: 3, precondition1d: true };
    const [a, b] = [make(), make()];
    const bias = () => f64([0.1, -0.2, 0.3]);
    const [ba, bb] = [bias(), bias()];
    const loss = (w: Tensor, c: Tensor) => () => lossOf(w).add(c.mul(w.sum(0)).sum().square());
    const optA = soap([a, ba], options);
    run(optA, loss(a, ba), 5);
    const saved = JSON.stringify(optA.stateDict());
    b.data.set(a.data);
    bb.data.set(ba.data);
    const optB = soap([b, bb], options);
    optB.loadStateDict(JSON.parse(saved));
    run(optA, loss(a, ba), 6);
    run(optB, loss(b, bb), 6);
    expect(Array.from(b.data)).toEqual(Array.from(a.data));
    expect(Array.from(bb.data)).toEqual(Array.from(ba.data));
  });

  it('has the reference defaults and validates its options', () => {
    const p = [f64([1])];
    expect({ ...soap(p).defaults }).toEqual({
      lr: 3e-3,
      betas: [0.95, 0.95],
      shampooBeta: -1,
      eps: 1e-8,
      weightDecay: 0.01,
      preconditionFrequency: 10,
      maxPrecondDim: 10000,
      mergeDims: false,
      precondition1d: false,
      normalizeGrads: false,
      dataFormat: 'channels_first',
      correctBias: true,
    });
    expect(() => soap(p, { betas: [0.9, 1] })).toThrow('soap: betas[1] must be in [0, 1), got 1');
    expect(() => soap(p, { shampooBeta: 1 })).toThrow('soap: shampooBeta must be in (-inf, 1), got 1');
    expect(() => soap(p, { eps: -1 })).toThrow('soap: eps must be in [0, inf), got -1');
    expect(() => soap(p, { weightDecay: -0.1 })).toThrow('soap: weightDecay must be in [0, inf), got -0.1');
    expect(() => soap(p, { preconditionFrequency: 0 })).toThrow(
      'soap: preconditionFrequency must be an integer in [1, inf), got 0',
    );
    expect(() => soap(p, { maxPrecondDim: 2.5 })).toThrow(
      'soap: maxPrecondDim must be an integer in [0, inf), got 2.5',
    );
    expect(() => soap(p, { mergeDims: 1 as unknown as boolean })).toThrow(
      'soap: mergeDims must be true or false, got 1',
    );
    expect(() => soap(p, { dataFormat: 'NHWC' as 'channels_last' })).toThrow(
      `soap: dataFormat must be 'channels_first' or 'channels_last', got "NHWC"`,
    );
    expect(() => soap(p, { momentum: 0.9 } as object)).toThrow('soap: unknown option "momentum"');
  });

  it('is a plugin', () => {
    expect(soapPlugin.name).toBe('@nablajs/optim-soap');
    usePlugin(soapPlugin);
    expect(createOptimizer('soap', [f64([1])], { lr: 0.01 }).name).toBe('soap');
  });
});

describe('soap: layout', () => {
  it('merges dimensions as the reference’s merge_dims', () => {
    expect(mergeDims([2, 3, 4], 6)).toEqual([6, 4]);
    expect(mergeDims([2, 3, 4], 5)).toEqual([2, 3, 4]);
    expect(mergeDims([6, 4], 10000)).toEqual([24]);
    expect(mergeDims([20000, 3, 2], 10000)).toEqual([20000, 6]);
    expect(mergeDims([3, 20000, 2], 10000)).toEqual([3, 20000, 2]);
    expect(mergeDims([4, 1, 4], 3)).toEqual([4, 4]);
    expect(mergeDims([], 10)).toEqual([1]);
  });

  it('decides which dimensions are preconditioned', () => {
    const base = { maxPrecondDim: 5, mergeDims: false, precondition1d: false, dataFormat: 'channels_first' };
    expect(soapLayout([6, 4], base)).toEqual({ dims: [6, 4], preconditioned: [false, true], channelsLast: false });
    expect(soapLayout([4], base)).toEqual({ dims: [4], preconditioned: [false], channelsLast: false });
    expect(soapLayout([4], { ...base, precondition1d: true }).preconditioned).toEqual([true]);
    expect(soapLayout([6], { ...base, precondition1d: true }).preconditioned).toEqual([false]);
    expect(soapLayout([], base)).toEqual({ dims: [], preconditioned: [], channelsLast: false });
    expect(soapLayout([], { ...base, mergeDims: true }).dims).toEqual([1]);
    // NHWC [2, 3, 3, 12] is merged as NCHW [2, 12, 3, 3]: [2, 12, 3, 3] again with maxPrecondDim 8 (12 alone).
    const nhwc = { ...base, maxPrecondDim: 8, mergeDims: true, dataFormat: 'channels_last' };
    expect(soapLayout([2, 3, 3, 12], nhwc)).toEqual({
      dims: [2, 12, 3, 3],
      preconditioned: [true, false, true, true],
      channelsLast: true,
    });
    expect(soapLayout([2, 3, 1, 4], { ...nhwc, maxPrecondDim: 6 }).dims).toEqual([2, 4, 3]);
    expect(soapLayout([2, 3, 1, 4], { ...nhwc, maxPrecondDim: 6, dataFormat: 'channels_first' }).dims).toEqual([6, 4]);
    expect(soapLayout([2, 3, 3, 4], { ...nhwc, mergeDims: false }).channelsLast).toBe(false);
  });
});

// NOTE: SOAP's first step only builds the preconditioner (as the reference); the testkit's hooks check
// takes a warm-up step first, so it applies. The test below pins the first step's hooks too.
describe('soap: conformance', () => {
  it('passes the optimizer conformance checks (defaults)', () => {
    const result = checkOptimizerConformance(soap, {
      name: 'soap',
      invalidOptions: [{ betas: [0.9, 1.5] }, { preconditionFrequency: 0 }, { dataFormat: 'nhwc' }],
    });
    expect(result.failures).toEqual([]);
    expect(result.skipped).toEqual([]);
  });

  it('fires onBeforeStep before and onAfterStep after the update, from the second step on', () => {
    const p = f64([0.5, -1, 2]);
    const opt = soap([p], { lr: 0.1 });
    const events: string[] = [];
    let before = Array.from(p.data);
    const moved = () => Array.from(p.data).some((v, j) => v !== before[j]);
    opt.onBeforeStep(() => events.push(moved() ? 'before (moved)' : 'before'));
    opt.onAfterStep(() => events.push(moved() ? 'after (moved)' : 'after'));
    for (let k = 0; k < 3; k++) {
      before = Array.from(p.data);
      opt.zeroGrad();
      p.square().sum().backward();
      opt.step();
    }
    expect(events).toEqual(['before', 'after', 'before', 'after (moved)', 'before', 'after (moved)']);
  });

  it('passes them with preconditioned 1-D parameters and frequent refreshes, in float32 too', () => {
    for (const dtype of ['float64', 'float32'] as const) {
      const result = checkOptimizerConformance(soap, {
        name: 'soap',
        options: { lr: 0.01, precondition1d: true, preconditionFrequency: 2, eps: 1e-6 },
        dtype,
      });
      expect(result.failures).toEqual([]);
    }
  });
});
