// The code of docs/guides/custom-ops.md, run as written, so that the guide cannot drift from the API.
import {
  add,
  gradcheck,
  gradgradcheck,
  registerKernel,
  registerOp,
  setBackend,
  Tensor as T,
  type Tensor,
  tensor,
} from '@nablajs/core';
import { afterEach, describe, expect, it } from 'vitest';

const softAbsOp = registerOp<number>({
  name: 'guide.softAbs',
  forward: ([x], c) => {
    const out = new Float64Array(x.size);
    for (let i = 0; i < x.size; i++) out[i] = Math.sqrt(x.data[i] * x.data[i] + c);
    return new T(x.dtype === 'float64' ? out : Float32Array.from(out), x.shape, x.dtype);
  },
  backward: (g, { inputs: [x], output }) => [g.mul(x).div(output)],
});
const softAbs = (x: Tensor, c = 1e-3) => softAbsOp([x], c);

describe('guide: custom ops', () => {
  afterEach(() => setBackend('cpu'));

  it('softAbs computes sqrt(x^2 + c) and passes gradcheck and gradgradcheck', () => {
    const x = tensor([-2, 0.5, 3], { dtype: 'float64', requiresGrad: true });
    expect(softAbs(x).data[0]).toBeCloseTo(Math.sqrt(4.001), 12);
    expect(gradcheck((a) => softAbs(a), [x])).toBe(true);
    expect(gradgradcheck((a) => softAbs(a), [x])).toBe(true);
  });

  it('a wrong VJP is caught by gradcheck', () => {
    const bad = registerOp<undefined>({
      name: 'guide.badSquare',
      forward: ([x]) =>
        new T(
          x.data.map((v) => v * v),
          x.shape,
          x.dtype,
        ),
      backward: (g, { inputs: [x] }) => [g.mul(x)], // missing the factor 2
    });
    const x = tensor([1.5, -0.5], { dtype: 'float64', requiresGrad: true });
    expect(() => gradcheck((a) => bad([a], undefined), [x])).toThrow(/analytic gradient .* finite differences/);
  });

  it('a composite function needs no VJP of its own', () => {
    const swish = (x: Tensor, beta = 1) => x.mul(x.mul(beta).sigmoid());
    const x = tensor([-1, 0.2, 2], { dtype: 'float64', requiresGrad: true });
    expect(gradcheck((a) => swish(a), [x])).toBe(true);
  });

  it('a backend replaces one kernel and leaves the op and its gradient alone', () => {
    registerKernel(
      'add',
      (a: Float32Array, _as: number[], b: Float32Array, _bs: number[], out: Float32Array) => {
        for (let i = 0; i < out.length; i++) out[i] = a[i] + b[i];
      },
      'guide-fast',
    );
    setBackend('guide-fast');
    const x = tensor([1, 2], { requiresGrad: true });
    const y = add(x, tensor([3, 4]));
    y.sum().backward();
    expect(Array.from(y.data)).toEqual([4, 6]);
    expect(Array.from(x.grad!.data)).toEqual([1, 1]);
  });
});
