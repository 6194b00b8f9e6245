import { DTypeError, Generator, gradcheck, randn, ShapeError, type Tensor, ValueError, zeros } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { bilinear } from '../functional/bilinear';
import { Bilinear } from './bilinear';

describe('Bilinear', () => {
  it("initialises weight and bias from U(-1/√in1, 1/√in1), as PyTorch does, with PyTorch's parameter names", () => {
    const layer = new Bilinear(16, 3, 40, { generator: new Generator(1) });
    expect(layer.namedParameters().map(([n, p]) => [n, p.shape])).toEqual([
      ['weight', [40, 16, 3]],
      ['bias', [40]],
    ]);
    const bound = 1 / Math.sqrt(16);
    for (const p of [layer.weight, layer.bias as Tensor]) {
      const v = Array.from(p.values);
      expect(v.every((x) => Math.abs(x) <= bound)).toBe(true);
      expect(Math.max(...v.map(Math.abs))).toBeGreaterThan(0.9 * bound);
    }
    expect(new Bilinear(2, 3, 4, { bias: false }).bias).toBeNull();
    expect(layer.toString()).toContain('in1Features=16, in2Features=3, outFeatures=40, bias=true');
  });

  it('computes x1ᵀ A x2 + b over the leading dims, and its gradients match finite differences', () => {
    const layer = new Bilinear(3, 2, 4, { dtype: 'float64', generator: new Generator(2) });
    const x1 = randn([2, 5, 3], { dtype: 'float64', generator: new Generator(3), requiresGrad: true });
    const x2 = randn([2, 5, 2], { dtype: 'float64', generator: new Generator(4), requiresGrad: true });
    const y = layer.forward(x1, x2);
    expect(y.shape).toEqual([2, 5, 4]);
    // one element by the definition
    const [w, b] = [layer.weight.values, (layer.bias as Tensor).values];
    let expected = b[1];
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 2; j++) expected += x1.values[3 * 7 + i] * w[1 * 6 + i * 2 + j] * x2.values[2 * 7 + j];
    expect(y.values[4 * 7 + 1]).toBeCloseTo(expected, 12);
    expect(gradcheck((a: Tensor, c: Tensor) => layer.forward(a, c), [x1, x2])).toBe(true);
    expect(
      gradcheck(
        (wt: Tensor, bias: Tensor) => bilinear(x1.detach(), x2.detach(), wt, bias),
        [layer.weight, layer.bias as Tensor],
      ),
    ).toBe(true);
  });

  it('refuses mismatched inputs with errors that name the argument', () => {
    const layer = new Bilinear(3, 4, 5);
    expect(() => layer.forward(zeros([2, 3]), zeros([1, 4]))).toThrow(ShapeError);
    expect(() => layer.forward(zeros([2, 3]), zeros([1, 4]))).toThrow(
      /bilinear: input1 and input2 must have the same leading dims/,
    );
    expect(() => layer.forward(zeros([2, 3]), zeros([2, 1, 4]))).toThrow(/must have as many dims/);
    expect(() => layer.forward(zeros([2, 2]), zeros([2, 4]))).toThrow(/bilinear: input1 has 2 features .* expects 3/);
    expect(() => layer.forward(zeros([2, 3]), zeros([2, 5]))).toThrow(/bilinear: input2 has 5 features .* expects 4/);
    expect(() => bilinear(zeros([2, 3]), zeros([2, 4]), zeros([5, 3, 4]), zeros([4]))).toThrow(
      /bilinear: bias must have shape \[5\]/,
    );
    expect(() => bilinear(zeros([2, 3]), zeros([2, 4]), zeros([5, 3]))).toThrow(/bilinear: weight must be 3-D/);
    expect(() => bilinear(zeros([2, 3]), zeros([2, 4], { dtype: 'float64' }), zeros([5, 3, 4]))).toThrow(DTypeError);
    expect(() => layer.forward(zeros([2, 3]), null as unknown as Tensor)).toThrow(/input2 must be a Tensor/);
    expect(() => new Bilinear(0, 4, 5)).toThrow(/Bilinear\(0, 4, 5\): in1Features/);
    expect(() => new Bilinear(3, 4, 5, { biases: true } as never)).toThrow(ValueError);
  });
});
