import { describe, expect, it } from 'vitest';
import type { TypedArray } from '../dtype';
import {
  dot,
  Generator,
  gradcheck,
  gradgradcheck,
  matmul,
  outer,
  randn,
  ShapeError,
  type Tensor,
  tensor,
  ValueError,
  zeros,
} from '../index';
import { matmulKernel } from '../kernels/cpu/matmul';
import { matmulTransposed } from './matmul';

function random(size: number, rng: Generator, kind: 'float32' | 'float64'): TypedArray {
  const data = kind === 'float32' ? new Float32Array(size) : new Float64Array(size);
  for (let i = 0; i < size; i++) data[i] = rng.normal();
  return data;
}

/** op(A)·op(B) by the textbook triple loop, in doubles, with |op(A)|·|op(B)| for tolerances. */
function naiveProduct(a: TypedArray, b: TypedArray, m: number, k: number, n: number, transA: boolean, transB: boolean) {
  const c = new Float64Array(m * n);
  const scale = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      let t = 0;
      for (let p = 0; p < k; p++) {
        const av = transA ? a[p * m + i] : a[i * k + p];
        const bv = transB ? b[j * k + p] : b[p * n + j];
        s += av * bv;
        t += Math.abs(av * bv);
      }
      c[i * n + j] = s;
      scale[i * n + j] = t;
    }
  return { c, scale };
}

function randomTensor(shape: number[], seed: number): Tensor {
  return randn(shape, { dtype: 'float64', generator: new Generator(seed), requiresGrad: true });
}

describe('matmulKernel', () => {
  const sizes: [number, number, number][] = [
    [1, 1, 1],
    [1, 7, 33],
    [7, 1, 5],
    [7, 33, 65],
    [33, 65, 7],
    [65, 129, 33],
    [129, 7, 65],
    [5, 300, 9],
    [66, 257, 130],
    [9, 20, 530],
  ];
  for (const kind of ['float64', 'float32'] as const) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        it(`matches the triple loop for ${kind}, transA=${transA}, transB=${transB}`, () => {
          const rng = new Generator(42);
          for (const [m, k, n] of sizes) {
            const a = random(m * k, rng, kind);
            const b = random(k * n, rng, kind);
            const out = kind === 'float32' ? new Float32Array(m * n + 5) : new Float64Array(m * n + 5);
            out.fill(7);
            matmulKernel(a, 0, b, 0, out, 2, m, k, n, transA, transB, false);
            const { c, scale } = naiveProduct(a, b, m, k, n, transA, transB);
            const tol = kind === 'float32' ? 1e-6 : 1e-13;
            for (let i = 0; i < m * n; i++) {
              const err = Math.abs(out[i + 2] - c[i]);
              if (!(err <= tol * (scale[i] + 1)))
                throw new Error(`[${m},${k},${n}] element ${i}: got ${out[i + 2]}, expected ${c[i]}`);
            }
            expect([out[0], out[1], out[m * n + 2], out[m * n + 4]]).toEqual([7, 7, 7, 7]);
          }
        });
      }
    }
  }

  it('adds into the output when accumulating and reads operands at offsets', () => {
    const rng = new Generator(3);
    for (const [m, k, n] of [
      [3, 4, 5],
      [40, 300, 41],
    ]) {
      const a = random(m * k + 3, rng, 'float64');
      const b = random(k * n + 1, rng, 'float64');
      const out = random(m * n, rng, 'float64');
      const before = out.slice();
      matmulKernel(a, 3, b, 1, out, 0, m, k, n, false, false, true);
      const { c } = naiveProduct(a.subarray(3), b.subarray(1), m, k, n, false, false);
      for (let i = 0; i < m * n; i++) expect(out[i]).toBeCloseTo(before[i] + c[i], 10);
    }
  });

  it('treats an empty inner dimension as a sum of nothing', () => {
    const out = new Float64Array([1, 2, 3, 4]);
    matmulKernel(new Float64Array(0), 0, new Float64Array(0), 0, out, 0, 2, 0, 2, false, false, false);
    expect([...out]).toEqual([0, 0, 0, 0]);
  });
});

describe('matmul', () => {
  it('multiplies matrices, vectors and batches with PyTorch shapes and values', () => {
    expect(
      matmul(
        tensor([
          [1, 2],
          [3, 4],
        ]),
        tensor([
          [5, 6],
          [7, 8],
        ]),
      ).toArray(),
    ).toEqual([
      [19, 22],
      [43, 50],
    ]);
    const dotResult = matmul(tensor([1, 2, 3]), tensor([4, 5, 6]));
    expect(dotResult.shape).toEqual([]);
    expect(dotResult.item()).toBe(32);
    expect(
      matmul(
        tensor([1, 2]),
        tensor([
          [1, 2, 3],
          [4, 5, 6],
        ]),
      ).toArray(),
    ).toEqual([9, 12, 15]);
    expect(
      matmul(
        tensor([
          [1, 2, 3],
          [4, 5, 6],
        ]),
        tensor([1, 0, -1]),
      ).toArray(),
    ).toEqual([-2, -2]);
    const batched = matmul(
      tensor([
        [
          [1, 0],
          [0, 1],
        ],
        [
          [2, 0],
          [0, 2],
        ],
      ]),
      tensor([
        [1, 2],
        [3, 4],
      ]),
    );
    expect(batched.toArray()).toEqual([
      [
        [1, 2],
        [3, 4],
      ],
      [
        [2, 4],
        [6, 8],
      ],
    ]);
    expect(matmul(tensor([1, 1]), zeros([3, 2, 4])).shape).toEqual([3, 4]);
    expect(matmul(zeros([3, 2, 4]), tensor([1, 1, 1, 1])).shape).toEqual([3, 2]);
    expect(matmul(zeros([2, 1, 3, 4]), zeros([5, 4, 2])).shape).toEqual([2, 5, 3, 2]);
  });

  it('broadcasts batch dimensions: each output matrix uses the right operands', () => {
    const a = randomTensor([2, 1, 3, 4], 1);
    const b = randomTensor([5, 4, 2], 2);
    const out = matmul(a, b);
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 5; j++) {
        const { c } = naiveProduct(
          a.data.subarray(i * 12, i * 12 + 12),
          b.data.subarray(j * 8, j * 8 + 8),
          3,
          4,
          2,
          false,
          false,
        );
        const got = out.data.subarray((i * 5 + j) * 6, (i * 5 + j) * 6 + 6);
        for (let e = 0; e < 6; e++) expect(got[e]).toBeCloseTo(c[e], 12);
      }
  });

  it('handles empty dimensions', () => {
    expect(matmul(zeros([0, 3]), zeros([3, 2])).shape).toEqual([0, 2]);
    expect(matmul(zeros([2, 0]), zeros([0, 3])).toArray()).toEqual([
      [0, 0, 0],
      [0, 0, 0],
    ]);
  });

  it('keeps int32 products in int32 and promotes mixed dtypes', () => {
    const ints = matmul(
      tensor(
        [
          [1, 2],
          [3, 4],
        ],
        { dtype: 'int32' },
      ),
      tensor([[1], [1]], { dtype: 'int32' }),
    );
    expect(ints.dtype).toBe('int32');
    expect(ints.toArray()).toEqual([[3], [7]]);
    const mixed = matmul(tensor([[1, 2]], { dtype: 'float32' }), tensor([[0.1], [0.2]], { dtype: 'float64' }));
    expect(mixed.dtype).toBe('float64');
    expect(mixed.item()).toBeCloseTo(0.5, 7);
    expect(matmul(tensor([[1, 2]], { dtype: 'int32' }), tensor([[0.5], [0.25]])).dtype).toBe('float32');
  });

  it('gives a float32 input a float32 gradient when the other operand is float64', () => {
    const a = tensor([[1, 2]], { dtype: 'float32', requiresGrad: true });
    const b = tensor([[3], [4]], { dtype: 'float64' });
    matmul(a, b).sum().backward();
    expect(a.grad?.dtype).toBe('float32');
    expect(a.grad?.toArray()).toEqual([[3, 4]]);
  });

  it('computes a large float32 product (several cache blocks) against the triple loop', () => {
    const rng = new Generator(9);
    const a = tensor(random(70 * 300, rng, 'float32'), { shape: [70, 300] });
    const b = tensor(random(300 * 90, rng, 'float32'), { shape: [300, 90] });
    const out = matmul(a, b);
    const { c, scale } = naiveProduct(a.data, b.data, 70, 300, 90, false, false);
    for (let i = 0; i < c.length; i++) expect(Math.abs(out.data[i] - c[i])).toBeLessThanOrEqual(1e-6 * (scale[i] + 1));
  });

  const cases: [string, number[], number[]][] = [
    ['2-D @ 2-D', [3, 4], [4, 5]],
    ['1-D @ 1-D', [4], [4]],
    ['1-D @ 2-D', [4], [4, 3]],
    ['2-D @ 1-D', [3, 4], [4]],
    ['batched @ batched', [2, 3, 4], [2, 4, 5]],
    ['batched @ 2-D', [2, 3, 4], [4, 2]],
    ['2-D @ batched', [3, 4], [2, 4, 2]],
    ['1-D @ batched', [4], [2, 4, 3]],
    ['batched @ 1-D', [2, 3, 4], [4]],
    ['broadcast batch', [2, 1, 3, 4], [5, 4, 2]],
  ];
  for (const [name, sa, sb] of cases) {
    it(`${name}: first and second derivatives match finite differences`, () => {
      const a = randomTensor(sa, 10);
      const b = randomTensor(sb, 11);
      expect(gradcheck(matmul, [a, b])).toBe(true);
      expect(gradgradcheck(matmul, [a, b])).toBe(true);
    });
  }

  it('does not mutate its inputs', () => {
    const a = randomTensor([3, 4], 5);
    const b = randomTensor([4, 2], 6);
    const [ca, cb] = [a.data.slice(), b.data.slice()];
    matmul(a, b).sum().backward();
    expect(a.data).toEqual(ca);
    expect(b.data).toEqual(cb);
  });

  it('throws on shapes that do not align, 0-d operands and batch dims that do not broadcast', () => {
    expect(() => matmul(zeros([2, 3]), zeros([4, 5]))).toThrow(ShapeError);
    expect(() => matmul(zeros([2, 3]), zeros([4, 5]))).toThrow('matmul: shapes [2,3] and [4,5] do not align (3 != 4)');
    expect(() => matmul(zeros([3]), zeros([4]))).toThrow(/matmul: shapes \[3\] and \[4\] do not align \(3 != 4\)/);
    expect(() => matmul(zeros([]), zeros([4]))).toThrow(/at least 1 dimension/);
    expect(() => matmul(zeros([2, 3, 4]), zeros([5, 4, 2]))).toThrow(
      /batch dimensions .* cannot be broadcast \(2 vs 5\)/,
    );
    expect(() => matmul([[1]] as unknown as Tensor, zeros([1, 1]))).toThrow(ValueError);
  });
});

describe('matmulTransposed', () => {
  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      it(`transA=${transA}, transB=${transB}: values and derivatives`, () => {
        const a = randomTensor(transA ? [2, 5, 3] : [2, 3, 5], 20);
        const b = randomTensor(transB ? [4, 5] : [5, 4], 21);
        const out = matmulTransposed(a, b, { transA, transB });
        expect(out.shape).toEqual([2, 3, 4]);
        for (let i = 0; i < 2; i++) {
          const { c } = naiveProduct(a.data.subarray(i * 15, i * 15 + 15), b.data, 3, 5, 4, transA, transB);
          for (let e = 0; e < 12; e++) expect(out.data[i * 12 + e]).toBeCloseTo(c[e], 12);
        }
        const f = (x: Tensor, y: Tensor) => matmulTransposed(x, y, { transA, transB });
        expect(gradcheck(f, [a, b])).toBe(true);
        expect(gradgradcheck(f, [a, b])).toBe(true);
      });
    }
  }

  it('names the transposed shapes when they do not align', () => {
    expect(() => matmulTransposed(zeros([2, 3]), zeros([3, 2]), { transB: true })).toThrow(
      /matmulTransposed: shapes \[2,3\] and \[3,2\]ᵀ do not align \(3 != 2\)/,
    );
    expect(() => matmulTransposed(zeros([3]), zeros([3, 3]))).toThrow(ShapeError);
  });
});

describe('dot and outer', () => {
  it('dot multiplies and sums two vectors', () => {
    expect(dot(tensor([1, 2, 3]), tensor([4, 5, 6])).item()).toBe(32);
    const a = randomTensor([5], 30);
    const b = randomTensor([5], 31);
    expect(gradcheck(dot, [a, b])).toBe(true);
    expect(gradgradcheck(dot, [a, b])).toBe(true);
  });

  it('dot rejects anything but two 1-D tensors of the same length', () => {
    expect(() => dot(zeros([2, 3]), zeros([3]))).toThrow(/dot: expected two 1-D tensors, got shapes \[2,3\] and \[3\]/);
    expect(() => dot(zeros([2]), zeros([3]))).toThrow(/dot: shapes \[2\] and \[3\] do not align \(2 != 3\)/);
  });

  it('outer builds the table of products', () => {
    expect(outer(tensor([1, 2]), tensor([3, 4, 5])).toArray()).toEqual([
      [3, 4, 5],
      [6, 8, 10],
    ]);
    const a = randomTensor([3], 32);
    const b = randomTensor([4], 33);
    expect(gradcheck(outer, [a, b])).toBe(true);
    expect(gradgradcheck(outer, [a, b])).toBe(true);
    expect(() => outer(zeros([2, 2]), zeros([2]))).toThrow(ShapeError);
  });

  it('int32 dot stays int32', () => {
    const r = dot(tensor([1, 2], { dtype: 'int32' }), tensor([3, 4], { dtype: 'int32' }));
    expect(r.dtype).toBe('int32');
    expect(r.item()).toBe(11);
  });
});
