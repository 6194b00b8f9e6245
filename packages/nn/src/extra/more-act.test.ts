import {
  DTypeError,
  Generator,
  gradcheck,
  gradgradcheck,
  gradients,
  leakyRelu,
  logSigmoid,
  manualSeed,
  softmax,
  type Tensor,
  tensor,
  ValueError,
} from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { awayFrom, expectValues, f64, gradAt, randomTensor, snapshot } from '../losses/test-utils';
import { hardshrink, rrelu, softmin, softshrink, softsign, tanhshrink, threshold } from './more-act-functional';
import { Hardshrink, LogSigmoid, RReLU, Softmin, Softshrink, Softsign, Tanhshrink, Threshold } from './more-act-layers';

describe('more activations: values and PyTorch 1.13 gradients at the kinks', () => {
  it('softmin is softmax of -x along dim, also for a 0-d tensor', () => {
    const x = tensor(
      [
        [0, Math.log(3)],
        [1000, 1001],
      ],
      { dtype: 'float64' },
    );
    expectValues(softmin(x, 1), [0.75, 0.25, 1 / (1 + Math.exp(-1)), 1 / (1 + Math.exp(1))], 1e-15);
    expectValues(softmin(x, 0), Array.from(softmax(x.neg(), 0).values), 0);
    expectValues(softmin(x, -2), Array.from(softmax(x.neg(), 0).values), 0);
    expectValues(softmin(tensor(5, { dtype: 'float64' }), 0), 1);
    expectValues(softmin(tensor(5, { dtype: 'float64' }), -1), 1);
  });

  it('softsign is x / (1 + |x|) with gradient 1 at 0', () => {
    expectValues(softsign(f64([-3, 0, 1])), [-0.75, 0, 0.5], 1e-15);
    expect(gradAt(softsign, [-1, 0, 3])).toEqual([0.25, 1, 1 / 16]);
  });

  it('threshold replaces x <= threshold with value; gradient 0 at exactly the threshold', () => {
    expectValues(threshold(f64([-1, 0.5, 0.6, 2]), 0.5, -10), [-10, -10, 0.6, 2]);
    expect(gradAt((x) => threshold(x, 0.5, -10), [-1, 0.5, 0.6, 2])).toEqual([0, 0, 1, 1]);
    expectValues(threshold(f64([-1, 3]), Number.NEGATIVE_INFINITY, 0), [-1, 3]);
    expect(threshold(f64([-1, 3]), 0, Number.NEGATIVE_INFINITY).values[0]).toBe(Number.NEGATIVE_INFINITY);
  });

  it('hardshrink zeroes -lambd <= x <= lambd, gradient 0 at exactly ±lambd; negative lambd is the identity', () => {
    expectValues(hardshrink(f64([-1, -0.5, 0.2, 0.5, 0.7])), [-1, 0, 0, 0, 0.7]);
    expect(gradAt((x) => hardshrink(x), [-1, -0.5, 0, 0.5, 0.7])).toEqual([1, 0, 0, 0, 1]);
    expect(gradAt((x) => hardshrink(x, 2), [-3, -2, 2, 2.5])).toEqual([1, 0, 0, 1]);
    expectValues(hardshrink(f64([-0.2, 0, 0.3]), -0.3), [-0.2, 0, 0.3]);
    expect(gradAt((x) => hardshrink(x, -0.3), [-0.2, 0, 0.3])).toEqual([1, 1, 1]);
  });

  it('softshrink moves x towards 0 by lambd, gradient 0 at exactly ±lambd; lambd 0 keeps x', () => {
    expectValues(softshrink(f64([-1, -0.5, 0.25, 0.5, 2])), [-0.5, 0, 0, 0, 1.5]);
    expect(gradAt((x) => softshrink(x), [-1, -0.5, 0, 0.5, 2])).toEqual([1, 0, 0, 0, 1]);
    expectValues(softshrink(f64([-2, 0, 3]), 0), [-2, 0, 3]);
    expect(gradAt((x) => softshrink(x, 0), [-2, 0, 3])).toEqual([1, 0, 1]);
  });

  it('tanhshrink is x - tanh(x), with gradient tanh²(x)', () => {
    expectValues(tanhshrink(f64([0, 1, -2])), [0, 1 - Math.tanh(1), -2 + Math.tanh(2)], 1e-15);
    expectValues(f64(gradAt(tanhshrink, [0, 1, -2]), false), [0, Math.tanh(1) ** 2, Math.tanh(2) ** 2], 1e-15);
  });

  it('NaN follows PyTorch 1.13 vectorised kernels: threshold and hardshrink keep it, softshrink gives 0', () => {
    const nan = Number.NaN;
    expect(Number.isNaN(threshold(f64([nan]), 0.1, 2).values[0])).toBe(true);
    expect(gradAt((x) => threshold(x, 0.1, 2), [nan])).toEqual([1]);
    expect(Number.isNaN(hardshrink(f64([nan])).values[0])).toBe(true);
    expect(gradAt((x) => hardshrink(x), [nan])).toEqual([0]);
    expect(Array.from(softshrink(f64([nan])).values)).toEqual([0]);
    expect(gradAt((x) => softshrink(x), [nan])).toEqual([0]);
    expect(gradAt((x) => rrelu(x, 1 / 8, 1 / 3, true, new Generator(0)), [nan])).toEqual([1]);
  });

  it('float32: threshold and lambd are rounded to float32 before comparing, as in PyTorch', () => {
    const x = tensor([0.1, -0.1, 0.3]); // float32: 0.1 is 0.10000000149...
    expect(Array.from(threshold(x, 0.1, 5).values)).toEqual([5, 5, Math.fround(0.3)]);
    expect(Array.from(hardshrink(x, 0.1).values)).toEqual([0, 0, Math.fround(0.3)]);
    expect(Array.from(softshrink(x, 0.1).values)).toEqual([0, 0, Math.fround(Math.fround(0.3) - Math.fround(0.1))]);
    for (const y of [threshold(x, 0.1, 5), hardshrink(x, 0.1), softshrink(x), tanhshrink(x), softsign(x)])
      expect(y.dtype).toBe('float32');
  });
});

describe('rrelu', () => {
  const negatives = (n: number, gen: Generator) => {
    const data = new Float64Array(n);
    for (let i = 0; i < n; i++) data[i] = -(0.1 + gen.uniform() * 3);
    return tensor(data, { dtype: 'float64', requiresGrad: true });
  };

  it('eval mode (the default) is leakyRelu with slope (lower + upper) / 2, gradient at 0 included', () => {
    const x = f64([-2, -0.5, 0, 1.5]);
    expect(Array.from(rrelu(x).values)).toEqual(Array.from(leakyRelu(x, (1 / 8 + 1 / 3) / 2).values));
    expectValues(rrelu(x, 0.1, 0.3), [-0.4, -0.1, 0, 1.5], 1e-15);
    expectValues(
      f64(
        gradAt((t) => rrelu(t, 0.1, 0.3), [-2, 0, 1.5]),
        false,
      ),
      [0.2, 0.2, 1],
      1e-15,
    );
    expectValues(rrelu(x, -0.5, 0.25), [0.25, 0.0625, 0, 1.5], 1e-15);
  });

  it('training: one slope per element in [lower, upper], and the gradient is the slope used', () => {
    const gen = new Generator(123);
    const [lower, upper] = [0.1, 0.4];
    const x = negatives(4000, gen);
    const y = rrelu(x, lower, upper, true, gen);
    const [g] = gradients([y], [x], [tensor(new Float64Array(4000).fill(1), { dtype: 'float64' })]);
    const slopes = Array.from(y.values, (v, i) => v / x.values[i]);
    let mean = 0;
    for (let i = 0; i < slopes.length; i++) {
      expect(slopes[i]).toBeGreaterThanOrEqual(lower - 1e-15);
      expect(slopes[i]).toBeLessThanOrEqual(upper + 1e-15);
      expect(Math.abs((g as Tensor).values[i] - slopes[i])).toBeLessThanOrEqual(1e-15);
      mean += slopes[i] / slopes.length;
    }
    // uniform on [0.1, 0.4]: mean 0.25 (standard error 0.0014 for 4000 draws), quartiles 0.175 and 0.325
    expect(Math.abs(mean - 0.25)).toBeLessThan(0.01);
    const sorted = [...slopes].sort((a, b) => a - b);
    expect(Math.abs(sorted[1000] - 0.175)).toBeLessThan(0.015);
    expect(Math.abs(sorted[3000] - 0.325)).toBeLessThan(0.015);
    expect(new Set(slopes.map((s) => s.toFixed(12))).size).toBeGreaterThan(3900);
  });

  it('training: positive inputs pass unchanged, 0 gets a random slope as its gradient, float32 slopes stay in range', () => {
    const x = f64([3, 0, -1, 0.5]);
    const y = rrelu(x, 1 / 8, 1 / 3, true, new Generator(5));
    const [g] = gradients([y.sum()], [x]);
    const gv = Array.from((g as Tensor).values);
    expect([y.values[0], y.values[1], y.values[3]]).toEqual([3, 0, 0.5]);
    expect([gv[0], gv[3]]).toEqual([1, 1]);
    for (const s of [gv[1], gv[2]]) expect(s >= 1 / 8 && s <= 1 / 3).toBe(true);
    expect(gv[1]).not.toBe(gv[2]);
    const x32 = tensor(new Float32Array(2000).fill(-1), { requiresGrad: true });
    const y32 = rrelu(x32, 0.2, 0.2000001, true, new Generator(1));
    expect(y32.dtype).toBe('float32');
    for (const v of y32.values) expect(-v >= Math.fround(0.2) && -v <= Math.fround(0.2000001)).toBe(true);
    expect(Array.from(rrelu(f64([-2]), 0.3, 0.3, true).values)).toEqual([-0.6]);
  });

  it('training: a seeded generator reproduces the slopes; the global generator is used without one', () => {
    const x = f64([-1, -2, -3, -4], false);
    const a = rrelu(x, 1 / 8, 1 / 3, true, new Generator(9));
    const b = rrelu(x, 1 / 8, 1 / 3, true, new Generator(9));
    expect(Array.from(a.values)).toEqual(Array.from(b.values));
    const gen = new Generator(9);
    rrelu(x, 1 / 8, 1 / 3, true, gen);
    expect(Array.from(rrelu(x, 1 / 8, 1 / 3, true, gen).values)).not.toEqual(Array.from(a.values));
    manualSeed(77);
    const c = rrelu(x, 1 / 8, 1 / 3, true);
    manualSeed(77);
    expect(Array.from(rrelu(x, 1 / 8, 1 / 3, true).values)).toEqual(Array.from(c.values));
  });
});

describe('more activations: gradcheck in float64 (away from the kinks) and double backward', () => {
  const gen = new Generator(2024);
  const cases: [string, (x: Tensor) => Tensor, number[], boolean][] = [
    ['softmin', (x) => softmin(x.reshape([3, 4]), 1), [], true],
    ['softmin dim 0', (x) => softmin(x.reshape([3, 4]), 0), [], true],
    ['softsign', softsign, [0], true],
    ['tanhshrink', tanhshrink, [], true],
    ['threshold', (x) => threshold(x, 0.3, -2), [0.3], true],
    ['hardshrink', (x) => hardshrink(x, 0.7), [0.7, -0.7], true],
    ['softshrink', (x) => softshrink(x, 0.7), [0.7, -0.7], true],
    ['rrelu eval', (x) => rrelu(x, 0.1, 0.5), [0], true],
    [
      'rrelu training (a fresh seeded generator per call)',
      (x) => rrelu(x, 1 / 8, 1 / 3, true, new Generator(3)),
      [0],
      true,
    ],
    ['LogSigmoid', (x) => new LogSigmoid().forward(x), [], true],
  ];
  for (const [name, f, kinks, twice] of cases) {
    it(name, () => {
      const x = awayFrom(kinks, 12, gen, 2, 1e-2);
      expect(gradcheck(f, [x])).toBe(true);
      if (twice) expect(gradgradcheck(f, [x])).toBe(true);
    });
  }

  it('gradcheck fails for a wrong gradient (so the checks above can fail)', () => {
    const x = awayFrom([0], 6, gen, 2, 1e-2);
    const wrong = (t: Tensor) => rrelu(t.detach().add(t.mul(0.5)), 0.1, 0.5);
    expect(gradcheck(wrong, [x], { raiseException: false })).toBe(false);
  });
});

describe('more activations: bad arguments are rejected, naming the function and the argument', () => {
  const x = tensor([1, -2, 3], { dtype: 'float64' });
  it('functions', () => {
    for (const f of [softsign, tanhshrink, (t: Tensor) => hardshrink(t), (t: Tensor) => softshrink(t)])
      expect(() => f(tensor([1], { dtype: 'int32' }))).toThrow(DTypeError);
    expect(() => softsign([1, 2] as unknown as Tensor)).toThrow(/softsign: input must be a Tensor, got object/);
    expect(() => softmin(tensor([1], { dtype: 'int32' }), 0)).toThrow(/softmin: input must be a float32 or float64/);
    expect(() => softmin(x, 1)).toThrow(/softmin: dim must be an integer in \[-1, 1\) for input of shape \[3\], got 1/);
    expect(() => softmin(x, 0.5)).toThrow(ValueError);
    expect(() => (softmin as (t: Tensor) => Tensor)(x)).toThrow(/softmin: dim must be an integer/);
    expect(() => threshold(x, Number.NaN, 0)).toThrow(/threshold: threshold must be a number \(not NaN\)/);
    expect(() => threshold(x, 0, Number.NaN)).toThrow(/threshold: value must be a number/);
    expect(() => hardshrink(x, Number.POSITIVE_INFINITY)).toThrow(/hardshrink: lambd must be a finite number/);
    expect(() => softshrink(x, -0.1)).toThrow(/softshrink: lambd must be at least 0, got -0.1/);
    expect(() => rrelu(x, 0.5, 0.25)).toThrow(/rrelu: upper \(0.25\) must not be below lower \(0.5\)/);
    expect(() => rrelu(x, Number.NaN)).toThrow(/rrelu: lower must be a finite number/);
    // lower, upper, training and generator are positional, as PyTorch's (and F.leakyRelu's slope)
    expect(() => rrelu(x, { lower: 0.1 } as never)).toThrow(/rrelu: lower must be a finite number/);
    expect(() => rrelu(x, 0.1, 0.3, 1 as never)).toThrow(/rrelu: training must be a boolean, got 1/);
    expect(() => rrelu(tensor([1], { dtype: 'int32' }))).toThrow(DTypeError);
  });

  it('does not change its inputs', () => {
    const y = f64([-4, -0.5, 0, 0.5, 7]);
    const unchanged = snapshot(y);
    for (const f of [softsign, tanhshrink, hardshrink, softshrink, rrelu]) f(y).sum().backward();
    threshold(y, 0, 1).sum().backward();
    softmin(y, 0).sum().backward();
    rrelu(y, 1 / 8, 1 / 3, true, new Generator(1))
      .sum()
      .backward();
    unchanged();
  });
});

describe('more activation layers', () => {
  it('have PyTorch defaults and reprs', () => {
    expect(new Hardshrink().lambd).toBe(0.5);
    expect(new Softshrink().lambd).toBe(0.5);
    const r = new RReLU();
    expect([r.lower, r.upper]).toEqual([1 / 8, 1 / 3]);
    expect(String(new Softmin({ dim: 1 }))).toContain('dim=1');
    expect(String(new Threshold({ threshold: 0.1, value: 20 }))).toContain('threshold=0.1, value=20');
    expect(String(new Hardshrink({ lambd: 0.25 }))).toContain('lambd=0.25');
    expect(String(new Softshrink({ lambd: 1 }))).toContain('lambd=1');
    expect(String(r)).toContain('lower=0.125, upper=0.3333333333333333');
    for (const m of [new Softsign(), new Tanhshrink(), new LogSigmoid(), r]) expect(m.parameters()).toEqual([]);
  });

  it('compute their functions', () => {
    const x = randomTensor([3, 4], new Generator(4));
    const same = (a: Tensor, b: Tensor) => expect(Array.from(a.values)).toEqual(Array.from(b.values));
    same(new Softmin({ dim: 0 }).forward(x), softmin(x, 0));
    same(new Softsign().forward(x), softsign(x));
    same(new Tanhshrink().forward(x), tanhshrink(x));
    same(new LogSigmoid().forward(x), logSigmoid(x));
    same(new Threshold({ threshold: 0.2, value: -1 }).forward(x), threshold(x, 0.2, -1));
    same(new Hardshrink({ lambd: 0.3 }).forward(x), hardshrink(x, 0.3));
    same(new Softshrink({ lambd: 0.3 }).forward(x), softshrink(x, 0.3));
  });

  it('RReLU draws random slopes in training mode (from its generator) and is leakyRelu in eval mode', () => {
    const x = tensor(new Float64Array(50).fill(-1), { dtype: 'float64' });
    const act = new RReLU({ lower: 0.1, upper: 0.3, generator: new Generator(11) });
    expect(act.training).toBe(true);
    const y = Array.from(act.forward(x).values);
    expect(new Set(y).size).toBeGreaterThan(40);
    for (const v of y) expect(-v >= 0.1 && -v <= 0.3).toBe(true);
    expect(y).toEqual(Array.from(rrelu(x, 0.1, 0.3, true, new Generator(11)).values));
    act.eval();
    expect(Array.from(act.forward(x).values)).toEqual(Array.from(leakyRelu(x, 0.2).values));
  });

  it('check their options and input', () => {
    expect(() => new Softmin(undefined as never)).toThrow(/Softmin: option dim is required/);
    expect(() => new Softmin({ dim: 1.5 })).toThrow(/Softmin: dim must be an integer/);
    expect(() => new Softmin({ dim: 1, axis: 1 } as never)).toThrow(/Softmin: unknown option "axis"/);
    expect(() => new Threshold({ threshold: 1 } as never)).toThrow(/Threshold: option value is required/);
    expect(() => new Threshold({ threshold: Number.NaN, value: 0 })).toThrow(/Threshold: threshold must be a number/);
    expect(() => new Hardshrink({ lambda: 1 } as never)).toThrow(/Hardshrink: unknown option "lambda"/);
    expect(() => new Softshrink({ lambd: -1 })).toThrow(/Softshrink: lambd must be at least 0, got -1/);
    expect(() => new RReLU({ lower: 0.4, upper: 0.2 })).toThrow(/RReLU: upper \(0.2\) must not be below lower \(0.4\)/);
    expect(() => new RReLU({ training: true } as never)).toThrow(/RReLU: unknown option "training"/);
    expect(() => new Softsign().forward(null as never)).toThrow(/Softsign: input must be a Tensor, got null/);
    expect(() => new RReLU().forward(3 as never)).toThrow(/RReLU: input must be a Tensor, got number/);
    expect(() => new Softmin({ dim: 2 }).forward(tensor([1, 2]))).toThrow(
      /softmin: dim must be an integer in \[-1, 1\)/,
    );
  });
});
