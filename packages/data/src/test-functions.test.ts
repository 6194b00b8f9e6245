import { grad, gradcheck, ShapeError, type Tensor, tensor, ValueError } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import {
  beale,
  himmelblau,
  illConditioned,
  quadratic,
  rosenbrock,
  saddle,
  TEST_FUNCTIONS,
  type TestFunction,
  testFunction,
} from './test-functions';

type Pt = [number, number];

// Hand-derived values and gradients, to check the core-op versions against.
const analytic: Record<string, { f: (x: number, y: number) => number; g: (x: number, y: number) => Pt }> = {
  rosenbrock: {
    f: (x, y) => (1 - x) ** 2 + 100 * (y - x * x) ** 2,
    g: (x, y) => [-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)],
  },
  beale: {
    f: (x, y) => (1.5 - x + x * y) ** 2 + (2.25 - x + x * y * y) ** 2 + (2.625 - x + x * y ** 3) ** 2,
    g: (x, y) => {
      const a = 1.5 - x + x * y;
      const b = 2.25 - x + x * y * y;
      const c = 2.625 - x + x * y ** 3;
      return [
        2 * a * (y - 1) + 2 * b * (y * y - 1) + 2 * c * (y ** 3 - 1),
        2 * a * x + 4 * b * x * y + 6 * c * x * y * y,
      ];
    },
  },
  himmelblau: {
    f: (x, y) => (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2,
    g: (x, y) => {
      const a = x * x + y - 11;
      const b = x + y * y - 7;
      return [4 * a * x + 2 * b, 2 * a + 4 * b * y];
    },
  },
  saddle: { f: (x, y) => x * x - y * y, g: (x, y) => [2 * x, -2 * y] },
  illConditioned: { f: (x, y) => 0.5 * (x * x + 100 * y * y), g: (x, y) => [x, 100 * y] },
};

const probes: Pt[] = [
  [0.3, -0.7],
  [-1.2, 1],
  [2, 0.5],
  [-0.5, -2.5],
];

const value = (fn: TestFunction, p: readonly number[]) => fn.f(tensor([...p], { dtype: 'float64' })).item();
const gradient = (fn: TestFunction, p: readonly number[]) =>
  Array.from(grad((xy: Tensor) => fn.f(xy))(tensor([...p], { dtype: 'float64' })).data);

describe('2-D test functions', () => {
  for (const [name, fn] of Object.entries(TEST_FUNCTIONS)) {
    describe(name, () => {
      it('matches the closed-form value and gradient', () => {
        for (const [x, y] of [...probes, fn.start as Pt]) {
          expect(value(fn, [x, y])).toBeCloseTo(analytic[name].f(x, y), 9);
          const [gx, gy] = analytic[name].g(x, y);
          const [ax, ay] = gradient(fn, [x, y]);
          expect(ax).toBeCloseTo(gx, 8);
          expect(ay).toBeCloseTo(gy, 8);
        }
      });

      it('passes gradcheck in float64', () => {
        for (const p of probes)
          expect(gradcheck((xy) => fn.f(xy), [tensor(p, { dtype: 'float64', requiresGrad: true })])).toBe(true);
      });

      it('has its minimum value and a zero gradient at each listed minimizer', () => {
        expect(fn.name).toBe(name);
        for (const m of fn.minima) {
          expect(Math.abs(value(fn, m) - fn.minimum)).toBeLessThan(1e-20);
          for (const g of gradient(fn, m)) expect(Math.abs(g)).toBeLessThan(1e-9);
        }
        const { x, y } = fn.bounds;
        expect(x[0]).toBeLessThan(x[1]);
        expect(y[0]).toBeLessThan(y[1]);
        for (const [px, py] of [...fn.minima, fn.start]) {
          expect(px >= x[0] && px <= x[1] && py >= y[0] && py <= y[1]).toBe(true);
        }
      });

      it('evaluates a batch of points [..., 2] to a tensor of shape [...]', () => {
        const grid = tensor([probes.slice(0, 2), probes.slice(2, 4)], { dtype: 'float64' });
        const out = fn.f(grid);
        expect(out.shape).toEqual([2, 2]);
        const values = (out.toArray() as number[][]).flat();
        for (let i = 0; i < 4; i++) expect(values[i]).toBeCloseTo(analytic[name].f(...probes[i]), 9);
      });
    });
  }

  it('lists exactly the five functions with their customary data', () => {
    expect(Object.keys(TEST_FUNCTIONS)).toEqual(['rosenbrock', 'beale', 'himmelblau', 'saddle', 'illConditioned']);
    expect(rosenbrock.start).toEqual([-1.5, 2]);
    expect(value(rosenbrock, rosenbrock.start)).toBe(12.5);
    expect(beale.minima).toEqual([[3, 0.5]]);
    expect(beale.start).toEqual([3, 4]);
    expect(Math.hypot(...gradient(beale, beale.start))).toBeCloseTo(Math.hypot(25625.25, 57519), 6);
    expect(himmelblau.minima.length).toBe(4);
    expect(saddle.minima).toEqual([]);
    expect(saddle.minimum).toBe(Number.NEGATIVE_INFINITY);
    expect(value(illConditioned, [1, 1])).toBe(50.5);
  });

  it('has a stationary point of the saddle at the origin that is not a minimum', () => {
    expect(gradient(saddle, [0, 0]).map(Math.abs)).toEqual([0, 0]);
    expect(value(saddle, [0, 0.1])).toBeLessThan(0);
    expect(value(saddle, [0.1, 0])).toBeGreaterThan(0);
  });

  it('builds rotated quadratics with the requested condition number', () => {
    const angle = Math.PI / 6;
    const q = quadratic({ condition: 1000, angle });
    // The Hessian is constant: its columns are the gradients at the unit vectors.
    const h = [gradient(q, [1, 0]), gradient(q, [0, 1])];
    const trace = h[0][0] + h[1][1];
    const det = h[0][0] * h[1][1] - h[0][1] * h[1][0];
    const disc = Math.sqrt(trace * trace - 4 * det);
    expect((trace + disc) / (trace - disc)).toBeCloseTo(1000, 6);
    // The flat direction (eigenvalue 1) is the unit vector at `angle`.
    const [gx, gy] = gradient(q, [Math.cos(angle), Math.sin(angle)]);
    expect(gx).toBeCloseTo(Math.cos(angle), 12);
    expect(gy).toBeCloseTo(Math.sin(angle), 12);
    expect(() => quadratic({ condition: 0.5 })).toThrow(/quadratic: condition must be a finite number >= 1, got 0.5/);
  });

  it('is differentiable twice (Hessian-vector products through createGraph)', () => {
    const xy = tensor([-1.2, 1], { dtype: 'float64', requiresGrad: true });
    const g = grad((p: Tensor) => rosenbrock.f(p));
    const hessianRow = grad((p: Tensor) =>
      g(p)
        .mul(tensor([1, 0], { dtype: 'float64' }))
        .sum(),
    )(xy);
    // d²f/dx² = 2 - 400 (y - 3x²), d²f/dxdy = -400 x
    expect(Array.from(hessianRow.data)).toEqual([2 - 400 * (1 - 3 * 1.44), 480]);
  });

  it('rejects inputs whose last dimension is not 2, and unknown names', () => {
    expect(() => rosenbrock.f(tensor([1, 2, 3]))).toThrow(ShapeError);
    expect(() => rosenbrock.f(tensor([1, 2, 3]))).toThrow(
      /rosenbrock: xy must have shape \[2\] or \[..., 2\], got \[3\]/,
    );
    expect(() => beale.f(tensor(1))).toThrow(/got \[\]/);
    expect(testFunction('himmelblau')).toBe(himmelblau);
    expect(() => testFunction('rastrigin')).toThrow(ValueError);
    expect(() => testFunction('rastrigin')).toThrow(
      /unknown test function "rastrigin"; expected one of rosenbrock, beale, himmelblau, saddle, illConditioned/,
    );
  });
});
