import { type Tensor, ValueError } from '@nablajs/core';
import {
  AlphaDropout,
  CircularPad1d,
  CircularPad2d,
  CircularPad3d,
  ConstantPad1d,
  ConstantPad3d,
  Dropout1d,
  Dropout3d,
  F,
  FeatureAlphaDropout,
  init,
  type Module,
  ReflectionPad3d,
  ReplicationPad3d,
  Softmax2d,
  ZeroPad1d,
  ZeroPad3d,
} from '@nablajs/nn';
import { describe, expect, it } from 'vitest';
import {
  checkForwardBackward,
  closeTo,
  type FixtureTensor,
  fromFixture,
  loadFixture,
  type Tolerance,
} from './helpers/fixtures';

// PyTorch 1.13 reference values of init.eye / init.dirac, the 1-D and 3-D padding modules, and the dropout variants
// where they are deterministic (eval mode, p = 0, p = 1) (scripts/fixtures/make_nn_more_layers_fixture.py).

interface InitCase {
  id: string;
  kind: 'init';
  name: 'eye' | 'dirac';
  args: number[];
  dtype: 'float64' | 'float32';
  before: FixtureTensor;
  after?: FixtureTensor;
  error?: string;
}

interface ForwardCase {
  id: string;
  kind: 'module' | 'functional';
  name: string;
  // biome-ignore lint/suspicious/noExplicitAny: the module's constructor arguments, as PyTorch got them
  args: any[];
  options: { p?: number; training?: boolean };
  training?: boolean;
  dtype: 'float64' | 'float32';
  input: FixtureTensor;
  output: FixtureTensor;
  upstream: FixtureTensor;
  grads: { input: FixtureTensor };
}

type Case = InitCase | ForwardCase;

const fixture = loadFixture<{ format: string; torch_version: string; cases: Case[] }>('nn-more-layers.json');
const initCases = fixture.cases.filter((c): c is InitCase => c.kind === 'init');
const forwardCases = fixture.cases.filter((c): c is ForwardCase => c.kind !== 'init');
// Padding copies and sums values, dropout in these cases copies or zeroes them, Softmax2d rounds a few
// operations: agreement to rounding.
const tolerance = (dtype: string): Tolerance => ({ rel: dtype === 'float32' ? 1e-6 : 1e-12 });

function buildModule(c: ForwardCase): Module {
  const [a0, a1] = c.args;
  switch (c.name) {
    case 'ConstantPad1d':
      return new ConstantPad1d(a0, a1);
    case 'ConstantPad3d':
      return new ConstantPad3d(a0, a1);
    case 'ReflectionPad3d':
      return new ReflectionPad3d(a0);
    case 'ReplicationPad3d':
      return new ReplicationPad3d(a0);
    case 'ZeroPad1d':
      return new ZeroPad1d(a0);
    case 'ZeroPad3d':
      return new ZeroPad3d(a0);
    case 'CircularPad1d':
      return new CircularPad1d(a0);
    case 'CircularPad2d':
      return new CircularPad2d(a0);
    case 'CircularPad3d':
      return new CircularPad3d(a0);
    case 'Softmax2d':
      return new Softmax2d();
    case 'Dropout1d':
      return new Dropout1d(a0);
    case 'Dropout3d':
      return new Dropout3d(a0);
    case 'AlphaDropout':
      return new AlphaDropout(a0);
    case 'FeatureAlphaDropout':
      return new FeatureAlphaDropout(a0);
    default:
      throw new Error(`no nabla module for ${c.name}`);
  }
}

function runFunctional(c: ForwardCase, x: Tensor): Tensor {
  switch (c.name) {
    case 'dropout1d':
      return c.options.training === undefined
        ? F.dropout1d(x, c.options.p)
        : F.dropout1d(x, c.options.p, c.options.training);
    case 'dropout3d':
      return c.options.training === undefined
        ? F.dropout3d(x, c.options.p)
        : F.dropout3d(x, c.options.p, c.options.training);
    case 'alphaDropout':
      return c.options.training === undefined
        ? F.alphaDropout(x, c.options.p)
        : F.alphaDropout(x, c.options.p, c.options.training);
    case 'featureAlphaDropout':
      return c.options.training === undefined
        ? F.featureAlphaDropout(x, c.options.p)
        : F.featureAlphaDropout(x, c.options.p, c.options.training);
    default:
      throw new Error(`no nabla function for ${c.name}`);
  }
}

function check(c: ForwardCase, run: (x: Tensor) => Tensor): void {
  checkForwardBackward(c, run, tolerance(c.dtype));
}

describe('golden nn-more-layers fixture', () => {
  it('was made by PyTorch 1.13 and covers every initialiser, module and function', () => {
    expect(fixture.format).toBe('nabla-nn-more-layers/v1');
    expect(fixture.torch_version).toMatch(/^1\.13/);
    const names = new Set(fixture.cases.map((c) => `${c.kind}:${c.name}`));
    expect([...names].sort()).toEqual(
      [
        'init:eye',
        'init:dirac',
        'module:ConstantPad1d',
        'module:ConstantPad3d',
        'module:ReflectionPad3d',
        'module:ReplicationPad3d',
        'module:ZeroPad1d',
        'module:ZeroPad3d',
        'module:CircularPad1d',
        'module:CircularPad2d',
        'module:CircularPad3d',
        'module:Softmax2d',
        'module:Dropout1d',
        'module:Dropout3d',
        'module:AlphaDropout',
        'module:FeatureAlphaDropout',
        'functional:dropout1d',
        'functional:dropout3d',
        'functional:alphaDropout',
        'functional:featureAlphaDropout',
      ].sort(),
    );
    expect(initCases.filter((c) => c.name === 'dirac' && (c.args[0] ?? 1) > 1 && !c.error).length).toBeGreaterThan(2);
    expect(initCases.filter((c) => c.error !== undefined).length).toBeGreaterThanOrEqual(4);
    const dims = new Set(initCases.filter((c) => c.name === 'dirac' && !c.error).map((c) => c.before.shape.length));
    expect([...dims].sort()).toEqual([3, 4, 5]);
    expect(forwardCases.filter((c) => c.dtype === 'float32').length).toBeGreaterThanOrEqual(6);
    // some dropout cases really drop (p = 1 in training) and some pass through (eval)
    expect(forwardCases.some((c) => c.kind === 'module' && c.name === 'AlphaDropout' && c.training === true)).toBe(
      true,
    );
    expect(forwardCases.some((c) => c.kind === 'module' && c.training === false)).toBe(true);
  });
});

describe('golden nn-more-layers: init.eye and init.dirac vs PyTorch', () => {
  for (const c of initCases) {
    it(c.id, () => {
      const t = fromFixture(c.before);
      const run = () => (c.name === 'eye' ? init.eye(t) : init.dirac(t, ...c.args));
      if (c.error !== undefined) {
        expect(c.error).toBe('ValueError');
        expect(run).toThrow(ValueError);
        return;
      }
      const before = t.version;
      expect(run()).toBe(t);
      expect(t.version).toBe(before + 1);
      // the values are 0 and 1 only: exact
      closeTo(t, c.after as FixtureTensor, { rel: 0 }, `${c.id} after`);
    });
  }
});

describe('golden nn-more-layers: padding and dropout modules vs PyTorch (forward and input gradient)', () => {
  for (const c of forwardCases.filter((k) => k.kind === 'module')) {
    it(c.id, () => {
      const module = buildModule(c);
      if (c.training === false) module.eval();
      check(c, (x) => module.forward(x) as Tensor);
    });
  }
});

describe('golden nn-more-layers: F.dropout1d, dropout3d, alphaDropout, featureAlphaDropout vs PyTorch', () => {
  for (const c of forwardCases.filter((k) => k.kind === 'functional')) {
    it(c.id, () => check(c, (x) => runFunctional(c, x)));
  }
});
