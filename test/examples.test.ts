import { describe, expect, it } from 'vitest';
import { fitLine } from '../examples/linear-regression/main';

describe('examples/linear-regression', () => {
  it('recovers y = 2x + 1 by gradient descent, with a loss that falls to the noise level', () => {
    const { w, b, losses } = fitLine(200, 0.1, 0);
    expect(w).toBeCloseTo(2, 1);
    expect(b).toBeCloseTo(1, 1);
    expect(losses[0]).toBeGreaterThan(1);
    // the noise has standard deviation 0.1, so the best achievable mean squared error is about 0.01
    expect(losses[losses.length - 1]).toBeLessThan(0.02);
    for (let i = 1; i < losses.length; i++) expect(losses[i]).toBeLessThanOrEqual(losses[i - 1] + 1e-7);
  });
});
