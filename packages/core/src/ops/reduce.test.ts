import { describe, expect, it } from 'vitest';
import {
  AutogradError,
  AxisError,
  amax,
  amin,
  arange,
  argmax,
  argmin,
  Generator,
  gradcheck,
  gradgradcheck,
  gradients,
  max,
  maxWithIndices,
  mean,
  min,
  minWithIndices,
  norm,
  prod,
  randn,
  std,
  sum,
  type Tensor,
  tensor,
  ValueError,
  variance,
  zeros,
} from '../index';

const f64 = { dtype: 'float64' } as const;

function values(t: Tensor): number[] {
  return Array.from(t.data);
}

function expectClose(actual: Tensor, expected: readonly number[], tol = 1e-12): void {
  expect(actual.size).toBe(expected.length);
  actual.data.forEach((v, i) => {
    const want = expected[i];
    if (Number.isNaN(want)) expect(v).toBeNaN();
    else expect(Math.abs(v - want)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(want)));
  });
}

function leaf(t: Tensor): Tensor {
  t.requiresGrad = true;
  return t;
}

function gradOf(f: (x: Tensor) => Tensor, x: Tensor, g?: Tensor): Tensor {
  const out = f(x);
  const [grad] = gradients([out], [x], g === undefined ? null : [g]);
  return grad!;
}

function checkSecondOrder(f: (x: Tensor) => Tensor, x: Tensor): boolean {
  return gradgradcheck(f, [x]);
}

/** A plain reference reduction with explicit multi-indices, to check the kernels' layouts. */
function naiveReduce(
  data: ArrayLike<number>,
  shape: readonly number[],
  axes: readonly number[],
  init: number,
  combine: (acc: number, v: number) => number,
): number[] {
  const outDims = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const outSize = outDims.reduce((p, d) => p * d, 1);
  const out = new Array<number>(outSize).fill(init);
  for (let flat = 0; flat < data.length; flat++) {
    let rest = flat;
    let o = 0;
    let stride = 1;
    for (let d = shape.length - 1; d >= 0; d--) {
      const idx = rest % shape[d];
      rest = Math.floor(rest / shape[d]);
      if (!axes.includes(d)) {
        o += idx * stride;
        stride *= shape[d];
      }
    }
    out[o] = combine(out[o], data[flat]);
  }
  return out;
}

const layouts: { shape: number[]; axes: number[] }[] = [
  { shape: [5], axes: [0] },
  { shape: [3, 4], axes: [0] },
  { shape: [3, 4], axes: [1] },
  { shape: [3, 4], axes: [0, 1] },
  { shape: [2, 3, 4], axes: [1] },
  { shape: [2, 3, 4], axes: [0, 2] },
  { shape: [2, 3, 4], axes: [1, 2] },
  { shape: [2, 1, 3, 4], axes: [0, 2] },
  { shape: [3, 2, 2, 3], axes: [1, 3] },
  { shape: [2, 3, 1, 4, 2], axes: [0, 2, 4] },
  { shape: [2, 3, 4], axes: [] },
];

describe('sum', () => {
  const x = tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);

  it('reduces all axes, one axis, several and negative axes (float32)', () => {
    expect(sum(x).shape).toEqual([]);
    expect(sum(x).item()).toBe(21);
    expect(sum(x, 0).toArray()).toEqual([5, 7, 9]);
    expect(sum(x, 1).toArray()).toEqual([6, 15]);
    expect(sum(x, -1, true).toArray()).toEqual([[6], [15]]);
    expect(sum(x, [0, 1]).item()).toBe(21);
    expect(sum(x, null, true).toArray()).toEqual([[21]]);
    expect(sum(x, 0).dtype).toBe('float32');
  });

  it('reduces a non-contiguous set of axes (float64)', () => {
    const t = arange(24, undefined, 1, f64).reshape([2, 3, 4]);
    // sum over i, k of 12i + 4j + k = 48 + 32j + 12
    expect(sum(t, [0, 2]).toArray()).toEqual([60, 92, 124]);
    expect(sum(t, [-1, 0], true).shape).toEqual([1, 3, 1]);
    expect(sum(t, [-1, 0], true).dtype).toBe('float64');
  });

  it('matches a reference reduction on every layout', () => {
    const rng = new Generator(7);
    for (const { shape, axes } of layouts) {
      const t = randn(shape, { dtype: 'float64', generator: rng });
      const want = naiveReduce(t.data, shape, axes, 0, (a, v) => a + v);
      expectClose(sum(t, axes), want, 1e-12);
    }
  });

  it('handles 0-d, empty and int32 inputs', () => {
    const s = tensor(5);
    expect(sum(s).shape).toEqual([]);
    expect(sum(s).item()).toBe(5);
    expect(sum(s, 0).item()).toBe(5);
    expect(sum(s, -1, true).shape).toEqual([]);
    expect(sum(zeros([0, 3]), 0).toArray()).toEqual([0, 0, 0]);
    expect(sum(zeros([0, 3])).item()).toBe(0);
    const i = tensor([1, 2, 3], { dtype: 'int32' });
    expect(sum(i).dtype).toBe('int32');
    expect(sum(i).item()).toBe(6);
  });

  it('accumulates float32 in double precision', () => {
    const t = tensor(new Float32Array(10000).fill(0.1));
    expect(sum(t).item()).toBe(Math.fround(Math.fround(0.1) * 10000));
  });

  it('treats an empty axis list as no reduction', () => {
    expect(sum(x, []).toArray()).toEqual(x.toArray());
  });

  it('has the gradient of a broadcast, to every order', () => {
    const rng = new Generator(1);
    for (const { shape, axes } of layouts) {
      const t = leaf(randn(shape, { dtype: 'float64', generator: rng }));
      expect(gradcheck((a) => sum(a, axes), [t])).toBe(true);
      expect(gradcheck((a) => sum(a, axes, true), [t])).toBe(true);
    }
    const t = leaf(randn([2, 3], { dtype: 'float64', generator: rng }));
    expect(checkSecondOrder((a) => sum(a.mul(a).mul(a), 1), t)).toBe(true);
    expect(values(gradOf((a) => sum(a, 0), t, tensor([1, 2, 3], f64)))).toEqual([1, 2, 3, 1, 2, 3]);
  });

  it('throws AxisError for bad or repeated axes', () => {
    expect(() => sum(x, 2)).toThrow(AxisError);
    expect(() => sum(x, 2)).toThrow(/sum: axis 2 is out of range for a tensor of 2 dims/);
    expect(() => sum(x, -3)).toThrow(/sum: axis -3/);
    expect(() => sum(x, [1, -1])).toThrow(AxisError);
    expect(() => sum(x, [1, -1])).toThrow(/sum: axis 1 appears more than once/);
    expect(() => sum(x, 0.5)).toThrow(/sum: axis must be an integer/);
  });
});

describe('mean', () => {
  it('averages over all axes, one axis and several (float32 and float64)', () => {
    const x = tensor([
      [1, 2],
      [3, 4],
    ]);
    expect(mean(x).item()).toBe(2.5);
    expect(mean(x, 1).toArray()).toEqual([1.5, 3.5]);
    expect(mean(x, 0, true).toArray()).toEqual([[2, 3]]);
    const t = arange(24, undefined, 1, f64).reshape([2, 3, 4]);
    expect(mean(t, [0, 2]).toArray()).toEqual([7.5, 11.5, 15.5]);
    expect(mean(t, -2).shape).toEqual([2, 4]);
    expect(mean(tensor(3, f64)).item()).toBe(3);
  });

  it('gives float32 for int32, NaN for no elements', () => {
    const m = mean(tensor([1, 2], { dtype: 'int32' }));
    expect(m.dtype).toBe('float32');
    expect(m.item()).toBe(1.5);
    expect(mean(zeros([0])).item()).toBeNaN();
  });

  it('matches sum / count on every layout, with gradients of every order', () => {
    const rng = new Generator(2);
    for (const { shape, axes } of layouts) {
      const t = leaf(randn(shape, { dtype: 'float64', generator: rng }));
      const count = axes.reduce((p, a) => p * shape[a], 1);
      expectClose(
        mean(t, axes),
        naiveReduce(t.data, shape, axes, 0, (a, v) => a + v).map((v) => v / count),
        1e-12,
      );
      expect(gradcheck((a) => mean(a, axes), [t])).toBe(true);
    }
    const t = leaf(randn([3, 4], { dtype: 'float64', generator: rng }));
    expect(values(gradOf((a) => mean(a), t))).toEqual(new Array(12).fill(1 / 12));
    expect(checkSecondOrder((a) => mean(a.mul(a).mul(a), [0]), t)).toBe(true);
  });

  it('names mean in axis errors', () => {
    expect(() => mean(tensor([1, 2]), 1)).toThrow(/mean: axis 1 is out of range/);
  });
});

describe('max and min', () => {
  it('reduce like amax / amin', () => {
    const x = tensor([
      [1, 5, 2],
      [7, 0, 7],
    ]);
    expect(max(x).item()).toBe(7);
    expect(max(x, 1).toArray()).toEqual([5, 7]);
    expect(max(x, 0, true).toArray()).toEqual([[7, 5, 7]]);
    expect(min(x).item()).toBe(0);
    expect(min(x, -1).toArray()).toEqual([1, 0]);
    expect(amax).toBe(max);
    expect(amin).toBe(min);
    expect(amax(x, [0, 1]).item()).toBe(7);
    expect(amin(x, 0).toArray()).toEqual([1, 0, 2]);
    expect(max(tensor([1, Number.NaN, 3])).item()).toBeNaN();
    expect(min(tensor([-Infinity, -Infinity])).item()).toBe(-Infinity);
    expect(max(tensor(4)).item()).toBe(4);
    expect(max(tensor([1, 2], { dtype: 'int32' })).dtype).toBe('int32');
  });

  it('match a reference reduction on every layout', () => {
    const rng = new Generator(3);
    for (const { shape, axes } of layouts) {
      const t = randn(shape, { dtype: 'float64', generator: rng });
      expectClose(max(t, axes), naiveReduce(t.data, shape, axes, -Infinity, Math.max), 0);
      expectClose(min(t, axes), naiveReduce(t.data, shape, axes, Infinity, Math.min), 0);
    }
  });

  it('split the gradient evenly among ties', () => {
    const x = leaf(tensor([1, 3, 3], f64));
    expect(values(gradOf((a) => max(a), x))).toEqual([0, 0.5, 0.5]);
    const y = leaf(tensor([2, -1, -1, -1], f64));
    expect(values(gradOf((a) => min(a), y))).toEqual([0, 1 / 3, 1 / 3, 1 / 3]);
    // PyTorch: torch.amax(x, dim=1) on rows with ties
    const z = leaf(
      tensor(
        [
          [1, 3, 3, -2],
          [2, 0.5, 3, 3],
          [0, -1, 1, 2.5],
        ],
        f64,
      ),
    );
    const g = tensor([0.6, -0.4, 0.2], f64);
    expectClose(
      gradOf((a) => amax(a, 1), z, g),
      [0, 0.3, 0.3, 0, 0, 0, -0.2, -0.2, 0, 0, 0, 0.2],
      1e-15,
    );
    const all = gradOf((a) => max(a), z, tensor(2, f64));
    expect(values(all)).toEqual([0, 0.5, 0.5, 0, 0, 0, 0.5, 0.5, 0, 0, 0, 0]);
  });

  it('pass gradcheck without ties and gradgradcheck', () => {
    const rng = new Generator(4);
    for (const { shape, axes } of layouts) {
      const t = leaf(randn(shape, { dtype: 'float64', generator: rng }));
      expect(gradcheck((a) => max(a, axes), [t])).toBe(true);
      expect(gradcheck((a) => min(a, axes, true), [t])).toBe(true);
    }
    const t = leaf(randn([3, 4], { dtype: 'float64', generator: rng }));
    expect(checkSecondOrder((a) => max(a.mul(a), 1), t)).toBe(true);
  });

  it('refuse empty reductions', () => {
    expect(() => max(zeros([0]))).toThrow(ValueError);
    expect(() => min(zeros([2, 0]), 1)).toThrow(/min: cannot reduce a tensor of shape \[2,0\] over an empty axis/);
    expect(max(zeros([0, 3]), 1).shape).toEqual([0]);
    expect(() => max(tensor([1, 2]), [0, 0])).toThrow(/max: axis 0 appears more than once/);
  });
});

describe('maxWithIndices and minWithIndices', () => {
  const x = tensor([
    [1, 5, 5],
    [7, 0, 2],
  ]);

  it('return values and int32 indices, first occurrence on ties', () => {
    const { values: v, indices } = maxWithIndices(x, 1);
    expect(v.toArray()).toEqual([5, 7]);
    expect(indices.toArray()).toEqual([1, 0]);
    expect(indices.dtype).toBe('int32');
    const byCol = maxWithIndices(x, 0, true);
    expect(byCol.values.toArray()).toEqual([[7, 5, 5]]);
    expect(byCol.indices.toArray()).toEqual([[1, 0, 0]]);
    const low = minWithIndices(
      tensor([
        [4, 1, 1],
        [0, 3, 2],
      ]),
      -1,
    );
    expect(low.values.toArray()).toEqual([1, 0]);
    expect(low.indices.toArray()).toEqual([1, 0]);
    const scalar = maxWithIndices(tensor(3), 0);
    expect(scalar.values.item()).toBe(3);
    expect(scalar.indices.item()).toBe(0);
    expect(maxWithIndices(tensor([1, Number.NaN, 4]), 0).indices.item()).toBe(1);
  });

  it('match max/min and argmax/argmin on a 3-d tensor', () => {
    const t = randn([3, 4, 5], { dtype: 'float64', generator: new Generator(5) });
    for (const axis of [0, 1, 2, -1]) {
      const hi = maxWithIndices(t, axis);
      expect(values(hi.values)).toEqual(values(max(t, axis)));
      expect(values(hi.indices)).toEqual(values(argmax(t, axis)));
      const lo = minWithIndices(t, axis, true);
      expect(values(lo.values)).toEqual(values(min(t, axis)));
      expect(lo.indices.shape).toEqual(argmin(t, axis, true).shape);
    }
  });

  it('send the whole gradient to the returned index', () => {
    const t = leaf(tensor([1, 3, 3], f64));
    expect(values(gradOf((a) => maxWithIndices(a, 0).values, t))).toEqual([0, 1, 0]);
    expect(values(gradOf((a) => minWithIndices(a, 0).values, leaf(tensor([2, 2, 5], f64))))).toEqual([1, 0, 0]);
    const r = leaf(randn([3, 4, 2], { dtype: 'float64', generator: new Generator(6) }));
    for (const axis of [0, 1, 2]) {
      expect(gradcheck((a) => maxWithIndices(a, axis).values, [r])).toBe(true);
      expect(gradcheck((a) => minWithIndices(a, axis, true).values, [r])).toBe(true);
    }
    expect(checkSecondOrder((a) => maxWithIndices(a.mul(a), 1).values, r)).toBe(true);
  });

  it('validate the axis', () => {
    expect(() => maxWithIndices(x, 2)).toThrow(AxisError);
    expect(() => maxWithIndices(x, 2)).toThrow(/maxWithIndices: axis 2 is out of range/);
    expect(() => minWithIndices(x, [0] as unknown as number)).toThrow(/minWithIndices: axis must be one integer/);
    expect(() => maxWithIndices(zeros([2, 0]), 1)).toThrow(ValueError);
  });
});

describe('argmax and argmin', () => {
  const x = tensor([
    [1, 9, 9],
    [7, 0, 2],
  ]);

  it('return flat or per-axis int32 indices, first occurrence on ties', () => {
    expect(argmax(x).item()).toBe(1);
    expect(argmax(x).shape).toEqual([]);
    expect(argmax(x).dtype).toBe('int32');
    expect(argmax(x, null, true).shape).toEqual([1, 1]);
    expect(argmax(x, 1).toArray()).toEqual([1, 0]);
    expect(argmax(x, 0, true).toArray()).toEqual([[1, 0, 0]]);
    expect(argmin(x).item()).toBe(4);
    expect(argmin(x, -1).toArray()).toEqual([0, 1]);
    expect(argmin(tensor([3, 1, 1, 2]), 0).item()).toBe(1);
    expect(argmax(tensor([1, Number.NaN, 5])).item()).toBe(1);
    expect(argmax(tensor(2.5)).item()).toBe(0);
    expect(argmax(tensor([4, 8, 8], { dtype: 'int32' })).item()).toBe(1);
  });

  it('validate arguments', () => {
    expect(() => argmax(x, 2)).toThrow(AxisError);
    expect(() => argmin(x, -3)).toThrow(/argmin: axis -3 is out of range/);
    expect(() => argmax(zeros([0]))).toThrow(ValueError);
  });
});

describe('prod', () => {
  it('multiplies over axes', () => {
    const x = tensor([
      [1, 2],
      [3, 4],
    ]);
    expect(prod(x).item()).toBe(24);
    expect(prod(x, 1).toArray()).toEqual([2, 12]);
    expect(prod(x, 0, true).toArray()).toEqual([[3, 8]]);
    expect(prod(zeros([0])).item()).toBe(1);
    const rng = new Generator(8);
    for (const { shape, axes } of layouts) {
      const t = randn(shape, { dtype: 'float64', generator: rng });
      expectClose(
        prod(t, axes),
        naiveReduce(t.data, shape, axes, 1, (a, v) => a * v),
        1e-12,
      );
    }
  });

  it('has the exact gradient with zeros in the input', () => {
    expect(values(gradOf((a) => prod(a), leaf(tensor([2, 4, 3], f64))))).toEqual([12, 6, 8]);
    expect(values(gradOf((a) => prod(a), leaf(tensor([2, 0, 3], f64))))).toEqual([0, 6, 0]);
    expect(values(gradOf((a) => prod(a), leaf(tensor([0, 2, 0], f64))))).toEqual([0, 0, 0]);
    const rows = leaf(
      tensor(
        [
          [2, 0, 5],
          [1, 2, 3],
          [0, 0, 1],
        ],
        f64,
      ),
    );
    expect(values(gradOf((a) => prod(a, 1), rows, tensor([1, 1, 1], f64)))).toEqual([0, 10, 0, 6, 3, 2, 0, 0, 0]);
  });

  it('passes gradcheck and gradgradcheck, with and without zeros', () => {
    const rng = new Generator(9);
    for (const { shape, axes } of layouts) {
      const t = leaf(randn(shape, { dtype: 'float64', generator: rng }));
      expect(gradcheck((a) => prod(a, axes), [t])).toBe(true);
    }
    const plain = leaf(randn([3, 4], { dtype: 'float64', generator: rng }));
    expect(checkSecondOrder((a) => prod(a, 1), plain)).toBe(true);
    const oneZero = leaf(
      tensor(
        [
          [0.5, 0, -1.5, 2],
          [1.2, -0.7, 0.9, 1.1],
        ],
        f64,
      ),
    );
    expect(gradcheck((a) => prod(a, 1), [oneZero])).toBe(true);
    expect(checkSecondOrder((a) => prod(a, 1), oneZero)).toBe(true);
    const twoZeros = leaf(
      tensor(
        [
          [0, 0.8, 0, 2],
          [0, 0, 0, 1.5],
          [0.3, 0, 0.6, -1],
        ],
        f64,
      ),
    );
    expect(gradcheck((a) => prod(a, -1), [twoZeros])).toBe(true);
    expect(checkSecondOrder((a) => prod(a, -1), twoZeros)).toBe(true);
    expect(checkSecondOrder((a) => prod(a, 0), twoZeros)).toBe(true);
  });

  it('refuses third derivatives at zeros instead of returning wrong values', () => {
    const x = leaf(tensor([0, 2, 3], f64));
    const [g] = gradients([prod(x)], [x], null, { createGraph: true });
    const [h] = gradients([g!.sum()], [x], null, { createGraph: true });
    expect(values(h!)).toEqual([5, 3, 2]);
    expect(() => gradients([h!.sum()], [x])).toThrow(AutogradError);
  });
});

describe('variance and std', () => {
  const data = [1, 2, 3, 4];

  it('are unbiased by default and follow unbiased / correction', () => {
    const x = tensor(data, f64);
    // mean 2.5, sum of squares 5
    expect(variance(x).item()).toBeCloseTo(5 / 3, 14);
    expect(variance(x, null, { unbiased: false }).item()).toBeCloseTo(1.25, 14);
    expect(variance(x, 0, { correction: 2 }).item()).toBeCloseTo(2.5, 14);
    expect(variance(x, 0, { correction: 0, unbiased: true }).item()).toBeCloseTo(1.25, 14);
    expect(std(x).item()).toBeCloseTo(Math.sqrt(5 / 3), 14);
    expect(std(tensor([2, 4, 4, 4, 5, 5, 7, 9]), null, { unbiased: false }).item()).toBe(2);
    expect(variance(tensor([3], f64)).item()).toBeNaN();
    expect(variance(tensor([3], f64), null, { unbiased: false }).item()).toBe(0);
  });

  it('reduce over axes with keepdims (float32 and float64)', () => {
    const x = tensor([
      [1, 3],
      [2, 6],
    ]);
    expect(variance(x, 1).toArray()).toEqual([2, 8]);
    expect(variance(x, 0, { keepdims: true }).toArray()).toEqual([[0.5, 4.5]]);
    expect(variance(x, 1).dtype).toBe('float32');
    const rng = new Generator(10);
    for (const { shape, axes } of layouts) {
      if (axes.length === 0) continue;
      const t = randn(shape, { dtype: 'float64', generator: rng });
      const n = axes.reduce((p, a) => p * shape[a], 1);
      const s1 = naiveReduce(t.data, shape, axes, 0, (a, v) => a + v);
      const s2 = naiveReduce(t.data, shape, axes, 0, (a, v) => a + v * v);
      const want = s1.map((s, i) => (s2[i] - (s * s) / n) / (n - 1));
      expectClose(variance(t, axes), want, 1e-10);
      expectClose(
        std(t, axes, { unbiased: false }),
        want.map((v) => Math.sqrt((v * (n - 1)) / n)),
        1e-10,
      );
    }
  });

  it('have gradients of first and second order', () => {
    const rng = new Generator(11);
    for (const { shape, axes } of layouts) {
      if (axes.length === 0) continue;
      const t = leaf(randn(shape, { dtype: 'float64', generator: rng }));
      expect(gradcheck((a) => variance(a, axes), [t])).toBe(true);
      expect(gradcheck((a) => std(a, axes, { unbiased: false, keepdims: true }), [t])).toBe(true);
    }
    const t = leaf(randn([3, 5], { dtype: 'float64', generator: rng }));
    expect(checkSecondOrder((a) => variance(a, 1), t)).toBe(true);
    expect(checkSecondOrder((a) => std(a, 0), t)).toBe(true);
    expect(checkSecondOrder((a) => std(a), t)).toBe(true);
    // d var / dx_i = 2 (x_i - mean) / (n - 1)
    const x = leaf(tensor(data, f64));
    expectClose(
      gradOf((a) => variance(a), x),
      [-1, -1 / 3, 1 / 3, 1],
      1e-14,
    );
  });

  it('validate options', () => {
    const x = tensor(data);
    expect(() => variance(x, 0, { correction: Number.NaN })).toThrow(/variance: correction must be a finite number/);
    expect(() => std(x, 3)).toThrow(/std: axis 3 is out of range/);
  });
});

describe('norm', () => {
  it('computes p-norms', () => {
    expect(norm(tensor([3, 4])).item()).toBe(5);
    expect(norm(tensor([3, -4]), 1).item()).toBe(7);
    expect(norm(tensor([3, -4]), Infinity).item()).toBe(4);
    expect(norm(tensor([3, -4]), -Infinity).item()).toBe(3);
    expect(norm(tensor([3, 0, -4]), 0).item()).toBe(2);
    expect(norm(tensor([1, -2, 2], f64), 3).item()).toBeCloseTo(Math.cbrt(17), 14);
    expect(norm(tensor([1, 4], f64), 0.5).item()).toBeCloseTo(9, 14);
    const x = tensor(
      [
        [3, -4],
        [1, 0],
      ],
      f64,
    );
    expect(norm(x, Infinity, 1).toArray()).toEqual([4, 1]);
    expect(norm(x, 2, 0, true).toArray()).toEqual([[Math.sqrt(10), 4]]);
    expect(norm(x, 2, [0, 1]).item()).toBeCloseTo(Math.sqrt(26), 14);
    expect(norm(tensor([3, 4], { dtype: 'int32' })).dtype).toBe('float32');
  });

  it('has the documented gradients, 0 at a zero 2-norm', () => {
    expectClose(
      gradOf((a) => norm(a), leaf(tensor([3, 4], f64))),
      [0.6, 0.8],
      1e-15,
    );
    expect(values(gradOf((a) => norm(a), leaf(tensor([0, 0], f64))))).toEqual([0, 0]);
    expect(values(gradOf((a) => norm(a, 3), leaf(tensor([0, 0], f64))))).toEqual([0, 0]);
    expect(values(gradOf((a) => norm(a, 1), leaf(tensor([2, 0, -1], f64))))).toEqual([1, 0, -1]);
    expect(values(gradOf((a) => norm(a, Infinity), leaf(tensor([2, -2, 1], f64))))).toEqual([0.5, -0.5, 0]);
    expect(values(gradOf((a) => norm(a, 0), leaf(tensor([2, -2, 1], f64))))).toEqual([0, 0, 0]);
    expect(values(gradOf((a) => norm(a, 0.5), leaf(tensor([0, 4], f64))))).toEqual([0, 1]);
  });

  it('passes gradcheck for every p over random axes', () => {
    const rng = new Generator(12);
    for (const p of [1, 2, 3, 0.5, 1.5, Infinity, -Infinity]) {
      for (const { shape, axes } of layouts.slice(0, 8)) {
        const t = leaf(randn(shape, { dtype: 'float64', generator: rng }));
        expect(gradcheck((a) => norm(a, p, axes), [t])).toBe(true);
      }
    }
    const t = leaf(randn([3, 4], { dtype: 'float64', generator: rng }));
    expect(checkSecondOrder((a) => norm(a, 2, 1), t)).toBe(true);
    expect(checkSecondOrder((a) => norm(a, 3), t)).toBe(true);
  });

  it('validates p', () => {
    expect(() => norm(tensor([1]), -1)).toThrow(ValueError);
    expect(() => norm(tensor([1]), Number.NaN)).toThrow(/norm: p must be 0, a positive number/);
    expect(() => norm(zeros([0]), Infinity)).toThrow(ValueError);
    expect(() => norm(tensor([1]), 2, 1)).toThrow(/norm: axis 1 is out of range/);
  });
});

describe('reductions do not mutate their inputs', () => {
  it('leave data untouched, forward and backward', () => {
    const x = leaf(
      tensor(
        [
          [0.5, -2, 3, 0],
          [1, 1, -4, 2],
        ],
        f64,
      ),
    );
    const before = values(x);
    const fns: ((a: Tensor) => Tensor)[] = [
      (a) => sum(a, 1),
      (a) => mean(a),
      (a) => max(a, 0),
      (a) => min(a),
      (a) => maxWithIndices(a, 1).values,
      (a) => minWithIndices(a, 0).values,
      (a) => prod(a, 1),
      (a) => variance(a, 1),
      (a) => std(a),
      (a) => norm(a, 2, 1),
      (a) => norm(a, Infinity),
      (a) => argmax(a, 1).add(argmin(a)).double(),
    ];
    for (const f of fns) {
      const out = f(x);
      if (out.requiresGrad) gradients([out], [x], [randn(out.shape, f64)]);
      expect(values(x)).toEqual(before);
    }
  });
});

describe('reductions over leading axes reuse one accumulator (cpu kernel)', () => {
  /** The sum / max over axis 0 of `[rows, cols]` written out in plain loops. */
  function byHand(x: number[], rows: number, cols: number, kind: 'sum' | 'max'): number[] {
    const out = new Array<number>(cols).fill(kind === 'sum' ? 0 : Number.NEGATIVE_INFINITY);
    for (let r = 0; r < rows; r++)
      for (let c = 0; c < cols; c++) {
        const v = x[r * cols + c];
        out[c] = kind === 'sum' ? out[c] + v : Math.max(out[c], v);
      }
    return out;
  }

  it('one reduction after another, of other widths and kinds, starts from its own identity', () => {
    // wide then narrow, sums then maxima of negative values (a leftover 0 or partial sum would show),
    // and one wider than the reused accumulator (4,096 doubles)
    const cases: [number, number, 'sum' | 'max'][] = [
      [3, 50, 'sum'],
      [2, 7, 'sum'],
      [4, 50, 'max'],
      [5, 7, 'sum'],
      [2, 5000, 'sum'],
      [3, 4096, 'max'],
      [2, 3, 'max'],
    ];
    let k = 0;
    for (const [rows, cols, kind] of cases) {
      const x = Array.from({ length: rows * cols }, () => -1 - ((k++ * 7919) % 97) / 10);
      const t = tensor(x, f64).reshape([rows, cols]);
      const got = kind === 'sum' ? sum(t, 0) : amax(t, 0);
      expect(values(got), `${kind} of [${rows}, ${cols}]`).toEqual(byHand(x, rows, cols, kind));
    }
  });
});
