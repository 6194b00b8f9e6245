import {
  gradcheck,
  gradients,
  type ScatterReduction,
  scatter,
  scatterReduce,
  type Tensor,
  tensor,
} from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { closeTo, type FixtureTensor, fixtureValues, fromFixture, loadFixture } from './helpers/fixtures';

// PyTorch 1.13.1 reference values of torch.scatter_reduce and torch.scatter with reduce (see
// test/fixtures/README.md, section scatter-reduce.json).

interface ScatterReduceCase {
  id: string;
  fn: 'scatterReduce' | 'scatter';
  axis: number;
  reduce: ScatterReduction | 'add' | 'multiply';
  include_self: boolean;
  dtype: 'float64' | 'float32' | 'int32';
  x: FixtureTensor;
  index: FixtureTensor;
  src: FixtureTensor | number;
  out: FixtureTensor;
  upstream?: FixtureTensor;
  grad_x?: FixtureTensor;
  grad_src?: FixtureTensor | null;
  note?: string;
}

const fixture = loadFixture<{ torch_version: string; cases: ScatterReduceCase[] }>('scatter-reduce.json');

/** float64 1e-12 and float32 1e-5, relative to max(1, |expected|); int32 exactly. */
function tolerance(dtype: ScatterReduceCase['dtype']): { rel: number } {
  return { rel: dtype === 'float64' ? 1e-12 : dtype === 'float32' ? 1e-5 : 0 };
}

function run(c: ScatterReduceCase, x: Tensor, src: Tensor | number): Tensor {
  const index = fromFixture(c.index);
  if (c.fn === 'scatter') return scatter(x, c.axis, index, src, { reduce: c.reduce as 'add' | 'multiply' });
  return scatterReduce(x, c.axis, index, src as Tensor, c.reduce as ScatterReduction, { includeSelf: c.include_self });
}

describe('scatterReduce against PyTorch 1.13.1', () => {
  it('covers every reduction, with and without includeSelf, and scatter with reduce', () => {
    expect(fixture.torch_version).toMatch(/^1\.13/);
    expect(fixture.cases.length).toBe(80);
    const kinds = new Set(fixture.cases.map((c) => `${c.fn} ${c.reduce} ${c.include_self}`));
    for (const r of ['sum', 'prod', 'mean', 'amax', 'amin'])
      for (const inc of [true, false]) expect(kinds.has(`scatterReduce ${r} ${inc}`), `${r} ${inc}`).toBe(true);
    expect(kinds.has('scatter add true') && kinds.has('scatter multiply true')).toBe(true);
  });

  for (const c of fixture.cases) {
    it(`${c.id}: the values${c.upstream ? ' and the gradients of x and src' : ''}`, () => {
      const grads = c.upstream !== undefined;
      const x = fromFixture(c.x, { requiresGrad: grads });
      const src = typeof c.src === 'number' ? c.src : fromFixture(c.src, { requiresGrad: grads });
      const before = [Array.from(x.values), typeof src === 'number' ? [] : Array.from(src.values)];
      const out = run(c, x, src);
      expect(out.dtype).toBe(c.dtype);
      const want = fixtureValues(c.out);
      if (want.some(Number.isNaN))
        expect(Array.from(out.values)).toEqual(want); // NaN where PyTorch has NaN
      else closeTo(out, c.out, tolerance(c.dtype), 'out');
      expect([Array.from(x.values), typeof src === 'number' ? [] : Array.from(src.values)]).toEqual(before);
      if (!grads) return;
      const wrt = typeof src === 'number' ? [x] : [x, src];
      const [gx, gs] = gradients([out], wrt, [fromFixture(c.upstream as FixtureTensor)]);
      closeTo(gx as Tensor, c.grad_x as FixtureTensor, tolerance(c.dtype), 'grad x');
      if (c.note !== undefined) {
        // PyTorch's gradient here is not the derivative (see the note); nabla's is: finite differences agree
        expect(gradcheck((a: Tensor, b: Tensor) => run(c, a, b), [x, src as Tensor])).toBe(true);
        expect(Array.from((gs as Tensor).values)).not.toEqual((c.grad_src as FixtureTensor).data);
      } else if (typeof src !== 'number')
        closeTo(gs as Tensor, c.grad_src as FixtureTensor, tolerance(c.dtype), 'grad src');
    });
  }

  it('the one departure from PyTorch: an excluded x equal to the result takes no share of the gradient', () => {
    const x = tensor([3, 5], { dtype: 'float64', requiresGrad: true });
    const src = tensor([3, 1], { dtype: 'float64', requiresGrad: true });
    const out = scatterReduce(x, 0, tensor([0, 0], { dtype: 'int32' }), src, 'amax', { includeSelf: false });
    const [gx, gs] = gradients([out.sum()], [x, src]);
    expect(Array.from((gs as Tensor).values)).toEqual([1, 0]); // PyTorch 1.13: [0.5, 0]
    expect(Array.from((gx as Tensor).values)).toEqual([0, 1]);
  });
});
