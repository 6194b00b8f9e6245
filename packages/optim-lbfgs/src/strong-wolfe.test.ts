import { describe, expect, it } from 'vitest';
import { cubicInterpolate, strongWolfe } from './strong-wolfe';

describe('cubicInterpolate', () => {
  it('finds the minimiser of an interpolated cubic', () => {
    // f(x) = (x - 0.3)^2 on [0, 1]: f(0) = 0.09, f'(0) = -0.6, f(1) = 0.49, f'(1) = 1.4
    expect(cubicInterpolate(0, 0.09, -0.6, 1, 0.49, 1.4)).toBeCloseTo(0.3, 14);
    expect(cubicInterpolate(1, 0.49, 1.4, 0, 0.09, -0.6)).toBeCloseTo(0.3, 14);
  });

  it('clamps to the bounds, and bisects when the cubic has no minimiser', () => {
    expect(cubicInterpolate(0, 0.09, -0.6, 1, 0.49, 1.4, [0.5, 2])).toBe(0.5);
    // d1 = 0.5, d1² < g1·g2 = 1: the interpolating cubic has no local minimiser
    expect(cubicInterpolate(0, 0, 1, 1, 0.5, 1)).toBe(0.5);
    expect(cubicInterpolate(0, 0, 1, 1, 0.5, 1, [2, 4])).toBe(3);
  });
});

describe('strongWolfe', () => {
  it('returns a step satisfying the strong Wolfe conditions on a 1-D quartic', () => {
    const f = (x: number) => (x - 2) ** 4 + x * x;
    const df = (x: number) => 4 * (x - 2) ** 3 + 2 * x;
    const d = new Float64Array([1]);
    const g0 = new Float64Array([df(0)]);
    const gtd = g0[0];
    const result = strongWolfe((t) => ({ f: f(t), g: new Float64Array([df(t)]) }), 1, d, f(0), g0, gtd);
    expect(result.f).toBeLessThanOrEqual(f(0) + 1e-4 * result.t * gtd);
    expect(Math.abs(result.g[0])).toBeLessThanOrEqual(-0.9 * gtd);
    expect(result.f).toBe(f(result.t));
    expect(result.evals).toBeGreaterThanOrEqual(1);
  });

  it('zooms when the first trial overshoots', () => {
    const f = (x: number) => (x - 0.1) ** 2;
    const df = (x: number) => 2 * (x - 0.1);
    const d = new Float64Array([1]);
    const result = strongWolfe(
      (t) => ({ f: f(t), g: new Float64Array([df(t)]) }),
      5,
      d,
      f(0),
      new Float64Array([df(0)]),
      df(0),
    );
    expect(result.t).toBeCloseTo(0.1, 6);
    expect(result.evals).toBeGreaterThan(1);
  });
});
