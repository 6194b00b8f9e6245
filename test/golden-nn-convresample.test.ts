import { gradients, type Tensor } from '@nablajs/core';
import {
  ConstantPad2d,
  Conv1d,
  Conv2d,
  ConvTranspose1d,
  ConvTranspose2d,
  F,
  type Module,
  ReflectionPad1d,
  ReflectionPad2d,
  ReplicationPad1d,
  ReplicationPad2d,
  Upsample,
  ZeroPad2d,
} from '@nablajs/nn';
import { describe, expect, it } from 'vitest';
import { closeTo, type FixtureTensor, fromFixture, loadFixture, type Tolerance } from './helpers/fixtures';

// PyTorch 1.13.1 reference values for issue 15's transposed convolutions, interpolation and padding
// modes (see test/fixtures/README-nn-convresample.md).

interface Case {
  id: string;
  kind: 'module' | 'functional';
  name: string;
  // biome-ignore lint/suspicious/noExplicitAny: the fixture's constructor arguments, as PyTorch got them
  args: any[];
  // biome-ignore lint/suspicious/noExplicitAny: the fixture's options, in nabla's names
  options: Record<string, any>;
  dtype: 'float64' | 'float32';
  forward?: { outputSize: number[] };
  state_dict: Record<string, FixtureTensor>;
  input: FixtureTensor;
  output: FixtureTensor;
  upstream: FixtureTensor;
  grads: Record<string, FixtureTensor>;
}

const fixture = loadFixture<{ torch: string; cases: Case[] }>('nn-convresample.json');
const tolerance = (dtype: string): Tolerance => ({ rel: dtype === 'float32' ? 1e-5 : 1e-10 });

function buildModule(c: Case): Module {
  const [a0, a1, a2] = c.args;
  const o = { ...c.options, dtype: c.dtype };
  switch (c.name) {
    case 'ConvTranspose2d':
      return new ConvTranspose2d(a0, a1, a2, o);
    case 'ConvTranspose1d':
      return new ConvTranspose1d(a0, a1, a2, o);
    case 'Conv2d':
      return new Conv2d(a0, a1, a2, o);
    case 'Conv1d':
      return new Conv1d(a0, a1, a2, o);
    case 'Upsample':
      return new Upsample(c.options);
    case 'ZeroPad2d':
      return new ZeroPad2d(a0);
    case 'ConstantPad2d':
      return new ConstantPad2d(a0, a1);
    case 'ReflectionPad1d':
      return new ReflectionPad1d(a0);
    case 'ReflectionPad2d':
      return new ReflectionPad2d(a0);
    case 'ReplicationPad1d':
      return new ReplicationPad1d(a0);
    case 'ReplicationPad2d':
      return new ReplicationPad2d(a0);
    default:
      throw new Error(`no nabla module for ${c.name}`);
  }
}

function runFunctional(c: Case, x: Tensor): Tensor {
  const { pad, mode, value, ...rest } = c.options;
  if (c.name === 'interpolate') return F.interpolate(x, { ...rest, mode });
  if (c.name === 'pad') return F.pad(x, pad, { mode, value });
  throw new Error(`no nabla function for ${c.name}`);
}

function checkGrads(c: Case, names: string[], wrt: Tensor[], out: Tensor, tol: Tolerance): void {
  const grads = gradients([out], wrt, [fromFixture(c.upstream)], { allowUnused: true });
  expect([...names].sort()).toEqual(Object.keys(c.grads).sort());
  names.forEach((name, k) => {
    const g = grads[k];
    if (g === null || g === undefined) throw new Error(`${c.id}: no gradient for ${name}`);
    expect(g.dtype).toBe(c.dtype);
    closeTo(g, c.grads[name], tol, `${c.id} grad ${name}`);
  });
}

describe('golden nn-convresample fixture', () => {
  it('was made by PyTorch 1.13 and covers every layer, function, mode and both dtypes', () => {
    expect(fixture.torch).toMatch(/^1\.13/);
    const names = new Set(fixture.cases.map((c) => c.name));
    expect([...names].sort()).toEqual(
      [
        'ConstantPad2d',
        'Conv1d',
        'Conv2d',
        'ConvTranspose1d',
        'ConvTranspose2d',
        'ReflectionPad1d',
        'ReflectionPad2d',
        'ReplicationPad1d',
        'ReplicationPad2d',
        'Upsample',
        'ZeroPad2d',
        'interpolate',
        'pad',
      ].sort(),
    );
    const padModes = new Set(fixture.cases.filter((c) => c.name === 'pad').map((c) => c.options.mode));
    expect([...padModes].sort()).toEqual(['circular', 'constant', 'reflect', 'replicate']);
    const convModes = new Set(fixture.cases.filter((c) => c.name === 'Conv2d').map((c) => c.options.paddingMode));
    expect([...convModes].sort()).toEqual(['circular', 'reflect', 'replicate', 'zeros']);
    const interpModes = new Set(fixture.cases.filter((c) => c.name === 'interpolate').map((c) => c.options.mode));
    expect([...interpModes].sort()).toEqual(['bilinear', 'linear', undefined].sort());
    expect(fixture.cases.filter((c) => c.dtype === 'float32').length).toBeGreaterThanOrEqual(5);
  });
});

describe('golden nn-convresample: layers vs PyTorch (forward and gradients)', () => {
  for (const c of fixture.cases.filter((k) => k.kind === 'module')) {
    it(c.id, () => {
      const tol = tolerance(c.dtype);
      const module = buildModule(c);
      const state: Record<string, Tensor> = {};
      for (const [k, t] of Object.entries(c.state_dict)) state[k] = fromFixture(t);
      module.loadStateDict(state);
      const x = fromFixture(c.input, { requiresGrad: true });
      const out = (
        c.forward ? (module as ConvTranspose2d).forward(x, { outputSize: c.forward.outputSize }) : module.forward(x)
      ) as Tensor;
      expect(out.dtype).toBe(c.dtype);
      closeTo(out, c.output, tol, `${c.id} output`);
      const params = module.namedParameters();
      checkGrads(c, ['input', ...params.map(([n]) => n)], [x, ...params.map(([, p]) => p)], out, tol);
    });
  }
});

describe('golden nn-convresample: functional forms vs PyTorch', () => {
  for (const c of fixture.cases.filter((k) => k.kind === 'functional')) {
    it(c.id, () => {
      const tol = tolerance(c.dtype);
      const x = fromFixture(c.input, { requiresGrad: true });
      const out = runFunctional(c, x);
      expect(out.dtype).toBe(c.dtype);
      closeTo(out, c.output, tol, `${c.id} output`);
      checkGrads(c, ['input'], [x], out, tol);
    });
  }
});
