import { describe, expect, it } from 'vitest';
import {
  abs,
  clamp,
  cos,
  DTypeError,
  div,
  enableGrad,
  eq,
  exp,
  expm1,
  Generator,
  ge,
  gradcheck,
  gradients,
  gt,
  le,
  log,
  log1p,
  lt,
  maximum,
  minimum,
  ne,
  neg,
  pow,
  gradgradcheck as rawGradgradcheck,
  reciprocal,
  rsqrt,
  ShapeError,
  sign,
  sin,
  sqrt,
  square,
  sub,
  type Tensor,
  tensor,
  ValueError,
  where,
} from '../index';

const gen = new Generator(1234);

/**
 * gradgradcheck with `f` run under enableGrad: gradgradcheck's finite differences evaluate the
 * first-order gradient inside noGrad, where it could not be recorded.
 */
function gradgradcheck(f: (...xs: Tensor[]) => Tensor, inputs: Tensor[]): boolean {
  return rawGradgradcheck((...xs) => enableGrad(() => f(...xs)), inputs);
}

/** A float64 leaf with uniform values in [lo, hi), each at least `gap` away from every point of `avoid`. */
function rand64(shape: number[], lo: number, hi: number, avoid: number[] = [], gap = 0.05): Tensor {
  const n = shape.reduce((p, d) => p * d, 1);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let v: number;
    do v = lo + (hi - lo) * gen.uniform();
    while (avoid.some((k) => Math.abs(v - k) < gap));
    data[i] = v;
  }
  return tensor(data, { shape, requiresGrad: true });
}

function f64(values: number[], shape?: number[]): Tensor {
  return tensor(values, { dtype: 'float64', shape, requiresGrad: true });
}

function expectClose(t: Tensor, expected: ArrayLike<number>, tol = 1e-12): void {
  expect(t.size).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i];
    const got = t.data[i];
    if (Number.isNaN(e)) expect(got).toBeNaN();
    else if (!Number.isFinite(e)) expect(got).toBe(e);
    else expect(Math.abs(got - e)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(e)));
  }
}

/** Upstream-weighted first derivative of a unary op at the given points, by `gradients`. */
function grad1(f: (x: Tensor) => Tensor, values: number[]): number[] {
  const x = f64(values);
  const [g] = gradients([f(x).sum()], [x]);
  return Array.from(g!.data);
}

describe('unary math ops: forward against Math closed forms', () => {
  const xs = [0.1, 0.5, 1, 2.5, 7.25];
  const signed = [-3.5, -1, -0.25, 0.3, 2];
  const cases: [string, (x: Tensor) => Tensor, (v: number) => number, number[]][] = [
    ['neg', neg, (v) => -v, signed],
    ['log', log, Math.log, xs],
    ['log1p', log1p, Math.log1p, [...xs, 1e-12]],
    ['expm1', expm1, Math.expm1, [...signed, 1e-12]],
    ['sqrt', sqrt, Math.sqrt, xs],
    ['rsqrt', rsqrt, (v) => 1 / Math.sqrt(v), xs],
    ['square', square, (v) => v * v, signed],
    ['reciprocal', reciprocal, (v) => 1 / v, signed],
    ['abs', abs, Math.abs, signed],
    ['sign', sign, Math.sign, signed],
    ['sin', sin, Math.sin, signed],
    ['cos', cos, Math.cos, signed],
  ];
  for (const [name, f, ref, values] of cases) {
    it(`${name} matches in float64 and float32`, () => {
      const x64 = tensor(values, { dtype: 'float64' });
      const y64 = f(x64);
      expect(y64.dtype).toBe('float64');
      expectClose(
        y64,
        values.map((v) => ref(v)),
        1e-15,
      );
      const x32 = tensor(values);
      const y32 = f(x32);
      expect(y32.dtype).toBe('float32');
      expectClose(
        y32,
        Array.from(x32.data, (v) => Math.fround(ref(v))),
        0,
      );
    });
  }

  it('handles the special values of log, sqrt and reciprocal like PyTorch', () => {
    expectClose(log(tensor([0, -1, Infinity], { dtype: 'float64' })), [-Infinity, NaN, Infinity]);
    expectClose(sqrt(tensor([-1, 0], { dtype: 'float64' })), [NaN, 0]);
    expectClose(reciprocal(tensor([0], { dtype: 'float64' })), [Infinity]);
    expectClose(sign(tensor([0, Number.NaN], { dtype: 'float64' })), [0, 0]);
  });

  it('promotes int32 inputs of float functions to float32 and keeps int32 for abs, neg, sign, square', () => {
    const xi = tensor([1, -4, 9], { dtype: 'int32' });
    for (const f of [log, sqrt, rsqrt, reciprocal, sin, cos, log1p, expm1]) expect(f(xi).dtype).toBe('float32');
    expectClose(sqrt(tensor([4, 9], { dtype: 'int32' })), [2, 3]);
    expect(abs(xi).dtype).toBe('int32');
    expect(abs(xi).toArray()).toEqual([1, 4, 9]);
    expect(neg(xi).toArray()).toEqual([-1, 4, -9]);
    expect(sign(xi).toArray()).toEqual([1, -1, 1]);
    expect(square(xi).dtype).toBe('int32');
    expect(square(xi).toArray()).toEqual([1, 16, 81]);
  });

  it('rejects a non-tensor argument', () => {
    expect(() => log(2 as unknown as Tensor)).toThrow(/log: x must be a Tensor/);
  });
});

describe('unary math ops: gradients', () => {
  const cases: [string, (x: Tensor) => Tensor, () => Tensor][] = [
    ['neg', neg, () => rand64([3, 4], -2, 2)],
    ['log', log, () => rand64([3, 4], 0.2, 3)],
    ['log1p', log1p, () => rand64([3, 4], -0.8, 3)],
    ['expm1', expm1, () => rand64([3, 4], -2, 2)],
    ['sqrt', sqrt, () => rand64([3, 4], 0.2, 3)],
    ['rsqrt', rsqrt, () => rand64([3, 4], 0.2, 3)],
    ['square', square, () => rand64([3, 4], -2, 2)],
    ['reciprocal', reciprocal, () => rand64([3, 4], 0.3, 3)],
    ['abs', abs, () => rand64([3, 4], -2, 2, [0])],
    ['sin', sin, () => rand64([3, 4], -3, 3)],
    ['cos', cos, () => rand64([3, 4], -3, 3)],
  ];
  for (const [name, f, make] of cases) {
    it(`${name} passes gradcheck and gradgradcheck`, () => {
      expect(gradcheck(f, [make()])).toBe(true);
      expect(gradgradcheck(f, [make()])).toBe(true);
    });
  }

  it('matches closed-form derivatives', () => {
    const v = [0.5, 1.5, 3];
    expectClose(tensor(grad1(log, v)), [2, 1 / 1.5, 1 / 3], 1e-7);
    expect(grad1(sqrt, v)).toEqual(v.map((t) => 0.5 / Math.sqrt(t)));
    expectClose(
      tensor(grad1(rsqrt, v), { dtype: 'float64' }),
      v.map((t) => -0.5 * t ** -1.5),
      1e-15,
    );
    expectClose(
      tensor(grad1(reciprocal, v), { dtype: 'float64' }),
      v.map((t) => -1 / (t * t)),
      1e-15,
    );
    expect(grad1(sin, v)).toEqual(v.map(Math.cos));
  });

  it('abs has gradient sign(x), 0 at 0; sign has gradient 0', () => {
    expect(grad1(abs, [-2, 0, 3])).toEqual([-1, 0, 1]);
    expect(grad1(sign, [-2, 0, 3])).toEqual([0, 0, 0]);
  });

  it('sqrt has an infinite gradient at 0, like PyTorch', () => {
    expect(grad1(sqrt, [0])).toEqual([Infinity]);
  });
});

describe('sub and div', () => {
  it('compute a - b and a / b', () => {
    const a = tensor([5, -3, 1.5], { dtype: 'float64' });
    const b = tensor([2, 4, -0.5], { dtype: 'float64' });
    expect(sub(a, b).toArray()).toEqual([3, -7, 2]);
    expect(div(a, b).toArray()).toEqual([2.5, -0.75, -3]);
    expect(sub(1, a).toArray()).toEqual([-4, 4, -0.5]);
    expect(div(1, b).toArray()).toEqual([0.5, 0.25, -2]);
    expect(sub(a, 1).toArray()).toEqual([4, -4, 0.5]);
    expect(div(a, 2).toArray()).toEqual([2.5, -1.5, 0.75]);
    expectClose(div(tensor([1, -1, 0], { dtype: 'float64' }), 0), [Infinity, -Infinity, NaN]);
  });

  it('broadcast [3,1] with [1,4] and sum gradients back', () => {
    const a = f64([1, 2, 3], [3, 1]);
    const b = f64([10, 20, 30, 40], [1, 4]);
    const y = sub(a, b);
    expect(y.shape).toEqual([3, 4]);
    expect(y.toArray()).toEqual([
      [-9, -19, -29, -39],
      [-8, -18, -28, -38],
      [-7, -17, -27, -37],
    ]);
    y.sum().backward();
    expect(a.grad?.toArray()).toEqual([[4], [4], [4]]);
    expect(b.grad?.toArray()).toEqual([[-3, -3, -3, -3]]);
  });

  it('broadcast [2,3,4] with [4] for div, with gradients summed over the leading dims', () => {
    const a = rand64([2, 3, 4], -2, 2);
    const b = rand64([4], 0.5, 2);
    const y = div(a, b);
    expect(y.shape).toEqual([2, 3, 4]);
    for (let i = 0; i < 24; i++) expect(y.data[i]).toBe(a.data[i] / b.data[i % 4]);
    y.sum().backward();
    for (let j = 0; j < 4; j++) {
      let s = 0;
      for (let i = j; i < 24; i += 4) s += a.data[i];
      expect(b.grad!.data[j]).toBeCloseTo(-s / b.data[j] ** 2, 12);
    }
    expect(gradcheck(div, [rand64([2, 3, 4], -2, 2), rand64([4], 0.5, 2)])).toBe(true);
    expect(gradcheck(sub, [rand64([2, 3, 4], -2, 2), rand64([4], -2, 2)])).toBe(true);
  });

  it('scalar tensor with tensor: gradients of the 0-d operand are summed', () => {
    const s = f64([2], []);
    const t = f64([1, 2, 4]);
    div(s, t).sum().backward();
    expect(s.grad?.shape).toEqual([]);
    expect(s.grad?.item()).toBeCloseTo(1 + 0.5 + 0.25, 14);
    expectClose(t.grad!, [-2, -0.5, -0.125], 1e-15);
  });

  it('pass gradcheck and gradgradcheck (div has a nonzero second derivative)', () => {
    expect(gradgradcheck(div, [rand64([3, 1], -2, 2), rand64([1, 4], 0.5, 2)])).toBe(true);
    expect(gradgradcheck(sub, [rand64([3, 4], -2, 2), rand64([4], -2, 2)])).toBe(true);
  });

  it('promote dtypes like PyTorch', () => {
    const i = tensor([1, 2], { dtype: 'int32' });
    const f = tensor([0.5, 0.5]);
    const d = tensor([0.5, 0.5], { dtype: 'float64' });
    expect(sub(i, f).dtype).toBe('float32');
    expect(sub(f, d).dtype).toBe('float64');
    expect(sub(i, i).dtype).toBe('int32');
    expect(sub(i, 1).dtype).toBe('int32');
    expect(sub(i, 0.5).dtype).toBe('float32');
    expect(sub(d, 1).dtype).toBe('float64');
    // true division: int32 / int32 is float32
    const q = div(tensor([1, 3], { dtype: 'int32' }), tensor([2, 2], { dtype: 'int32' }));
    expect(q.dtype).toBe('float32');
    expect(q.toArray()).toEqual([0.5, 1.5]);
    expect(div(f, d).dtype).toBe('float64');
  });

  it('name the op and both shapes on a shape mismatch', () => {
    expect(() => sub(tensor([[1, 2, 3]]), tensor([1, 2]))).toThrow(ShapeError);
    expect(() => sub(tensor([[1, 2, 3]]), tensor([1, 2]))).toThrow(/^sub: shapes \[1,3\] and \[2\]/);
    expect(() => div(tensor([1, 2, 3]), tensor([1, 2]))).toThrow(/^div: shapes \[3\] and \[2\]/);
  });

  it('do not mutate their inputs', () => {
    const a = tensor([1, 2, 3], { dtype: 'float64' });
    const b = tensor([4, 5, 6], { dtype: 'float64' });
    sub(a, b);
    div(a, b);
    expect(a.toArray()).toEqual([1, 2, 3]);
    expect(b.toArray()).toEqual([4, 5, 6]);
  });
});

describe('pow', () => {
  it('computes scalar exponents, including negative bases with integer exponents', () => {
    const x = tensor([-2, -0.5, 0, 1.5, 3], { dtype: 'float64' });
    expectClose(pow(x, 3), [-8, -0.125, 0, 3.375, 27], 1e-15);
    expectClose(pow(x, 2), [4, 0.25, 0, 2.25, 9], 0);
    expectClose(pow(x, -1), [-0.5, -2, Infinity, 1 / 1.5, 1 / 3], 1e-15);
    expectClose(pow(x, 0.5), [NaN, NaN, 0, Math.sqrt(1.5), Math.sqrt(3)], 1e-15);
    expectClose(pow(x, 2.5), [NaN, NaN, 0, 1.5 ** 2.5, 3 ** 2.5], 1e-15);
    expectClose(pow(x, 0), [1, 1, 1, 1, 1], 0);
    const x32 = tensor([1.1, 2.3]);
    expectClose(
      pow(x32, 1.7),
      Array.from(x32.data, (v) => Math.fround(v ** 1.7)),
      0,
    );
  });

  it('takes tensor exponents and number bases, with broadcasting', () => {
    expect(pow(2, tensor([0, 1, 10])).toArray()).toEqual([1, 2, 1024]);
    const a = tensor([[1], [2], [3]], { dtype: 'float64' });
    const b = tensor([0, 1, 2, 0.5], { dtype: 'float64' });
    const y = pow(a, b);
    expect(y.shape).toEqual([3, 4]);
    expectClose(y, [1, 1, 1, 1, 1, 2, 4, Math.SQRT2, 1, 3, 9, Math.sqrt(3)], 1e-15);
  });

  it('keeps int32 for non-negative integer powers and rejects negative ones', () => {
    const i = tensor([2, -3], { dtype: 'int32' });
    expect(pow(i, 2).dtype).toBe('int32');
    expect(pow(i, 3).toArray()).toEqual([8, -27]);
    expect(pow(i, 0.5).dtype).toBe('float32');
    expect(() => pow(i, -1)).toThrow(ValueError);
    expect(() => pow(i, -1)).toThrow(/pow: integers to negative integer powers are not allowed/);
    expect(() => pow(i, tensor([1, -2], { dtype: 'int32' }))).toThrow(ValueError);
    expect(pow(tensor([2, 3], { dtype: 'int32' }), tensor([0.5, 2])).dtype).toBe('float32');
  });

  it('has the gradient b x^(b-1), 0 at x = 0 for b = 1.5, and 0 for b = 0', () => {
    expectClose(
      tensor(
        grad1((x) => pow(x, 1.5), [0, 0.25, 4]),
        { dtype: 'float64' },
      ),
      [0, 0.75, 3],
      1e-15,
    );
    expect(grad1((x) => pow(x, 0), [0, 2])).toEqual([0, 0]);
    expectClose(
      tensor(
        grad1((x) => pow(x, 3), [-2, 0.5]),
        { dtype: 'float64' },
      ),
      [12, 0.75],
      1e-15,
    );
    expect(grad1((x) => pow(x, 0.5), [0])).toEqual([Infinity]);
  });

  it('has d/db a^b = a^b log a, and 0 where a = 0 and b >= 0', () => {
    const a = f64([2, 0, 0, 3]);
    const b = f64([1.5, 2, 0, -1]);
    const [ga, gb] = gradients([pow(a, b).sum()], [a, b]);
    expectClose(gb!, [2 ** 1.5 * Math.log(2), 0, 0, Math.log(3) / 3], 1e-15);
    // d/da at (0, 0) is 0 by convention; at (0, 2) it is 2 * 0 = 0
    expectClose(ga!, [1.5 * Math.sqrt(2), 0, 0, -1 / 9], 1e-15);
  });

  it('passes gradcheck and gradgradcheck for scalar and tensor exponents', () => {
    expect(gradcheck((x) => pow(x, 2.5), [rand64([3, 4], 0.2, 3)])).toBe(true);
    expect(gradcheck((x) => pow(x, -1.5), [rand64([3, 4], 0.2, 3)])).toBe(true);
    expect(gradcheck((x) => pow(x, 3), [rand64([3, 4], -3, 3)])).toBe(true);
    expect(gradgradcheck((x) => pow(x, 2.5), [rand64([3, 4], 0.2, 3)])).toBe(true);
    expect(gradgradcheck((x) => pow(x, 2), [rand64([3, 4], -2, 2)])).toBe(true);
    expect(gradcheck(pow, [rand64([3, 1], 0.3, 3), rand64([4], -2, 2)])).toBe(true);
    expect(gradgradcheck(pow, [rand64([3, 4], 0.3, 3), rand64([3, 4], -2, 2)])).toBe(true);
  });

  it('names both shapes on a mismatch', () => {
    expect(() => pow(tensor([1, 2, 3]), tensor([1, 2]))).toThrow(/^pow: shapes \[3\] and \[2\]/);
  });
});

describe('clamp', () => {
  it('clamps with both bounds, one bound, and min > max like PyTorch', () => {
    const x = tensor([-2, -0.5, 0, 0.5, 3], { dtype: 'float64' });
    expect(clamp(x, -1, 1).toArray()).toEqual([-1, -0.5, 0, 0.5, 1]);
    expect(clamp(x, 0).toArray()).toEqual([0, 0, 0, 0.5, 3]);
    expect(clamp(x, null, 0).toArray()).toEqual([-2, -0.5, 0, 0, 0]);
    expect(clamp(x, undefined, 0).toArray()).toEqual([-2, -0.5, 0, 0, 0]);
    expect(clamp(x, 1, -1).toArray()).toEqual([-1, -1, -1, -1, -1]);
    expectClose(clamp(tensor([Number.NaN], { dtype: 'float64' }), 0, 1), [NaN]);
  });

  it('keeps int32 with integer bounds and promotes with fractional ones', () => {
    const i = tensor([-3, 1, 5], { dtype: 'int32' });
    expect(clamp(i, 0, 2).dtype).toBe('int32');
    expect(clamp(i, 0, 2).toArray()).toEqual([0, 1, 2]);
    const f = clamp(i, 0.5);
    expect(f.dtype).toBe('float32');
    expect(f.toArray()).toEqual([0.5, 1, 5]);
  });

  it('has gradient 1 inside [min, max] inclusive of both bounds', () => {
    expect(grad1((x) => clamp(x, -0.5, 0.5), [-2, -0.5, -0.3, 0, 0.5, 0.8])).toEqual([0, 1, 1, 1, 1, 0]);
    expect(grad1((x) => clamp(x, 0), [-1, 0, 2])).toEqual([0, 1, 1]);
    expect(grad1((x) => clamp(x, null, 1), [-1, 1, 2])).toEqual([1, 1, 0]);
    const x = tensor([0.1, 0.7], { requiresGrad: true });
    clamp(x, 0.1, 0.7).sum().backward();
    expect(Array.from(x.grad!.data)).toEqual([1, 1]);
  });

  it('passes gradcheck and gradgradcheck away from the bounds', () => {
    expect(gradcheck((x) => clamp(x, -0.5, 0.5), [rand64([4, 5], -1, 1, [-0.5, 0.5])])).toBe(true);
    expect(gradgradcheck((x) => clamp(x, -0.5, 0.5).square(), [rand64([4, 5], -1, 1, [-0.5, 0.5])])).toBe(true);
  });

  it('requires at least one bound and numeric bounds', () => {
    const x = tensor([1, 2]);
    expect(() => clamp(x)).toThrow(ValueError);
    expect(() => clamp(x, null, null)).toThrow(/clamp: at least one of min and max must be given/);
    expect(() => clamp(x, '1' as unknown as number)).toThrow(/clamp: min must be a number or null/);
    expect(() => clamp(x, 0, Number.NaN)).toThrow(/clamp: max must be a number or null/);
  });
});

describe('maximum and minimum', () => {
  it('take the elementwise extremum with broadcasting and NaN propagation', () => {
    const a = tensor([[1], [5]], { dtype: 'float64' });
    const b = tensor([2, 4, 6], { dtype: 'float64' });
    expect(maximum(a, b).toArray()).toEqual([
      [2, 4, 6],
      [5, 5, 6],
    ]);
    expect(minimum(a, b).toArray()).toEqual([
      [1, 1, 1],
      [2, 4, 5],
    ]);
    expect(maximum(tensor([-1, 3]), 0).toArray()).toEqual([0, 3]);
    const nan = tensor([Number.NaN, 1], { dtype: 'float64' });
    expectClose(maximum(nan, tensor([0, Number.NaN], { dtype: 'float64' })), [NaN, NaN]);
    expectClose(minimum(nan, 0), [NaN, 0]);
    expect(maximum(tensor([1], { dtype: 'int32' }), tensor([2], { dtype: 'int32' })).dtype).toBe('int32');
    expect(minimum(tensor([1], { dtype: 'int32' }), tensor([0.5])).dtype).toBe('float32');
  });

  it('send the gradient to the winner and split it evenly on ties', () => {
    const a = f64([1, 3, 2]);
    const b = f64([2, 1, 2]);
    const [ga, gb] = gradients([maximum(a, b).sum()], [a, b]);
    expect(Array.from(ga!.data)).toEqual([0, 1, 0.5]);
    expect(Array.from(gb!.data)).toEqual([1, 0, 0.5]);
    const [ha, hb] = gradients([minimum(a, b).sum()], [a, b]);
    expect(Array.from(ha!.data)).toEqual([1, 0, 0.5]);
    expect(Array.from(hb!.data)).toEqual([0, 1, 0.5]);
  });

  it('sum broadcast gradients back and pass gradcheck', () => {
    const a = f64([0, 2, 4], [3, 1]);
    const b = f64([1, 3], [2]);
    maximum(a, b).sum().backward();
    expect(a.grad?.toArray()).toEqual([[0], [1], [2]]);
    expect(b.grad?.toArray()).toEqual([1, 2]);
    expect(gradcheck(maximum, [rand64([3, 4], -2, 2), rand64([4], -2, 2)])).toBe(true);
    expect(gradcheck(minimum, [rand64([2, 3, 4], -2, 2), rand64([3, 1], -2, 2)])).toBe(true);
    expect(gradgradcheck((x, y) => maximum(x, y).square(), [rand64([3, 4], -2, 2), rand64([4], -2, 2)])).toBe(true);
  });

  it('name both shapes on a mismatch', () => {
    expect(() => maximum(tensor([1, 2, 3]), tensor([1, 2]))).toThrow(/^maximum: shapes \[3\] and \[2\]/);
    expect(() => minimum(tensor([1, 2, 3]), tensor([1, 2]))).toThrow(/^minimum: shapes \[3\] and \[2\]/);
  });
});

describe('comparisons', () => {
  it('return int32 masks of 0 and 1 with broadcasting', () => {
    const a = tensor([[1], [2], [3]]);
    const b = tensor([1, 2, 3, 4]);
    const expectations: [(x: Tensor, y: Tensor) => Tensor, (x: number, y: number) => boolean][] = [
      [eq, (x, y) => x === y],
      [ne, (x, y) => x !== y],
      [lt, (x, y) => x < y],
      [le, (x, y) => x <= y],
      [gt, (x, y) => x > y],
      [ge, (x, y) => x >= y],
    ];
    for (const [f, ref] of expectations) {
      const m = f(a, b);
      expect(m.dtype).toBe('int32');
      expect(m.shape).toEqual([3, 4]);
      for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) expect(m.data[i * 4 + j]).toBe(ref(i + 1, j + 1) ? 1 : 0);
    }
  });

  it('compare with numbers on either side and across dtypes', () => {
    const x = tensor([1, 2, 3], { dtype: 'int32' });
    expect(gt(x, 1.5).toArray()).toEqual([0, 1, 1]);
    expect(le(2, x).toArray()).toEqual([0, 1, 1]);
    expect(eq(x, tensor([1, 0, 3], { dtype: 'float64' })).toArray()).toEqual([1, 0, 1]);
    expect(eq(tensor([Number.NaN]), tensor([Number.NaN])).toArray()).toEqual([0]);
    expect(ne(tensor([Number.NaN]), tensor([Number.NaN])).toArray()).toEqual([1]);
    // a float32 tensor is compared with the number rounded to float32, as in PyTorch
    expect(gt(tensor([0.1]), 0.1).toArray()).toEqual([0]);
  });

  it('are not differentiable', () => {
    const x = f64([1, 2]);
    const m = gt(x, 1);
    expect(m.requiresGrad).toBe(false);
    expect(m.gradFn).toBeNull();
  });

  it('name the op and both shapes on a mismatch', () => {
    expect(() => lt(tensor([1, 2, 3]), tensor([1, 2]))).toThrow(ShapeError);
    expect(() => lt(tensor([1, 2, 3]), tensor([1, 2]))).toThrow(/^lt: shapes \[3\] and \[2\]/);
    expect(() => ge(tensor([[1, 2]]), tensor([1, 2, 3]))).toThrow(/^ge: shapes \[1,2\] and \[3\]/);
  });
});

describe('where', () => {
  // torch 1.13: where(c, 1, 2) int64, where(c, 1.5, 2) float32, where(c, float [2], 3) float32, where(c, int32 [2], 3) int32
  it('gives two integer numbers an integer dtype, as PyTorch does', () => {
    const c = tensor([1, 0], { dtype: 'int32' });
    const i = where(c, 1, 2);
    expect(i.dtype).toBe('int32');
    expect(i.toArray()).toEqual([1, 2]);
    expect(where(c, 1.5, 2).dtype).toBe('float32');
    expect(where(c, tensor([1, 2]), 3).dtype).toBe('float32');
    expect(where(c, tensor([1, 2], { dtype: 'int32' }), 3).dtype).toBe('int32');
  });

  it('selects elementwise with cond, a and b broadcast together', () => {
    const cond = tensor([[1], [0]], { dtype: 'int32' });
    const a = tensor([1, 2, 3], { dtype: 'float64' });
    const b = tensor([[10], [20]], { dtype: 'float64' });
    const y = where(cond, a, b);
    expect(y.shape).toEqual([2, 3]);
    expect(y.toArray()).toEqual([
      [1, 2, 3],
      [20, 20, 20],
    ]);
    const c3 = tensor([1, 0, 1, 0], { dtype: 'int32', shape: [2, 1, 2] });
    const z = where(c3, tensor([[1], [2], [3]]), -1);
    expect(z.shape).toEqual([2, 3, 2]);
    expect(z.toArray()).toEqual([
      [
        [1, -1],
        [2, -1],
        [3, -1],
      ],
      [
        [1, -1],
        [2, -1],
        [3, -1],
      ],
    ]);
  });

  it('treats any nonzero cond as true, whatever its dtype', () => {
    const c = tensor([0.5, 0, -2, Number.NaN]);
    expect(where(c, 1, 0).toArray()).toEqual([1, 0, 1, 1]);
    expect(where(c, 1.5, 0).dtype).toBe('float32');
    const x = tensor([-1, 2, -3]);
    expect(where(gt(x, 0), x, 0).toArray()).toEqual([0, 2, 0]);
    expect(where(gt(x, 0), x, tensor([0], { dtype: 'float64' })).dtype).toBe('float64');
  });

  it('sends the gradient to a where cond holds and to b elsewhere, summed back for broadcasting', () => {
    const cond = tensor([1, 0, 1, 0, 0, 1], { dtype: 'int32', shape: [2, 3] });
    const a = f64([1, 2, 3, 4, 5, 6], [2, 3]);
    const b = f64([7, 8, 9]);
    const s = f64([0.5], []);
    const up = tensor([1, 2, 3, 4, 5, 6], { dtype: 'float64', shape: [2, 3] });
    const [ga, gb] = gradients([where(cond, a, b)], [a, b], [up]);
    expect(ga?.toArray()).toEqual([
      [1, 0, 3],
      [0, 0, 6],
    ]);
    expect(gb?.toArray()).toEqual([4, 7, 0]);
    const [gs] = gradients([where(cond, s, a)], [s], [up]);
    expect(gs?.shape).toEqual([]);
    expect(gs?.item()).toBe(1 + 3 + 6);
    expect(gradcheck((x, y) => where(cond, x, y), [rand64([2, 3], -1, 1), rand64([3], -1, 1)])).toBe(true);
    expect(
      gradgradcheck((x, y) => where(cond, x.square(), y.mul(y).mul(y)), [rand64([2, 3], -1, 1), rand64([3], -1, 1)]),
    ).toBe(true);
  });

  it('names all three shapes when they cannot be broadcast', () => {
    expect(() => where(tensor([1, 0, 1]), tensor([1, 2]), 0)).toThrow(ShapeError);
    expect(() => where(tensor([1, 0, 1]), tensor([1, 2]), 0)).toThrow(
      /^where: condition, a and b have shapes \[3\], \[2\] and \[\]/,
    );
    expect(() => where(1 as unknown as Tensor, 1, 0)).toThrow(DTypeError);
  });

  it('does not mutate its inputs', () => {
    const cond = tensor([1, 0], { dtype: 'int32' });
    const a = tensor([1, 2]);
    const b = tensor([3, 4]);
    where(cond, a, b);
    expect(cond.toArray()).toEqual([1, 0]);
    expect(a.toArray()).toEqual([1, 2]);
    expect(b.toArray()).toEqual([3, 4]);
  });
});

describe('inputs are never mutated', () => {
  it('by any unary op, forward or backward', () => {
    const fs: ((x: Tensor) => Tensor)[] = [
      neg,
      log,
      log1p,
      expm1,
      sqrt,
      rsqrt,
      square,
      reciprocal,
      abs,
      sign,
      sin,
      cos,
    ];
    for (const f of fs) {
      const x = f64([0.5, 1.5, 2.5]);
      f(x).sum().backward();
      expect(x.toArray()).toEqual([0.5, 1.5, 2.5]);
    }
    const y = f64([0.5, 1.5]);
    pow(y, 2.5).sum().backward();
    clamp(y, 1).sum().backward();
    expect(exp(y).toArray()).toEqual([Math.exp(0.5), Math.exp(1.5)]);
    expect(y.toArray()).toEqual([0.5, 1.5]);
  });
});
