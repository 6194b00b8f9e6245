import { Tensor, tensor } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { clipGradNorm, clipGradValue, globalNorm, vectorNorm } from './clip';

function withGrad(values: number[], dtype: 'float32' | 'float64' = 'float64'): Tensor {
  const p = tensor(
    values.map(() => 0),
    { dtype, requiresGrad: true },
  );
  p.grad = tensor(values, { dtype });
  return p;
}

const grads = (ps: Tensor[]) => ps.map((p) => Array.from(p.grad!.data));

describe('clipGradNorm', () => {
  it('scales by maxNorm / (total + 1e-6) and returns the norm before clipping (L2)', () => {
    const ps = [withGrad([3, 4]), withGrad([12])];
    const total = clipGradNorm(ps, 1);
    expect(total).toBe(13);
    const c = 1 / (13 + 1e-6);
    expect(grads(ps)).toEqual([[3 * c, 4 * c], [12 * c]]);
    expect(
      globalNorm(
        ps.map((p) => p.grad!.data),
        2,
      ),
    ).toBeLessThan(1);
  });

  it('computes L1, L-infinity and p-norms', () => {
    expect(clipGradNorm([withGrad([3, -4]), withGrad([-12])], 100, 1)).toBe(19);
    expect(clipGradNorm([withGrad([3, -4]), withGrad([-12])], 100, Number.POSITIVE_INFINITY)).toBe(12);
    expect(clipGradNorm([withGrad([3, -4]), withGrad([-12])], 100, 'inf')).toBe(12);
    expect(clipGradNorm([withGrad([1, -2]), withGrad([2])], 100, 3)).toBeCloseTo(17 ** (1 / 3), 14);
    expect(vectorNorm([1, -2, 2], 0.5)).toBeCloseTo((1 + 2 * Math.SQRT2) ** 2, 12);
  });

  it('multiplies by exactly 1 below the threshold', () => {
    const ps = [withGrad([0.1, -0.2])];
    expect(clipGradNorm(ps, 1)).toBeCloseTo(Math.sqrt(0.05), 15);
    expect(grads(ps)).toEqual([[0.1, -0.2]]);
  });

  it('ignores parameters without a gradient, accepts a single tensor, returns 0 with no gradients', () => {
    const none = tensor([1, 2], { requiresGrad: true });
    const ps = [none, withGrad([6, 8])];
    expect(clipGradNorm(ps, 5)).toBe(10);
    expect(none.grad).toBeNull();
    expect(clipGradNorm(withGrad([6, 8]), 5)).toBe(10);
    expect(clipGradNorm([none], 1)).toBe(0);
    expect(clipGradNorm(new Set([withGrad([1])]), 1)).toBe(1);
  });

  it('works in float32', () => {
    const p = withGrad([3, 4], 'float32');
    expect(clipGradNorm([p], 1)).toBe(5);
    expect(p.grad!.data[0]).toBe(Math.fround(3 / (5 + 1e-6)));
  });

  it('errorIfNonfinite names the non-finite norm', () => {
    expect(() => clipGradNorm([withGrad([1, Number.NaN])], 1, 2, { errorIfNonfinite: true })).toThrow(
      /clipGradNorm: the total norm of order 2 of the gradients is NaN \(non-finite\)/,
    );
    expect(() => clipGradNorm([withGrad([Number.POSITIVE_INFINITY])], 1, 'inf', { errorIfNonfinite: true })).toThrow(
      /is Infinity \(non-finite\)/,
    );
    const p = withGrad([1, Number.NaN]);
    expect(Number.isNaN(clipGradNorm([p], 1))).toBe(true);
  });

  it('validates its arguments', () => {
    expect(() => clipGradNorm([withGrad([1])], -1)).toThrow('clipGradNorm: maxNorm must be in [0, inf), got -1');
    // Every order PyTorch takes is a norm here (0 counts non-zeros, see golden-clip-orders.test.ts); NaN and
    // other strings are not, and the message shows them as they were given.
    expect(() => clipGradNorm([withGrad([1])], 1, Number.NaN)).toThrow(
      "clipGradNorm: normType must be a number (p, 0, a negative p, Infinity or -Infinity) or 'inf' / '-inf', got NaN",
    );
    expect(() => clipGradNorm([withGrad([1])], 1, 'two' as never)).toThrow(/normType must be .*, got "two"$/);
    expect(clipGradNorm([withGrad([3, 0, -4])], 10, 0)).toBe(1); // PyTorch's order-0 norm of the per-tensor counts [2]
    expect(clipGradNorm([withGrad([3, 0, -4])], 10, '-inf')).toBe(0);
    expect(() => clipGradNorm([1 as unknown as Tensor], 1)).toThrow('clipGradNorm: params[0] is not a Tensor');
    expect(() => clipGradNorm(null as never, 1)).toThrow(/params must be a Tensor or an iterable/);
  });

  it('refuses unknown options, and options given where the order of the norm goes, leaving the gradients alone', () => {
    const p = withGrad([Number.POSITIVE_INFINITY, 0]);
    expect(() => clipGradNorm([p], 1, 2, { error_if_nonfinite: true } as never)).toThrow(
      /clipGradNorm: unknown option "error_if_nonfinite" \(did you mean "errorIfNonfinite"\?\)/,
    );
    expect(() => clipGradNorm([p], 1, { normType: 1 } as never)).toThrow(
      /clipGradNorm: normType must be a number or 'inf' \/ '-inf', got an object; .* clipGradNorm\(params, maxNorm, 2, \{ errorIfNonfinite: true \}\)/,
    );
    expect(Array.from((p.grad as Tensor).values)).toEqual([Number.POSITIVE_INFINITY, 0]);
  });
});

describe('clipGradValue', () => {
  it('clamps every element in place and returns nothing', () => {
    const ps = [withGrad([0.5, -0.5, 0.1]), withGrad([-2, Number.NaN])];
    expect(clipGradValue(ps, 0.3)).toBeUndefined();
    expect(grads(ps)[0]).toEqual([0.3, -0.3, 0.1]);
    expect(grads(ps)[1][0]).toBe(-0.3);
    expect(Number.isNaN(grads(ps)[1][1])).toBe(true);
  });

  it('ignores missing gradients and validates clipValue', () => {
    const none = new Tensor(new Float64Array(2), [2], 'float64');
    clipGradValue([none, withGrad([1])], 0);
    expect(none.grad).toBeNull();
    expect(() => clipGradValue([withGrad([1])], -0.1)).toThrow(
      'clipGradValue: clipValue must be in [0, inf), got -0.1',
    );
  });
});
