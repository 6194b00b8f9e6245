import { type DType, type Tensor, tensor } from '@nablajs/core';
import { createOptimizer, decodeState, listOptimizers, type Optimizer, resetRegistry, usePlugin } from '@nablajs/optim';
import { checkOptimizerConformance } from '@nablajs/optim/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import adafactorPlugin, { type AdafactorState, adafactor } from './index';

const param = (values: number[], shape: number[], dtype: DType = 'float64') =>
  tensor(values, { shape, dtype, requiresGrad: true });

function setGrad(p: Tensor, values: number[]): void {
  p.grad = tensor(values, { shape: [...p.shape], dtype: p.dtype });
}

function expectClose(actual: ArrayLike<number>, expected: readonly number[], tol = 1e-14): void {
  expect(actual.length).toBe(expected.length);
  for (let j = 0; j < expected.length; j++)
    expect(Math.abs(actual[j] - expected[j])).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(expected[j])));
}

/** The state of scaleByAdafactor (block 1 of the recipe) for group `g`, through the state dict. */
function adafactorState(opt: Optimizer, g = 0): AdafactorState {
  return (decodeState(opt.stateDict().state[g]) as unknown[])[1] as AdafactorState;
}

const rms = (xs: readonly number[]) => Math.sqrt(xs.reduce((s, x) => s + x * x, 0) / xs.length);

afterEach(() => resetRegistry());

describe('adafactor: options', () => {
  it('defaults to PyTorch’s, with eps null standing for [null, 1e-3]', () => {
    const opt = adafactor([param([1, 2], [2])]);
    expect(opt.name).toBe('adafactor');
    expect(opt.defaults).toEqual({
      lr: 1e-2,
      beta2Decay: -0.8,
      eps: [null, 1e-3],
      d: 1,
      weightDecay: 0,
      maximize: false,
    });
  });

  it('rejects bad values, naming the function, the option and the value', () => {
    const p = [param([1, 2], [2])];
    const bad: [Record<string, unknown>, string][] = [
      [{ lr: -1 }, 'adafactor: lr must be in [0, inf), got -1'],
      [{ beta2Decay: 0.5 }, 'adafactor: beta2Decay must be in (-inf, 0], got 0.5'],
      [{ eps: [-1, 1e-3] }, 'adafactor: eps[0] must be in [0, inf), got -1'],
      [{ eps: [null, -0.5] }, 'adafactor: eps[1] must be in [0, inf), got -0.5'],
      [{ eps: [1e-30, null] }, 'adafactor: eps[1] must be a number in [0, inf), got null'],
      [{ eps: [1e-30] }, 'adafactor: eps must be an array [eps1, eps2] (eps1 may be null), got [1e-30]'],
      [{ eps: 1e-3 }, 'adafactor: eps must be an array [eps1, eps2] (eps1 may be null), got 0.001'],
      [{ d: 0.5 }, 'adafactor: d must be in [1, inf), got 0.5'],
      [{ weightDecay: -0.1 }, 'adafactor: weightDecay must be in [0, inf), got -0.1'],
      [{ maximize: 'yes' }, 'adafactor: maximize must be true or false, got "yes"'],
      [{ beta1: 0.9 }, 'adafactor: unknown option "beta1"'],
    ];
    for (const [options, message] of bad) expect(() => adafactor(p, options as object)).toThrow(message);
    // The same checks for a parameter group's overrides.
    expect(() => adafactor([{ params: p, eps: [null, -1] as unknown as number[] }])).toThrow(
      'adafactor: eps[1] must be in [0, inf), got -1',
    );
  });

  it('accepts PyTorch’s spellings of eps: null first entry or an explicit pair; refuses other shapes', () => {
    for (const eps of [
      [null, 1e-3],
      [1e-30, 1e-3],
      [0, 0],
    ] as const)
      expect(adafactor([param([1], [1])], { eps }).paramGroups[0].eps).toEqual(eps);
    expect(() => adafactor([param([1], [1])], { eps: null as unknown as [number, number] })).toThrow(
      'adafactor: eps must be an array [eps1, eps2] (eps1 may be null), got null',
    );
    expect(() => adafactor([param([1], [1])], { eps: [null, null] as unknown as [number, number] })).toThrow(
      'adafactor: eps[1] must be a number',
    );
  });

  it('leaves the caller’s parameters and an existing optimizer untouched when it rejects options', () => {
    const p = param([1, -2, 3, 0.5], [2, 2]);
    setGrad(p, [0.1, 0.2, 0.3, 0.4]);
    expect(() => adafactor([p], { d: 0 })).toThrow('adafactor: d must be in [1, inf), got 0');
    expect(Array.from(p.data)).toEqual([1, -2, 3, 0.5]);
    expect(Array.from(p.grad?.data ?? [])).toEqual([0.1, 0.2, 0.3, 0.4]);
    const opt = adafactor([p]);
    const q = param([5], [1]);
    expect(() => opt.addParamGroup({ params: [q], beta2Decay: 1 })).toThrow(
      'adafactor: beta2Decay must be in (-inf, 0], got 1',
    );
    expect(opt.paramGroups).toHaveLength(1);
    expect(Array.from(q.data)).toEqual([5]);
    opt.step();
    expect(adafactorState(opt).step).toEqual([1]);
  });
});

describe('adafactor: hand-worked steps', () => {
  it('first step of a matrix: the factors are the first means exactly, then V̂ = R·C/mean(R)', () => {
    const lr = 0.05;
    const w0 = [1, -2, 0.5, 3, 1.5, -1];
    const g = [1, 2, 2, 0, 3, 4];
    const w = param(w0, [2, 3]);
    const opt = adafactor([w], { lr });
    setGrad(w, g);
    opt.step();
    // Row means of g²: (1 + 4 + 4)/3 = 3 and (0 + 9 + 16)/3 = 25/3; column means: 1/2, 13/2, 10.
    const s = adafactorState(opt);
    expect(s.step).toEqual([1]);
    expect(Array.from(s.rowVar[0] ?? [])).toEqual([3, 25 / 3]);
    expect(Array.from(s.colVar[0] ?? [])).toEqual([0.5, 6.5, 10]);
    expect(s.variance[0]).toBeNull();
    const R = [3, 25 / 3];
    const C = [0.5, 6.5, 10];
    const meanR = (R[0] + R[1]) / 2;
    const U = g.map((gj, j) => gj / Math.sqrt((R[Math.floor(j / 3)] * C[j % 3]) / meanR));
    const denom = Math.max(1, rms(U)); // d = 1
    expect(denom).toBeGreaterThan(1); // this example clips
    const alpha = Math.max(1e-3, rms(w0)) * Math.min(lr, 1);
    expectClose(
      w.data,
      w0.map((x, j) => x - (alpha * U[j]) / denom),
    );
  });

  it('second step: the factors move by the weight t^beta2Decay (a zero gradient shrinks them by 1 - 2^τ)', () => {
    const w = param([1, 2, 3, 4], [2, 2]);
    const opt = adafactor([w], { beta2Decay: -0.5 });
    setGrad(w, [1, 3, 2, 4]);
    opt.step();
    setGrad(w, [0, 0, 0, 0]);
    opt.step();
    const s = adafactorState(opt);
    const keep = 1 - 2 ** -0.5;
    expectClose(s.rowVar[0] ?? [], [5 * keep, 10 * keep]);
    expectClose(s.colVar[0] ?? [], [2.5 * keep, 12.5 * keep]);
  });

  it('a vector’s first step moves each entry by α = RMS(p)·min(lr, 1) against the sign of its gradient', () => {
    const p = param([3, -4], [2]);
    const opt = adafactor([p], { lr: 0.01 });
    setGrad(p, [0.5, -2]);
    opt.step();
    const alpha = Math.sqrt(12.5) * 0.01;
    expectClose(p.data, [3 - alpha, -4 + alpha]);
    expect(Array.from(adafactorState(opt).variance[0] ?? [])).toEqual([0.25, 4]);
  });

  it('weight decay scales p by 1 - lr·λ, and α uses p before the decay', () => {
    const p = param([3, -4], [2]);
    const lr = 0.1;
    const opt = adafactor([p], { lr, weightDecay: 0.5 });
    setGrad(p, [1, 1]);
    opt.step();
    const alpha = Math.sqrt(12.5) * lr;
    expectClose(p.data, [3 * 0.95 - alpha, -4 * 0.95 - alpha]);
  });

  it('ρ = min(lr, 1/√t): lr binds at first, then 1/√t', () => {
    const lr = 0.6;
    const p = param([2, 2], [2]);
    const opt = adafactor([p], { lr });
    for (let t = 1; t <= 4; t++) {
      const before = Array.from(p.data);
      setGrad(p, [1, 1]); // every step: U = [1, 1] (the variance is g² = 1 whatever its weights)
      opt.step();
      const rho = t <= 2 ? lr : 1 / Math.sqrt(t); // 1/√2 > 0.6 > 1/√3
      const alpha = rms(before) * rho;
      expectClose(p.data, [before[0] - alpha, before[1] - alpha]);
    }
  });

  it('ε₁ floors the variance: explicit, or the machine epsilon of each parameter’s dtype', () => {
    // Explicit ε₁ = 0.01: g₀² = 1e-6 < ε₁², so U₀ = 1e-3 / 0.01 = 0.1; U₁ = 1 (RMS(U) < 1: no clipping).
    const p = param([1, 1], [2]);
    const opt = adafactor([p], { lr: 0.1, eps: [0.01, 1e-3] });
    setGrad(p, [1e-3, 1]);
    opt.step();
    expectClose(p.data, [1 - 0.1 * 0.1, 1 - 0.1]);
    // eps[0] null: g₀ = 1e-8 has g₀² = 1e-16 under float32's ε₁² = 2⁻⁴⁶ but not float64's 2⁻¹⁰⁴.
    const moved = (dtype: DType) => {
      const q = param([1, 1], [2], dtype);
      const o = adafactor([q], { lr: 0.1 });
      setGrad(q, [1e-8, 1]);
      o.step();
      return 1 - q.data[0];
    };
    expect(moved('float64')).toBeCloseTo(0.1, 12);
    expect(moved('float32')).toBeCloseTo(0.1 * 1e-8 * 2 ** 23, 6);
  });

  it('ε₁ = 1e-30 in float32 gives NaN for a zero gradient entry, as PyTorch (ε₁² rounds to 0 there)', () => {
    const run = (dtype: DType) => {
      const q = param([1, 2], [2], dtype);
      const o = adafactor([q], { eps: [1e-30, 1e-3] });
      setGrad(q, [0, 1]);
      o.step();
      return Array.from(q.data);
    };
    expect(Number.isNaN(run('float32')[0])).toBe(true);
    expect(run('float64')[0]).toBe(1);
  });

  it('maximize steps as if the gradient were negated', () => {
    const a = param([1, -2, 3, 0.5, 2, -1], [3, 2]);
    const b = param([1, -2, 3, 0.5, 2, -1], [3, 2]);
    const up = adafactor([a], { maximize: true, lr: 0.05 });
    const down = adafactor([b], { lr: 0.05 });
    for (const g of [
      [0.3, -1, 2, 0.1, -0.5, 0.7],
      [1, 1, -2, 0.3, 0.2, -0.1],
    ]) {
      setGrad(a, g);
      setGrad(
        b,
        g.map((x) => -x),
      );
      up.step();
      down.step();
      expect(Array.from(a.data)).toEqual(Array.from(b.data));
    }
  });

  it('a 0-d parameter is unfactored: its variance holds one number', () => {
    const s = tensor(2, { dtype: 'float64', requiresGrad: true });
    const opt = adafactor([s], { lr: 0.1 });
    s.grad = tensor(-0.5, { dtype: 'float64' });
    opt.step();
    expectClose(s.data, [2 + 0.2]);
    const st = adafactorState(opt);
    expect(Array.from(st.variance[0] ?? [])).toEqual([0.25]);
    expect(st.rowVar[0]).toBeNull();
  });
});

describe('adafactor: state', () => {
  it('keeps m + n numbers for an [m, n] matrix, b·(m + n) for [b, m, n], and a full variance for vectors', () => {
    const params = [
      param(new Array(50 * 40).fill(0.1), [50, 40]),
      param(new Array(24).fill(0.1), [2, 3, 4]),
      param(new Array(7).fill(0.1), [7]),
    ];
    const opt = adafactor(params);
    const s = adafactorState(opt);
    expect([s.rowVar[0]?.length, s.colVar[0]?.length, s.variance[0]]).toEqual([50, 40, null]);
    expect([s.rowVar[1]?.length, s.colVar[1]?.length, s.variance[1]]).toEqual([6, 8, null]);
    expect([s.rowVar[2], s.colVar[2], s.variance[2]?.length]).toEqual([null, null, 7]);
    const numbers = (i: number) =>
      (s.rowVar[i]?.length ?? 0) + (s.colVar[i]?.length ?? 0) + (s.variance[i]?.length ?? 0);
    expect(numbers(0)).toBe(90);
    // The state has the parameter's dtype.
    expect(adafactorState(adafactor([param([1, 2, 3, 4], [2, 2], 'float32')])).rowVar[0]).toBeInstanceOf(Float32Array);
  });

  it('continues bit for bit after a JSON round trip of the state dict, in float64 and float32', () => {
    for (const dtype of ['float64', 'float32'] as const) {
      const make = () => [
        param([0.5, -1, 2, 0.25, 1.5, -0.75], [2, 3], dtype),
        param([1, -1, 0.5], [3], dtype),
        tensor(0.7, { dtype, requiresGrad: true }),
      ];
      const grads = (k: number) => [[0.1 * k, -0.2, 0.3, 0.05 * k, -0.4, 0.2], [0.3, -0.1 * k, 0.2], [0.4 - 0.1 * k]];
      const a = make();
      const optA = adafactor(a, { lr: 0.05, weightDecay: 0.1 });
      const step = (ps: Tensor[], opt: Optimizer, k: number) => {
        grads(k).forEach((g, i) => {
          setGrad(ps[i], g);
        });
        opt.step();
      };
      for (let k = 1; k <= 3; k++) step(a, optA, k);
      const b = make();
      b.forEach((p, i) => {
        p.data.set(a[i].data);
      });
      const optB = adafactor(b, { lr: 0.05, weightDecay: 0.1 });
      optB.loadStateDict(JSON.parse(JSON.stringify(optA.stateDict())));
      expect(adafactorState(optB).step).toEqual([3, 3, 3]);
      for (let k = 4; k <= 6; k++) {
        step(a, optA, k);
        step(b, optB, k);
      }
      a.forEach((p, i) => {
        expect(Array.from(b[i].data)).toEqual(Array.from(p.data));
      });
      expect(optB.stateDict()).toEqual(optA.stateDict());
    }
  });

  it('restores the group’s eps with a null entry from a state dict', () => {
    const p = param([1, 2], [2]);
    const opt = adafactor([p], { eps: [null, 0.5] });
    const saved = JSON.parse(JSON.stringify(opt.stateDict()));
    expect(saved.paramGroups[0].eps).toEqual([null, 0.5]);
    const other = adafactor([param([1, 2], [2])]);
    other.loadStateDict(saved);
    expect(other.paramGroups[0].eps).toEqual([null, 0.5]);
  });

  it('skips parameters without a gradient: no move, no step counted', () => {
    const a = param([1, 2, 3, 4], [2, 2]);
    const b = param([5, 6], [2]);
    const opt = adafactor([a, b]);
    setGrad(a, [0.1, 0.2, 0.3, 0.4]);
    opt.step();
    setGrad(b, [1, 1]);
    a.grad = null;
    const aBefore = Array.from(a.data);
    const rowBefore = Array.from(adafactorState(opt).rowVar[0] ?? []);
    opt.step();
    const s = adafactorState(opt);
    expect(s.step).toEqual([1, 1]);
    expect(Array.from(a.data)).toEqual(aBefore);
    expect(Array.from(s.rowVar[0] ?? [])).toEqual(rowBefore);
    expect(Array.from(b.data)).not.toEqual([5, 6]);
  });

  it('steps each parameter group with its own learning rate', () => {
    const w0 = [1, -2, 0.5, 3];
    const v0 = [2, -1];
    const gw = [0.4, -0.3, 0.2, 0.1];
    const gv = [-1, 0.5];
    const w = param(w0, [2, 2]);
    const v = param(v0, [2]);
    const grouped = adafactor([{ params: [w] }, { params: [v], lr: 0.2 }], { lr: 0.03 });
    const frozen = adafactor([{ params: [param(w0, [2, 2])], lr: 0 }]);
    const soloW = param(w0, [2, 2]);
    const soloV = param(v0, [2]);
    const optW = adafactor([soloW], { lr: 0.03 });
    const optV = adafactor([soloV], { lr: 0.2 });
    for (let k = 0; k < 3; k++) {
      setGrad(w, gw);
      setGrad(v, gv);
      setGrad(soloW, gw);
      setGrad(soloV, gv);
      grouped.step();
      optW.step();
      optV.step();
    }
    expect(Array.from(w.data)).toEqual(Array.from(soloW.data));
    expect(Array.from(v.data)).toEqual(Array.from(soloV.data));
    expect(Array.from(w.data)).not.toEqual(w0);
    // lr 0 makes ρ and the decay 0: the parameter stays where it is.
    const p = frozen.paramGroups[0].params[0];
    setGrad(p, gw);
    frozen.step();
    expect(Array.from(p.data)).toEqual(w0);
  });
});

describe('adafactor: conformance and plugin', () => {
  it('passes the conformance suite, with weight decay, explicit eps, beta2Decay and a clipping threshold', () => {
    // NOTE: ε₁ = 1e-30 only in float64: in float32 its square is 0 and a zero gradient entry gives NaN (see above).
    for (const [options, dtypes] of [
      [{}, ['float64', 'float32']],
      [{ lr: 0.05, weightDecay: 0.1, maximize: false }, ['float64', 'float32']],
      [{ lr: 0.1, eps: [1e-3, 1e-3], d: 1.5, beta2Decay: -0.5 }, ['float32']],
      [{ lr: 0.1, eps: [1e-30, 1e-3], d: 1.5, beta2Decay: -0.5 }, ['float64']],
    ] as const) {
      for (const dtype of dtypes) {
        const result = checkOptimizerConformance(adafactor, {
          name: 'adafactor',
          options,
          dtype,
          invalidOptions: [{ beta2Decay: 0.1 }, { d: 0.5 }, { eps: [-1, 1e-3] }, { weightDecay: -1 }],
        });
        expect(result.failures).toEqual([]);
      }
    }
  });

  it('registers adafactor through its plugin', () => {
    usePlugin(adafactorPlugin);
    expect(adafactorPlugin.name).toBe('@nablajs/optim-adafactor');
    expect(listOptimizers()).toContain('adafactor');
    const opt = createOptimizer('adafactor', [param([1, 2], [2])], { d: 2 });
    expect(opt.name).toBe('adafactor');
    expect(opt.paramGroups[0].d).toBe(2);
  });
});
