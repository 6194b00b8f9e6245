import { describe, expect, it } from 'vitest';
import { arange, eye, full, linspace, ones, onesLike, tensor, zeros } from './creation';
import { DTypeError } from './errors';
import { bfloat16Bits, decodeHalf, encodeHalf, float16Bits, float16Value } from './half';
import { detectAnomaly, grad, maximum, randn, type Tensor } from './index';

describe('half storage', () => {
  it('round-trips every float16 pattern through decode and encode', () => {
    const all = new Uint16Array(65536);
    for (let i = 0; i < all.length; i++) all[i] = i;
    const back = encodeHalf(decodeHalf(all, 'float16'), 'float16');
    for (let i = 0; i < all.length; i++) {
      const nan = (i & 0x7c00) === 0x7c00 && (i & 0x3ff) !== 0;
      expect(nan ? back[i] === ((i & 0x8000) | 0x7e00) : back[i] === i).toBe(true);
    }
  });

  it('rounds ties to even and overflows at 65520', () => {
    expect(float16Bits(1 + 2 ** -11)).toBe(0x3c00);
    expect(float16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(float16Bits(65519)).toBe(0x7bff);
    expect(float16Bits(65520)).toBe(0x7c00);
    expect(bfloat16Bits(1 + 2 ** -8)).toBe(0x3f80);
    expect(bfloat16Bits(1 + 3 * 2 ** -8)).toBe(0x3f82);
    expect(float16Value(0x0001)).toBe(2 ** -24);
  });

  it('stores Uint16Array bit patterns and decodes in item/toArray/toString', () => {
    const h = tensor([1, -2.5, 1e-6], { dtype: 'float16' });
    expect(h.values).toBeInstanceOf(Uint16Array);
    expect([...h.values]).toEqual([0x3c00, 0xc100, 0x0011]);
    expect(h.toArray()).toEqual([1, -2.5, 17 * 2 ** -24]);
    expect(tensor(3, { dtype: 'bfloat16' }).item()).toBe(3);
    expect(h.toString()).toContain('dtype=float16');
    expect(zeros([2], { dtype: 'bfloat16' }).fill_(0.1).toArray()).toEqual([0.10009765625, 0.10009765625]);
    expect(() => tensor(new Uint16Array(2), { dtype: 'float32' })).toThrow(DTypeError);
  });

  it('computes in float32 and rounds back, with half gradients', () => {
    const x = tensor([1, 2, 3], { dtype: 'bfloat16', requiresGrad: true });
    const y = x.mul(x).div(3);
    expect(y.dtype).toBe('bfloat16');
    y.sum().backward();
    expect(x.grad?.dtype).toBe('bfloat16');
    // d/dx x^2/3 = 2x/3, each op rounded to bfloat16
    expect(x.grad?.toArray()).toEqual([0.66796875, 1.3359375, 2]);
    expect(x.to('float32').dtype).toBe('float32');
    expect(tensor([1], { dtype: 'float16' }).add(tensor([1], { dtype: 'float32' })).dtype).toBe('float32');
  });
});

describe('half backward and special paths', () => {
  it('backward of ops that read saved values sees decoded numbers (norm, maximum, max with indices)', () => {
    const xs = [-3, 1.5, -0.25, 2];
    const h = tensor(xs, { dtype: 'float16', requiresGrad: true });
    h.norm(1).backward();
    expect(h.grad?.toArray()).toEqual([-1, 1, -1, 1]);
    const a = tensor(xs, { dtype: 'bfloat16', requiresGrad: true });
    const b = tensor([0, 0, 0, 0], { dtype: 'bfloat16' });
    maximum(a, b).sum().backward();
    expect(a.grad?.toArray()).toEqual([0, 1, 0, 1]);
    const { values, indices } = tensor([[-3, -1, -2]], { dtype: 'float16' }).maxWithIndices(1);
    expect(values.toArray()).toEqual([-1]);
    expect(indices.toArray()).toEqual([1]);
  });

  it('gives gradients of gradients in the half dtype', () => {
    const x = tensor([0.5, -1.25], { dtype: 'float16' });
    const f = (t: Tensor) => t.mul(t).mul(t).sum();
    const d1 = grad(f)(x);
    expect(d1.dtype).toBe('float16');
    expect(d1.toArray()).toEqual([0.75, 4.6875]); // 3x^2
    const d2 = grad((t: Tensor) => grad(f)(t).sum())(x);
    expect(d2.dtype).toBe('float16');
    expect(d2.toArray()).toEqual([3, -7.5]); // 6x
  });

  it('rejects half dtypes in random creation with a DTypeError', () => {
    expect(() => randn([2], { dtype: 'float16' })).toThrow(DTypeError);
    expect(() => randn([2], { dtype: 'float16' })).toThrow(/randn: dtype float16 is a storage type/);
  });

  it('reports NaN in half outputs under detectAnomaly', () => {
    const x = tensor([-1], { dtype: 'bfloat16' });
    expect(() => detectAnomaly(() => x.log())).toThrow(/NaN/);
  });
});

describe('half creation', () => {
  it('arange, linspace, eye, full, ones and onesLike store bit patterns', () => {
    expect(arange(0, 2, 0.5, { dtype: 'float16' }).toArray()).toEqual([0, 0.5, 1, 1.5]);
    expect(linspace(0, 1, 5, { dtype: 'bfloat16' }).toArray()).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(eye(2, 2, { dtype: 'float16' }).toArray()).toEqual([
      [1, 0],
      [0, 1],
    ]);
    // 0.1 as bfloat16 is 0x3dcd = 0.10009765625 (PyTorch: torch.tensor(0.1).bfloat16())
    expect([...full([2], 0.1, { dtype: 'bfloat16' }).values]).toEqual([0x3dcd, 0x3dcd]);
    expect(ones([2], { dtype: 'float16' }).values[0]).toBe(0x3c00);
    expect(onesLike(tensor([5], { dtype: 'bfloat16' })).values[0]).toBe(0x3f80);
  });

  it('in-place ops and copy_ round into the half tensor', () => {
    const h = zeros([3], { dtype: 'float16' });
    h.copy_(tensor([1, 2, 70000]));
    expect(h.toArray()).toEqual([1, 2, Number.POSITIVE_INFINITY]);
    h.add_(0.5);
    expect(h.toArray()).toEqual([1.5, 2.5, Number.POSITIVE_INFINITY]);
    expect(h.clone().dtype).toBe('float16');
    expect(h.reshape([3, 1]).toArray()).toEqual([[1.5], [2.5], [Number.POSITIVE_INFINITY]]);
  });
});

describe('half printing', () => {
  it('prints the decoded values like PyTorch', () => {
    // torch.tensor([1.5, -2.0, 0.1]).to(torch.bfloat16) prints tensor([ 1.5000, -2.0000,  0.1001], dtype=torch.bfloat16)
    expect(tensor([1.5, -2, 0.1], { dtype: 'bfloat16' }).toString()).toBe(
      'tensor([ 1.5000, -2.0000,  0.1001], dtype=bfloat16)',
    );
  });
});
