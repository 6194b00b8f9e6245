import { describe, expect, it } from 'vitest';
import { gradcheck } from '../autograd/gradcheck';
import { tensor, zeros } from '../creation';
import { DTypeError, ShapeError, ValueError } from '../errors';
import { einsum } from './einsum';
import { gradgradcheck, rnd } from './grad-test-helpers';
import { matmul } from './matmul';
import { permute } from './permute';
import { sum } from './sum';

/** einsum by its definition: loops over every index of every subscript (the reference of the property tests). */
function bruteForce(equation: string, operands: { shape: readonly number[]; values: ArrayLike<number> }[]): number[] {
  const [lhs, rhs] = equation.split('->');
  const terms = lhs.split(',');
  const letters = [...new Set(terms.join(''))];
  const size = new Map<string, number>();
  terms.forEach((t, i) => {
    [...t].forEach((c, j) => {
      size.set(c, Math.max(size.get(c) ?? 1, operands[i].shape[j]));
    });
  });
  const out = [...rhs];
  const outSizes = out.map((c) => size.get(c) as number);
  const result = new Array<number>(outSizes.reduce((a, b) => a * b, 1)).fill(0);
  const index = new Map<string, number>();
  const visit = (k: number): void => {
    if (k === letters.length) {
      let product = 1;
      terms.forEach((t, i) => {
        let flat = 0;
        [...t].forEach((c, j) => {
          const n = operands[i].shape[j];
          flat = flat * n + (n === 1 ? 0 : (index.get(c) as number));
        });
        product *= operands[i].values[flat];
      });
      let at = 0;
      out.forEach((c, j) => {
        at = at * outSizes[j] + (index.get(c) as number);
      });
      result[at] += product;
      return;
    }
    for (let v = 0; v < (size.get(letters[k]) as number); v++) {
      index.set(letters[k], v);
      visit(k + 1);
    }
  };
  visit(0);
  return result;
}

const EQUATIONS: [string, number[][]][] = [
  [
    'ij,jk->ik',
    [
      [3, 4],
      [4, 2],
    ],
  ],
  ['ii->i', [[3, 3]]],
  ['iij->j', [[2, 2, 3]]],
  [
    'ijj,jk->ik',
    [
      [2, 3, 3],
      [3, 2],
    ],
  ],
  [
    'ij,ij->',
    [
      [2, 1],
      [1, 3],
    ],
  ],
  [
    'abc,cd,de->abe',
    [
      [2, 3, 2],
      [2, 3],
      [3, 2],
    ],
  ],
  [
    'bn,anm,bm->ba',
    [
      [2, 3],
      [2, 3, 2],
      [2, 2],
    ],
  ],
  [
    'ab,cd,bd->ca',
    [
      [2, 3],
      [2, 2],
      [3, 2],
    ],
  ],
  ['i,j,i->j', [[3], [2], [3]]],
];

describe('einsum', () => {
  for (const [equation, shapes] of EQUATIONS) {
    it(`${equation} matches its definition, and its gradients match finite differences in float64`, () => {
      const operands = shapes.map((s, i) => rnd(s, 10 + i));
      const out = einsum(equation, ...operands);
      const expected = bruteForce(
        equation,
        operands.map((o) => ({ shape: o.shape, values: o.values })),
      );
      expect(Array.from(out.values).length).toBe(expected.length);
      Array.from(out.values).forEach((v, i) => {
        expect(v).toBeCloseTo(expected[i], 12);
      });
      expect(gradcheck((...xs) => einsum(equation, ...xs), operands)).toBe(true);
    });
  }

  it('has gradients of gradients (a bilinear form and a diagonal)', () => {
    expect(gradgradcheck((a, b) => einsum('ij,jk->ik', a, b).square(), [rnd([2, 3], 1), rnd([3, 2], 2)])).toBe(true);
    expect(gradgradcheck((a) => einsum('ii->i', a).exp(), [rnd([3, 3], 3)])).toBe(true);
    expect(
      gradgradcheck(
        (a, b) => einsum('bn,anm,bm->ba', a, rnd([2, 3, 2], 5), b).square(),
        [rnd([2, 3], 4), rnd([2, 2], 6)],
      ),
    ).toBe(true);
  });

  it('agrees with matmul, permute and sum where it is one of them', () => {
    const a = rnd([4, 5], 1, false);
    const b = rnd([5, 3], 2, false);
    const x = rnd([2, 3, 4], 3, false);
    expect(Array.from(einsum('ij,jk->ik', a, b).values)).toEqual(Array.from(matmul(a, b).values));
    expect(Array.from(einsum('ijk->kij', x).values)).toEqual(Array.from(permute(x, [2, 0, 1]).values));
    expect(einsum('ijk->', x).item()).toBeCloseTo(sum(x).item(), 12);
  });

  it('gives int32 for int32 operands', () => {
    const a = tensor(
      [
        [1, 2],
        [3, 4],
      ],
      { dtype: 'int32' },
    );
    const out = einsum('ij,jk->ik', a, a);
    expect(out.dtype).toBe('int32');
    expect(out.toArray()).toEqual([
      [7, 10],
      [15, 22],
    ]);
    expect(einsum('ii', a).item()).toBe(5);
  });

  it('names the argument and what is wrong, and leaves the operands as they were', () => {
    const a = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const before = Array.from(a.values);
    expect(() => einsum('ii->i', a)).toThrow(ShapeError);
    expect(() => einsum('ii->i', a)).toThrow(
      /einsum: subscript i is repeated in operand 0 \(shape \[2, ?3\]\) with sizes 2 and 3/,
    );
    expect(() => einsum('ij,jk', a, a)).toThrow(
      /einsum: subscript j has size 2 in operand 1 .* but 3 in an earlier operand/,
    );
    expect(() => einsum('ijk', a)).toThrow(
      /einsum: operand 0 has shape \[2, ?3\] \(2 dims\) but its subscripts "ijk" name 3 and have no ellipsis/,
    );
    expect(() => einsum('ij->ii', a)).toThrow(ValueError);
    expect(() => einsum('ij->k', a)).toThrow(/einsum: output subscript k does not appear/);
    expect(() => einsum('ij,jk', a)).toThrow(/einsum: equation "ij,jk" names 2 operands but 1 was given/);
    expect(() => einsum('i.j', a)).toThrow(/einsum: equation has a '\.' in the subscripts of operand 0/);
    expect(() => einsum('i j-k', a)).toThrow(/einsum: equation has "-" in the subscripts of operand 0/);
    expect(() => einsum('...i,...i', zeros([2, 3]), zeros([4, 3]))).toThrow(/einsum: the ellipsis of operand 1/);
    expect(() => einsum('i,i', zeros([2]), zeros([2], { dtype: 'float64' }))).toThrow(DTypeError);
    expect(() => einsum('i,i', zeros([2]), zeros([2], { dtype: 'float64' }))).toThrow(
      /einsum: operands\[1\] is float64 but operands\[0\] is float32/,
    );
    expect(Array.from(a.values)).toEqual(before);
  });

  it('keeps zero-size dims and sums over them to zeros', () => {
    expect(einsum('ij,jk->ik', zeros([2, 0]), zeros([0, 3])).toArray()).toEqual([
      [0, 0, 0],
      [0, 0, 0],
    ]);
    expect(einsum('ij,jk->ik', zeros([0, 3]), zeros([3, 2])).shape).toEqual([0, 2]);
    expect(einsum('i->', zeros([0])).item()).toBe(0);
  });
});
