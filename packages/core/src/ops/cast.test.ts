// A cast to an integer dtype leaves the graph, as in PyTorch (integer tensors cannot require gradients).
import { describe, expect, it } from 'vitest';
import { AutogradError, cast, gradients, noGrad, tensor } from '../index';

describe('cast to an integer dtype', () => {
  it('returns a tensor that does not require gradients and has no graph node', () => {
    const x = tensor([1.5, -2.7], { dtype: 'float64', requiresGrad: true });
    for (const i of [x.to('int32'), x.int(), cast(x, 'int32'), cast(x.mul(2), 'int32')]) {
      expect(i.requiresGrad).toBe(false);
      expect(i.isLeaf).toBe(true);
      expect(i.dtype).toBe('int32');
    }
    expect(x.int().toArray()).toEqual([1, -2]);
    // A later float op with a float tensor that does not require gradients does not either.
    expect(x.int().add(tensor([0.5])).requiresGrad).toBe(false);
  });

  it('makes a backward through it throw instead of leaving x.grad silently null', () => {
    const x = tensor([1.5, 2], { dtype: 'float64', requiresGrad: true });
    const y = x.to('int32').to('float64').mul(3).sum();
    expect(y.requiresGrad).toBe(false);
    expect(() => y.backward()).toThrow(AutogradError);
    expect(() => y.backward()).toThrow(/backward: the tensor does not require gradients and has no gradFn/);
    expect(x.grad).toBeNull();
    // Mixed with the float path, the float path alone carries the gradient.
    const z = x.mul(x.int()).sum();
    expect(gradients([z], [x])[0]!.toArray()).toEqual([1, 2]);
  });

  it('keeps float casts differentiable, also to and from the half dtypes', () => {
    const x = tensor([1.5, 2], { dtype: 'float64', requiresGrad: true });
    const y = x.to('float32').to('float16');
    expect(y.requiresGrad).toBe(true);
    expect(gradients([y.to('float64').mul(3).sum()], [x])[0]!.toArray()).toEqual([3, 3]);
    expect(noGrad(() => x.to('float32')).requiresGrad).toBe(false);
  });
});
