import { describe, expect, it } from 'vitest';
import { arange, formatTensor, full, tensor, zeros } from './index';
import { Tensor } from './tensor';

// Expected strings are PyTorch 1.13's repr of the same tensor, with nabla's spellings for the
// suffixes (dtype=float64, requiresGrad=true instead of dtype=torch.float64, requires_grad=True).

function range(n: number, dtype: 'float32' | 'float64' | 'int32' = 'float32'): Tensor {
  const data = dtype === 'int32' ? new Int32Array(n) : dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = i;
  return new Tensor(data, [n], dtype);
}

describe('formatTensor', () => {
  it('prints integer-valued floats with a trailing dot', () => {
    expect(formatTensor(tensor([1, 2, 3]))).toBe('tensor([1., 2., 3.])');
    expect(formatTensor(tensor([-1, 2]))).toBe('tensor([-1.,  2.])');
    expect(formatTensor(tensor([0, 1, 10]))).toBe('tensor([ 0.,  1., 10.])');
  });

  it('prints non-integer floats with 4 decimals, right-aligned to a common width', () => {
    expect(
      formatTensor(
        tensor([
          [0.1, -2.5],
          [3, 4],
        ]),
      ),
    ).toBe('tensor([[ 0.1000, -2.5000],\n        [ 3.0000,  4.0000]])');
    expect(formatTensor(tensor([1.5, -0.25, 100]))).toBe('tensor([  1.5000,  -0.2500, 100.0000])');
  });

  it('prints 0-d tensors without brackets', () => {
    expect(formatTensor(tensor(3))).toBe('tensor(3.)');
    expect(formatTensor(tensor(-0.5))).toBe('tensor(-0.5000)');
    expect(formatTensor(tensor(7, { dtype: 'int32' }))).toBe('tensor(7, dtype=int32)');
  });

  it('switches to scientific notation for wide ranges, huge or tiny values', () => {
    expect(formatTensor(tensor([1e8, 1]))).toBe('tensor([1.0000e+08, 1.0000e+00])');
    expect(formatTensor(tensor([2e9], { dtype: 'float64' }))).toBe('tensor([2.0000e+09], dtype=float64)');
    expect(formatTensor(tensor([1e-5, 1], { dtype: 'float64' }))).toBe(
      'tensor([1.0000e-05, 1.0000e+00], dtype=float64)',
    );
    expect(formatTensor(tensor([-1e-5, 1], { dtype: 'float64' }))).toBe(
      'tensor([-1.0000e-05,  1.0000e+00], dtype=float64)',
    );
    expect(formatTensor(tensor([0.5, 1000], { dtype: 'float64' }))).toBe(
      'tensor([5.0000e-01, 1.0000e+03], dtype=float64)',
    );
    // 1000x exactly is not "more than 1000x": stays fixed-point
    expect(formatTensor(tensor([1, 1000]))).toBe('tensor([   1., 1000.])');
  });

  it('rounds exact ties half to even like Python (not like Number.prototype.toFixed)', () => {
    // 0.03125 and 0.09375 are exact binary fractions sitting on a 4-decimal tie
    expect(formatTensor(tensor([0.03125, 0.09375, 0.5]))).toBe('tensor([0.0312, 0.0938, 0.5000])');
    expect(formatTensor(tensor([-0.03125, 1]))).toBe('tensor([-0.0312,  1.0000])');
    // 1.23445e8 is an exact integer: its 5-significant-digit tie rounds to the even 1.2344
    expect(formatTensor(tensor([123445000, 1], { dtype: 'float64' }))).toBe(
      'tensor([1.2344e+08, 1.0000e+00], dtype=float64)',
    );
    // rounding that carries into a new leading digit bumps the exponent
    expect(formatTensor(tensor([9.99996e-5, 1], { dtype: 'float64' }))).toBe(
      'tensor([1.0000e-04, 1.0000e+00], dtype=float64)',
    );
  });

  it('prints float32 values through their exact float32 value', () => {
    // Math.fround(0.1) = 0.100000001490116..., still 0.1000
    expect(formatTensor(tensor([0.1, 0.2]))).toBe('tensor([0.1000, 0.2000])');
    expect(formatTensor(tensor([1 / 3], { dtype: 'float64' }))).toBe('tensor([0.3333], dtype=float64)');
  });

  it('prints int32 tensors as plain integers with a dtype suffix', () => {
    expect(
      formatTensor(
        tensor(
          [
            [1, -20],
            [300, 4],
          ],
          { dtype: 'int32' },
        ),
      ),
    ).toBe('tensor([[  1, -20],\n        [300,   4]], dtype=int32)');
  });

  it('prints non-finite values and ignores them (and zeros) when choosing the format', () => {
    expect(formatTensor(tensor([1, Number.POSITIVE_INFINITY, Number.NaN]))).toBe('tensor([1., inf, nan])');
    expect(formatTensor(tensor([Number.NEGATIVE_INFINITY, 0.5]))).toBe('tensor([  -inf, 0.5000])');
    expect(formatTensor(zeros([2, 3]))).toBe('tensor([[0., 0., 0.],\n        [0., 0., 0.]])');
    expect(formatTensor(tensor([-0, 1]))).toBe('tensor([-0., 1.])');
  });

  it('separates blocks of 3-D tensors with blank lines', () => {
    const t = tensor([0, 1, 2, 3, 4, 5, 6, 7], { shape: [2, 2, 2] });
    expect(formatTensor(t)).toBe('tensor([[[0., 1.],\n         [2., 3.]],\n\n        [[4., 5.],\n         [6., 7.]]])');
  });

  it('wraps long vectors at 80 characters', () => {
    expect(formatTensor(range(30))).toBe(
      'tensor([ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11., 12., 13.,\n' +
        '        14., 15., 16., 17., 18., 19., 20., 21., 22., 23., 24., 25., 26., 27.,\n' +
        '        28., 29.])',
    );
  });

  it('summarises tensors of more than 1000 elements with the first and last 3 along each dim', () => {
    expect(formatTensor(range(2000))).toBe(
      'tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n        1.9990e+03])',
    );
    expect(formatTensor(range(1001, 'int32'))).toBe('tensor([   0,    1,    2,  ...,  998,  999, 1000], dtype=int32)');
    // exactly 1000 elements are all printed
    expect(formatTensor(zeros([1000])).split(',').length).toBe(1000);
    const row = '[0., 0., 0.,  ..., 0., 0., 0.]';
    expect(formatTensor(zeros([40, 40]))).toBe(
      `tensor([${row},\n        ${row},\n        ${row},\n        ...,\n        ${row},\n        ${row},\n        ${row}])`,
    );
  });

  it('decides the format only from the printed values of a summarised tensor', () => {
    // the hidden middle holds 0.5, which would force 4 decimals if it were considered
    const t = full([1001], 1);
    t.data[500] = 0.5;
    expect(formatTensor(t)).toBe('tensor([1., 1., 1.,  ..., 1., 1., 1.])');
  });

  it('appends dtype for float64 and int32 but not for the default float32', () => {
    expect(formatTensor(tensor([1, 2], { dtype: 'float64' }))).toBe('tensor([1., 2.], dtype=float64)');
    expect(formatTensor(tensor([1, 2], { dtype: 'float32' }))).toBe('tensor([1., 2.])');
  });

  it('marks leaves that require gradients and names the op of results', () => {
    expect(formatTensor(tensor([1, 2], { requiresGrad: true }))).toBe('tensor([1., 2.], requiresGrad=true)');
    expect(formatTensor(tensor([1, 2], { dtype: 'float64', requiresGrad: true }))).toBe(
      'tensor([1., 2.], dtype=float64, requiresGrad=true)',
    );
    const x = tensor([1, 2], { requiresGrad: true });
    expect(formatTensor(x.mul(2))).toBe('tensor([2., 4.], gradFn=<mul>)');
  });

  it('moves suffixes to a new line when the last line would pass 80 characters', () => {
    const t = arange(0, 14, 1, { dtype: 'float64' });
    // 'tensor([ 0., ..., 13.]' is 77 characters, so ', dtype=float64' would pass 80
    expect(formatTensor(t)).toBe(
      'tensor([ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11., 12., 13.],\n       dtype=float64)',
    );
  });

  it('prints empty tensors, with their shape when not 1-D', () => {
    expect(formatTensor(zeros([0]))).toBe('tensor([])');
    expect(formatTensor(zeros([2, 0], { dtype: 'float64' }))).toBe('tensor([], shape=[2, 0], dtype=float64)');
  });

  it('is what String() and toString() return', () => {
    expect(String(tensor([1, 2]))).toBe('tensor([1., 2.])');
  });
});
