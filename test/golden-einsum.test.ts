import { einsum, gradients, NablaError, type Tensor, zeros } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { closeTo, type FixtureTensor, fromFixture, loadFixture } from './helpers/fixtures';

// PyTorch 1.13.1 reference values of torch.einsum (see test/fixtures/README.md, section einsum.json).

interface EinsumCase {
  id: string;
  equation: string;
  dtype: 'float64' | 'float32' | 'int32';
  operands: FixtureTensor[];
  out: FixtureTensor;
  upstream?: FixtureTensor;
  grads?: FixtureTensor[];
}

interface EinsumError {
  id: string;
  equation: string;
  shapes: number[][];
  dtypes: ('float32' | 'float64')[];
  message: string;
}

const fixture = loadFixture<{ cases: EinsumCase[]; errors: EinsumError[] }>('einsum.json');

/** float64 1e-12 and float32 1e-5, relative to max(1, |expected|); int32 exactly. */
function tolerance(dtype: EinsumCase['dtype']): { rel: number } {
  return { rel: dtype === 'float64' ? 1e-12 : dtype === 'float32' ? 1e-5 : 0 };
}

describe('einsum against PyTorch 1.13.1', () => {
  it('covers the cases the fixture promises', () => {
    expect(fixture.cases.length).toBe(74);
    expect(fixture.errors.length).toBe(15);
  });

  for (const c of fixture.cases) {
    it(`${c.id}: ${JSON.stringify(c.equation)} gives torch's values${c.grads ? ' and gradients' : ''}`, () => {
      const float = c.dtype !== 'int32';
      const operands = c.operands.map((o) => fromFixture(o, { requiresGrad: float }));
      const before = operands.map((o) => Array.from(o.values));
      const out = einsum(c.equation, ...operands);
      expect(out.dtype).toBe(c.dtype);
      closeTo(out, c.out, tolerance(c.dtype), 'out');
      // the operands are left as they were
      operands.forEach((o, i) => {
        expect(Array.from(o.values)).toEqual(before[i]);
      });
      if (c.upstream === undefined || c.grads === undefined) return;
      const upstream = fromFixture(c.upstream);
      const grads = gradients([out], operands, [upstream]);
      c.grads.forEach((g, i) => {
        closeTo(grads[i] ?? zeros(operands[i].shape, { dtype: operands[i].dtype }), g, tolerance(c.dtype), `grad ${i}`);
      });
    });
  }

  it('the operands may come as one array, as torch.einsum(equation, [a, b]) takes them', () => {
    const c = fixture.cases.find((x) => x.id === 'chain-3') as EinsumCase;
    const operands = c.operands.map((o) => fromFixture(o));
    closeTo(einsum(c.equation, operands), c.out, tolerance(c.dtype), 'out');
  });

  for (const e of fixture.errors) {
    it(`${e.id}: refuses ${JSON.stringify(e.equation)} on ${JSON.stringify(e.shapes)} as torch does ("${e.message}")`, () => {
      const operands = e.shapes.map((s, i) => zeros(s, { dtype: e.dtypes[i] }));
      let thrown: unknown = null;
      try {
        einsum(e.equation, ...operands);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(NablaError);
      expect((thrown as Error).message).toMatch(/^einsum: /);
    });
  }

  it('refuses what is not an equation or not a tensor, naming the argument', () => {
    const a = zeros([2, 2]);
    expect(() => einsum(3 as unknown as string, a)).toThrow(/einsum: equation must be a string, got number/);
    expect(() => einsum('ij,jk', a, [1, 2] as unknown as Tensor)).toThrow(/einsum: operands\[1\] must be a Tensor/);
    expect(() => einsum('ij')).toThrow(/einsum: needs at least one operand/);
  });
});
