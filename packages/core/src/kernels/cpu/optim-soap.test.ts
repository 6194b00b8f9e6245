import { describe, expect, it } from 'vitest';
import { ValueError } from '../../errors';
import { soapAdamKernel, soapApplyKernel, soapLerpKernel } from './optim-soap';

const f = Math.fround;

describe("SOAP's elementwise kernels", () => {
  it('soapAdam: the moments of the projected gradient and their ratio, each rounded once from doubles', () => {
    const g = Float32Array.from([0.5, -2]);
    const [m, v, ratio] = [Float32Array.from([0.1, 0.2]), Float32Array.from([0.3, 0.4]), new Float32Array(2)];
    soapAdamKernel(g, m, v, ratio, 0.9, 0.99, 1e-3);
    const m0 = f(f(0.1) * 0.9 + 0.1 * 0.5);
    const v0 = f(f(0.3) * 0.99 + 0.01 * 0.25);
    expect(m[0]).toBe(m0);
    expect(v[0]).toBe(v0);
    expect(ratio[0]).toBe(f(m0 / (Math.sqrt(v0) + 1e-3)));
  });

  it("soapLerp: PyTorch's two branches by the size of w", () => {
    const x = Float32Array.from([1, 1]);
    soapLerpKernel(x, Float32Array.from([3, 5]), 0.25);
    expect(Array.from(x)).toEqual([1.5, 2]);
    const y = Float32Array.from([1]);
    soapLerpKernel(y, Float32Array.from([3]), 0.75);
    expect(y[0]).toBe(f(3 - (3 - 1) * 0.25));
  });

  it('soapApply: p₁ = p - step·direction, then the decoupled decay', () => {
    const p = Float32Array.from([1, 2]);
    soapApplyKernel(p, Float32Array.from([0.5, -0.5]), 0.1, -0.01);
    expect(p[0]).toBe(f(0.95 + -0.01 * 0.95));
    expect(p[1]).toBe(f(2.05 + -0.01 * 2.05));
    const q = Float32Array.from([1]);
    soapApplyKernel(q, Float32Array.from([2]), 0.1, 0);
    expect(q[0]).toBe(f(0.8));
  });

  it('rejects arrays of the wrong length, naming the kernel and the argument, before writing', () => {
    const m = Float32Array.from([1, 2]);
    expect(() => soapAdamKernel(new Float32Array(2), m, new Float32Array(3), new Float32Array(2), 0.9, 0.9, 0)).toThrow(
      /soapAdamKernel: v has 3 elements, g has 2/,
    );
    expect(() => soapLerpKernel(m, new Float32Array(1), 0.5)).toThrow(ValueError);
    expect(() => soapApplyKernel(m, new Float32Array(5), 0.1, 0)).toThrow(/soapApplyKernel: direction has 5 elements/);
    expect(Array.from(m)).toEqual([1, 2]);
  });
});
