// PyTorch's promotion with 0-d tensors: a 0-d float tensor does not promote a dimensioned float tensor
// (it does promote an int32 one). Expected values from torch 1.13.1:
//   x = torch.tensor([0.1, 0.2, 0.7], requires_grad=True); s = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
//   (x * s) -> float32 [0.030000001192092896, 0.06000000238418579, 0.21000000834465027]
//   (x * s).sum().backward() -> s.grad float64 1.0, x.grad [0.30000001192092896] * 3
import { describe, expect, it } from 'vitest';
import { add, mul, pow, sub, tensor, where } from './index';

describe('promotion with 0-d tensors (PyTorch rule)', () => {
  it('keeps float32 when a 0-d float64 tensor meets a dimensioned float32 one, with float64 gradients for the 0-d one', () => {
    const x = tensor([0.1, 0.2, 0.7], { requiresGrad: true });
    const s = tensor(0.3, { dtype: 'float64', requiresGrad: true });
    const y = mul(x, s);
    expect(y.dtype).toBe('float32');
    expect(Array.from(y.values)).toEqual([0.030000001192092896, 0.06000000238418579, 0.21000000834465027]);
    y.sum().backward();
    expect(s.grad?.dtype).toBe('float64');
    expect(s.grad?.item()).toBe(1);
    expect(x.grad?.dtype).toBe('float32');
    expect(Array.from(x.grad?.values ?? [])).toEqual([0.30000001192092896, 0.30000001192092896, 0.30000001192092896]);
    // the same the other way round, and the inputs are untouched
    expect(mul(s, x).dtype).toBe('float32');
    expect(s.dtype).toBe('float64');
    expect(s.item()).toBe(0.3);
  });

  it('applies to every op that promotes: where, pow, sub', () => {
    const x = tensor([1, 2, 3]);
    const s = tensor(2.5, { dtype: 'float64' });
    expect(where(tensor([1, 0, 1], { dtype: 'int32' }).gt(0), x, s).dtype).toBe('float32');
    expect(pow(x, tensor(2, { dtype: 'float64' })).dtype).toBe('float32');
    expect(sub(s, x).toArray()).toEqual([1.5, 0.5, -0.5]);
  });

  it('still promotes where PyTorch does', () => {
    const s64 = tensor(0.5, { dtype: 'float64' });
    // a 0-d float tensor promotes a dimensioned int32 one (higher category)
    expect(add(tensor([1, 2], { dtype: 'int32' }), s64).dtype).toBe('float64');
    // a dimensioned float64 one keeps float64
    expect(add(tensor([1, 2], { dtype: 'float64' }), tensor(0.5)).dtype).toBe('float64');
    // a 1-element tensor is dimensioned: it promotes
    expect(add(tensor([1, 2]), tensor([0.5], { dtype: 'float64' })).dtype).toBe('float64');
    // two 0-d tensors promote as usual
    expect(mul(tensor(0.1), s64).dtype).toBe('float64');
    // float32 and float64 dimensioned beside a 0-d float64: float64
    expect(add(add(tensor([1, 2]), tensor([1, 1], { dtype: 'float64' })), s64).dtype).toBe('float64');
  });
});
