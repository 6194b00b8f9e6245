import { describe, expect, it } from 'vitest';
import {
  AxisError,
  exp,
  Generator,
  gradcheck,
  gradgradcheck,
  gradients,
  logSoftmax,
  logsumexp,
  randn,
  softmax,
  sum,
  type Tensor,
  tensor,
  zeros,
} from '../index';

const f64 = { dtype: 'float64' } as const;

function expectClose(actual: Tensor, expected: readonly number[], tol = 1e-12): void {
  expect(actual.size).toBe(expected.length);
  actual.data.forEach((v, i) => {
    const want = expected[i];
    if (Number.isNaN(want)) expect(v).toBeNaN();
    else if (!Number.isFinite(want)) expect(v).toBe(want);
    else expect(Math.abs(v - want)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(want)));
  });
}

function leaf(t: Tensor): Tensor {
  t.requiresGrad = true;
  return t;
}

function gradOf(f: (x: Tensor) => Tensor, x: Tensor, g: Tensor): Tensor {
  const [grad] = gradients([f(x)], [x], [g]);
  return grad!;
}

function checkSecondOrder(f: (x: Tensor) => Tensor, x: Tensor): boolean {
  return gradgradcheck(f, [x]);
}

// Rows with values near +1000, near -1000 and far apart (the PyTorch reference cases).
const large = [1000, 1000.5, 999, 998, -1000, -1001, -999.5, -1000, 0, 1000, -1000, 3];

const shapes: { shape: number[]; axis: number }[] = [
  { shape: [5], axis: 0 },
  { shape: [3, 4], axis: -1 },
  { shape: [3, 4], axis: 0 },
  { shape: [2, 3, 4], axis: 1 },
  { shape: [2, 3, 4], axis: 2 },
  { shape: [4, 1, 3], axis: 1 },
];

describe('logsumexp', () => {
  it('reduces like log(sum(exp(x))) over axes', () => {
    const x = tensor(
      [
        [0, Math.log(3)],
        [1, 2],
      ],
      f64,
    );
    expectClose(logsumexp(x, 1), [Math.log(4), Math.log(Math.E + Math.E ** 2)]);
    expectClose(logsumexp(x), [Math.log(4 + Math.E + Math.E ** 2)]);
    expect(logsumexp(x, 0, true).shape).toEqual([1, 2]);
    expect(logsumexp(x, [0, 1], true).shape).toEqual([1, 1]);
    expect(logsumexp(tensor(2, f64)).item()).toBe(2);
    expect(logsumexp(tensor([1, 2], { dtype: 'int32' })).dtype).toBe('float32');
    const rng = new Generator(1);
    const t = randn([2, 3, 4], { dtype: 'float64', generator: rng });
    const direct = sum(exp(t), [0, 2]).data;
    expectClose(logsumexp(t, [0, 2]), Array.from(direct, Math.log), 1e-13);
  });

  it('is exact for ±1000 (float64 and float32) and gives -Infinity for an all -Infinity row', () => {
    const x = tensor(large, { dtype: 'float64', shape: [3, 4] });
    expectClose(logsumexp(x, 1), [1001.148016865669, -998.6095640491473, 1000]);
    expectClose(logsumexp(x, 0, true), [1000, 1000.9740769841801, 999, 998]);
    expectClose(logsumexp(tensor(large, { shape: [3, 4] }), 1), [1001.1480102539062, -998.6095581054688, 1000], 1e-7);
    const inf = tensor([-Infinity, -Infinity, 0, Infinity], { dtype: 'float64', shape: [2, 2] });
    expect(Array.from(logsumexp(inf, 1).data)).toEqual([-Infinity, Infinity]);
    expect(logsumexp(zeros([0])).item()).toBe(-Infinity);
  });

  it('has the softmax as gradient, stable at ±1000', () => {
    const x = leaf(tensor(large, { dtype: 'float64', shape: [3, 4] }));
    const g = tensor([-0.6818142005653535, -1.2255033963053057, -1.3218435783609621], f64);
    expectClose(
      gradOf((a) => logsumexp(a, 1), x, g),
      [
        -0.21631600439333776, -0.3566447976361583, -0.07957821081266037, -0.02927518772318472, -0.3051095899782231,
        -0.11224354545723658, -0.503040670891691, -0.3051095899782231, 0, -1.3218435783609621, 0, 0,
      ],
    );
  });

  it('passes gradcheck over random axes and gradgradcheck', () => {
    const rng = new Generator(2);
    for (const axes of [null, 0, 1, 2, -1, [0, 2], [1, 2]] as const) {
      const t = leaf(randn([2, 3, 4], { dtype: 'float64', generator: rng }));
      expect(gradcheck((a) => logsumexp(a, axes), [t])).toBe(true);
      expect(gradcheck((a) => logsumexp(a, axes, true), [t])).toBe(true);
    }
    const t = leaf(randn([3, 4], { dtype: 'float64', generator: rng }));
    expect(checkSecondOrder((a) => logsumexp(a, 1), t)).toBe(true);
    expect(checkSecondOrder((a) => logsumexp(a), t)).toBe(true);
  });

  it('validates axes', () => {
    expect(() => logsumexp(tensor([1, 2]), 1)).toThrow(AxisError);
    expect(() => logsumexp(tensor([[1, 2]]), [0, -2])).toThrow(/logsumexp: axis 0 appears more than once/);
  });
});

describe('softmax', () => {
  it('normalises along an axis (float32 and float64)', () => {
    expectClose(softmax(tensor([0, Math.log(3)], f64)), [0.25, 0.75], 1e-15);
    const x = tensor([
      [1, 1],
      [0, Math.log(4)],
    ]);
    expectClose(softmax(x), [0.5, 0.5, 0.2, 0.8], 1e-7);
    const e = Math.E;
    expectClose(softmax(x, 0), [e / (e + 1), e / (e + 4), 1 / (e + 1), 4 / (e + 4)], 1e-7);
    expect(softmax(x).dtype).toBe('float32');
    expect(softmax(tensor(5, f64)).item()).toBe(1);
    expect(softmax(tensor([1, 2], { dtype: 'int32' })).dtype).toBe('float32');
    const t = randn([2, 3, 4], { dtype: 'float64', generator: new Generator(3) });
    for (const axis of [0, 1, 2]) {
      const numerators = exp(t);
      const want = Array.from(numerators.div(sum(numerators, axis, true)).data);
      expectClose(softmax(t, axis), want, 1e-14);
    }
  });

  it('is exact for ±1000 (float64 and float32)', () => {
    const want = [
      0.3172653256766647, 0.5230820908987206, 0.11671539071300704, 0.042937192711607584, 0.24896674370553534,
      0.09158974654466605, 0.41047676604426336, 0.24896674370553534, 0, 1, 0, 0,
    ];
    expectClose(softmax(tensor(large, { dtype: 'float64', shape: [3, 4] }), 1), want, 1e-14);
    expectClose(softmax(tensor(large, { shape: [3, 4] }), 1), want, 1e-6);
    const x = leaf(tensor(large, { dtype: 'float64', shape: [3, 4] }));
    const g = tensor(
      [
        -0.7319225243990264, -0.003970282799943905, -0.3727689270534316, -0.5622895011886561, -0.4240040165854526,
        0.4475839977954016, -1.2610805539377385, 0.48095170197965503, 0.598437105185527, 1.6361196405607452,
        0.19820636130881247, -0.6240282744075,
      ],
      { dtype: 'float64', shape: [3, 4] },
    );
    expectClose(
      gradOf((a) => softmax(a, 1), x, g),
      [
        -0.13641809336401514, 0.15586336837245096, -0.008266659512254419, -0.011178615496181387, 0.009577269180088093,
        0.08335180576243047, -0.3278102225714643, 0.23488114762894582, 0, 0, 0, 0,
      ],
    );
  });

  it('passes gradcheck and gradgradcheck on random shapes and axes', () => {
    const rng = new Generator(4);
    for (const { shape, axis } of shapes) {
      const t = leaf(randn(shape, { dtype: 'float64', generator: rng }));
      expect(gradcheck((a) => softmax(a, axis), [t])).toBe(true);
      expect(checkSecondOrder((a) => softmax(a, axis), t)).toBe(true);
    }
  });

  it('validates the axis and does not mutate its input', () => {
    expect(() => softmax(tensor([1, 2]), 1)).toThrow(AxisError);
    expect(() => softmax(tensor([1, 2]), 1)).toThrow(/softmax: axis 1 is out of range/);
    expect(() => softmax(tensor([1, 2]), [0] as unknown as number)).toThrow(/softmax: axis must be one integer/);
    const x = leaf(tensor([[3, -1, 2]], f64));
    softmax(x).sum().backward();
    logSoftmax(x, 0).sum().backward();
    logsumexp(x, 1).sum().backward();
    expect(Array.from(x.data)).toEqual([3, -1, 2]);
  });
});

describe('logSoftmax', () => {
  it('is x - logsumexp(x) along an axis (float32 and float64)', () => {
    expectClose(logSoftmax(tensor([0, 0], f64)), [-Math.LN2, -Math.LN2], 1e-15);
    expectClose(logSoftmax(tensor([[0, Math.log(3)]]), 1), [Math.log(0.25), Math.log(0.75)], 1e-7);
    expect(logSoftmax(tensor([[1, 2]])).dtype).toBe('float32');
    const t = randn([2, 3, 4], { dtype: 'float64', generator: new Generator(5) });
    for (const axis of [0, 1, -1]) {
      const want = Array.from(t.sub(logsumexp(t, axis, true)).data);
      expectClose(logSoftmax(t, axis), want, 1e-14);
    }
  });

  it('is exact for ±1000 (float64 and float32), gradients included', () => {
    const want = [
      -1.1480168656689602, -0.6480168656689603, -2.14801686566896, -3.14801686566896, -1.390435950852803,
      -2.390435950852803, -0.890435950852803, -1.390435950852803, -1000, 0, -2000, -997,
    ];
    expectClose(logSoftmax(tensor(large, { dtype: 'float64', shape: [3, 4] }), 1), want, 1e-15);
    expectClose(logSoftmax(tensor(large, { shape: [3, 4] }), 1), want, 1e-7);
    const x = leaf(tensor(large, { dtype: 'float64', shape: [3, 4] }));
    const g = tensor(
      [
        -0.3753087046300154, 1.629302133501486, -0.6222376283331785, -0.9185449206731311, 1.231530016210454,
        -1.279028026253417, 0.6222195320402073, -0.5800763158877105, -2.437224253736703, 0.3832940406385671,
        0.11809216425716657, -0.30673435401685656,
      ],
      { dtype: 'float64', shape: [3, 4] },
    );
    expectClose(
      gradOf((a) => logSoftmax(a, 1), x, g),
      [
        -0.28432046102991154, 1.7793163861086219, -0.5887649241244013, -0.9062310009543091, 1.2328631818085778,
        -1.2785375820381903, 0.6244175505191994, -0.5787431502895868, -2.437224253736703, 2.6258664434963928,
        0.11809216425716657, -0.30673435401685656,
      ],
    );
  });

  it('passes gradcheck and gradgradcheck on random shapes and axes', () => {
    const rng = new Generator(6);
    for (const { shape, axis } of shapes) {
      const t = leaf(randn(shape, { dtype: 'float64', generator: rng }));
      expect(gradcheck((a) => logSoftmax(a, axis), [t])).toBe(true);
      expect(checkSecondOrder((a) => logSoftmax(a, axis), t)).toBe(true);
    }
  });

  it('names logSoftmax in axis errors', () => {
    expect(() => logSoftmax(tensor([[1, 2]]), -3)).toThrow(/logSoftmax: axis -3 is out of range/);
  });
});
