import { gradients, type Tensor } from '@nablajs/core';
import {
  CELU,
  Embedding,
  F,
  GaussianNLLLoss,
  GLU,
  Hardsigmoid,
  Hardswish,
  Hardtanh,
  Mish,
  type Module,
  MultiLabelSoftMarginLoss,
  MultiMarginLoss,
  PoissonNLLLoss,
  PReLU,
  ReLU6,
  SELU,
  SoftMarginLoss,
  TripletMarginLoss,
} from '@nablajs/nn';
import { describe, expect, it } from 'vitest';
import {
  closeTo,
  type FixtureTensor,
  fromFixture,
  loadFixture,
  opsTolerance,
  type Tolerance,
} from './helpers/fixtures';

// PyTorch 1.13.1 reference values for issue 15's activations, losses and Embedding(maxNorm) (see
// test/fixtures/README-nn-actloss.md): every case runs twice, as the nabla module (options and state
// dict loaded by PyTorch's names) and as the F function, forward and backward with the same upstream.

interface Case {
  id: string;
  kind: 'act' | 'loss';
  dtype: 'float64' | 'float32';
  module: { name: string; options: Record<string, unknown> };
  fn: { name: string; args?: number[]; options?: Record<string, unknown> };
  inputs: FixtureTensor[];
  requires_grad: boolean[];
  tensor_options: Record<string, FixtureTensor>;
  state_dict: Record<string, FixtureTensor>;
  output: FixtureTensor;
  upstream: FixtureTensor;
  grads: (FixtureTensor | null)[];
  param_grads: Record<string, FixtureTensor>;
}

interface EmbeddingCase {
  id: string;
  dtype: 'float64' | 'float32';
  options: { maxNorm: number; normType?: number | 'inf'; paddingIdx?: number };
  state_dict: { weight: FixtureTensor };
  indices: FixtureTensor;
  weight_after: FixtureTensor;
  output: FixtureTensor;
  upstream: FixtureTensor;
  weight_grad: FixtureTensor;
}

const fixture = loadFixture<{ torch_version: string; cases: Case[]; embedding: EmbeddingCase[] }>('nn-actloss.json');

type Options = Record<string, unknown>;
const MODULES: Record<string, (o: Options) => Module> = {
  Hardtanh: (o) => new Hardtanh(o),
  ReLU6: () => new ReLU6(),
  Hardswish: () => new Hardswish(),
  Hardsigmoid: () => new Hardsigmoid(),
  SELU: () => new SELU(),
  Mish: () => new Mish(),
  CELU: (o) => new CELU(o),
  GLU: (o) => new GLU(o),
  PReLU: (o) => new PReLU({ ...o, dtype: o.dtype as 'float32' | 'float64' }),
  PoissonNLLLoss: (o) => new PoissonNLLLoss(o),
  SoftMarginLoss: (o) => new SoftMarginLoss(o),
  MultiLabelSoftMarginLoss: (o) => new MultiLabelSoftMarginLoss(o),
  MultiMarginLoss: (o) => new MultiMarginLoss(o),
  TripletMarginLoss: (o) => new TripletMarginLoss(o),
  GaussianNLLLoss: (o) => new GaussianNLLLoss(o),
};

// biome-ignore lint/suspicious/noExplicitAny: the F functions have different signatures; the fixture says which
const FUNCTIONS: Record<string, (...args: any[]) => Tensor> = {
  hardtanh: F.hardtanh,
  relu6: F.relu6,
  hardswish: F.hardswish,
  hardsigmoid: F.hardsigmoid,
  selu: F.selu,
  mish: F.mish,
  celu: F.celu,
  glu: F.glu,
  prelu: F.prelu,
  poissonNllLoss: F.poissonNllLoss,
  softMarginLoss: F.softMarginLoss,
  multilabelSoftMarginLoss: F.multilabelSoftMarginLoss,
  multiMarginLoss: F.multiMarginLoss,
  tripletMarginLoss: F.tripletMarginLoss,
  gaussianNllLoss: F.gaussianNllLoss,
};

/** The tolerance of a case's gradients. */
function gradTolerance(c: Case): Tolerance {
  // NOTE: PyTorch 1.13's hardsigmoid backward multiplies by the float32 value of 1/6 even in float64
  // (0.1666666716...), a relative error of 3e-8; nabla uses the exact 1/6.
  if (c.module.name === 'Hardsigmoid' && c.dtype === 'float64') return { rel: 1e-7 };
  return opsTolerance(c.dtype);
}

function check(c: Case, out: Tensor, params: Tensor[], paramNames: string[], xs: Tensor[], via: string) {
  closeTo(out, c.output, opsTolerance(c.dtype), `${c.id} (${via}) output`);
  const wanted = xs.filter((_, i) => c.requires_grad[i]);
  const grads = gradients([out], [...wanted, ...params], [fromFixture(c.upstream)]);
  let k = 0;
  c.grads.forEach((g, i) => {
    if (g === null) return;
    closeTo(grads[k++] as Tensor, g, gradTolerance(c), `${c.id} (${via}) grad of input ${i}`);
  });
  paramNames.forEach((name, j) => {
    closeTo(grads[k + j] as Tensor, c.param_grads[name], gradTolerance(c), `${c.id} (${via}) grad of ${name}`);
  });
}

describe('golden nn-actloss fixture', () => {
  it('was written by PyTorch 1.13 and covers every module, kinks and every reduction', () => {
    expect(fixture.torch_version).toMatch(/^1\.13\./); // Debian's 1.13.1 reports 1.13.0a0
    expect(new Set(fixture.cases.map((c) => c.module.name))).toEqual(new Set(Object.keys(MODULES)));
    for (const name of ['PoissonNLLLoss', 'SoftMarginLoss', 'MultiLabelSoftMarginLoss', 'MultiMarginLoss']) {
      const reductions = fixture.cases.filter((c) => c.module.name === name).map((c) => c.fn.options?.reduction);
      expect(new Set(reductions), name).toEqual(new Set(['mean', 'sum', 'none']));
    }
    expect(fixture.embedding.length).toBeGreaterThanOrEqual(4);
  });
});

describe('golden nn-actloss: modules and F functions vs PyTorch', () => {
  for (const c of fixture.cases) {
    it(c.id, () => {
      const tensorOptions: Record<string, Tensor> = {};
      for (const [k, t] of Object.entries(c.tensor_options)) tensorOptions[k] = fromFixture(t);

      // The module, with PyTorch's state dict loaded by name.
      const xs = c.inputs.map((t, i) => fromFixture(t, { requiresGrad: c.requires_grad[i] }));
      // Only PReLU takes a dtype (its weight's); the other modules have no parameters or buffers of their own.
      const dtype = c.module.name === 'PReLU' ? { dtype: c.dtype } : {};
      const module = MODULES[c.module.name]({ ...c.module.options, ...tensorOptions, ...dtype });
      const stateDict: Record<string, Tensor> = {};
      for (const [k, t] of Object.entries(c.state_dict)) stateDict[k] = fromFixture(t);
      module.loadStateDict(stateDict);
      const named = [...module.namedParameters()];
      expect(named.map(([n]) => n).sort()).toEqual(Object.keys(c.param_grads).sort());
      check(
        c,
        module.forward(...xs) as Tensor,
        named.map(([, p]) => p),
        named.map(([n]) => n),
        xs,
        'module',
      );

      // The F function on fresh copies of the inputs.
      const ys = c.inputs.map((t, i) => fromFixture(t, { requiresGrad: c.requires_grad[i] }));
      const f = FUNCTIONS[c.fn.name];
      if (c.fn.name === 'prelu') {
        const w = fromFixture(c.state_dict.weight, { requiresGrad: true });
        check(c, f(ys[0], w), [w], ['weight'], ys, 'F');
      } else if (c.fn.options !== undefined) {
        check(c, f(...ys, { ...c.fn.options, ...tensorOptions }), [], [], ys, 'F');
      } else {
        check(c, f(...ys, ...(c.fn.args ?? [])), [], [], ys, 'F');
      }
    });
  }
});

describe('golden nn-actloss: Embedding with maxNorm vs PyTorch', () => {
  for (const c of fixture.embedding) {
    const normType = c.options.normType === 'inf' ? Number.POSITIVE_INFINITY : c.options.normType;
    const tol = opsTolerance(c.dtype);

    it(`${c.id} (module)`, () => {
      const [num, dim] = c.state_dict.weight.shape;
      const emb = new Embedding(num, dim, {
        maxNorm: c.options.maxNorm,
        normType,
        paddingIdx: c.options.paddingIdx,
        dtype: c.dtype,
      });
      emb.loadStateDict({ weight: fromFixture(c.state_dict.weight) });
      const out = emb.forward(fromFixture(c.indices));
      closeTo(emb.weight, c.weight_after, tol, `${c.id} weight after the renorm`);
      closeTo(out, c.output, tol, `${c.id} output`);
      const [g] = gradients([out], [emb.weight], [fromFixture(c.upstream)]);
      closeTo(g as Tensor, c.weight_grad, tol, `${c.id} weight grad`);
    });

    it(`${c.id} (F.embedding)`, () => {
      const w = fromFixture(c.state_dict.weight, { requiresGrad: true });
      const out = F.embedding(fromFixture(c.indices), w, {
        paddingIdx: c.options.paddingIdx,
        maxNorm: c.options.maxNorm,
        normType,
      });
      closeTo(w, c.weight_after, tol, `${c.id} weight after the renorm`);
      closeTo(out, c.output, tol, `${c.id} output`);
      const [g] = gradients([out], [w], [fromFixture(c.upstream)]);
      closeTo(g as Tensor, c.weight_grad, tol, `${c.id} weight grad`);
    });
  }
});
