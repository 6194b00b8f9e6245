import { describe, expect, it } from 'vitest';
import { enableGrad, isGradEnabled, noGrad, reshape, tensor, ValueError } from './index';

describe('noGrad and enableGrad', () => {
  it('reject an async fn, whose awaits would leave the mode switched back', async () => {
    const w = tensor([1, 2], { requiresGrad: true });
    let late: boolean | undefined;
    const run = () =>
      noGrad(async () => {
        await null;
        late = isGradEnabled();
        return w.mul(2);
      });
    expect(run).toThrow(ValueError);
    expect(run).toThrow(/^noGrad: fn returned a Promise; noGrad covers synchronous code only/);
    expect(() => noGrad(() => enableGrad(async () => 1))).toThrow(/^enableGrad: fn returned a Promise/);
    expect(isGradEnabled()).toBe(true); // restored
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(late).toBe(true); // what the check protects against: the awaited part recorded
  });

  it('hand back a tensor that does not require gradients, never the input itself, from an op that returns its input', () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    for (const y of [noGrad(() => x.slice([])), noGrad(() => reshape(x, [3]))]) {
      expect(y).not.toBe(x);
      expect(y.requiresGrad).toBe(false);
      expect(y.toArray()).toEqual([1, 2, 3]);
    }
    expect(x.requiresGrad).toBe(true);
    // with recording on, the same ops are graph nodes whose gradient reaches x
    const z = x.slice([]);
    expect(z).not.toBe(x);
    z.sum().backward();
    expect(x.grad?.toArray()).toEqual([1, 1, 1]);
  });
});
