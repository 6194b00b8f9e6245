import { describe, expect, it } from 'vitest';
import {
  DTypeError,
  elu,
  enableGrad,
  Generator,
  gelu,
  gradcheck,
  gradients,
  leakyRelu,
  logSigmoid,
  gradgradcheck as rawGradgradcheck,
  relu,
  sigmoid,
  silu,
  softplus,
  type Tensor,
  tanh,
  tensor,
  ValueError,
} from '../index';
import { erf, erfc } from '../kernels/cpu/erf';

const gen = new Generator(99);

/**
 * gradgradcheck with `f` run under enableGrad: gradgradcheck's finite differences evaluate the
 * first-order gradient inside noGrad, where it could not be recorded.
 */
function gradgradcheck(f: (x: Tensor) => Tensor, inputs: Tensor[]): boolean {
  return rawGradgradcheck((...xs) => enableGrad(() => f(xs[0])), inputs);
}

/** A float64 leaf with uniform values in [lo, hi), each at least 0.05 away from every point of `avoid`. */
function rand64(n: number, lo = -3, hi = 3, avoid: number[] = []): Tensor {
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let v: number;
    do v = lo + (hi - lo) * gen.uniform();
    while (avoid.some((k) => Math.abs(v - k) < 0.05));
    data[i] = v;
  }
  return tensor(data, { requiresGrad: true });
}

function expectClose(t: Tensor, expected: ArrayLike<number>, tol: number): void {
  expect(t.size).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i];
    if (Number.isNaN(e)) expect(t.data[i]).toBeNaN();
    else expect(Math.abs(t.data[i] - e)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(e)));
  }
}

function grad1(f: (x: Tensor) => Tensor, values: number[]): number[] {
  const x = tensor(values, { dtype: 'float64', requiresGrad: true });
  const [g] = gradients([f(x).sum()], [x]);
  return Array.from(g!.data);
}

const sig = (v: number) => 1 / (1 + Math.exp(-v));
const SQRT1_2 = Math.SQRT1_2;
const K = Math.sqrt(2 / Math.PI);

// Reference values of erf from glibc's erf (through Python's math.erf), within an ulp of the true values.
const ERF_TABLE: [number, number][] = [
  [1e-10, 1.1283791670955126e-10],
  [0.1, 0.1124629160182849],
  [0.46875, 0.49261347321793797],
  [0.5, 0.5204998778130465],
  [1, 0.8427007929497149],
  [2, 0.9953222650189527],
  [3.5, 0.9999992569016276],
];

describe('erf', () => {
  it('matches high-precision values to ~1e-16', () => {
    for (const [x, e] of ERF_TABLE) {
      expect(Math.abs(erf(x) - e)).toBeLessThanOrEqual(3e-16 * e);
      expect(erf(-x)).toBe(-erf(x));
    }
    expect(erf(0)).toBe(0);
    expect(erf(Infinity)).toBe(1);
    expect(erf(-Infinity)).toBe(-1);
    expect(erf(Number.NaN)).toBeNaN();
  });

  it('keeps relative precision in the tail of erfc', () => {
    // erfc(5) and erfc(10) from glibc
    expect(Math.abs(erfc(5) / 1.5374597944280351e-12 - 1)).toBeLessThan(1e-15);
    expect(Math.abs(erfc(10) / 2.088487583762545e-45 - 1)).toBeLessThan(1e-14);
    expect(Math.abs(erfc(-1) - (1 + 0.8427007929497149))).toBeLessThan(4e-16);
    expect(erfc(30)).toBe(0);
  });
});

describe('relu and leakyRelu', () => {
  it('compute max(x, 0) and the leaky variant, keeping NaN', () => {
    const x = tensor([-2, -0.5, 0, 1.5, Number.NaN], { dtype: 'float64' });
    expectClose(relu(x), [0, 0, 0, 1.5, NaN], 0);
    expectClose(leakyRelu(x), [-0.02, -0.005, 0, 1.5, NaN], 1e-17);
    expectClose(leakyRelu(x, 0.2), [-0.4, -0.1, 0, 1.5, NaN], 1e-16);
    const i = tensor([-3, 4], { dtype: 'int32' });
    expect(relu(i).dtype).toBe('int32');
    expect(relu(i).toArray()).toEqual([0, 4]);
    expect(leakyRelu(i).dtype).toBe('float32');
  });

  it('use the kink conventions: relu has gradient 0 at 0, leakyRelu the slope', () => {
    expect(grad1(relu, [-1, 0, 2])).toEqual([0, 0, 1]);
    expect(grad1((x) => leakyRelu(x, 0.1), [-1, 0, 2])).toEqual([0.1, 0.1, 1]);
  });

  it('pass gradcheck and gradgradcheck away from 0', () => {
    expect(gradcheck(relu, [rand64(12, -3, 3, [0])])).toBe(true);
    expect(gradcheck((x) => leakyRelu(x, 0.3), [rand64(12, -3, 3, [0])])).toBe(true);
    expect(gradgradcheck((x) => relu(x).square(), [rand64(12, -3, 3, [0])])).toBe(true);
    expect(gradgradcheck((x) => leakyRelu(x, 0.3).square(), [rand64(12, -3, 3, [0])])).toBe(true);
  });

  it('validate their arguments', () => {
    expect(() => relu([1] as unknown as Tensor)).toThrow(DTypeError);
    expect(() => leakyRelu(tensor([1]), Number.NaN)).toThrow(/leakyRelu: negativeSlope must be a finite number/);
  });
});

describe('sigmoid, tanh, silu', () => {
  const xs = [-6, -1.5, -0.1, 0, 0.7, 2, 9];

  it('match closed forms in float64 and float32', () => {
    const x64 = tensor(xs, { dtype: 'float64' });
    expectClose(sigmoid(x64), xs.map(sig), 2e-16);
    expectClose(tanh(x64), xs.map(Math.tanh), 0);
    expectClose(
      silu(x64),
      xs.map((v) => v * sig(v)),
      4e-16,
    );
    const x32 = tensor(xs);
    expect(sigmoid(x32).dtype).toBe('float32');
    expectClose(sigmoid(x32), xs.map(sig), 1e-7);
    expectClose(tanh(x32), xs.map(Math.tanh), 1e-7);
    expectClose(
      silu(x32),
      xs.map((v) => v * sig(v)),
      1e-7,
    );
    expect(sigmoid(tensor([1], { dtype: 'int32' })).dtype).toBe('float32');
  });

  it('stay finite and right for huge inputs', () => {
    const big = tensor([-800, 800, -1e308, 1e308], { dtype: 'float64' });
    expect(sigmoid(big).toArray()).toEqual([0, 1, 0, 1]);
    expect(sigmoid(tensor([-800, 800])).toArray()).toEqual([0, 1]);
    expect(tanh(big).toArray()).toEqual([-1, 1, -1, 1]);
    expectClose(silu(tensor([-800, 800], { dtype: 'float64' })), [-0, 800], 0);
    expect(Math.abs(sigmoid(tensor([-700], { dtype: 'float64' })).item() / Math.exp(-700) - 1)).toBeLessThan(1e-13);
    expect(grad1(sigmoid, [-800, 800])).toEqual([0, 0]);
  });

  it('have the closed-form derivatives', () => {
    expectClose(
      tensor(grad1(sigmoid, xs)),
      xs.map((v) => sig(v) * (1 - sig(v))),
      1e-7,
    );
    const g = grad1(tanh, xs);
    xs.forEach((v, i) => {
      expect(g[i]).toBeCloseTo(1 - Math.tanh(v) ** 2, 15);
    });
    const s = grad1(silu, xs);
    xs.forEach((v, i) => {
      expect(s[i]).toBeCloseTo(sig(v) * (1 + v * (1 - sig(v))), 15);
    });
  });

  it('pass gradcheck and gradgradcheck', () => {
    for (const f of [sigmoid, tanh, silu]) {
      expect(gradcheck(f, [rand64(10)])).toBe(true);
      expect(gradgradcheck(f, [rand64(10)])).toBe(true);
    }
  });

  it('support third derivatives through the fused gradients', () => {
    // d³/dx³ tanh(x) = -2 (1 - t²)(1 - 3t²)
    for (const v of [-0.8, 0.3, 1.1]) {
      const x = tensor([v], { dtype: 'float64', requiresGrad: true });
      const [g1] = gradients([tanh(x).sum()], [x], null, { createGraph: true });
      const [g2] = gradients([g1!.sum()], [x], null, { createGraph: true });
      const [g3] = gradients([g2!.sum()], [x]);
      const t = Math.tanh(v);
      expect(g2!.item()).toBeCloseTo(-2 * t * (1 - t * t), 14);
      expect(g3!.item()).toBeCloseTo(-2 * (1 - t * t) * (1 - 3 * t * t), 14);
    }
  });
});

describe('gelu', () => {
  const xs = [-5, -2, -0.7, -1e-3, 0, 0.4, 1, 3];
  const exact = (v: number) => 0.5 * v * (1 + erf(v * SQRT1_2));
  const approx = (v: number) => 0.5 * v * (1 + Math.tanh(K * (v + 0.044715 * v ** 3)));

  it('computes the exact and tanh forms', () => {
    const x = tensor(xs, { dtype: 'float64' });
    expectClose(gelu(x), xs.map(exact), 1e-15);
    expectClose(gelu(x, 'tanh'), xs.map(approx), 1e-15);
    // x Φ(x) at 1 and -2 (PyTorch's values)
    expect(Math.abs(gelu(tensor([1], { dtype: 'float64' })).item() - 0.8413447460685429)).toBeLessThan(2.3e-16);
    expect(Math.abs(gelu(tensor([-2], { dtype: 'float64' })).item() + 0.04550026389635842)).toBeLessThan(3e-17);
    expectClose(gelu(tensor(xs)), xs.map(exact), 1e-7);
    expect(gelu(tensor(xs), 'tanh').dtype).toBe('float32');
  });

  it('has the derivative Φ(x) + x φ(x), and the tanh form’s derivative', () => {
    const g = grad1((x) => gelu(x), xs);
    xs.forEach((v, i) => {
      const pdf = Math.exp(-0.5 * v * v) / Math.sqrt(2 * Math.PI);
      expect(g[i]).toBeCloseTo(0.5 * (1 + erf(v * SQRT1_2)) + v * pdf, 15);
    });
    const h = grad1((x) => gelu(x, 'tanh'), xs);
    xs.forEach((v, i) => {
      const eps = 1e-6;
      expect(h[i]).toBeCloseTo((approx(v + eps) - approx(v - eps)) / (2 * eps), 8);
    });
  });

  it('passes gradcheck and gradgradcheck in both forms', () => {
    expect(gradcheck((x) => gelu(x), [rand64(10, -4, 4)])).toBe(true);
    expect(gradcheck((x) => gelu(x, 'tanh'), [rand64(10, -4, 4)])).toBe(true);
    expect(gradgradcheck((x) => gelu(x), [rand64(10, -4, 4)])).toBe(true);
    expect(gradgradcheck((x) => gelu(x, 'tanh'), [rand64(10, -4, 4)])).toBe(true);
  });

  it('rejects an unknown approximation', () => {
    expect(() => gelu(tensor([1]), 'fast' as 'tanh')).toThrow(ValueError);
    expect(() => gelu(tensor([1]), 'fast' as 'tanh')).toThrow(/gelu: approximate must be 'none' or 'tanh', got "fast"/);
  });
});

describe('elu', () => {
  it('computes x for x > 0 and alpha (e^x - 1) elsewhere', () => {
    const xs = [-3, -0.5, -1e-9, 0, 2];
    const x = tensor(xs, { dtype: 'float64' });
    expectClose(
      elu(x),
      xs.map((v) => (v > 0 ? v : Math.expm1(v))),
      0,
    );
    expectClose(
      elu(x, 0.5),
      xs.map((v) => (v > 0 ? v : 0.5 * Math.expm1(v))),
      0,
    );
    expect(elu(tensor([-1000], { dtype: 'float64' }), 2).item()).toBe(-2);
  });

  it('has gradient 1 for x > 0 and alpha e^x elsewhere (alpha at 0)', () => {
    const g = grad1((x) => elu(x, 0.5), [-2, 0, 1]);
    expect(g[0]).toBeCloseTo(0.5 * Math.exp(-2), 15);
    expect(g.slice(1)).toEqual([0.5, 1]);
  });

  it('passes gradcheck and gradgradcheck', () => {
    expect(gradcheck((x) => elu(x, 1.3), [rand64(10, -3, 3, [0])])).toBe(true);
    expect(gradgradcheck((x) => elu(x, 1.3), [rand64(10, -3, 3, [0])])).toBe(true);
    expect(() => elu(tensor([1]), Number.POSITIVE_INFINITY)).toThrow(/elu: alpha must be a finite number/);
  });
});

describe('softplus and logSigmoid', () => {
  const xs = [-30, -2, -0.1, 0, 0.5, 3, 15];

  it('match log(1 + e^x) and -log(1 + e^-x)', () => {
    const x = tensor(xs, { dtype: 'float64' });
    expectClose(
      softplus(x),
      xs.map((v) => Math.log1p(Math.exp(v))),
      1e-15,
    );
    // beta * x = 30 > 20 at x = 15: linear regime
    expectClose(
      softplus(x, 2),
      xs.map((v) => (2 * v > 20 ? v : Math.log1p(Math.exp(2 * v)) / 2)),
      1e-15,
    );
    expectClose(
      logSigmoid(x),
      xs.map((v) => -Math.log1p(Math.exp(-v))),
      1e-15,
    );
    expectClose(
      softplus(tensor(xs)),
      xs.map((v) => Math.log1p(Math.exp(v))),
      1e-7,
    );
  });

  it('switch softplus to the linear regime above the threshold, like PyTorch', () => {
    expect(softplus(tensor([1000], { dtype: 'float64' })).item()).toBe(1000);
    expect(softplus(tensor([21], { dtype: 'float64' })).item()).toBe(21);
    expect(softplus(tensor([19], { dtype: 'float64' })).item()).toBe(Math.log1p(Math.exp(19)));
    // beta * x = 6 > threshold 5: linear
    expect(softplus(tensor([3], { dtype: 'float64' }), 2, 5).item()).toBe(3);
    expect(grad1((x) => softplus(x), [1000, 0])).toEqual([1, 0.5]);
    expect(grad1((x) => softplus(x, 2, 5), [3])).toEqual([1]);
  });

  it('stay finite for huge inputs', () => {
    expect(logSigmoid(tensor([-1000], { dtype: 'float64' })).item()).toBe(-1000);
    expect(logSigmoid(tensor([1000], { dtype: 'float64' })).item()).toBe(-0);
    expect(logSigmoid(tensor([-1000])).item()).toBe(-1000);
    expect(softplus(tensor([-1000], { dtype: 'float64' })).item()).toBe(0);
    expect(softplus(tensor([1000])).item()).toBe(1000);
    expect(grad1(logSigmoid, [-1000, 1000])).toEqual([1, 0]);
  });

  it('have derivatives σ(βx) and σ(-x)', () => {
    const s = grad1((x) => softplus(x, 2), xs);
    xs.forEach((v, i) => {
      expect(s[i]).toBeCloseTo(2 * v > 20 ? 1 : sig(2 * v), 15);
    });
    const l = grad1(logSigmoid, xs);
    xs.forEach((v, i) => {
      expect(l[i]).toBeCloseTo(sig(-v), 15);
    });
  });

  it('pass gradcheck and gradgradcheck', () => {
    expect(gradcheck((x) => softplus(x, 1.5), [rand64(10)])).toBe(true);
    expect(gradgradcheck((x) => softplus(x, 1.5), [rand64(10)])).toBe(true);
    expect(gradcheck(logSigmoid, [rand64(10)])).toBe(true);
    expect(gradgradcheck(logSigmoid, [rand64(10)])).toBe(true);
  });

  it('validate beta', () => {
    expect(() => softplus(tensor([1]), 0)).toThrow(/softplus: beta must be a finite nonzero number, got 0/);
  });
});

describe('activations do not mutate their inputs', () => {
  it('in forward or backward', () => {
    const fs: ((x: Tensor) => Tensor)[] = [
      relu,
      (x) => leakyRelu(x, 0.2),
      (x) => elu(x),
      (x) => gelu(x),
      (x) => gelu(x, 'tanh'),
      silu,
      sigmoid,
      tanh,
      (x) => softplus(x),
      logSigmoid,
    ];
    for (const f of fs) {
      const x = tensor([-1.5, 0.25, 2], { dtype: 'float64', requiresGrad: true });
      f(x).sum().backward();
      expect(x.toArray()).toEqual([-1.5, 0.25, 2]);
    }
  });
});
