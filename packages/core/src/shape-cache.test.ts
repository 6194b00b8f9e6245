import { describe, expect, it } from 'vitest';
import { tensor, zeros } from './index';
import { frozenShape } from './shape';

describe('frozenShape (the Tensor constructor shares frozen shapes)', () => {
  it('tensors of equal shape share one frozen array, equal to the shape given', () => {
    const a = zeros([3, 4]);
    const b = zeros([3, 4]);
    expect(a.shape).toEqual([3, 4]);
    expect(b.shape).toBe(a.shape);
    expect(Object.isFrozen(a.shape)).toBe(true);
  });

  it('never hands out another shape: 5,000 shapes of 0 to 4 dimensions (with slot collisions) read back as given', () => {
    let seed = 12345;
    const next = () => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return seed;
    };
    const shapes: number[][] = [];
    for (let i = 0; i < 5000; i++) shapes.push(Array.from({ length: next() % 5 }, () => next() % 7));
    // twice over, so that later shapes evict earlier ones from the 256 slots and some come back
    for (const round of [0, 1])
      for (const shape of shapes) {
        const frozen = frozenShape(shape);
        expect(frozen, `round ${round}: ${JSON.stringify(shape)}`).toEqual(shape);
        expect(Object.isFrozen(frozen)).toBe(true);
      }
  });

  it('copies the caller’s array: changing it later does not change the tensor', () => {
    const shape = [2, 5];
    const t = zeros(shape);
    shape[0] = 9;
    expect(t.shape).toEqual([2, 5]);
    expect(zeros([9, 5]).shape).toEqual([9, 5]);
  });

  it('a shared shape cannot be changed through any of its tensors', () => {
    const a = tensor([[1, 2]]);
    const b = tensor([[3, 4]]);
    expect(() => {
      (a.shape as number[])[0] = 7;
    }).toThrow(TypeError);
    expect(b.shape).toEqual([1, 2]);
  });
});
