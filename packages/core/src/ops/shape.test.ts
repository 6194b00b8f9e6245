import { describe, expect, it } from 'vitest';
import {
  AxisError,
  arange,
  broadcastTo,
  cat,
  chunk,
  concat,
  enableGrad,
  expand,
  flatten,
  Generator,
  gradcheck,
  IndexError,
  matmul,
  pad,
  permute,
  randn,
  gradgradcheck as rawGradgradcheck,
  ShapeError,
  slice,
  split,
  squeeze,
  stack,
  type Tensor,
  tensor,
  tile,
  transpose,
  unsqueeze,
  ValueError,
  zeros,
} from '../index';

// NOTE: gradcheck evaluates its function under noGrad for finite differences, so the first-order
// gradients that gradgradcheck differentiates must be recorded explicitly.
function gradgradcheck(f: (...xs: Tensor[]) => Tensor, inputs: Tensor[]): boolean {
  return rawGradgradcheck((...xs: Tensor[]) => enableGrad(() => f(...xs)), inputs);
}

function rnd(shape: number[], seed = 1, requiresGrad = true): Tensor {
  return randn(shape, { dtype: 'float64', generator: new Generator(seed), requiresGrad });
}

/** Reference permute by explicit index arithmetic (slow, obviously right). */
function naivePermute(x: Tensor, perm: number[]): number[] {
  const shape = x.shape;
  const outShape = perm.map((p) => shape[p]);
  const inStrides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
  const out: number[] = [];
  const idx = new Array<number>(outShape.length).fill(0);
  for (let k = 0; k < x.size; k++) {
    let off = 0;
    for (let i = 0; i < perm.length; i++) off += idx[i] * inStrides[perm[i]];
    out.push(x.data[off]);
    for (let d = outShape.length - 1; d >= 0; d--) {
      if (++idx[d] < outShape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

describe('expand / broadcastTo', () => {
  it('repeats size-1 dims and adds leading dims', () => {
    expect(expand(tensor([[1], [2]]), [2, 3]).toArray()).toEqual([
      [1, 1, 1],
      [2, 2, 2],
    ]);
    expect(expand(tensor([1, 2]), [2, -1]).toArray()).toEqual([
      [1, 2],
      [1, 2],
    ]);
    expect(broadcastTo(tensor([1, 2, 3]), [2, 1, 3]).toArray()).toEqual([[[1, 2, 3]], [[1, 2, 3]]]);
    expect(expand(tensor(5), [2, 2]).toArray()).toEqual([
      [5, 5],
      [5, 5],
    ]);
    const z = expand(tensor([[1, 2]]), [0, 2]);
    expect(z.shape).toEqual([0, 2]);
  });

  it('handles a middle broadcast dim and keeps int dtype', () => {
    const x = tensor([[[1, 2]], [[3, 4]]], { dtype: 'int32' });
    const y = expand(x, [2, 3, 2]);
    expect(y.dtype).toBe('int32');
    expect(y.toArray()).toEqual([
      [
        [1, 2],
        [1, 2],
        [1, 2],
      ],
      [
        [3, 4],
        [3, 4],
        [3, 4],
      ],
    ]);
  });

  it('gradients sum over the expanded dims', () => {
    gradcheck((a) => expand(a, [4, 3, 2]), [rnd([3, 1])]);
    gradcheck((a) => expand(a, [2, -1, 5]), [rnd([1, 3, 1])]);
    gradgradcheck((a) => expand(a, [3, 2]).mul(expand(a, [3, 2])), [rnd([1, 2])]);
  });

  it('rejects shapes it cannot expand to', () => {
    expect(() => expand(zeros([2, 3]), [2, 4])).toThrow(ShapeError);
    expect(() => expand(zeros([2, 3]), [3])).toThrow(/fewer than/);
    expect(() => expand(zeros([3]), [-1, 3])).toThrow(/leading/);
  });
});

describe('unsqueeze / squeeze / flatten', () => {
  it('insert and remove size-1 dims', () => {
    const x = arange(6).reshape([2, 3]);
    expect(unsqueeze(x, 0).shape).toEqual([1, 2, 3]);
    expect(unsqueeze(x, 2).shape).toEqual([2, 3, 1]);
    expect(unsqueeze(x, -1).shape).toEqual([2, 3, 1]);
    expect(unsqueeze(x, -3).shape).toEqual([1, 2, 3]);
    expect(unsqueeze(x, 1).toArray()).toEqual([[[0, 1, 2]], [[3, 4, 5]]]);
    expect(() => unsqueeze(x, 3)).toThrow(AxisError);
    expect(() => unsqueeze(x, -4)).toThrow(AxisError);
    const y = zeros([2, 1, 3, 1]);
    expect(squeeze(y).shape).toEqual([2, 3]);
    expect(squeeze(y, 1).shape).toEqual([2, 3, 1]);
    expect(squeeze(y, [0, -1]).shape).toEqual([2, 1, 3]);
    expect(squeeze(y, 0).shape).toEqual([2, 1, 3, 1]);
    expect(() => squeeze(y, 4)).toThrow(AxisError);
    expect(squeeze(zeros([1, 1])).shape).toEqual([]);
  });

  it('flattens ranges of dims', () => {
    const x = arange(24).reshape([2, 3, 4]);
    expect(flatten(x).shape).toEqual([24]);
    expect(flatten(x, 1).shape).toEqual([2, 12]);
    expect(flatten(x, 0, 1).shape).toEqual([6, 4]);
    expect(flatten(x, -2, -1).toArray()).toEqual([
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
      [12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23],
    ]);
    expect(flatten(tensor(3)).shape).toEqual([1]);
    expect(() => flatten(x, 2, 1)).toThrow(AxisError);
  });

  it("reshape names PyTorch's varargs form, a shape given as separate numbers, and points to the array", () => {
    const x = arange(6);
    expect(() => (x.reshape as unknown as (...s: number[]) => unknown)(2, 3)).toThrow(
      /^reshape: shape must be an array of sizes \(one may be -1\), as in reshape\(x, \[2, -1\]\) or x\.reshape\(\[2, -1\]\), got the number 2$/,
    );
    expect(() => x.reshape('6' as never)).toThrow(/reshape: shape must be an array of sizes .*, got string/);
    expect(x.reshape([-1, 2]).shape).toEqual([3, 2]);
  });

  it('golden: x.reshape(-1, 2).flatten() and (x.unsqueeze(1) * y.unsqueeze(0)).squeeze()', () => {
    gradcheck((a) => flatten(a.reshape([-1, 2])), [rnd([3, 4])]);
    const f = (a: Tensor, b: Tensor) => squeeze(unsqueeze(a, 1).mul(unsqueeze(b, 0)));
    const a = rnd([3], 1);
    const b = rnd([4], 2);
    expect(f(a, b).shape).toEqual([3, 4]);
    gradcheck(f, [a, b]);
    gradgradcheck(f, [a, b]);
    gradcheck((t) => squeeze(t, [0, 2]), [rnd([1, 3, 1, 2])]);
  });
});

describe('permute / transpose', () => {
  it('reorders dims (2-D, 3-D, golden permute(2,0,1) and transpose(0,2))', () => {
    expect(
      permute(
        tensor([
          [1, 2, 3],
          [4, 5, 6],
        ]),
        [1, 0],
      ).toArray(),
    ).toEqual([
      [1, 4],
      [2, 5],
      [3, 6],
    ]);
    const x = arange(24).reshape([2, 3, 4]);
    const p = permute(x, [2, 0, 1]);
    expect(p.shape).toEqual([4, 2, 3]);
    expect(p.toArray()).toEqual([
      [
        [0, 4, 8],
        [12, 16, 20],
      ],
      [
        [1, 5, 9],
        [13, 17, 21],
      ],
      [
        [2, 6, 10],
        [14, 18, 22],
      ],
      [
        [3, 7, 11],
        [15, 19, 23],
      ],
    ]);
    const t = transpose(x, 0, 2);
    expect(t.shape).toEqual([4, 3, 2]);
    expect(Array.from(t.data)).toEqual(naivePermute(x, [2, 1, 0]));
    expect(transpose(x, -1, 0).shape).toEqual([4, 3, 2]);
    expect(x.T.shape).toEqual([4, 3, 2]);
  });

  it('matches a naive permutation on large and odd shapes (tiled, row-copy and strided paths)', () => {
    const cases: [number[], number[]][] = [
      [
        [70, 45],
        [1, 0],
      ],
      [
        [3, 40, 50],
        [0, 2, 1],
      ],
      [
        [3, 40, 50],
        [2, 0, 1],
      ],
      [
        [5, 6, 37],
        [1, 0, 2],
      ],
      [
        [2, 3, 4, 5],
        [3, 1, 0, 2],
      ],
      [
        [2, 1, 33, 1, 40],
        [4, 1, 2, 0, 3],
      ],
      [
        [4, 1],
        [1, 0],
      ],
    ];
    for (const [shape, perm] of cases) {
      const x = rnd(shape, 3, false);
      const y = permute(x, perm);
      expect(y.shape).toEqual(perm.map((p) => shape[p]));
      expect(Array.from(y.data)).toEqual(naivePermute(x, perm));
    }
    const i = tensor([[1, 2, 3]], { dtype: 'int32' }).T;
    expect(i.dtype).toBe('int32');
    expect(i.toArray()).toEqual([[1], [2], [3]]);
  });

  it('gradients are the inverse permutation', () => {
    gradcheck((a) => permute(a, [2, 0, 1]), [rnd([2, 3, 4])]);
    gradcheck((a) => permute(a, [-1, 1, 0, 2]), [rnd([2, 3, 1, 2])]);
    gradcheck((a) => transpose(a, 0, 2), [rnd([2, 3, 4])]);
    gradgradcheck((a) => permute(a, [1, 2, 0]).mul(permute(a, [1, 2, 0])), [rnd([2, 3, 2])]);
  });

  it('golden: x.T @ x', () => {
    const f = (a: Tensor) => matmul(a.T, a);
    const x = rnd([4, 3]);
    const y = f(x);
    expect(y.shape).toEqual([3, 3]);
    let s = 0;
    for (let k = 0; k < 4; k++) s += x.data[k * 3] * x.data[k * 3 + 1];
    expect(y.data[1]).toBeCloseTo(s, 12);
    gradcheck(f, [x]);
  });

  it('rejects bad permutations and axes', () => {
    const x = zeros([2, 3, 4]);
    expect(() => permute(x, [0, 1])).toThrow(AxisError);
    expect(() => permute(x, [0, 1, 1])).toThrow(/not a permutation/);
    expect(() => permute(x, [0, 1, 3])).toThrow(AxisError);
    expect(() => transpose(x, 0, 3)).toThrow(AxisError);
  });
});

describe('concat / cat / stack', () => {
  it('joins along an axis with dtype promotion', () => {
    expect(
      concat([
        tensor([[1, 2]]),
        tensor([
          [3, 4],
          [5, 6],
        ]),
      ]).toArray(),
    ).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    const a = tensor([[1], [2]], { dtype: 'int32' });
    const b = tensor(
      [
        [3, 4],
        [5, 6],
      ],
      { dtype: 'float64' },
    );
    const c = tensor([[7], [8]]);
    const y = cat([a, b, c], 1);
    expect(y.dtype).toBe('float64');
    expect(y.toArray()).toEqual([
      [1, 3, 4, 7],
      [2, 5, 6, 8],
    ]);
    expect(concat([a, a], -1).dtype).toBe('int32');
    const long = concat([arange(40), arange(40, 100)]);
    expect(Array.from(long.data)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('stacks along a new axis (golden stack dim 0 and dim 2)', () => {
    expect(stack([tensor([1, 2]), tensor([3, 4])]).toArray()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(stack([tensor([1, 2]), tensor([3, 4])], 1).toArray()).toEqual([
      [1, 3],
      [2, 4],
    ]);
    const a = arange(6).reshape([2, 3]);
    const b = arange(6, 12).reshape([2, 3]);
    const s = stack([a, b], 2);
    expect(s.shape).toEqual([2, 3, 2]);
    expect(s.toArray()).toEqual([
      [
        [0, 6],
        [1, 7],
        [2, 8],
      ],
      [
        [3, 9],
        [4, 10],
        [5, 11],
      ],
    ]);
    expect(stack([a, b], -1).shape).toEqual([2, 3, 2]);
    expect(stack([tensor(1), tensor(2)]).toArray()).toEqual([1, 2]);
  });

  it('gradients (golden cat dim 1 of three tensors, stacks)', () => {
    gradcheck((x, y) => concat([x, y], 0), [rnd([2, 3], 1), rnd([1, 3], 2)]);
    gradcheck((x, y, z) => cat([x, y, z], 1), [rnd([2, 1], 1), rnd([2, 3], 2), rnd([2, 2], 3)]);
    gradcheck((x, y, z) => stack([x, y, z], 0), [rnd([2, 3], 1), rnd([2, 3], 2), rnd([2, 3], 3)]);
    gradcheck((x, y) => stack([x, y], 2), [rnd([2, 3], 1), rnd([2, 3], 2)]);
    gradcheck((x, y) => concat([x, y], -2), [rnd([2, 2, 3], 1), rnd([2, 1, 3], 2)]);
    const frozen = rnd([2, 3], 5, false);
    gradcheck((x) => concat([frozen, x], 1), [rnd([2, 2], 1)]);
    gradgradcheck((x, y) => concat([x, y], 1).square(), [rnd([2, 1], 1), rnd([2, 2], 2)]);
  });

  it('rejects mismatched shapes naming the tensor', () => {
    expect(() => concat([zeros([2, 3]), zeros([2, 3]), zeros([3, 3])], 1)).toThrow(/tensors\[2\] has shape \[3,3\]/);
    expect(() => concat([zeros([2, 3]), zeros([3])])).toThrow(ShapeError);
    expect(() => concat([])).toThrow(ValueError);
    expect(() => concat([tensor(1)])).toThrow(ShapeError);
    expect(() => concat([zeros([2])], 1)).toThrow(AxisError);
    expect(() => stack([zeros([2, 3]), zeros([3, 2])])).toThrow(/tensors\[1\]/);
    expect(() => stack([zeros([2])], 2)).toThrow(AxisError);
  });
});

describe('split / chunk', () => {
  it('follows torch.split and torch.chunk', () => {
    expect(split(arange(5), 2).map((t) => t.toArray())).toEqual([[0, 1], [2, 3], [4]]);
    expect(split(arange(5), [1, 4]).map((t) => t.toArray())).toEqual([[0], [1, 2, 3, 4]]);
    expect(split(arange(5), 5).length).toBe(1);
    expect(split(arange(5), 7).map((t) => t.toArray())).toEqual([[0, 1, 2, 3, 4]]);
    const m = arange(12).reshape([3, 4]);
    expect(split(m, [1, 3], -1).map((t) => t.toArray())).toEqual([
      [[0], [4], [8]],
      [
        [1, 2, 3],
        [5, 6, 7],
        [9, 10, 11],
      ],
    ]);
    expect(chunk(arange(5), 3).map((t) => t.toArray())).toEqual([[0, 1], [2, 3], [4]]);
    expect(chunk(arange(6), 4).map((t) => t.toArray())).toEqual([
      [0, 1],
      [2, 3],
      [4, 5],
    ]);
    expect(chunk(m, 2, 1).map((t) => t.shape)).toEqual([
      [3, 2],
      [3, 2],
    ]);
    expect(chunk(zeros([0]), 3).length).toBe(3);
    expect(() => split(arange(5), [1, 2])).toThrow(/sum to 3 but axis 0 has size 5/);
    expect(() => split(arange(5), 0)).toThrow(ValueError);
    expect(() => chunk(arange(5), 0)).toThrow(ValueError);
    expect(() => split(arange(5), 2, 1)).toThrow(AxisError);
  });

  it('gradients of the pieces flow back to their slabs', () => {
    gradcheck(
      (x) => {
        const [a, b, c] = split(x, 2, 1);
        return concat([c.mul(2), a, b.square()], 1);
      },
      [rnd([2, 5])],
    );
    gradcheck((x) => chunk(x, 3, 0)[1], [rnd([7, 2])]);
    gradgradcheck(
      (x) => {
        const [a, b] = split(x, [1, 2]);
        return a.mul(b.sum());
      },
      [rnd([3])],
    );
  });
});

describe('slice', () => {
  it('has Python slicing semantics', () => {
    const x = arange(12).reshape([3, 4]);
    // golden x[1:, ::2]
    expect(slice(x, [[1], [null, null, 2]]).toArray()).toEqual([
      [4, 6],
      [8, 10],
    ]);
    expect(slice(x, [null, [-1]]).toArray()).toEqual([[3], [7], [11]]);
    expect(slice(x, [[-2, -1]]).toArray()).toEqual([[4, 5, 6, 7]]);
    expect(
      slice(x, [
        [-100, 100, 2],
        [1, 3],
      ]).toArray(),
    ).toEqual([
      [1, 2],
      [9, 10],
    ]);
    expect(slice(x, [[2, 1]]).shape).toEqual([0, 4]);
    expect(slice(x, [undefined, [1, null, 3]]).toArray()).toEqual([[1], [5], [9]]);
    expect(slice(x, [[5]]).shape).toEqual([0, 4]);
    expect(slice(x, []).toArray()).toEqual(x.toArray());
    expect(slice(arange(10), [[1, 9, 3]]).toArray()).toEqual([1, 4, 7]);
  });

  it('gradients scatter into zeros, and are differentiable again', () => {
    const x = rnd([3, 4]);
    gradcheck((a) => slice(a, [[1], [null, null, 2]]), [x]);
    gradcheck((a) => slice(a, [null, [-3, -1], [0, 5, 2]]), [rnd([2, 4, 5])]);
    gradgradcheck((a) => slice(a, [[1], [null, null, 2]]).square(), [x]);
    const y = tensor([1, 2, 3, 4], { dtype: 'float64', requiresGrad: true });
    slice(y, [[null, null, 2]])
      .sum()
      .backward();
    expect(y.grad?.toArray()).toEqual([1, 0, 1, 0]);
  });

  it('rejects bad specs', () => {
    const x = zeros([3, 4]);
    expect(() => slice(x, [[0, 2, 0]])).toThrow(/step must be a positive integer/);
    expect(() => slice(x, [[2, 0, -1]])).toThrow(ValueError);
    expect(() => slice(x, [[0.5]])).toThrow(ValueError);
    expect(() => slice(x, [null, null, [0]])).toThrow(IndexError);
  });
});

describe('pad', () => {
  it('pads from the last dim backwards, crops with negative padding', () => {
    expect(
      pad(
        tensor([
          [1, 2],
          [3, 4],
        ]),
        [1, 0],
      ).toArray(),
    ).toEqual([
      [0, 1, 2],
      [0, 3, 4],
    ]);
    expect(
      pad(
        tensor([
          [1, 2],
          [3, 4],
        ]),
        [0, 1, 1, 0],
        7,
      ).toArray(),
    ).toEqual([
      [7, 7, 7],
      [1, 2, 7],
      [3, 4, 7],
    ]);
    expect(pad(tensor([1, 2, 3]), [-1, 2], 9).toArray()).toEqual([2, 3, 9, 9]);
    expect(pad(tensor([1, 2, 3]), [-1, -1]).toArray()).toEqual([2]);
    expect(pad(tensor([1, 2], { dtype: 'int32' }), [1, 1], 5).toArray()).toEqual([5, 1, 2, 5]);
    expect(() => pad(zeros([2]), [1])).toThrow(ValueError);
    expect(() => pad(zeros([2]), [1, 1, 1, 1])).toThrow(ValueError);
    expect(() => pad(zeros([2]), [-3, 1])).toThrow(ShapeError);
  });

  it('gradients crop back', () => {
    gradcheck((a) => pad(a, [1, 2, 0, 1], 0.5), [rnd([2, 3])]);
    gradcheck((a) => pad(a, [-1, 2, 1, -1]), [rnd([3, 3])]);
    gradgradcheck((a) => pad(a, [2, 1]).square(), [rnd([2, 2])]);
  });
});

describe('tile', () => {
  it('follows torch.tile', () => {
    expect(tile(tensor([1, 2]), [2]).toArray()).toEqual([1, 2, 1, 2]);
    expect(tile(tensor([1, 2]), [2, 1]).toArray()).toEqual([
      [1, 2],
      [1, 2],
    ]);
    expect(tile(tensor([[1], [2]]), [2]).toArray()).toEqual([
      [1, 1],
      [2, 2],
    ]);
    expect(
      tile(
        tensor([
          [1, 2],
          [3, 4],
        ]),
        [2, 2],
      ).toArray(),
    ).toEqual([
      [1, 2, 1, 2],
      [3, 4, 3, 4],
      [1, 2, 1, 2],
      [3, 4, 3, 4],
    ]);
    expect(tile(tensor([1, 2]), [0]).shape).toEqual([0]);
    expect(() => tile(tensor([1]), [-1])).toThrow(ValueError);
  });

  it('gradients sum over the copies', () => {
    gradcheck((a) => tile(a, [2, 1, 3]), [rnd([2, 2])]);
    gradgradcheck((a) => tile(a, [3]).square(), [rnd([2])]);
  });
});

describe('inputs are not mutated', () => {
  it('leaves every input untouched', () => {
    const x = rnd([3, 4], 9, false);
    const before = Array.from(x.data);
    permute(x, [1, 0]);
    expand(unsqueeze(x, 0), [2, 3, 4]);
    slice(x, [[1], [null, null, 2]]);
    pad(x, [1, 1, -1, 1], 3);
    concat([x, x], 1);
    stack([x, x], 1);
    split(x, 1, 1);
    tile(x, [2, 2]);
    expect(Array.from(x.data)).toEqual(before);
    const xs = tensor([1, 2, 3, 4], { dtype: 'float64', requiresGrad: true });
    split(xs, 2)[1].sum().backward();
    expect(Array.from(xs.data)).toEqual([1, 2, 3, 4]);
    expect(xs.grad?.toArray()).toEqual([0, 0, 1, 1]);
  });
});
