import { gradients, householderProduct, matrixExp, mul, solve, sum, type Tensor } from '@nablajs/core';
import { Conv2d, Linear, type Module, parametrizations } from '@nablajs/nn';
import { describe, expect, it } from 'vitest';
import { closeTo, type FixtureTensor, fromFixture, loadFixture } from './helpers/fixtures';

// PyTorch 1.13.1 reference values of torch.linalg.matrix_exp, householder_product and solve, and of
// torch.nn.utils.parametrizations.orthogonal (see test/fixtures/README.md, section orthogonal.json).

type Entries = [string, FixtureTensor][];
interface LinalgCase {
  id: string;
  op: 'matrix_exp' | 'householder_product' | 'solve';
  inputs: FixtureTensor[];
  out: FixtureTensor;
  upstream: FixtureTensor;
  grads: FixtureTensor[];
}
interface OrthogonalCase {
  id: string;
  module: 'Linear' | 'Conv2d';
  args: number[];
  dtype: 'float64' | 'float32';
  options: { orthogonal_map: 'matrix_exp' | 'cayley' | 'householder' | null; use_trivialization: boolean };
  init: Entries;
  after_register: { state_dict: Entries; parameters: string[]; value: FixtureTensor };
  forward: { input: FixtureTensor; upstream: FixtureTensor; out: FixtureTensor; grads: Entries };
  assigned?: { value: FixtureTensor; state_dict: Entries; weight: FixtureTensor };
}

const fixture = loadFixture<{ torch_version: string; linalg: LinalgCase[]; orthogonal: OrthogonalCase[] }>(
  'orthogonal.json',
);

function tolOf(t: FixtureTensor): { rel: number } {
  return { rel: t.dtype === 'float64' ? 1e-10 : 1e-4 };
}

function entries(list: Entries): Record<string, Tensor> {
  return Object.fromEntries(list.map(([k, t]) => [k, fromFixture(t)]));
}

function checkState(m: Module, want: Entries, rel: number, label: string): void {
  const got = m.stateDict();
  expect(Object.keys(got), `${label}: keys`).toEqual(want.map(([k]) => k));
  for (const [k, t] of want) closeTo(got[k], t, { rel }, `${label}: ${k}`);
}

describe('matrixExp, householderProduct and solve against PyTorch 1.13.1', () => {
  it('covers the fixture', () => {
    expect(fixture.torch_version).toMatch(/^1\.13/);
    expect([fixture.linalg.length, fixture.orthogonal.length]).toEqual([13, 10]);
  });

  for (const c of fixture.linalg) {
    it(`${c.id}: values and gradients`, () => {
      const tol = tolOf(c.out);
      const inputs = c.inputs.map((t) => fromFixture(t, { requiresGrad: true }));
      const out =
        c.op === 'matrix_exp'
          ? matrixExp(inputs[0])
          : c.op === 'householder_product'
            ? householderProduct(inputs[0], inputs[1])
            : solve(inputs[0], inputs[1]);
      closeTo(out, c.out, tol, 'out');
      const grads = gradients([sum(mul(out, fromFixture(c.upstream)))], inputs);
      c.grads.forEach((g, i) => {
        closeTo(grads[i] as Tensor, g, { rel: tol.rel * 10 }, `grad ${i}`);
      });
    });
  }
});

describe('parametrizations.orthogonal against PyTorch 1.13.1', () => {
  for (const c of fixture.orthogonal) {
    it(`${c.id}: the orthogonal weight, the state dict, a forward with its gradients, an assignment`, () => {
      const tol = tolOf(c.forward.out);
      const [a, b, k] = c.args;
      const m = c.module === 'Linear' ? new Linear(a, b, { dtype: c.dtype }) : new Conv2d(a, b, k, { dtype: c.dtype });
      m.loadStateDict(entries(c.init));
      parametrizations.orthogonal(m, {
        orthogonalMap: c.options.orthogonal_map,
        useTrivialization: c.options.use_trivialization,
      });
      // The weight after registration is deterministic (a random completion only adds columns past the weight's).
      closeTo(m.weight, c.after_register.value, tol, 'weight after registration');
      expect(m.namedParameters().map(([n]) => n)).toEqual(c.after_register.parameters);
      expect(Object.keys(m.stateDict())).toEqual(c.after_register.state_dict.map(([key]) => key));
      // PyTorch's state (its random completion of a non-square base), then the same forward.
      m.loadStateDict(entries(c.after_register.state_dict));
      const out = m.forward(fromFixture(c.forward.input)) as Tensor;
      closeTo(out, c.forward.out, tol, 'out');
      const named = m.namedParameters();
      const grads = gradients(
        [sum(mul(out, fromFixture(c.forward.upstream)))],
        named.map(([, p]) => p),
      );
      c.forward.grads.forEach(([n, g], i) => {
        closeTo(grads[i] as Tensor, g, { rel: tol.rel * 10 }, `grad of ${n}`);
      });
      if (c.assigned !== undefined) {
        (m as unknown as Record<string, Tensor>).weight = fromFixture(c.assigned.value);
        checkState(m, c.assigned.state_dict, tol.rel, 'after assignment');
        closeTo(m.weight, c.assigned.weight, tol, 'weight after assignment');
      }
    });
  }
});
