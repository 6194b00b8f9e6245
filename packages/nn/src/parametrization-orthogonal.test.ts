import { eye, Generator, matmulTransposed, noGrad, randn, sum, type Tensor, zeros } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { Linear } from './layers/linear';
import * as parametrizations from './parametrizations';

function gramError(w: Tensor): number {
  const [n, k] = w.shape;
  const tall = n >= k;
  const gram = tall ? matmulTransposed(w, w, { transA: true }) : matmulTransposed(w, w, { transB: true });
  const id = eye(Math.min(n, k), Math.min(n, k), { dtype: w.dtype }).data;
  let worst = 0;
  for (let i = 0; i < id.length; i++) worst = Math.max(worst, Math.abs(gram.data[i] - id[i]));
  return worst;
}

describe('parametrizations.orthogonal', () => {
  for (const map of ['matrix_exp', 'cayley', 'householder'] as const)
    for (const [inF, outF] of [
      [4, 4],
      [3, 5],
      [5, 3],
    ])
      it(`${map}, ${outF} x ${inF}: the weight stays orthogonal through plain gradient steps`, () => {
        const gen = new Generator(inF * 10 + outF);
        const lin = parametrizations.orthogonal(new Linear(inF, outF, { dtype: 'float64', generator: gen }), {
          orthogonalMap: map,
          generator: gen,
        });
        expect(gramError(lin.weight)).toBeLessThan(1e-12);
        const before = Array.from(lin.weight.data);
        const x = randn([8, inF], { dtype: 'float64', generator: gen });
        const params = lin.parameters();
        for (let step = 0; step < 5; step++) {
          lin.zeroGrad();
          sum(lin.forward(x).square()).backward();
          noGrad(() => {
            for (const p of params) p.sub_((p.grad as Tensor).mul(0.05));
          });
        }
        expect(gramError(lin.weight)).toBeLessThan(1e-10);
        const moved = Math.max(...Array.from(lin.weight.data, (v, i) => Math.abs(v - before[i])));
        expect(moved).toBeGreaterThan(1e-3); // the steps changed the weight, and it stayed orthogonal
      });

  it('refuses bad options, a 1-D tensor, and assignment without the trivialization', () => {
    expect(() => parametrizations.orthogonal(new Linear(2, 2), { name: 'bias' })).toThrow(
      /orthogonal: expected a matrix or a batch of matrices, got a 1-d tensor/,
    );
    expect(() => parametrizations.orthogonal(new Linear(2, 2), { orthogonalMap: 'qr' as never })).toThrow(
      /orthogonalMap must be 'matrix_exp', 'cayley' or 'householder'/,
    );
    expect(() =>
      parametrizations.orthogonal(new Linear(2, 3), { orthogonalMap: 'householder', useTrivialization: false }),
    ).toThrow(/Householder map without useTrivialization/);
    const lin = parametrizations.orthogonal(new Linear(3, 3, { dtype: 'float64' }), { useTrivialization: false });
    expect(gramError(lin.weight)).toBeLessThan(1e-12);
    expect(() => {
      (lin as unknown as Record<string, Tensor>).weight = zeros([3, 3], { dtype: 'float64' });
    }).toThrow(/not possible to assign to the matrix exponential or the Cayley parametrizations/);
    const square = parametrizations.orthogonal(new Linear(3, 3, { dtype: 'float64' }));
    expect(() => {
      (square as unknown as Record<string, Tensor>).weight = zeros([2, 3], { dtype: 'float64' });
    }).toThrow(/expected a matrix or batch of matrices of shape \[3, 3\], got \[2, 3\]/);
  });
});
