import { gradients, type Tensor } from '@nablajs/core';
import {
  AdaptiveAvgPool1d,
  AdaptiveAvgPool3d,
  AdaptiveMaxPool2d,
  AdaptiveMaxPool3d,
  AvgPool1d,
  AvgPool3d,
  BatchNorm3d,
  F,
  GroupNorm,
  InstanceNorm1d,
  InstanceNorm2d,
  InstanceNorm3d,
  MaxPool1d,
  MaxPool2d,
  MaxPool3d,
  type Module,
  RMSNorm,
} from '@nablajs/nn';
import { describe, expect, it } from 'vitest';
import { closeTo, equalInts, type FixtureTensor, fromFixture, loadFixture, type Tolerance } from './helpers/fixtures';

// PyTorch 1.13.1 reference values for issue 15's normalisation and pooling layers (see
// test/fixtures/README-nn-normpool.md); RMSNorm's are PyTorch 2.4's formula evaluated by 1.13.1.

type Dict = Record<string, FixtureTensor>;

interface ModuleCase {
  id: string;
  kind: 'module';
  module: string;
  // biome-ignore lint/suspicious/noExplicitAny: the fixture's constructor arguments, as PyTorch got them
  args: any[];
  options: Record<string, unknown>;
  dtype: 'float64' | 'float32';
  train: boolean;
  state_dict: Dict;
  inputs: Dict;
  outputs: Dict;
  upstream: Dict;
  grads: Dict;
  state_after?: Dict;
}

interface FunctionalCase {
  id: string;
  kind: 'functional';
  torch: string;
  dtype: 'float64' | 'float32';
  options: Record<string, unknown>;
  inputs: Dict;
  outputs: Dict;
  upstream: Dict;
  grads: Dict;
}

type Case = ModuleCase | FunctionalCase;

const fixture = loadFixture<{ torch: string; cases: Case[] }>('nn-normpool.json');
const tolerance = (dtype: string): Tolerance => ({ rel: dtype === 'float32' ? 1e-5 : 1e-10 });
const baseId = (id: string) => id.replace(/\/float32$/, '');

/** Build the nabla module of a case with its options (the fixture writes nabla's option names). */
function buildModule(c: ModuleCase): Module {
  const o = c.options;
  const dtype = c.dtype;
  switch (c.module) {
    case 'GroupNorm':
      return new GroupNorm(c.args[0], c.args[1], { ...o, dtype });
    case 'InstanceNorm1d':
      return new InstanceNorm1d(c.args[0], { ...o, dtype });
    case 'InstanceNorm2d':
      return new InstanceNorm2d(c.args[0], { ...o, dtype });
    case 'InstanceNorm3d':
      return new InstanceNorm3d(c.args[0], { ...o, dtype });
    case 'BatchNorm3d':
      return new BatchNorm3d(c.args[0], { ...o, dtype });
    case 'RMSNorm':
      return new RMSNorm(c.args[0], { ...o, dtype });
    case 'MaxPool1d':
      return new MaxPool1d(c.args[0], o);
    case 'AvgPool1d':
      return new AvgPool1d(c.args[0], o);
    case 'AdaptiveAvgPool1d':
      return new AdaptiveAvgPool1d(c.args[0]);
    case 'AdaptiveMaxPool2d':
      return new AdaptiveMaxPool2d(c.args[0], o);
    case 'MaxPool2dWithIndices': // PyTorch's MaxPool2d(..., return_indices=True)
      return new MaxPool2d(c.args[0], { ...o, returnIndices: true });
    case 'MaxPool3d':
      return new MaxPool3d(c.args[0], o);
    case 'AvgPool3d':
      return new AvgPool3d(c.args[0], o);
    case 'AdaptiveAvgPool3d':
      return new AdaptiveAvgPool3d(c.args[0]);
    case 'AdaptiveMaxPool3d':
      return new AdaptiveMaxPool3d(c.args[0], o);
    default:
      throw new Error(`no nabla module for ${c.module}`);
  }
}

type Inputs = Record<string, Tensor>;

/** F.maxUnpool2d with the fixture's options: kernelSize is its positional argument, the rest its options. */
function unpool(x: Tensor, indices: Tensor, { kernelSize, ...options }: Record<string, unknown>): Tensor {
  return F.maxUnpool2d(x, indices, kernelSize as number, options);
}

/** The nabla expression of each functional case (the fixture's `torch` field says PyTorch's). */
const FUNCTIONAL: Record<string, (inp: Inputs, o: Record<string, unknown>) => Tensor> = {
  f_group_norm: ({ x, w, b }) => F.groupNorm(x, 2, w, b, 1e-4),
  f_instance_norm_running_stats_eval: ({ x, w, rm, rv }) => F.instanceNorm(x, rm, rv, w, null, false, 0.1, 1e-3),
  f_rms_norm: ({ x, w }) => F.rmsNorm(x, [3, 4], w, 1e-5),
  f_max_unpool2d_k2: ({ x, indices }, o) => unpool(x, indices, o),
  f_max_unpool2d_output_size: ({ x, indices }, o) => unpool(x, indices, o),
  f_max_unpool2d_overlap_k3_s2_p1: ({ x, indices }, o) => unpool(x, indices, o),
  f_max_unpool3d_k2: ({ x, indices }, { kernelSize, ...o }) => F.maxUnpool3d(x, indices, kernelSize as number, o),
  f_max_unpool3d_overlap_output_size: ({ x, indices }, { kernelSize, ...o }) =>
    F.maxUnpool3d(x, indices, kernelSize as number, o),
};

function checkGrads(c: Case, names: string[], wrt: Tensor[], out: Tensor, tol: Tolerance) {
  const grads = gradients([out], wrt, [fromFixture(c.upstream.out)], { allowUnused: true });
  expect([...names].sort()).toEqual(Object.keys(c.grads).sort());
  names.forEach((name, k) => {
    const g = grads[k];
    if (g === null || g === undefined) throw new Error(`${c.id}: no gradient for ${name}`);
    expect(g.dtype).toBe(c.dtype);
    closeTo(g, c.grads[name], tol, `${c.id} grad ${name}`);
  });
}

describe('golden nn-normpool fixture', () => {
  it('was made by PyTorch 1.13 and covers every layer, functional form, and both dtypes', () => {
    expect(fixture.torch).toMatch(/^1\.13/);
    const modules = new Set(fixture.cases.filter((c) => c.kind === 'module').map((c) => (c as ModuleCase).module));
    expect([...modules].sort()).toEqual(
      [
        'AdaptiveAvgPool1d',
        'AdaptiveAvgPool3d',
        'AdaptiveMaxPool2d',
        'AdaptiveMaxPool3d',
        'AvgPool1d',
        'AvgPool3d',
        'BatchNorm3d',
        'GroupNorm',
        'InstanceNorm1d',
        'InstanceNorm2d',
        'InstanceNorm3d',
        'MaxPool1d',
        'MaxPool2dWithIndices',
        'MaxPool3d',
        'RMSNorm',
      ].sort(),
    );
    const functional = fixture.cases.filter((c) => c.kind === 'functional').map((c) => baseId(c.id));
    expect([...new Set(functional)].sort()).toEqual(Object.keys(FUNCTIONAL).sort());
    expect(fixture.cases.filter((c) => c.dtype === 'float32').length).toBeGreaterThanOrEqual(5);
  });
});

describe('golden nn-normpool: layers vs PyTorch (forward, indices, gradients, running statistics)', () => {
  for (const c of fixture.cases.filter((k): k is ModuleCase => k.kind === 'module')) {
    it(c.id, () => {
      const tol = tolerance(c.dtype);
      const module = buildModule(c);
      const state: Record<string, Tensor> = {};
      for (const [k, t] of Object.entries(c.state_dict)) state[k] = fromFixture(t);
      module.loadStateDict(state);
      if (c.train) module.train();
      else module.eval();
      const x = fromFixture(c.inputs.x, { requiresGrad: true });
      const result = module.forward(x) as Tensor | [Tensor, Tensor];
      const [out, indices] = Array.isArray(result) ? result : [result, null];
      expect(out.dtype).toBe(c.dtype);
      closeTo(out, c.outputs.out, tol, `${c.id} output`);
      if (c.outputs.indices !== undefined) {
        expect(indices).not.toBeNull();
        expect(indices?.dtype).toBe('int32');
        equalInts(indices as Tensor, c.outputs.indices, `${c.id} indices`);
      } else expect(indices).toBeNull();

      const params = module.namedParameters();
      checkGrads(c, ['x', ...params.map(([n]) => n)], [x, ...params.map(([, p]) => p)], out, tol);

      if (c.state_after !== undefined) {
        const after = module.stateDict();
        for (const [name, want] of Object.entries(c.state_after)) {
          expect(after[name], `${c.id}: buffer ${name}`).toBeDefined();
          if (want.dtype === 'int64') equalInts(after[name], want, `${c.id} ${name} after`);
          else closeTo(after[name], want, tol, `${c.id} ${name} after`);
        }
      }
    });
  }
});

describe('golden nn-normpool: functional forms vs PyTorch', () => {
  for (const c of fixture.cases.filter((k): k is FunctionalCase => k.kind === 'functional')) {
    it(c.id, () => {
      const tol = tolerance(c.dtype);
      const inputs: Inputs = {};
      for (const [name, t] of Object.entries(c.inputs))
        inputs[name] = fromFixture(t, { requiresGrad: name in c.grads });
      const out = FUNCTIONAL[baseId(c.id)](inputs, c.options);
      expect(out.dtype).toBe(c.dtype);
      closeTo(out, c.outputs.out, tol, `${c.id} output`);
      const names = Object.keys(c.grads);
      checkGrads(
        c,
        names,
        names.map((n) => inputs[n]),
        out,
        tol,
      );
      for (const [name, t] of Object.entries(c.inputs))
        expect(Array.from(inputs[name].values), `${c.id}: input ${name} was changed`).toEqual(
          Array.from(fromFixture(t).values),
        );
    });
  }
});
