import { add, div, gradients, mul, sum, type Tensor, transpose, triu } from '@nablajs/core';
import { Conv1d, Conv2d, ConvTranspose2d, Linear, Module, parametrizations, parametrize } from '@nablajs/nn';
import { describe, expect, it } from 'vitest';
import { closeTo, type FixtureTensor, fromFixture, loadFixture } from './helpers/fixtures';

// PyTorch 1.13.1 reference values of torch.nn.utils.parametrize and parametrizations (spectral_norm, and 2.1's
// weight_norm built on 1.13's register_parametrization); see test/fixtures/README.md, section parametrize.json.

type Entries = [string, FixtureTensor][];
type Spec =
  | { kind: 'spectral'; name: string; n_power_iterations: number; eps: number; dim: number | null }
  | { kind: 'weight_norm'; name: string; dim: number | null }
  | { kind: 'chain'; name: string; parts: ('symmetric' | 'scale2' | 'square' | 'sum2')[] };
type Step =
  | {
      op: 'forward';
      training: boolean;
      input: FixtureTensor;
      upstream: FixtureTensor;
      out: FixtureTensor;
      grads: Entries;
      state_dict: Entries;
    }
  | { op: 'assign'; value: FixtureTensor; state_dict: Entries; value_after: FixtureTensor }
  | { op: 'assign_error' };
interface Case {
  id: string;
  module: 'Linear' | 'Conv1d' | 'Conv2d' | 'ConvTranspose2d';
  args: number[];
  dtype: 'float64' | 'float32';
  init: Entries;
  spec: Spec;
  after_register: { state_dict: Entries; parameters: string[]; value: FixtureTensor; sigma_max?: number | null };
  steps: Step[];
  removed: { leave_parametrized: boolean; state_dict: Entries; parameters: string[]; value: FixtureTensor };
}
interface Legacy {
  id: string;
  in: number;
  out: number;
  dim: number | null;
  state_dict: Entries;
  input: FixtureTensor;
  out_value: FixtureTensor;
}

interface LegacySpectral {
  id: string;
  module: 'Linear' | 'Conv2d';
  args: number[];
  state_dict: Entries;
  input: FixtureTensor;
  out_value: FixtureTensor;
}

const fixture = loadFixture<{
  torch_version: string;
  cases: Case[];
  legacy_weight_norm: Legacy[];
  legacy_spectral_norm: LegacySpectral[];
}>('parametrize.json');

// The fixture's parametrizations, written again here.
class Symmetric extends Module {
  forward(x: Tensor): Tensor {
    return add(triu(x), transpose(triu(x, 1), 0, 1));
  }
  rightInverse(a: Tensor): Tensor {
    return triu(a);
  }
}
class Scale2 extends Module {
  forward(x: Tensor): Tensor {
    return mul(x, 2);
  }
  rightInverse(a: Tensor): Tensor {
    return div(a, 2);
  }
}
class Square extends Module {
  forward(x: Tensor): Tensor {
    return mul(x, x);
  }
}
class Sum2 extends Module {
  forward(a: Tensor, b: Tensor): Tensor {
    return add(a, b);
  }
  rightInverse(z: Tensor): Tensor[] {
    return [mul(z, 0.25), mul(z, 0.75)];
  }
}
const PARTS = { symmetric: Symmetric, scale2: Scale2, square: Square, sum2: Sum2 };

function build(c: Case): Module {
  const dtype = c.dtype;
  const [a, b, k] = c.args;
  const m =
    c.module === 'Linear'
      ? new Linear(a, b, { dtype })
      : c.module === 'Conv1d'
        ? new Conv1d(a, b, k, { dtype })
        : c.module === 'Conv2d'
          ? new Conv2d(a, b, k, { dtype })
          : new ConvTranspose2d(a, b, k, { dtype });
  m.loadStateDict(Object.fromEntries(c.init.map(([key, t]) => [key, fromFixture(t)])));
  return m;
}

function checkState(m: Module, want: Entries, rel: number, label: string): void {
  const got = m.stateDict();
  expect(Object.keys(got), `${label}: state dict keys`).toEqual(want.map(([key]) => key));
  for (const [key, t] of want) closeTo(got[key], t, { rel }, `${label}: ${key}`);
}

function read(m: Module, name: string): Tensor {
  return (m as unknown as Record<string, Tensor>)[name];
}

describe('parametrizations against PyTorch 1.13.1', () => {
  it('covers the fixture', () => {
    expect(fixture.torch_version).toMatch(/^1\.13/);
    expect(fixture.cases.length).toBe(19);
    expect(fixture.legacy_weight_norm.length).toBe(3);
    expect(fixture.legacy_spectral_norm.length).toBe(2);
  });

  for (const c of fixture.cases) {
    it(`${c.id}: names, values, gradients, assignment and removal`, () => {
      const rel = c.dtype === 'float64' ? 1e-10 : 2e-5;
      const m = build(c);
      const name = c.spec.name;
      const before = read(m, name);
      if (c.spec.kind === 'spectral') {
        const { n_power_iterations, eps, dim } = c.spec;
        parametrizations.spectralNorm(m, { name, nPowerIterations: n_power_iterations, eps, dim });
        if (c.after_register.sigma_max != null) {
          // nabla's own start (other random vectors, the same 15 + 1 iterations) has found the largest singular value.
          const original = parametrize.parametrizationsOf(m)?.get(name) as parametrize.ParametrizationList;
          const ratio = div(original.original, read(m, name)).data;
          for (const r of ratio) expect(r).toBeCloseTo(c.after_register.sigma_max, 3);
          // Then PyTorch's vectors, for the same iterations from here on.
          m.loadStateDict(Object.fromEntries(c.after_register.state_dict.map(([key, t]) => [key, fromFixture(t)])));
          m.eval(); // read without one more iteration: PyTorch's value used the vectors it saved after it
          closeTo(read(m, name), c.after_register.value, { rel }, 'value after registration');
          m.train();
        }
      } else if (c.spec.kind === 'weight_norm') {
        parametrizations.weightNorm(m, { name, dim: c.spec.dim });
      } else for (const part of c.spec.parts) parametrize.registerParametrization(m, name, new PARTS[part]());
      expect(m.namedParameters().map(([n]) => n)).toEqual(c.after_register.parameters);
      checkState(m, c.after_register.state_dict, rel, 'after registration');
      // (A read in training mode runs the spectral norm's power iteration: checked in eval mode above.)
      if (c.after_register.sigma_max == null)
        closeTo(read(m, name), c.after_register.value, { rel }, 'value after registration');
      const list = parametrize.parametrizationsOf(m)?.get(name) as parametrize.ParametrizationList;
      // One original keeps the tensor object (an optimizer built before still holds it); several are new.
      expect(list.isTensor ? list.original === before : list.originals.every((o) => o !== before)).toBe(true);

      c.steps.forEach((step, i) => {
        const label = `step ${i} (${step.op})`;
        if (step.op === 'forward') {
          if (step.training) m.train();
          else m.eval();
          const out = m.forward(fromFixture(step.input)) as Tensor;
          closeTo(out, step.out, { rel }, `${label}: out`);
          const named = m.namedParameters();
          expect(named.map(([n]) => n)).toEqual(step.grads.map(([n]) => n));
          const grads = gradients(
            [sum(mul(out, fromFixture(step.upstream)))],
            named.map(([, p]) => p),
          );
          for (let j = 0; j < step.grads.length; j++) {
            const [n, g] = step.grads[j];
            closeTo(grads[j] as Tensor, g, { rel: rel * 10 }, `${label}: grad of ${n}`);
          }
          checkState(m, step.state_dict, rel, label);
        } else if (step.op === 'assign') {
          (m as unknown as Record<string, Tensor>)[name] = fromFixture(step.value);
          checkState(m, step.state_dict, rel, label);
          closeTo(read(m, name), step.value_after, { rel }, `${label}: value`);
        } else {
          const sd = m.stateDict();
          expect(() => {
            (m as unknown as Record<string, Tensor>)[name] = read(m, name).detach();
          }).toThrow(/Square has no rightInverse/);
          for (const [key, t] of Object.entries(m.stateDict())) expect(t.toArray()).toEqual(sd[key].toArray());
        }
      });

      parametrize.removeParametrizations(m, name, { leaveParametrized: c.removed.leave_parametrized });
      expect(parametrize.isParametrized(m)).toBe(false);
      expect(m.namedParameters().map(([n]) => n)).toEqual(c.removed.parameters);
      checkState(m, c.removed.state_dict, rel, 'after removal');
      closeTo(read(m, name), c.removed.value, { rel }, 'value after removal');
      expect(read(m, name)).toBe(m.namedParameters().find(([n]) => n === name)?.[1]);
    });
  }

  for (const c of fixture.legacy_weight_norm) {
    it(`weightNorm loads a checkpoint of PyTorch's hook-based weight_norm (${c.id})`, () => {
      const m = parametrizations.weightNorm(new Linear(c.in, c.out, { dtype: 'float64' }), { dim: c.dim });
      const sd = Object.fromEntries(c.state_dict.map(([key, t]) => [key, fromFixture(t)]));
      expect(Object.keys(sd).sort()).toEqual(['bias', 'weight_g', 'weight_v']);
      expect(m.loadStateDict(sd)).toEqual({ missingKeys: [], unexpectedKeys: [] });
      closeTo(m.forward(fromFixture(c.input)), c.out_value, { rel: 1e-12 }, 'out');
    });
  }

  for (const c of fixture.legacy_spectral_norm) {
    it(`spectralNorm loads a checkpoint of PyTorch's hook-based spectral_norm (${c.id}, eval mode)`, () => {
      const [a, b, k] = c.args;
      const layer =
        c.module === 'Linear' ? new Linear(a, b, { dtype: 'float64' }) : new Conv2d(a, b, k, { dtype: 'float64' });
      const m = parametrizations.spectralNorm(layer);
      const sd = Object.fromEntries(c.state_dict.map(([key, t]) => [key, fromFixture(t)]));
      expect(Object.keys(sd)).toEqual(['bias', 'weight_orig', 'weight_u', 'weight_v']);
      expect(m.loadStateDict(sd)).toEqual({ missingKeys: [], unexpectedKeys: [] });
      m.eval();
      closeTo(m.forward(fromFixture(c.input)) as Tensor, c.out_value, { rel: 1e-12 }, 'out');
    });
  }
});
