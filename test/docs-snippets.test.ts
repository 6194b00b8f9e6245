// The longer code blocks of docs/guides/*.md, as small functions with asserted outputs, so that the
// guides cannot drift from the API. Each describe block names its guide and section.

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as core from '@nablajs/core';
import {
  AnomalyError,
  allocate,
  arange,
  DisposedError,
  detectAnomaly,
  eye,
  Generator,
  getBackend,
  getWasmBackendInfo,
  grad,
  gradcheck,
  gradgradcheck,
  gradients,
  initWasmBackend,
  isWasmRelaxedSimdSupported,
  linspace,
  matmulTransposed,
  noGrad,
  ones,
  onesLike,
  randint,
  randn,
  SavedTensorModifiedError,
  setBackend,
  type Tensor,
  type TypedArray,
  tensor,
  tidy,
  valueAndGrad,
  vjp,
  wasmMemoryBytes,
  zeros,
} from '@nablajs/core';
import {
  crossEntropy,
  init,
  Linear,
  loadSafetensors,
  Module,
  mseLoss,
  parameter,
  parametrizations,
  parametrize,
  ReLU,
  Sequential,
  StateDictError,
  saveSafetensors,
  summary,
  Tanh,
} from '@nablajs/nn';
import { loadFile, saveFile } from '@nablajs/nn/node';
import {
  accumulateGradients,
  addWeightDecay,
  chain,
  chainedScheduler,
  checkNumber,
  clipByGlobalNorm,
  clipGradNorm,
  clipGradValue,
  cosineAnnealingLR,
  createOptimizer,
  defineOptimizer,
  definePlugin,
  emaWeights,
  flipIfMaximize,
  linearLR,
  listOptimizers,
  lookaheadSync,
  type Optimizer,
  oneCycleLR,
  pluginOf,
  reduceLROnPlateau,
  resetRegistry,
  scaleByAdam,
  scaleByLearningRate,
  sequentialLR,
  traceMomentum,
  type UpdateRule,
  usePlugin,
} from '@nablajs/optim';
import { assertOptimizerConformance, checkOptimizerConformance } from '@nablajs/optim/testkit';
import { adabelief } from '@nablajs/optim-adabelief';
import { adadelta } from '@nablajs/optim-adadelta';
import { adafactor } from '@nablajs/optim-adafactor';
import { adagrad } from '@nablajs/optim-adagrad';
import adamPlugin, { adam, adamax, adamw, nadam, radam } from '@nablajs/optim-adam';
import { adopt } from '@nablajs/optim-adopt';
import { lamb } from '@nablajs/optim-lamb';
import { lbfgs } from '@nablajs/optim-lbfgs';
import { lion } from '@nablajs/optim-lion';
import { mars } from '@nablajs/optim-mars';
import { rmsprop } from '@nablajs/optim-rmsprop';
import { rprop } from '@nablajs/optim-rprop';
import sgdPlugin, { asgd, sgd } from '@nablajs/optim-sgd';
import { afterEach, describe, expect, it } from 'vitest';

afterEach(() => resetRegistry());

describe('guide: getting-started', () => {
  it('tensors and gradients: d/dx Σ x² = 2x', () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    const y = x.mul(x).sum();
    y.backward();
    expect(x.grad!.toArray()).toEqual([2, 4, 6]);
  });

  it('a model, a loss, an optimizer: the sin(3x) regression reaches the noise level', () => {
    const gen = new Generator(0);
    const x = randn([128, 1], { generator: gen });
    const y = x
      .mul(3)
      .sin()
      .add(randn([128, 1], { generator: gen }).mul(0.05));
    const model = new Sequential(
      new Linear(1, 32, { generator: gen }),
      new Tanh(),
      new Linear(32, 1, { generator: gen }),
    );
    const opt = adam(model.parameters(), { lr: 0.01 });
    const first = noGrad(() => mseLoss(model.forward(x), y).item());
    for (let step = 0; step < 500; step++) {
      opt.zeroGrad();
      const loss = mseLoss(model.forward(x), y);
      loss.backward();
      opt.step();
    }
    model.eval();
    const finalLoss = noGrad(() => mseLoss(model.forward(x), y).item());
    expect(first).toBeGreaterThan(0.3);
    // "below 0.01 (the noise alone is 0.05² = 0.0025)"
    expect(finalLoss).toBeGreaterThan(0.002);
    expect(finalLoss).toBeLessThan(0.01);
  });

  it('optimizers by name', () => {
    const model = new Sequential(new Linear(2, 2));
    usePlugin(sgdPlugin);
    usePlugin(adamPlugin);
    expect(listOptimizers()).toEqual(['adam', 'adamax', 'adamw', 'asgd', 'cautiousAdamw', 'nadam', 'radam', 'sgd']);
    const opt = createOptimizer('sgd', model.parameters(), { lr: 0.1, momentum: 0.9 });
    expect(opt.name).toBe('sgd');
    expect(opt.paramGroups[0].momentum).toBe(0.9);
  });
});

describe('guide: tensors-and-autodiff', () => {
  it('tensors: creation, shape, dtype, printing', () => {
    const a = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(a.shape).toEqual([2, 3]);
    expect(a.dtype).toBe('float32');
    expect(a.size).toBe(6);
    expect(a.toArray()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(String(a)).toBe('tensor([[1., 2., 3.],\n        [4., 5., 6.]])');
    expect(tensor([1.5, 2], { dtype: 'float64' }).dtype).toBe('float64');
    expect(tensor([0, 2, 1], { dtype: 'int32' }).dtype).toBe('int32');
    expect(zeros([2, 3]).shape).toEqual([2, 3]);
    expect(ones([3]).toArray()).toEqual([1, 1, 1]);
    expect(eye(3).toArray()).toEqual([
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ]);
    expect(arange(5).toArray()).toEqual([0, 1, 2, 3, 4]);
    expect(arange(5).dtype).toBe('float32');
    expect(arange(0, 5, 1, { dtype: 'int32' }).dtype).toBe('int32');
    expect(linspace(0, 1, 5).toArray()).toEqual([0, 0.25, 0.5, 0.75, 1]);
    const r1 = randn([2, 3], { generator: new Generator(42) });
    const r2 = randn([2, 3], { generator: new Generator(42) });
    expect(Array.from(r1.data)).toEqual(Array.from(r2.data));
    expect(tensor([1], { dtype: 'float32' }).add(tensor([1], { dtype: 'float64' })).dtype).toBe('float64');
  });

  it('ops and broadcasting', () => {
    const a = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(a.add(tensor([10, 20, 30])).toArray()).toEqual([
      [11, 22, 33],
      [14, 25, 36],
    ]);
    expect(a.sum(1).toArray()).toEqual([6, 15]);
    expect(a.mean(0, true).toArray()).toEqual([[2.5, 3.5, 4.5]]);
    expect(a.matmul(a.T).toArray()).toEqual([
      [14, 32],
      [32, 77],
    ]);
  });

  it('changing tensors in place: sub_ under noGrad, and a saved tensor changed through data', () => {
    const w = tensor([1, 2], { requiresGrad: true });
    w.mul(w).sum().backward();
    noGrad(() => w.sub_(w.grad!, { alpha: 0.1 }));
    expect(Array.from(w.values)).toEqual([Math.fround(0.8), Math.fround(1.6)]);
    expect(w.version).toBe(1);

    const x = tensor([1, 2, 3], { requiresGrad: true });
    const s = x.mul(x).sum();
    x.data[0] = 10;
    expect(() => s.backward()).toThrow(SavedTensorModifiedError);
    expect(() => s.backward()).toThrow(
      /input 0 of op "mul" \(shape \[3\]\) was modified in place after the op saved it for backward: saved at version 0, now at version 1/,
    );
    const y = tensor([1, 2, 3], { requiresGrad: true });
    const t = y.add(1).sum(); // saves nothing
    y.data[0] = 10;
    t.backward();
    expect(y.grad!.toArray()).toEqual([1, 1, 1]);
  });

  it('gradients accumulate; backward frees the graph; non-scalar outputs need a gradient', () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    x.mul(x).sum().backward();
    expect(x.grad!.toArray()).toEqual([2, 4, 6]);
    x.mul(x).sum().backward();
    expect(x.grad!.toArray()).toEqual([4, 8, 12]);
    x.grad = null;
    const loss = x.square().sum();
    loss.backward();
    expect(() => loss.backward()).toThrow(/retainGraph: true/);
    const y = x.mul(2);
    expect(() => y.backward()).toThrow(/one-element/);
    x.grad = null;
    y.backward(onesLike(y));
    expect(x.grad!.toArray()).toEqual([2, 2, 2]);
  });

  it('retainGrad, hooks and noGrad', () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    const h = x.square();
    h.retainGrad();
    const remove = x.registerHook((g) => g.mul(10));
    h.sum().backward();
    expect(h.grad!.toArray()).toEqual([1, 1, 1]);
    expect(x.grad!.toArray()).toEqual([20, 40, 60]);
    remove();
    x.grad = null;
    x.square().sum().backward();
    expect(x.grad!.toArray()).toEqual([2, 4, 6]);
    expect(noGrad(() => x.mul(2)).requiresGrad).toBe(false);
    expect(x.detach().requiresGrad).toBe(false);
  });

  it("conventions at kinks are PyTorch's", () => {
    const x = tensor([-1, 0, 2], { requiresGrad: true });
    x.relu().sum().backward();
    expect(x.grad!.toArray()).toEqual([0, 0, 1]);
    const m = tensor([3, 1, 3], { requiresGrad: true });
    m.max().backward();
    expect(m.grad!.toArray()).toEqual([0.5, 0, 0.5]);
    const a = tensor([-1, 0, 2], { requiresGrad: true });
    a.abs().sum().backward();
    expect(a.grad!.toArray()).toEqual([-1, 0, 1]);
    const c = tensor([-1, 0, 1, 2], { requiresGrad: true });
    c.clamp(0, 1).sum().backward();
    expect(c.grad!.toArray()).toEqual([0, 1, 1, 0]);
  });

  it('the functional API: grad, valueAndGrad, vjp, gradients', () => {
    const f = (x: Tensor) => x.pow(3).sum();
    expect(grad(f)(tensor([2])).item()).toBe(12);
    const [value, [dw, db]] = valueAndGrad((w: Tensor, b: Tensor) => w.mul(b).sum(), [0, 1])(
      tensor([1, 2]),
      tensor([3, 4]),
    );
    expect(value.item()).toBe(11);
    expect(dw.toArray()).toEqual([3, 4]);
    expect(db.toArray()).toEqual([1, 2]);
    const [y, pullback] = vjp((x: Tensor) => x.mul(x), tensor([1, 2, 3]));
    expect(y.toArray()).toEqual([1, 4, 9]);
    expect(pullback(tensor([1, 0, 1]))[0].toArray()).toEqual([2, 0, 6]);
    const x = tensor([1, 2], { requiresGrad: true });
    const [g] = gradients([x.pow(3).sum()], [x]);
    expect(g!.toArray()).toEqual([3, 12]);
    expect(x.grad).toBe(null);
  });

  it('gradients of gradients: createGraph, nested grad, backward with createGraph', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const [g] = gradients([x.pow(3).sum()], [x], null, { createGraph: true });
    expect(g!.toArray()).toEqual([3, 12]);
    const [h] = gradients([g!.sum()], [x]);
    expect(h!.toArray()).toEqual([6, 12]);
    const f = (t: Tensor) => t.pow(3).sum();
    expect(grad((t: Tensor) => grad(f)(t).sum())(tensor([2])).item()).toBe(12);
    const p = tensor([1, 2], { requiresGrad: true });
    p.pow(3).sum().backward(null, { createGraph: true });
    const gp = p.grad!;
    p.grad = null;
    gp.sum().backward();
    expect(p.grad!.toArray()).toEqual([6, 12]);
  });

  it('a Hessian-vector product by double backward', () => {
    function hessianVectorProduct(loss: () => Tensor, params: Tensor[], v: Tensor[]): Tensor[] {
      const g = gradients([loss()], params, null, { createGraph: true }) as Tensor[];
      const gv = g.map((gi, i) => gi.mul(v[i]).sum()).reduce((a, b) => a.add(b));
      return gradients([gv], params) as Tensor[];
    }
    const p = tensor([1, 2], { dtype: 'float64', requiresGrad: true });
    const f = () =>
      p
        .slice([[0, 1]])
        .square()
        .mul(p.slice([[1, 2]]))
        .add(p.slice([[1, 2]]).pow(3))
        .sum();
    expect(hessianVectorProduct(f, [p], [tensor([1, 0], { dtype: 'float64' })])[0].toArray()).toEqual([4, 2]);
    expect(hessianVectorProduct(f, [p], [tensor([0, 1], { dtype: 'float64' })])[0].toArray()).toEqual([2, 12]);
  });

  it('gradcheck, gradgradcheck and detectAnomaly', () => {
    const x = tensor([0.5, -1.5], { dtype: 'float64', requiresGrad: true });
    expect(gradcheck((a) => a.tanh().mul(a), [x])).toBe(true);
    expect(gradgradcheck((a) => a.tanh().mul(a), [x])).toBe(true);
    const run = () =>
      detectAnomaly(() => {
        const t = tensor([0], { requiresGrad: true });
        t.sqrt().mul(0).sum().backward();
      });
    expect(run).toThrow(AnomalyError);
    expect(run).toThrow('detectAnomaly: backward of op "sqrt" produced NaN at flat index 0 of a tensor of shape [1]');
  });
});

class Mlp extends Module {
  readonly fc1 = this.registerModule('fc1', new Linear(4, 8));
  readonly fc2 = this.registerModule('fc2', new Linear(8, 3));
  readonly scale = this.registerParameter('scale', parameter(ones([1])));
  readonly seen = this.registerBuffer('seen', zeros([1]));

  forward(x: Tensor): Tensor {
    return this.fc2.forward(this.fc1.forward(x).relu()).mul(this.scale);
  }
}

describe('guide: building-models', () => {
  it('parametrizations: a symmetric weight, spectral norm and weight norm, with their names', () => {
    class Symmetric extends Module {
      forward(x: Tensor): Tensor {
        return core.add(core.triu(x), core.transpose(core.triu(x, 1), 0, 1));
      }
      rightInverse(a: Tensor): Tensor {
        return core.triu(a);
      }
    }
    const layer = parametrize.registerParametrization(new Linear(8, 8), 'weight', new Symmetric());
    expect(layer.namedParameters().map(([n]) => n)).toEqual(['bias', 'parametrizations.weight.original']);
    const w = layer.weight;
    expect(Array.from(w.data)).toEqual(Array.from(core.transpose(w, 0, 1).data));
    const critic = parametrizations.spectralNorm(new Linear(64, 1));
    expect(critic.weight.shape).toEqual([1, 64]);
    // A 1 x 64 weight's only singular value is its norm: the power iteration finds it, so the weight has norm 1.
    expect(Math.hypot(...critic.weight.data)).toBeCloseTo(1, 5);
    const wn = parametrizations.weightNorm(new Linear(64, 32));
    expect(wn.namedParameters().map(([n]) => n)).toEqual([
      'bias',
      'parametrizations.weight.original0',
      'parametrizations.weight.original1',
    ]);
    const x = randn([2, 64]);
    const [a, b] = parametrize.cached(() => [wn.weight, wn.weight]);
    expect(a).toBe(b);
    expect(wn.forward(x).shape).toEqual([2, 32]);
    parametrize.removeParametrizations(layer, 'weight');
    expect(layer.namedParameters().map(([n]) => n)).toEqual(['bias', 'weight']);
    const rotation = parametrizations.orthogonal(new Linear(16, 16, { dtype: 'float64' }));
    const gram = core.matmulTransposed(rotation.weight, rotation.weight, { transB: true });
    const id = core.eye(16, 16, { dtype: 'float64' });
    expect(Math.max(...Array.from(gram.data, (v, i) => Math.abs(v - id.data[i])))).toBeLessThan(1e-12);
  });

  it('a Module subclass registers parameters, buffers and submodules', () => {
    const model = new Mlp();
    expect(model.namedParameters().map(([name]) => name)).toEqual([
      'scale',
      'fc1.weight',
      'fc1.bias',
      'fc2.weight',
      'fc2.bias',
    ]);
    expect(model.forward(zeros([2, 4])).shape).toEqual([2, 3]);
    expect(Object.keys(model.stateDict())).toContain('seen');
    expect(model.buffers()).toHaveLength(1);
  });

  it('layers name themselves in errors', () => {
    expect(() => new Linear(4, 8).forward(zeros([2, 5]))).toThrow(
      'Linear(4, 8): input has 5 features in its last dimension, expected 4 (input shape [2,5])',
    );
  });

  it('summary prints the table of the guide', () => {
    const text = summary(new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 3)), [2, 4]);
    expect(text.split('\n')).toEqual([
      'Sequential',
      '=====================================',
      'Layer (type)   Output shape   Param #',
      '-------------------------------------',
      '0 (Linear)     [2,8]               40',
      '1 (ReLU)       [2,8]                0',
      '2 (Linear)     [2,3]               27',
      '=====================================',
      'Input shape: [2,4]',
      'Output shape: [2,3]',
      'Total params: 67',
      'Trainable params: 67',
      'Non-trainable params: 0',
    ]);
  });

  it('initialisation: seeded layers and in-place initialisers', () => {
    const a = new Linear(256, 128, { generator: new Generator(0) });
    const b = new Linear(256, 128, { generator: new Generator(0) });
    expect(Array.from(a.weight.data)).toEqual(Array.from(b.weight.data));
    // PyTorch's default: |w| <= 1/√fanIn
    expect(Math.max(...Array.from(a.weight.data, Math.abs))).toBeLessThanOrEqual(1 / 16);
    const fc = a;
    expect(init.kaimingNormal(fc.weight, { nonlinearity: 'relu', generator: new Generator(1) })).toBe(fc.weight);
    const w = Array.from(fc.weight.data);
    const std = Math.sqrt(w.reduce((s, v) => s + v * v, 0) / w.length);
    expect(std).toBeCloseTo(Math.sqrt(2 / 256), 3); // gain √2 over √fanIn
    init.zeros(fc.bias!);
    expect(fc.bias!.toArray()).toEqual(new Array(128).fill(0));
    expect(init.calculateGain('relu')).toBeCloseTo(Math.SQRT2, 15);
  });

  it('crossEntropy: values, label smoothing and the error message', () => {
    const logits = tensor([
      [2, 0.5, -1],
      [0, 1, 0],
    ]);
    const target = tensor([0, 1], { dtype: 'int32' });
    // by hand: mean of -log softmax(x)[target]
    const lse = (xs: number[]) => Math.log(xs.reduce((s, v) => s + Math.exp(v), 0));
    const expected = (lse([2, 0.5, -1]) - 2 + (lse([0, 1, 0]) - 1)) / 2;
    expect(crossEntropy(logits, target).item()).toBeCloseTo(expected, 6);
    expect(crossEntropy(logits, target).item()).toBeCloseTo(0.3964, 4);
    expect(crossEntropy(logits, target, { labelSmoothing: 0.1 }).item()).toBeCloseTo(0.5047, 4);
    expect(() => crossEntropy(logits, tensor([7, 1], { dtype: 'int32' }))).toThrow(
      'crossEntropy: target 7 is out of range for 3 classes (expected [0, 3) or ignoreIndex -100)',
    );
  });

  it('state dicts: copies out, all-or-nothing loading, strict: false', () => {
    const a = new Mlp();
    const b = new Mlp();
    const x = randn([3, 4], { generator: new Generator(5) });
    b.loadStateDict(a.stateDict());
    expect(Array.from(b.forward(x).data)).toEqual(Array.from(a.forward(x).data));
    const before = Array.from(b.fc1.weight.data);
    let error: unknown;
    try {
      b.loadStateDict({ 'fc1.weight': zeros([8, 4]) });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StateDictError);
    expect((error as Error).message).toMatch(
      /^Mlp\.loadStateDict: 5 problems \(nothing was loaded\): missing keys: "scale", "seen", /,
    );
    expect(Array.from(b.fc1.weight.data)).toEqual(before);
    const result = b.loadStateDict({ 'fc1.weight': zeros([8, 4]) }, { strict: false });
    expect(result).toEqual({
      missingKeys: ['scale', 'seen', 'fc1.bias', 'fc2.weight', 'fc2.bias'],
      unexpectedKeys: [],
    });
    expect(Array.from(b.fc1.weight.data).every((v) => v === 0)).toBe(true);
  });

  it('the same initial weights for several optimizers', () => {
    const model = new Mlp();
    const initial = model.stateDict();
    const x = randn([8, 4], { generator: new Generator(3) });
    const y = randn([8, 3], { generator: new Generator(4) });
    const firstLosses: number[] = [];
    for (const factory of [adam, rmsprop]) {
      model.loadStateDict(initial);
      const opt = factory(model.parameters(), { lr: 1e-2 });
      for (let k = 0; k < 3; k++) {
        opt.zeroGrad();
        const loss = mseLoss(model.forward(x), y);
        if (k === 0) firstLosses.push(loss.item());
        loss.backward();
        opt.step();
      }
    }
    expect(firstLosses[1]).toBe(firstLosses[0]);
  });

  it('safetensors: bytes round trip with metadata, and atomic files on Node', () => {
    const model = new Mlp();
    const bytes = saveSafetensors(model.stateDict(), { epoch: '3' });
    const { tensors, metadata } = loadSafetensors(bytes);
    expect(metadata.epoch).toBe('3');
    const other = new Mlp();
    other.loadStateDict(tensors);
    expect(Array.from(other.fc2.weight.data)).toEqual(Array.from(model.fc2.weight.data));
    const dir = mkdtempSync(join(tmpdir(), 'nabla-docs-'));
    try {
      const path = join(dir, 'model.safetensors');
      saveFile(path, model.stateDict());
      const third = new Mlp();
      third.loadStateDict(loadFile(path).tensors);
      expect(Array.from(third.fc1.bias!.data)).toEqual(Array.from(model.fc1.bias!.data));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Take `steps` steps of `make([p])` with the fixed gradient `g`; returns p after each step. */
function stepsWithGradient(make: (params: Tensor[]) => Optimizer, g: number[], p0: number[], steps = 1): number[][] {
  const p = tensor(p0, { dtype: 'float64', requiresGrad: true });
  const opt = make([p]);
  const out: number[][] = [];
  for (let k = 0; k < steps; k++) {
    p.grad = tensor(g, { dtype: 'float64' });
    opt.step();
    out.push(Array.from(p.data));
  }
  return out;
}

describe('guide: optimizers', () => {
  it("the defaults of the table are each factory's", () => {
    const p = () => [tensor([1], { requiresGrad: true })];
    const defaults = (o: Optimizer) => ({ ...o.defaults });
    expect(defaults(sgd(p()))).toEqual({
      lr: 1e-3,
      momentum: 0,
      dampening: 0,
      weightDecay: 0,
      nesterov: false,
      maximize: false,
    });
    expect(defaults(asgd(p()))).toEqual({
      lr: 0.01,
      lambd: 1e-4,
      alpha: 0.75,
      t0: 1e6,
      weightDecay: 0,
      maximize: false,
    });
    const adamDefaults = { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false };
    expect(defaults(adam(p()))).toEqual({ ...adamDefaults, decoupledWeightDecay: false });
    expect(defaults(adamw(p()))).toEqual({ ...adamDefaults, weightDecay: 0.01 });
    expect(defaults(adamax(p()))).toEqual({
      lr: 2e-3,
      betas: [0.9, 0.999],
      eps: 1e-8,
      weightDecay: 0,
      maximize: false,
    });
    expect(defaults(nadam(p()))).toEqual({
      lr: 2e-3,
      betas: [0.9, 0.999],
      eps: 1e-8,
      weightDecay: 0,
      momentumDecay: 4e-3,
      decoupledWeightDecay: false,
      maximize: false,
    });
    expect(defaults(radam(p()))).toEqual({
      lr: 1e-3,
      betas: [0.9, 0.999],
      eps: 1e-8,
      weightDecay: 0,
      decoupledWeightDecay: false,
      maximize: false,
    });
    expect(defaults(rmsprop(p()))).toEqual({
      lr: 0.01,
      alpha: 0.99,
      eps: 1e-8,
      weightDecay: 0,
      momentum: 0,
      centered: false,
      maximize: false,
    });
    expect(defaults(adagrad(p()))).toEqual({
      lr: 0.01,
      lrDecay: 0,
      weightDecay: 0,
      initialAccumulatorValue: 0,
      eps: 1e-10,
      maximize: false,
    });
    expect(defaults(adadelta(p()))).toEqual({ lr: 1, rho: 0.9, eps: 1e-6, weightDecay: 0, maximize: false });
    expect(defaults(rprop(p()))).toEqual({ lr: 0.01, etas: [0.5, 1.2], stepSizes: [1e-6, 50], maximize: false });
    expect(defaults(lbfgs(p()))).toEqual({
      lr: 1,
      maxIter: 20,
      maxEval: 25,
      toleranceGrad: 1e-7,
      toleranceChange: 1e-9,
      historySize: 100,
      lineSearchFn: null,
    });
    expect(defaults(lion(p()))).toEqual({ lr: 1e-4, betas: [0.9, 0.99], weightDecay: 0, maximize: false });
    expect(defaults(lamb(p()))).toEqual({
      lr: 1e-3,
      betas: [0.9, 0.999],
      eps: 1e-6,
      weightDecay: 0,
      biasCorrection: true,
      trustClip: false,
    });
    expect(defaults(adafactor(p()))).toEqual({
      lr: 1e-2,
      beta2Decay: -0.8,
      eps: [null, 1e-3],
      d: 1,
      weightDecay: 0,
      maximize: false,
    });
    expect(defaults(adabelief(p()))).toEqual({
      lr: 1e-3,
      betas: [0.9, 0.999],
      eps: 1e-16,
      weightDecay: 0,
      amsgrad: false,
      weightDecouple: true,
      fixedDecay: false,
      rectify: true,
      degeneratedToSgd: true,
    });
    // clipLambda (step ↦ step^0.25) is optimizer-wide, not a group hyperparameter
    expect(defaults(adopt(p()))).toEqual({
      lr: 1e-3,
      betas: [0.9, 0.9999],
      eps: 1e-6,
      weightDecay: 0,
      decouple: false,
      maximize: false,
    });
    expect(defaults(mars(p()))).toEqual({
      lr: 3e-3,
      betas: [0.95, 0.99],
      eps: 1e-8,
      weightDecay: 0,
      amsgrad: false,
      gamma: 0.025,
      marsType: 'mars-adamw',
      optimize1d: false,
      lr1d: 3e-3,
      betas1d: [0.9, 0.95],
      weightDecay1d: 0.1,
    });
  });

  it('using an optimizer: groups, writable hyperparameters, JSON state, validation', () => {
    const backbone = [tensor([1, 2], { requiresGrad: true })];
    const head = [tensor([3], { requiresGrad: true })];
    const opt = adam([{ params: backbone, lr: 1e-4 }, { params: head }], { lr: 1e-3 });
    expect(opt.paramGroups.map((g) => g.lr)).toEqual([1e-4, 1e-3]);
    opt.paramGroups[0].lr = 0.01;
    for (const p of [...backbone, ...head]) p.grad = tensor(p.shape[0] === 2 ? [1, -1] : [1]);
    opt.step();
    expect(backbone[0].data[0]).toBeCloseTo(1 - 0.01, 6); // Adam's first step is lr·sign(g)
    expect(head[0].data[0]).toBeCloseTo(3 - 1e-3, 6);
    const saved = JSON.parse(JSON.stringify(opt.stateDict()));
    const again = adam([{ params: backbone, lr: 1e-4 }, { params: head }], { lr: 1e-3 });
    again.loadStateDict(saved);
    expect(again.paramGroups[0].lr).toBe(0.01);
    opt.zeroGrad();
    expect(backbone[0].grad).toBe(null);
    expect(() => adam(backbone, { betas: [0.9, 1.5] })).toThrow('adam: betas[1] must be in [0, 1), got 1.5');
    expect(() => sgd(backbone, { weight_decay: 0.1 } as never)).toThrow(
      'sgd: unknown option "weight_decay" in options; valid options: lr, momentum, dampening, weightDecay, nesterov, maximize',
    );
  });

  it('trap: epsilon placement in Adam (a 1e-9 gradient moves by lr/11)', () => {
    const [[a, b]] = stepsWithGradient((ps) => adam(ps, { lr: 0.01 }), [1e-3, 1e-9], [0, 0]);
    expect(a).toBeCloseTo(-0.01, 6);
    expect(b).toBeCloseTo(-0.01 / 11, 10);
  });

  it("trap: bias correction (Adam's first step is lr, RMSprop's 10·lr whatever the scale)", () => {
    const [adamStep] = stepsWithGradient((ps) => adam(ps, { lr: 0.01 }), [0.001, 1000], [0, 0]);
    expect(adamStep[0]).toBeCloseTo(-0.01, 6);
    expect(adamStep[1]).toBeCloseTo(-0.01, 9);
    const [rmsStep] = stepsWithGradient((ps) => rmsprop(ps, { lr: 0.01 }), [0.001, 1000], [0, 0]);
    expect(rmsStep[0]).toBeCloseTo(-0.1, 4);
    expect(rmsStep[1]).toBeCloseTo(-0.1, 9);
  });

  it('trap: L2 in Adam moves every weight by about lr; AdamW shrinks by lr·λ·p', () => {
    const [adamStep] = stepsWithGradient((ps) => adam(ps, { lr: 0.1, weightDecay: 0.01 }), [0, 0], [10, 0.001]);
    expect(adamStep[0]).toBeCloseTo(9.9, 6);
    expect(adamStep[1]).toBeCloseTo(0.001 - 0.0999, 6);
    const [adamwStep] = stepsWithGradient((ps) => adamw(ps, { lr: 0.1, weightDecay: 0.01 }), [0, 0], [10, 0.001]);
    expect(adamwStep[0]).toBeCloseTo(10 - 0.01, 12);
    expect(adamwStep[1]).toBeCloseTo(0.001 - 1e-6, 15);
  });

  it("trap: SGD's momentum buffer starts at the first gradient, without (1 - dampening)", () => {
    const plain = stepsWithGradient((ps) => sgd(ps, { lr: 0.1, momentum: 0.9 }), [1], [0], 3);
    expect(plain.map(([v]) => v)).toEqual([-0.1, expect.closeTo(-0.29, 12), expect.closeTo(-0.561, 12)]);
    const damped = stepsWithGradient((ps) => sgd(ps, { lr: 0.1, momentum: 0.9, dampening: 0.9 }), [1], [0], 3);
    expect(damped.map(([v]) => v)).toEqual([-0.1, expect.closeTo(-0.2, 12), expect.closeTo(-0.3, 12)]);
  });

  it("trap: RMSprop's alpha is 0.99", () => {
    expect(rmsprop([tensor([1], { requiresGrad: true })]).defaults.alpha).toBe(0.99);
  });

  it("RAdam's first five steps are unnormalised momentum steps; Adadelta's first step is about 0.003", () => {
    const steps = stepsWithGradient((ps) => radam(ps, { lr: 0.01 }), [1000], [0], 7);
    expect(steps.slice(0, 5).map(([v]) => v)).toEqual([-10, -20, -30, -40, -50].map((v) => expect.closeTo(v, 9)));
    expect(steps[5][0] - steps[4][0]).toBeGreaterThan(-0.01); // from step 6 on: adaptive, about lr
    const [[d]] = stepsWithGradient((ps) => adadelta(ps), [1000], [0]);
    expect(d).toBeCloseTo(-Math.sqrt(1e-6) / Math.sqrt(0.1), 8);
  });

  it('Rprop, Lion and LAMB step sizes', () => {
    const r = stepsWithGradient((ps) => rprop(ps), [0.001, -1000], [0, 0], 3);
    expect(r[0]).toEqual([-0.01, 0.01]);
    expect(r[1][0]).toBeCloseTo(-0.022, 12);
    expect(r[2][0]).toBeCloseTo(-0.0364, 12);
    const [l] = stepsWithGradient((ps) => lion(ps, { lr: 0.01 }), [0.001, -1000], [0, 0]);
    expect(l).toEqual([-0.01, 0.01]);
    const [m] = stepsWithGradient((ps) => lamb(ps, { lr: 0.01 }), [0.001, 1000], [3, 4]);
    expect(Math.hypot(m[0] - 3, m[1] - 4)).toBeCloseTo(0.01 * 5, 4); // moves by lr·‖p‖
  });

  it('the one-line constructions of the guide are valid', () => {
    const params = [tensor([1, 2], { requiresGrad: true })];
    expect(sgd(params, { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 5e-4 }).paramGroups[0].nesterov).toBe(
      true,
    );
    expect(() => sgd(params, { lr: 0.1, momentum: 0, nesterov: true })).toThrow(/nesterov requires momentum > 0/);
    expect(asgd(params, { t0: 100 }).paramGroups[0].t0).toBe(100);
  });

  it('L-BFGS with a closure and a strong Wolfe line search on Rosenbrock', () => {
    const xy = tensor([-1.2, 1], { dtype: 'float64', requiresGrad: true });
    const rosenbrock = (t: Tensor) => {
      const x = t.slice([[0, 1]]);
      const y = t.slice([[1, 2]]);
      return x.neg().add(1).square().add(y.sub(x.square()).square().mul(100)).sum();
    };
    const opt = lbfgs([xy], { lineSearchFn: 'strong_wolfe' });
    for (let k = 0; k < 5; k++)
      opt.step(() => {
        opt.zeroGrad();
        const loss = rosenbrock(xy);
        loss.backward();
        return loss;
      });
    expect(Math.abs(xy.data[0] - 1)).toBeLessThan(1e-4);
    expect(Math.abs(xy.data[1] - 1)).toBeLessThan(1e-4);
    expect(() => opt.step()).toThrow(/needs a closure/);
    expect(() => opt.addParamGroup({ params: [tensor([1], { requiresGrad: true })] })).toThrow(
      /single parameter group/,
    );
  });
});

function oneParam(values: number[] = [0]): Tensor[] {
  return [tensor(values, { requiresGrad: true })];
}

describe('guide: schedulers-and-transforms', () => {
  it('cosineAnnealingLR stepped after every epoch', () => {
    const opt = sgd(oneParam(), { lr: 0.1, momentum: 0.9 });
    const scheduler = cosineAnnealingLR(opt, { tMax: 100 });
    const lrs: number[] = [];
    for (let epoch = 0; epoch < 100; epoch++) {
      lrs.push(opt.paramGroups[0].lr);
      opt.step();
      scheduler.step();
    }
    expect(lrs[0]).toBe(0.1);
    expect(lrs[50]).toBeCloseTo(0.05, 12);
    expect(scheduler.lastEpoch).toBe(100);
    expect(scheduler.getLastLr()[0]).toBeCloseTo(0, 12);
  });

  it('warm-up then cosine', () => {
    const opt = sgd(oneParam(), { lr: 0.1, momentum: 0.9 });
    const warmup = linearLR(opt, { startFactor: 0.1, totalIters: 5 });
    const cosine = cosineAnnealingLR(opt, { tMax: 15, etaMin: 0.001 });
    const scheduler = sequentialLR(opt, { schedulers: [warmup, cosine], milestones: [5] });
    const lrs: number[] = [];
    for (let epoch = 0; epoch <= 20; epoch++) {
      lrs.push(opt.paramGroups[0].lr);
      scheduler.step();
    }
    expect(lrs.slice(0, 8).map((v) => Number(v.toFixed(4)))).toEqual([
      0.01, 0.028, 0.046, 0.064, 0.082, 0.1, 0.0989, 0.0957,
    ]);
    expect(Number(lrs[19].toFixed(4))).toBe(0.0021);
    expect(lrs[20]).toBeCloseTo(0.001, 12);
  });

  it('one-cycle, per batch, with momentum the other way', () => {
    const opt = sgd(oneParam(), { lr: 0.1, momentum: 0.9 });
    const scheduler = oneCycleLR(opt, { maxLr: 0.1, totalSteps: 20 });
    const lrs: number[] = [];
    const momenta: number[] = [];
    for (let step = 0; step < 20; step++) {
      lrs.push(opt.paramGroups[0].lr);
      momenta.push(opt.paramGroups[0].momentum as number);
      scheduler.step();
    }
    expect(lrs.slice(0, 7).map((v) => Number(v.toFixed(4)))).toEqual([
      0.004, 0.0132, 0.0372, 0.0668, 0.0908, 0.1, 0.0987,
    ]);
    expect(lrs[19]).toBeCloseTo(4e-7, 15);
    expect(momenta.slice(0, 7).map((v) => Number(v.toFixed(3)))).toEqual([0.95, 0.94, 0.915, 0.885, 0.86, 0.85, 0.851]);
    expect(momenta[19]).toBeCloseTo(0.95, 12);
    expect(() => scheduler.step()).toThrow();
  });

  it('reduce on plateau', () => {
    const opt = sgd(oneParam(), { lr: 0.1 });
    const scheduler = reduceLROnPlateau(opt, { factor: 0.5, patience: 2 });
    const lrs: number[] = [];
    for (const validationLoss of [1, 0.8, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.6, 0.6, 0.6, 0.6]) {
      scheduler.step(validationLoss);
      lrs.push(opt.paramGroups[0].lr);
    }
    expect(lrs).toEqual([0.1, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.025, 0.0125]);
  });

  it('key: a cosine on lr and a linear warm-up on weightDecay, chained', () => {
    const opt = adamw(oneParam(), { lr: 1e-3, weightDecay: 0.1 });
    const scheduler = chainedScheduler([
      cosineAnnealingLR(opt, { tMax: 10 }),
      linearLR(opt, { key: 'weightDecay', startFactor: 0.1, totalIters: 10 }),
    ]);
    expect(opt.paramGroups[0].lr).toBe(1e-3);
    expect(opt.paramGroups[0].weightDecay).toBeCloseTo(0.01, 15);
    for (let epoch = 0; epoch < 10; epoch++) scheduler.step();
    expect(opt.paramGroups[0].lr).toBeCloseTo(0, 15);
    expect(opt.paramGroups[0].weightDecay).toBeCloseTo(0.1, 15);
  });

  it('clipGradNorm returns the norm before clipping and leaves it just below maxNorm', () => {
    const a = tensor([3, 0], { dtype: 'float64', requiresGrad: true });
    const b = tensor([4], { dtype: 'float64', requiresGrad: true });
    a.grad = tensor([3, 0], { dtype: 'float64' });
    b.grad = tensor([4], { dtype: 'float64' });
    expect(clipGradNorm([a, b], 1.0)).toBe(5);
    const after = Math.hypot(a.grad.data[0], b.grad.data[0]);
    expect(after).toBeLessThan(1);
    expect(after).toBeCloseTo(5 / (5 + 1e-6), 12);
    clipGradValue([a, b], 0.5);
    expect(b.grad.data[0]).toBe(0.5);
  });

  it('clipByGlobalNorm inside the chain equals clipGradNorm before step()', () => {
    const clippedAdam = defineOptimizer({
      name: 'clippedAdam',
      defaults: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false },
      rule: chain(clipByGlobalNorm(1.0), flipIfMaximize(), addWeightDecay(), scaleByAdam(), scaleByLearningRate()),
    });
    const gen = new Generator(0);
    const target = randn([5], { generator: gen, dtype: 'float64' });
    const p1 = randn([5], { generator: new Generator(1), dtype: 'float64', requiresGrad: true });
    const p2 = tensor(Array.from(p1.data), { dtype: 'float64', requiresGrad: true });
    const o1 = clippedAdam([p1], { lr: 3e-4 });
    const o2 = adam([p2], { lr: 3e-4 });
    for (let k = 0; k < 5; k++) {
      o1.zeroGrad();
      p1.sub(target).square().sum().mul(10).backward();
      const g1 = Array.from(p1.grad!.data);
      o1.step();
      expect(Array.from(p1.grad!.data)).toEqual(g1); // param.grad is left alone
      o2.zeroGrad();
      p2.sub(target).square().sum().mul(10).backward();
      clipGradNorm([p2], 1.0);
      o2.step();
      expect(Array.from(p1.data)).toEqual(Array.from(p2.data));
    }
  });

  it('accumulateGradients(4, adam) moves every 4th step, like a 4x batch', () => {
    const adamOver4 = defineOptimizer({
      name: 'adamOver4',
      defaults: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8 },
      rule: accumulateGradients(4, chain(scaleByAdam(), scaleByLearningRate())),
    });
    const p = tensor([1, 2], { dtype: 'float64', requiresGrad: true });
    const q = tensor([1, 2], { dtype: 'float64', requiresGrad: true });
    const opt = adamOver4([p]);
    const ref = adam([q], { lr: 1e-3 });
    const grads = [
      [1, -2],
      [3, 0.5],
      [-1, 1],
      [2, 2],
    ];
    for (let k = 0; k < 4; k++) {
      p.grad = tensor(grads[k], { dtype: 'float64' });
      opt.step();
      if (k < 3) expect(Array.from(p.data)).toEqual([1, 2]);
    }
    q.grad = tensor([5 / 4, 1.5 / 4], { dtype: 'float64' });
    ref.step();
    expect(Array.from(p.data)).toEqual(Array.from(q.data));
  });

  it('lookahead syncs the fast weights to the slow ones every k steps', () => {
    const lookaheadAdam = defineOptimizer({
      name: 'lookaheadAdam',
      defaults: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, amsgrad: false, k: 5, alpha: 0.5 },
      rule: chain(scaleByAdam(), scaleByLearningRate(), lookaheadSync()),
    });
    const p = tensor([0], { dtype: 'float64', requiresGrad: true });
    const opt = lookaheadAdam([p], { lr: 0.1 });
    for (let k = 0; k < 5; k++) {
      p.grad = tensor([1], { dtype: 'float64' });
      opt.step();
    }
    // five Adam steps of about -0.1 each (constant gradient), then halfway back to the start
    expect(p.data[0]).toBeCloseTo(-0.25, 6);
    expect(JSON.stringify(opt.stateDict())).toContain('slow');
  });

  it('emaWeights: update after each step, swap to evaluate', () => {
    const p = tensor([0], { dtype: 'float64', requiresGrad: true });
    const opt = sgd([p], { lr: 1 });
    const ema = emaWeights([p], { decay: 0.5 });
    opt.onAfterStep(() => ema.update());
    for (const g of [-1, -1, -1]) {
      p.grad = tensor([g], { dtype: 'float64' });
      opt.step();
    }
    // p: 1, 2, 3; average: 1 (copied), then 1.5, then 2.25
    expect(p.data[0]).toBe(3);
    ema.swap();
    expect(p.data[0]).toBe(2.25);
    expect(() => ema.update()).toThrow(/swapped/);
    ema.swap();
    expect(p.data[0]).toBe(3);
  });
});

function scaleBySign(): UpdateRule<null> {
  return {
    init: () => null,
    update(updates) {
      for (const u of updates) {
        if (u === null) continue;
        for (let j = 0; j < u.length; j++) u[j] = Math.sign(u[j]);
      }
    },
  };
}

function traceEma(): UpdateRule<{ m: TypedArray[] }> {
  return {
    init: (params) => ({ m: params.map((p) => allocate(p.dtype, p.size)) }),
    update(updates, state, ctx) {
      const beta = ctx.hp.beta as number;
      for (let i = 0; i < updates.length; i++) {
        const u = updates[i];
        if (u === null) continue;
        const m = state.m[i];
        for (let j = 0; j < u.length; j++) {
          m[j] = beta * m[j] + (1 - beta) * u[j];
          u[j] = m[j];
        }
      }
    },
  };
}

interface SignSgdOptions {
  lr?: number;
  momentum?: number;
}

const signSgd = defineOptimizer<SignSgdOptions>({
  name: 'signSgd',
  defaults: { lr: 0.01, momentum: 0 },
  validate: (hp) => {
    checkNumber('signSgd', 'lr', hp.lr, { min: 0 });
    checkNumber('signSgd', 'momentum', hp.momentum, { min: 0, max: 1, maxInclusive: false });
  },
  rule: chain(traceMomentum(), scaleBySign(), scaleByLearningRate()),
});

describe('guide: writing-an-optimizer-plugin', () => {
  it('a stateless rule and a stateful rule, chained into optimizers that conform', () => {
    const emaSgd = defineOptimizer({
      name: 'emaSgd',
      defaults: { lr: 0.01, beta: 0.9 },
      validate: (hp) => {
        checkNumber('emaSgd', 'lr', hp.lr, { min: 0 });
        checkNumber('emaSgd', 'beta', hp.beta, { min: 0, max: 1, maxInclusive: false });
      },
      rule: chain(traceEma(), scaleByLearningRate()),
    });
    const p = tensor([0], { dtype: 'float64', requiresGrad: true });
    const opt = emaSgd([p]);
    p.grad = tensor([1], { dtype: 'float64' });
    opt.step();
    expect(p.data[0]).toBeCloseTo(-0.01 * 0.1, 15); // m = 0.1·g
    expect(checkOptimizerConformance(emaSgd, { name: 'emaSgd' }).failures).toEqual([]);
    const result = checkOptimizerConformance(signSgd, {
      name: 'signSgd',
      options: { lr: 0.01 },
      invalidOptions: [{ lr: Number.NaN }, { momentum: 1 }],
    });
    expect(result.failures).toEqual([]);
    expect(result.passed.slice(0, 4)).toEqual(['convex-quadratic', 'rosenbrock', 'param-groups', 'null-grads']);
    expect(assertOptimizerConformance(signSgd, { name: 'signSgd', options: { lr: 0.01 } }).passed).toHaveLength(13);
  });

  it('the testkit reports a rule that advances state on null gradients', () => {
    let calls = 0;
    const leaky = defineOptimizer({
      name: 'leaky',
      defaults: { lr: 0.1 },
      rule: chain(
        {
          init: () => null,
          update(updates) {
            calls++;
            for (const u of updates) if (u !== null) for (let j = 0; j < u.length; j++) u[j] *= 1 + 1 / calls;
          },
        },
        scaleByLearningRate(),
      ),
    });
    const failed = checkOptimizerConformance(leaky, { name: 'leaky' }).failures.map((f) => f.check);
    expect(failed).toContain('null-grads');
    expect(failed).not.toContain('invalid-options'); // defineOptimizer itself rejects lr: -1
    expect(() => assertOptimizerConformance(leaky, { name: 'leaky' })).toThrow(/leaky fails \d+ conformance check/);
  });

  it('sign-SGD: validation messages, momentum, and the registry', () => {
    expect(() => signSgd([tensor([1], { requiresGrad: true })], { momentum: 1 })).toThrow(
      'signSgd: momentum must be in [0, 1), got 1',
    );
    const p = tensor([0, 0], { requiresGrad: true });
    const opt = signSgd([p], { lr: 1e-3, momentum: 0.9 });
    p.grad = tensor([5, -0.001]);
    opt.step();
    expect(Array.from(p.data)).toEqual([expect.closeTo(-1e-3, 9), expect.closeTo(1e-3, 9)]);
    const plugin = definePlugin({ name: 'sign-sgd', optimizers: { signSgd } });
    usePlugin(plugin);
    expect(listOptimizers()).toEqual(['signSgd']);
    expect(pluginOf('signSgd')).toBe('sign-sgd');
    expect(createOptimizer('signSgd', [p], { lr: 0.01 }).paramGroups[0].lr).toBe(0.01);
    const rival = definePlugin({ name: 'rival', optimizers: { signSgd } });
    expect(() => usePlugin(rival)).toThrow(/already provided by plugin "sign-sgd"/);
    usePlugin(rival, { override: true });
    expect(pluginOf('signSgd')).toBe('rival');
  });
});

describe('guide: performance', () => {
  it('matmulTransposed computes a·bᵀ without writing the transpose', () => {
    const a = randn([3, 4], { generator: new Generator(0) });
    const b = randn([5, 4], { generator: new Generator(1) });
    const viaT = a.matmul(b.T);
    const direct = matmulTransposed(a, b, { transB: true });
    expect(direct.shape).toEqual([3, 5]);
    for (let i = 0; i < 15; i++) expect(direct.data[i]).toBeCloseTo(viaT.data[i], 5);
  });
});

describe('guide: wasm-backend', () => {
  it('relaxed SIMD: the info says which gemm runs, and the choice is fixed once compiled', async () => {
    expect(await initWasmBackend()).toBe(true);
    const info = getWasmBackendInfo();
    expect(info.simd).toBe(true);
    expect(info.relaxedSimd).toBe(isWasmRelaxedSimdSupported());
    expect(() => initWasmBackend({ relaxedSimd: false })).toThrow(/already initialized with relaxedSimd: true/);
  });

  it('a training loop in tidy keeps wasm memory flat, and a stale tensor throws DisposedError', async () => {
    expect(await initWasmBackend()).toBe(true);
    const previous = getBackend();
    setBackend('wasm');
    try {
      const g = new Generator(5);
      const model = new Sequential(new Linear(20, 64), new ReLU(), new Linear(64, 3));
      const opt = adam(model.parameters(), { lr: 1e-2 });
      const x = randn([64, 20], { generator: g });
      const y = randint(0, 3, [64], { generator: g });
      const losses: number[] = [];
      const sizes: number[] = [];
      let stale: Tensor | null = null;
      for (let step = 0; step < 60; step++) {
        const loss = tidy(() => {
          opt.zeroGrad();
          const out = model.forward(x);
          stale = out;
          const l = crossEntropy(out, y);
          l.backward();
          opt.step();
          return l.item();
        });
        losses.push(loss);
        sizes.push(wasmMemoryBytes());
      }
      expect(losses[59]).toBeLessThan(losses[0]);
      expect(new Set(sizes.slice(2)).size).toBe(1);
      expect(() => (stale as unknown as Tensor).sum()).toThrow(DisposedError);
    } finally {
      setBackend(previous);
    }
  });
});

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** GitHub's heading anchors: lowercase, punctuation dropped, spaces to hyphens. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  for (const line of markdown.split('\n')) {
    const m = /^#{1,6} (.+)$/.exec(line);
    if (m === null) continue;
    anchors.add(
      m[1]
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, '')
        .replace(/ /g, '-'),
    );
  }
  return anchors;
}

describe('docs: links', () => {
  const files = [
    'docs/README.md',
    ...readdirSync(join(root, 'docs/guides')).map((f) => `docs/guides/${f}`),
    ...['gd-vs-adam', 'mlp-regression', 'second-order', 'schedulers', 'custom-optimizer'].map(
      (e) => `examples/${e}/README.md`,
    ),
  ];
  it.each(files)('every relative link of %s points at an existing file and heading', (file) => {
    const text = readFileSync(join(root, file), 'utf8');
    const withoutCode = text.replace(/```[\s\S]*?```/g, '');
    const links = [...withoutCode.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]).filter((l) => !/^[a-z]+:/.test(l));
    expect(links.length).toBeGreaterThan(0);
    for (const link of links) {
      const [path, anchor] = link.split('#');
      const target = path === '' ? join(root, file) : resolve(dirname(join(root, file)), path);
      expect(existsSync(target), `${file}: ${link}`).toBe(true);
      if (anchor !== undefined) expect(anchorsOf(readFileSync(target, 'utf8')), `${file}: ${link}`).toContain(anchor);
    }
  });
});
