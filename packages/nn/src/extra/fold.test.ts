import {
  arange,
  cast,
  DTypeError,
  Generator,
  gradcheck,
  gradgradcheck,
  gradients,
  ones,
  randn,
  ShapeError,
  type Tensor,
  tensor,
  ValueError,
  zeros,
} from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { Fold, Unfold } from './fold-layers';
import { type FoldOptions, fold, type UnfoldOptions, unfold } from './fold-ops';

type Pair = [number, number];
const pair = (v: number | readonly number[] | undefined, d: number): Pair =>
  v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : [v[0], v[1]];

interface Geo {
  k: Pair;
  d: Pair;
  p: Pair;
  s: Pair;
  bh: number;
  bw: number;
}

function geo(h: number, w: number, o: UnfoldOptions): Geo {
  const k = pair(o.kernelSize as number | number[], 1);
  const d = pair(o.dilation as number | number[] | undefined, 1);
  const p = pair(o.padding as number | number[] | undefined, 0);
  const s = pair(o.stride as number | number[] | undefined, 1);
  const along = (n: number, i: 0 | 1) => Math.floor((n + 2 * p[i] - d[i] * (k[i] - 1) - 1) / s[i]) + 1;
  return { k, d, p, s, bh: along(h, 0), bw: along(w, 1) };
}

/** A plain-loop im2col of a [N, C, H, W] array, written independently of the implementation. */
function referenceUnfold(x: number[][][][], o: UnfoldOptions): number[][][] {
  const [h, w] = [x[0][0].length, x[0][0][0].length];
  const g = geo(h, w, o);
  return x.map((img) => {
    const rows: number[][] = [];
    for (const plane of img)
      for (let i = 0; i < g.k[0]; i++)
        for (let j = 0; j < g.k[1]; j++) {
          const row: number[] = [];
          for (let by = 0; by < g.bh; by++)
            for (let bx = 0; bx < g.bw; bx++) {
              const y = by * g.s[0] + i * g.d[0] - g.p[0];
              const xx = bx * g.s[1] + j * g.d[1] - g.p[1];
              row.push(y >= 0 && y < h && xx >= 0 && xx < w ? plane[y][xx] : 0);
            }
          rows.push(row);
        }
    return rows;
  });
}

/** How many taps of how many blocks cover each pixel of an H x W image. */
function coverCount(h: number, w: number, o: UnfoldOptions): number[][] {
  const g = geo(h, w, o);
  const count = Array.from({ length: h }, () => new Array<number>(w).fill(0));
  for (let by = 0; by < g.bh; by++)
    for (let bx = 0; bx < g.bw; bx++)
      for (let i = 0; i < g.k[0]; i++)
        for (let j = 0; j < g.k[1]; j++) {
          const y = by * g.s[0] + i * g.d[0] - g.p[0];
          const x = bx * g.s[1] + j * g.d[1] - g.p[1];
          if (y >= 0 && y < h && x >= 0 && x < w) count[y][x]++;
        }
  return count;
}

function expectClose(actual: Tensor, expected: Tensor | number[], tol = 1e-12): void {
  const a = actual.values;
  const b = Array.isArray(expected) ? expected : Array.from(expected.values);
  expect(a.length).toBe(b.length);
  for (let i = 0; i < b.length; i++)
    expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b[i])));
}

const CONFIGS: { shape: number[]; o: UnfoldOptions }[] = [
  { shape: [2, 3, 4, 5], o: { kernelSize: 2 } },
  { shape: [1, 2, 5, 7], o: { kernelSize: [2, 3], stride: [2, 1] } },
  { shape: [2, 2, 6, 5], o: { kernelSize: 3, dilation: [2, 1], padding: [1, 2] } },
  { shape: [1, 3, 7, 6], o: { kernelSize: [3, 2], dilation: 2, padding: 1, stride: [2, 3] } },
  { shape: [1, 1, 3, 3], o: { kernelSize: 5, padding: 2, stride: 4 } },
  { shape: [2, 1, 4, 4], o: { kernelSize: 1, stride: 3 } },
];

describe('unfold', () => {
  it("orders the rows channel, then tap (row-major), and the blocks row-major, as PyTorch's im2col", () => {
    const x = arange(0, 18, 1, { dtype: 'float64' }).reshape([1, 2, 3, 3]);
    expect(unfold(x, { kernelSize: 2 }).toArray()).toEqual([
      [
        [0, 1, 3, 4],
        [1, 2, 4, 5],
        [3, 4, 6, 7],
        [4, 5, 7, 8],
        [9, 10, 12, 13],
        [10, 11, 13, 14],
        [12, 13, 15, 16],
        [13, 14, 16, 17],
      ],
    ]);
  });

  it('matches a plain-loop im2col for kernel, dilation, padding and stride combinations', () => {
    CONFIGS.forEach(({ shape, o }, i) => {
      const x = randn(shape, { dtype: 'float64', generator: new Generator(i) });
      const want = referenceUnfold(x.toArray() as number[][][][], o);
      const out = unfold(x, o);
      expect(out.shape).toEqual([shape[0], want[0].length, want[0][0].length]);
      expect(out.toArray()).toEqual(want);
    });
  });

  it('takes an unbatched [C, H, W] input to [C·kh·kw, L], and an empty batch to an empty batch', () => {
    const x = randn([3, 5, 4], { dtype: 'float64', generator: new Generator(7) });
    const o: UnfoldOptions = { kernelSize: [2, 3], padding: 1 };
    const out = unfold(x, o);
    expect(out.shape).toEqual([18, 24]);
    expect(out.toArray()).toEqual(
      unfold(x.reshape([1, 3, 5, 4]), o)
        .reshape([18, 24])
        .toArray(),
    );
    expect(unfold(zeros([0, 2, 4, 4]), { kernelSize: 3 }).shape).toEqual([0, 18, 4]);
  });

  it('keeps the dtype, float32 and the 16-bit storage types', () => {
    const x = randn([1, 2, 4, 4], { generator: new Generator(3) });
    expect(unfold(x, { kernelSize: 2, padding: 1 }).dtype).toBe('float32');
    for (const dtype of ['float16', 'bfloat16'] as const) {
      const h = cast(x, dtype);
      const out = unfold(h, { kernelSize: 2, padding: 1 });
      expect(out.dtype).toBe(dtype);
      expect(out.toArray()).toEqual(cast(unfold(cast(h, 'float32'), { kernelSize: 2, padding: 1 }), dtype).toArray());
    }
  });

  it('rejects bad inputs and options with errors naming unfold and the argument', () => {
    const x = zeros([1, 2, 4, 5]);
    expect(() => unfold('x' as unknown as Tensor, { kernelSize: 2 })).toThrow(/unfold: input must be a Tensor/);
    expect(() => unfold(zeros([4, 5]), { kernelSize: 2 })).toThrow(ShapeError);
    expect(() => unfold(zeros([1, 1, 4, 5, 6]), { kernelSize: 2 })).toThrow(
      /unfold: input must be a 3-D.*\[1,1,4,5,6\]/,
    );
    expect(() => unfold(zeros([1, 2, 4, 5], { dtype: 'int32' }), { kernelSize: 2 })).toThrow(DTypeError);
    expect(() => unfold(zeros([1, 0, 4, 5]), { kernelSize: 1 })).toThrow(/unfold: input may only have a zero batch/);
    expect(() => unfold(zeros([0, 4, 5]), { kernelSize: 1 })).toThrow(ShapeError);
    expect(() => unfold(x, { kernelSize: 0 })).toThrow(/unfold: kernelSize must be an integer >= 1/);
    expect(() => unfold(x, { kernelSize: [2, 2, 2] as unknown as [number, number] })).toThrow(/unfold: kernelSize/);
    expect(() => unfold(x, { kernelSize: 1.5 })).toThrow(ValueError);
    expect(() => unfold(x, {} as UnfoldOptions)).toThrow(/unfold: kernelSize .*undefined/);
    expect(() => unfold(x, undefined as unknown as UnfoldOptions)).toThrow(/unfold: options with a kernelSize/);
    expect(() => unfold(x, 2 as unknown as UnfoldOptions)).toThrow(/unfold: expected an options object/);
    expect(() => unfold(x, { kernelSize: 2, dilation: 0 })).toThrow(/unfold: dilation must be an integer >= 1/);
    expect(() => unfold(x, { kernelSize: 2, padding: -1 })).toThrow(/unfold: padding must be an integer >= 0/);
    expect(() => unfold(x, { kernelSize: 2, stride: [1, 0] })).toThrow(/unfold: stride/);
    expect(() => unfold(x, { kernelSize: 2, kernel_size: 2 } as UnfoldOptions)).toThrow(
      /unfold: unknown option "kernel_size"/,
    );
    expect(() => unfold(x, { kernelSize: 5 })).toThrow(/unfold: the blocks .* do not fit .*\[4,5\].*\[0,1\]/);
    expect(() => unfold(x, { kernelSize: 3, dilation: 2, stride: 2 })).toThrow(ShapeError);
    expect(unfold(x, { kernelSize: 3, dilation: 2, padding: 1 }).shape).toEqual([1, 18, 6]);
  });
});

describe('fold', () => {
  it('sums overlapping blocks: fold(unfold(x)) is x times the number of taps covering each pixel', () => {
    CONFIGS.forEach(({ shape, o }, i) => {
      const x = randn(shape, { dtype: 'float64', generator: new Generator(10 + i) });
      const [h, w] = shape.slice(2);
      const back = fold(unfold(x, o), { ...o, outputSize: [h, w] });
      expect(back.shape).toEqual(shape);
      const count = tensor(coverCount(h, w, o), { dtype: 'float64' });
      expectClose(back, x.mul(count));
      if (i === 0)
        expect(count.toArray()).toEqual([
          [1, 2, 2, 2, 1],
          [2, 4, 4, 4, 2],
          [2, 4, 4, 4, 2],
          [1, 2, 2, 2, 1],
        ]);
    });
  });

  it('is the adjoint of unfold: <unfold(x), y> = <x, fold(y)>', () => {
    CONFIGS.forEach(({ shape, o }, i) => {
      const x = randn(shape, { dtype: 'float64', generator: new Generator(20 + i) });
      const cols = unfold(x, o);
      const y = randn(cols.shape, { dtype: 'float64', generator: new Generator(40 + i) });
      const lhs = cols.mul(y).sum().item();
      const rhs = x
        .mul(fold(y, { ...o, outputSize: [shape[2], shape[3]] }))
        .sum()
        .item();
      expect(Math.abs(lhs - rhs)).toBeLessThan(1e-10 * Math.max(1, Math.abs(lhs)));
    });
  });

  it('takes unbatched [C·kh·kw, L] and empty batches, drops entries in the padding, and keeps 16-bit dtypes', () => {
    const cols = randn([12, 12], { dtype: 'float64', generator: new Generator(5) });
    const o: FoldOptions = { outputSize: [4, 5], kernelSize: 2 };
    expect(fold(cols, o).shape).toEqual([3, 4, 5]);
    expect(fold(cols, o).toArray()).toEqual(
      fold(cols.reshape([1, 12, 12]), o)
        .reshape([3, 4, 5])
        .toArray(),
    );
    expect(fold(zeros([0, 12, 12]), o).shape).toEqual([0, 3, 4, 5]);
    // 1x1 blocks with padding 1 over a 1x2 image: 3x4 blocks, only the two inside land.
    const edge = fold(arange(0, 12, 1, { dtype: 'float64' }).reshape([1, 1, 12]), {
      outputSize: [1, 2],
      kernelSize: 1,
      padding: 1,
    });
    expect(edge.toArray()).toEqual([[[[5, 6]]]]);
    expect(fold(ones([1, 4, 4]), { outputSize: 3, kernelSize: 2 }).toArray()).toEqual([
      [
        [
          [1, 2, 1],
          [2, 4, 2],
          [1, 2, 1],
        ],
      ],
    ]);
    const h = cast(ones([1, 4, 4]), 'bfloat16');
    const out = fold(h, { outputSize: 3, kernelSize: 2 });
    expect(out.dtype).toBe('bfloat16');
    expect(out.toArray()).toEqual([
      [
        [
          [1, 2, 1],
          [2, 4, 2],
          [1, 2, 1],
        ],
      ],
    ]);
  });

  it('rejects bad inputs and options with errors naming fold and the argument', () => {
    const c = zeros([2, 12, 12]);
    const o: FoldOptions = { outputSize: [4, 5], kernelSize: 2 };
    expect(() => fold(null as unknown as Tensor, o)).toThrow(/fold: input must be a Tensor, got null/);
    expect(() => fold(zeros([12]), o)).toThrow(/fold: input must be a 2-D .* got shape \[12\]/);
    expect(() => fold(zeros([1, 2, 12, 12]), o)).toThrow(ShapeError);
    expect(() => fold(zeros([2, 12, 12], { dtype: 'int32' }), o)).toThrow(/fold: input must be a floating-point/);
    expect(() => fold(zeros([2, 12, 0]), o)).toThrow(/fold: input may only have a zero batch/);
    expect(() => fold(zeros([2, 10, 12]), o)).toThrow(
      /fold: input's dim 1 \(size 10\) must be divisible by the 4 = 2·2 taps/,
    );
    expect(() => fold(zeros([10, 12]), o)).toThrow(/fold: input's dim 0 \(size 10\)/);
    expect(() => fold(c, { ...o, outputSize: [4, 6] })).toThrow(/fold: input's last dim L = 12 must equal .* 3·5 = 15/);
    expect(() => fold(c, { ...o, outputSize: 4 })).toThrow(/3·3 = 9/);
    expect(() => fold(zeros([1, 4, 1]), { outputSize: 1, kernelSize: 2 })).toThrow(
      /fold: .*none \(the blocks do not fit\)/,
    );
    expect(() => fold(c, { ...o, outputSize: 0 })).toThrow(/fold: outputSize must be an integer >= 1/);
    expect(() => fold(c, { ...o, outputSize: [4, 5, 6] as unknown as [number, number] })).toThrow(/fold: outputSize/);
    expect(() => fold(c, { kernelSize: 2 } as FoldOptions)).toThrow(/fold: outputSize/);
    expect(() => fold(c, { outputSize: [4, 5] } as unknown as FoldOptions)).toThrow(/fold: kernelSize/);
    expect(() => fold(c, { ...o, stride: 0 })).toThrow(/fold: stride must be an integer >= 1/);
    expect(() => fold(c, { ...o, padding: [0, -2] })).toThrow(/fold: padding/);
    expect(() => fold(c, { ...o, output_size: [4, 5] } as FoldOptions)).toThrow(/fold: unknown option "output_size"/);
    expect(() => fold(c, undefined as unknown as FoldOptions)).toThrow(/fold: options with an outputSize/);
  });
});

describe('unfold and fold: gradients', () => {
  it("unfold's gradient is fold of the upstream and fold's is unfold of the upstream", () => {
    const o: UnfoldOptions = { kernelSize: [3, 2], dilation: [1, 2], padding: 1, stride: [2, 1] };
    const x = randn([2, 2, 5, 6], { dtype: 'float64', generator: new Generator(1), requiresGrad: true });
    const cols = unfold(x, o);
    const up = randn(cols.shape, { dtype: 'float64', generator: new Generator(2) });
    const [gx] = gradients([cols], [x], [up]);
    expectClose(gx as Tensor, fold(up, { ...o, outputSize: [5, 6] }));
    const c = randn(cols.shape, { dtype: 'float64', generator: new Generator(3), requiresGrad: true });
    const img = fold(c, { ...o, outputSize: [5, 6] });
    const up2 = randn(img.shape, { dtype: 'float64', generator: new Generator(4) });
    const [gc] = gradients([img], [c], [up2]);
    expectClose(gc as Tensor, unfold(up2, o));
  });

  it('pass gradcheck and gradgradcheck in float64 (through a square, so second derivatives are not zero)', () => {
    const cases: { shape: number[]; o: UnfoldOptions }[] = [
      { shape: [1, 2, 4, 5], o: { kernelSize: [2, 3], padding: [1, 0], stride: [1, 2] } },
      { shape: [3, 5, 4], o: { kernelSize: 2, dilation: 2, padding: 1, stride: 2 } },
    ];
    cases.forEach(({ shape, o }, i) => {
      const [h, w] = shape.slice(-2);
      const x = randn(shape, { dtype: 'float64', generator: new Generator(60 + i), requiresGrad: true });
      expect(gradcheck((t) => unfold(t, o), [x])).toBe(true);
      expect(gradgradcheck((t) => unfold(t, o).square(), [x])).toBe(true);
      const colsShape = unfold(x, o).shape;
      const c = randn(colsShape, { dtype: 'float64', generator: new Generator(70 + i), requiresGrad: true });
      const fo: FoldOptions = { ...o, outputSize: [h, w] };
      expect(gradcheck((t) => fold(t, fo), [c])).toBe(true);
      expect(gradgradcheck((t) => fold(t, fo).square(), [c])).toBe(true);
      expect(gradgradcheck((t) => fold(unfold(t, o).square(), fo), [x])).toBe(true);
    });
  });
});

describe('Unfold and Fold modules', () => {
  it('apply the functions with their options and print them', () => {
    const x = randn([2, 3, 5, 6], { dtype: 'float64', generator: new Generator(9) });
    const u = new Unfold([2, 3], { dilation: [2, 1], padding: 1, stride: 2 });
    const cols = u.forward(x);
    expect(cols.toArray()).toEqual(
      unfold(x, { kernelSize: [2, 3], dilation: [2, 1], padding: 1, stride: 2 }).toArray(),
    );
    expect(String(u)).toBe('Unfold(kernelSize=[2,3], dilation=[2,1], padding=1, stride=2)');
    const f = new Fold([5, 6], [2, 3], { dilation: [2, 1], padding: 1, stride: 2 });
    expect(f.forward(cols).toArray()).toEqual(
      fold(cols, { outputSize: [5, 6], kernelSize: [2, 3], dilation: [2, 1], padding: 1, stride: 2 }).toArray(),
    );
    expect(String(f)).toBe('Fold(outputSize=[5,6], kernelSize=[2,3], dilation=[2,1], padding=1, stride=2)');
    expect(new Fold(4, 2).extraRepr()).toBe('outputSize=4, kernelSize=2, dilation=1, padding=0, stride=1');
    expect(new Unfold(3).parameters()).toEqual([]);
  });

  it('keep a copy of the pairs they were given', () => {
    const k: [number, number] = [2, 2];
    const u = new Unfold(k);
    k[0] = 9;
    expect(u.forward(zeros([1, 1, 3, 3])).shape).toEqual([1, 4, 4]);
  });

  it('check their options when built, naming the module, and the input when run', () => {
    expect(() => new Unfold(0)).toThrow(/Unfold: kernelSize must be an integer >= 1/);
    expect(() => new Unfold(2, { padding: -1 })).toThrow(/Unfold: padding/);
    expect(() => new Unfold(2, { kernelSize: 2 } as object)).toThrow(/Unfold: unknown option "kernelSize"/);
    expect(() => new Fold([4, 0], 2)).toThrow(/Fold: outputSize must be an integer >= 1/);
    expect(() => new Fold(4, 2, { dilation: 0 })).toThrow(/Fold: dilation/);
    expect(() => new Unfold(2).forward(3 as unknown as Tensor)).toThrow(/Unfold: input must be a Tensor/);
    expect(() => new Unfold(4).forward(zeros([1, 1, 3, 3]))).toThrow(/unfold: the blocks/);
    expect(() => new Fold(4, 2).forward(zeros([1, 4, 8]))).toThrow(/fold: input's last dim L = 8/);
  });
});
