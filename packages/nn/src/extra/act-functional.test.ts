import {
  DTypeError,
  Generator,
  gradcheck,
  gradgradcheck,
  gradients,
  ShapeError,
  type Tensor,
  tensor,
  ValueError,
} from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { awayFrom, expectValues, f64, gradAt, randomTensor, snapshot } from '../losses/test-utils';
import {
  celu,
  glu,
  hardsigmoid,
  hardswish,
  hardtanh,
  mish,
  prelu,
  relu6,
  SELU_ALPHA,
  SELU_SCALE,
  selu,
} from './act-functional';

describe('piecewise activations: values and PyTorch 1.13 gradients at the kinks', () => {
  it('hardtanh clamps and has gradient 0 at exactly minVal and maxVal', () => {
    expectValues(hardtanh(f64([-2, -1, 0.5, 1, 3])), [-1, -1, 0.5, 1, 1]);
    expect(gradAt((x) => hardtanh(x), [-2, -1, 0.5, 1, 3])).toEqual([0, 0, 1, 0, 0]);
    expectValues(hardtanh(f64([-3, -2, 0, 0.5, 1]), -2, 0.5), [-2, -2, 0, 0.5, 0.5]);
    expect(gradAt((x) => hardtanh(x, -2, 0.5), [-3, -2, 0, 0.5, 1])).toEqual([0, 0, 1, 0, 0]);
  });

  it('hardtanh keeps NaN, with gradient 0 (PyTorch 1.13 vectorised loop)', () => {
    const out = hardtanh(f64([Number.NaN]));
    expect(Number.isNaN(out.values[0])).toBe(true);
    expect(gradAt((x) => hardtanh(x), [Number.NaN])).toEqual([0]);
  });

  it('relu6 has gradient 0 at exactly 0 and 6', () => {
    expectValues(relu6(f64([-1, 0, 3, 6, 7])), [0, 0, 3, 6, 6]);
    expect(gradAt(relu6, [-1, 0, 3, 6, 7])).toEqual([0, 0, 1, 0, 0]);
  });

  it('hardsigmoid has gradient 1/6 strictly inside (-3, 3) and 0 at ±3', () => {
    expectValues(hardsigmoid(f64([-4, -3, 0, 1.5, 3, 4])), [0, 0, 0.5, 0.75, 1, 1]);
    expect(gradAt(hardsigmoid, [-4, -3, 0, 3, 4])).toEqual([0, 0, 1 / 6, 0, 0]);
  });

  it('hardswish has gradient -1/2 at exactly -3 and 1 at exactly 3 (PyTorch 1.13 vectorised path)', () => {
    expectValues(hardswish(f64([-4, -3, 0, 1, 3, 4])), [0, 0, 0, 2 / 3, 3, 4], 1e-15);
    expect(gradAt(hardswish, [-4, -3, 0, 1.5, 3, 4])).toEqual([0, -0.5, 0.5, 1, 1, 1]);
  });

  it('selu uses PyTorch constants and has gradient scale·alpha at 0', () => {
    expect(SELU_ALPHA).toBe(Number('1.6732632423543772848170429916717'));
    expect(SELU_SCALE).toBe(Number('1.0507009873554804934193349852946'));
    expectValues(selu(f64([-1, 0, 2])), [SELU_SCALE * SELU_ALPHA * Math.expm1(-1), 0, 2 * SELU_SCALE], 1e-15);
    expectValues(tensor(gradAt(selu, [0, 1]), { dtype: 'float64' }), [SELU_SCALE * SELU_ALPHA, SELU_SCALE], 1e-15);
  });

  it('celu has gradient 1 at 0 for any alpha', () => {
    expectValues(celu(f64([-1, 2]), 2), [2 * Math.expm1(-0.5), 2], 1e-15);
    expect(gradAt((x) => celu(x, 0.5), [0])).toEqual([1]);
    expect(gradAt((x) => celu(x), [0])).toEqual([1]);
  });

  it('prelu passes the weight as the gradient at 0, and the weight gets x·g where x <= 0', () => {
    const x = f64([0, -2, 3]);
    const w = f64([0.25]);
    expectValues(prelu(x, w), [0, -0.5, 3]);
    const [gx, gw] = gradients([prelu(x, w).sum()], [x, w]);
    expectValues(gx as Tensor, [0.25, 0.25, 1]);
    expectValues(gw as Tensor, [-2]);
  });

  it('mish and glu agree with their formulas', () => {
    const sp = Math.log1p(Math.E);
    expectValues(mish(f64([0, 1])), [0, Math.tanh(sp)], 1e-15);
    expectValues(glu(tensor([[1, 2, 0, Math.log(3)]], { dtype: 'float64' })), [0.5, 1.5], 1e-15, [1, 2]);
  });
});

describe('activations: gradcheck in float64 (away from the kinks) and double backward', () => {
  const gen = new Generator(1515);
  const cases: [string, (x: Tensor) => Tensor, number[]][] = [
    ['hardtanh', (x) => hardtanh(x, -1.5, 2), [-1.5, 2]],
    ['relu6', relu6, [0, 6]],
    ['hardsigmoid', hardsigmoid, [-3, 3]],
    ['hardswish', hardswish, [-3, 3]],
    ['mish', mish, []],
    ['selu', selu, [0]],
    ['celu', (x) => celu(x, 0.7), [0]],
    ['glu', (x) => glu(x.reshape([3, 4]), -1), []],
    ['glu dim 0', (x) => glu(x.reshape([4, 3]), 0), []],
  ];
  for (const [name, f, kinks] of cases) {
    it(name, () => {
      const x = awayFrom(kinks, 12, gen, 4, 1e-3);
      expect(gradcheck(f, [x])).toBe(true);
      if (name !== 'relu6' && name !== 'hardtanh' && name !== 'hardsigmoid') expect(gradgradcheck(f, [x])).toBe(true);
    });
  }

  it('prelu w.r.t. input and per-channel weight', () => {
    const x = awayFrom([0], 24, gen, 2, 1e-3).detach().reshape([2, 3, 4]).requiresGrad_();
    const w = randomTensor([3], gen, { requiresGrad: true, scale: 0.3 });
    expect(gradcheck(prelu, [x, w])).toBe(true);
    expect(gradgradcheck(prelu, [x, w])).toBe(true);
  });
});

describe('activations: bad input is rejected before computing', () => {
  it('names the function, the argument and the shapes', () => {
    const x = tensor([1, 2, 3], { dtype: 'float64' });
    expect(() => glu(x)).toThrow(ShapeError);
    expect(() => glu(x)).toThrow(
      /glu: the halved dimension must have an even size, but dimension 0 of input shape \[3\]/,
    );
    expect(() => glu(tensor(1))).toThrow(/glu: input must have at least one dimension/);
    expect(() => glu(tensor([[1, 2]]), 2)).toThrow(ValueError);
    expect(() => celu(x, 0)).toThrow(/celu: alpha must not be 0/);
    expect(() => hardtanh(x, 1, -1)).toThrow(/hardtanh: maxVal \(-1\) must not be below minVal \(1\)/);
    expect(() => hardtanh(x, Number.NaN)).toThrow(ValueError);
    expect(() => relu6(tensor([1], { dtype: 'int32' }))).toThrow(DTypeError);
    expect(() => prelu(tensor([[1, 2, 3]]), tensor([0.1, 0.2]))).toThrow(
      /prelu: weight has 2 parameters but input of shape \[1,3\] has 3 channel\(s\)/,
    );
    expect(() => prelu(tensor([1, 2, 3]), tensor([0.1, 0.2, 0.3]))).toThrow(ShapeError);
    expect(() => prelu(x, tensor([0.1]))).toThrow(/prelu: weight is float32 but input is float64/);
    expect(() => prelu(tensor([1]), tensor([[0.1]]))).toThrow(/prelu: weight must be 1-D/);
  });

  it('does not change its inputs', () => {
    const x = f64([-4, -3, 0, 3, 7]);
    const w = f64([0.2]);
    const unchanged = snapshot(x, w);
    for (const f of [hardtanh, relu6, hardsigmoid, hardswish, mish, selu, celu]) f(x).sum().backward();
    prelu(x, w).sum().backward();
    unchanged();
  });
});
