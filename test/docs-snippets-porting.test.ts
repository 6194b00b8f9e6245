// The code blocks and the concrete claims (quoted errors, dtypes, shapes, values) of
// docs/guides/porting-from-pytorch.md, as small tests with asserted outputs, so that the guide cannot drift
// from the API. Each describe block names the guide's section. The ops and layers of its "Ops and layers
// added for porters" section are tested against PyTorch with themselves; here only what the guide says.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as core from '@nablajs/core';
import {
  AutogradError,
  arange,
  cat,
  DTypeError,
  enableGrad,
  Generator,
  getBackend,
  gradients,
  indexSelect,
  initWasmBackend,
  logSoftmax,
  manualSeed,
  maxWithIndices,
  minWithIndices,
  NablaError,
  noGrad,
  ones,
  onesLike,
  randn,
  setBackend,
  type Tensor,
  tensor,
  tidy,
  ValueError,
  wasmMemoryBytes,
  where,
  zeros,
} from '@nablajs/core';
import * as data from '@nablajs/data';
import { DataLoader, TensorDataset } from '@nablajs/data';
import * as nn from '@nablajs/nn';
import {
  BatchNorm1d,
  CrossEntropyLoss,
  crossEntropy,
  Embedding,
  F,
  GRU,
  Linear,
  LSTM,
  loadSafetensors,
  Module,
  ModuleDict,
  ModuleList,
  MultiheadAttention,
  parameter,
  ReLU,
  SafetensorsError,
  Sequential,
  StateDictError,
  saveSafetensors,
} from '@nablajs/nn';
import { loadFile, saveFile } from '@nablajs/nn/node';
import { clipGradNorm, cosineAnnealingLR, oneCycleLR, reduceLROnPlateau, stepLR } from '@nablajs/optim';
import { adam, adamax, adamw, nadam, radam } from '@nablajs/optim-adam';
import { asgd, sgd } from '@nablajs/optim-sgd';
import { fit } from '@nablajs/train';
import { afterAll, describe, expect, it } from 'vitest';
import { fromFixture } from './helpers/fixtures';
import { caseParams, type OptimizerCase, optimizerCases, problemLoss } from './helpers/optim-golden';

const root = mkdtempSync(join(tmpdir(), 'nabla-docs-porting-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The Net of the guide's "Modules" section. */
class Net extends Module {
  readonly fc = this.registerModule('fc', new Linear(4, 8));
  readonly scale = this.registerParameter('scale', parameter(ones([1])));
  readonly seen = this.registerBuffer('seen', zeros([1]));
  forward(x: Tensor): Tensor {
    return this.fc.forward(x).mul(this.scale);
  }
}

/** The JSON header of safetensors bytes: an 8-byte little-endian length, then the JSON. */
function safetensorsHeader(bytes: Uint8Array): Record<string, { dtype: string; shape: number[] }> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = Number(view.getBigUint64(0, true));
  return JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length)));
}

/** Safetensors bytes holding one I64 tensor `n` of the given values (as PyTorch writes int64 buffers). */
function i64Safetensors(values: bigint[]): Uint8Array {
  let json = JSON.stringify({ n: { dtype: 'I64', shape: [values.length], data_offsets: [0, 8 * values.length] } });
  while (json.length % 8 !== 0) json += ' ';
  const header = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + header.length + 8 * values.length);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(header.length), true);
  out.set(header, 8);
  for (const [i, v] of values.entries()) view.setBigInt64(8 + header.length + 8 * i, v, true);
  return out;
}

describe('guide: porting-from-pytorch, the common mappings', () => {
  it('creation: tensor is float32, zeros/onesLike, manualSeed and randn, int32 labels', () => {
    const t = tensor([[1, 2]]);
    expect(t.dtype).toBe('float32');
    expect(t.shape).toEqual([1, 2]);
    expect(zeros([2, 3]).shape).toEqual([2, 3]);
    expect(onesLike(t).toArray()).toEqual([[1, 1]]);
    manualSeed(0);
    const a = randn([2, 3]).toArray();
    manualSeed(0);
    expect(randn([2, 3]).toArray()).toEqual(a);
    expect(randn([2, 3], { generator: new Generator(0) }).toArray()).toEqual(a);
    const y = tensor([0, 2], { dtype: 'int32' });
    expect(y.dtype).toBe('int32');
    expect(y.toArray()).toEqual([0, 2]);
  });

  it('reshape, sum(axis, keepdims), slice, cat, item, toArray, size', () => {
    const x = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(x.reshape([-1]).toArray()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(x.reshape([3, -1]).shape).toEqual([3, 2]);
    expect(x.sum(1, true).toArray()).toEqual([[6], [15]]);
    expect(x.slice([null, [0, 2]]).toArray()).toEqual([
      [1, 2],
      [4, 5],
    ]);
    expect(cat([x, x], 1).shape).toEqual([2, 6]);
    expect(x.sum().item()).toBe(21);
    expect(x.size).toBe(6);
  });

  it('double / to(float64) / int, and model.to(float64)', () => {
    const x = tensor([1.5, -2.5]);
    expect(x.double().dtype).toBe('float64');
    expect(x.to('float64').dtype).toBe('float64');
    expect(x.int().dtype).toBe('int32');
    const model = new Linear(3, 2).to('float64');
    expect(model.parameters().map((p) => p.dtype)).toEqual(['float64', 'float64']);
  });

  it('crossEntropy with labelSmoothing, adamw, zeroGrad/backward/step, noGrad', () => {
    const model = new Linear(4, 3, { generator: new Generator(1) });
    const x = randn([6, 4], { generator: new Generator(2) });
    const y = tensor([0, 1, 2, 0, 1, 2], { dtype: 'int32' });
    const opt = adamw(model.parameters(), { lr: 1e-3 });
    expect(opt.paramGroups[0].lr).toBe(1e-3);
    const before = Array.from(model.weight.data);
    opt.zeroGrad();
    const loss = crossEntropy(model.forward(x), y, { labelSmoothing: 0.1 });
    loss.backward();
    opt.step();
    expect(Array.from(model.weight.data)).not.toEqual(before);
    expect(noGrad(() => model.forward(x)).requiresGrad).toBe(false);
  });

  it('clipGradNorm, cosineAnnealingLR(tMax), loadStateDict strict: false, saveFile', () => {
    const model = new Linear(2, 2);
    model
      .forward(ones([1, 2]))
      .mul(100)
      .sum()
      .backward();
    const norm = clipGradNorm(model.parameters(), 1.0);
    expect(norm).toBeGreaterThan(1);
    const clipped = Math.hypot(...model.parameters().flatMap((p) => Array.from(p.grad!.data)));
    expect(clipped).toBeCloseTo(1, 5);
    const opt = sgd(model.parameters(), { lr: 0.1 });
    const sched = cosineAnnealingLR(opt, { tMax: 100 });
    opt.step();
    sched.step();
    expect(opt.paramGroups[0].lr).toBeCloseTo(0.05 * (1 + Math.cos(Math.PI / 100)), 12);
    const { missingKeys, unexpectedKeys } = model.loadStateDict({ weight: zeros([2, 2]) }, { strict: false });
    expect(missingKeys).toEqual(['bias']);
    expect(unexpectedKeys).toEqual([]);
    const path = join(root, 'm.safetensors');
    saveFile(path, model.stateDict());
    expect(Object.keys(loadFile(path).tensors).sort()).toEqual(['bias', 'weight']);
  });

  it('no devices: initWasmBackend, then setBackend("wasm")', async () => {
    expect(await initWasmBackend()).toBe(true);
    const previous = getBackend();
    setBackend('wasm');
    try {
      expect(getBackend()).toBe('wasm');
      expect(
        tensor([1, 2])
          .add(tensor([3, 4]))
          .toArray(),
      ).toEqual([4, 6]);
    } finally {
      setBackend(previous);
    }
  });
});

describe('guide: porting-from-pytorch, modules', () => {
  it('the Net of the guide registers fc, scale and seen; its forward is fc(x) * scale', () => {
    const net = new Net();
    expect(net.namedParameters().map(([name]) => name)).toEqual(['scale', 'fc.weight', 'fc.bias']);
    expect(Object.keys(net.stateDict()).sort()).toEqual(['fc.bias', 'fc.weight', 'scale', 'seen']);
    expect(net.buffers()).toEqual([net.seen]);
    noGrad(() => net.scale.fill_(2));
    const x = randn([2, 4], { generator: new Generator(3) });
    const out = net.forward(x);
    expect(out.shape).toEqual([2, 8]);
    expect(Array.from(out.data)).toEqual(Array.from(net.fc.forward(x).mul(2).data));
  });

  it('model(x) is a TypeError (model is not a function); forward hooks run on model.forward(x)', () => {
    const layer = new Linear(3, 2);
    const model = layer as unknown as (x: Tensor) => Tensor;
    expect(() => model(zeros([1, 3]))).toThrow(TypeError);
    expect(() => model(zeros([1, 3]))).toThrow('model is not a function');
    const shapes: number[][] = [];
    layer.registerForwardHook((_m, _inputs, y) => {
      shapes.push(y.shape as number[]);
    });
    layer.forward(zeros([5, 3]));
    expect(shapes).toEqual([[5, 2]]);
  });

  it('a forgotten registration: parameters(), stateDict() and train() throw a ValueError naming field and class', () => {
    class Net extends Module {
      fc = new Linear(4, 8);
      forward(x: Tensor): Tensor {
        return this.fc.forward(x);
      }
    }
    const net = new Net();
    const message =
      'Module: field "fc" of Net holds a Linear that is not registered: register it (this.registerModule(name, module))';
    for (const walk of [() => net.parameters(), () => net.stateDict(), () => net.train()]) {
      expect(walk).toThrow(ValueError);
      expect(walk).toThrow(message);
    }
    class WithTensor extends Module {
      w = parameter(zeros([2]));
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    expect(() => new WithTensor().parameters()).toThrow(
      /field "w" of WithTensor holds a tensor that requires gradients and is not registered/,
    );
  });

  it('an ES private field opts out', () => {
    class Student extends Module {
      readonly fc = this.registerModule('fc', new Linear(2, 2));
      #teacher = new Linear(2, 2);
      forward(x: Tensor): Tensor {
        return this.fc.forward(noGrad(() => this.#teacher.forward(x)));
      }
    }
    const s = new Student();
    expect(s.parameters()).toHaveLength(2);
    expect(Object.keys(s.stateDict()).sort()).toEqual(['fc.bias', 'fc.weight']);
    expect(s.forward(zeros([1, 2])).shape).toEqual([1, 2]);
  });

  it("ModuleList keeps PyTorch's names; a plain array is an error naming element 0; ModuleDict names children", () => {
    class Stack extends Module {
      readonly layers = this.registerModule('layers', new ModuleList([new Linear(2, 2), new Linear(2, 2)]));
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    expect(Object.keys(new Stack().stateDict())).toEqual([
      'layers.0.weight',
      'layers.0.bias',
      'layers.1.weight',
      'layers.1.bias',
    ]);
    class Plain extends Module {
      layers = [new Linear(2, 2)];
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    expect(() => new Plain().parameters()).toThrow(/element 0 of field "layers" of Plain holds a Linear/);
    expect(Object.keys(new ModuleDict({ encoder: new Linear(1, 1) }).stateDict())).toEqual([
      'encoder.weight',
      'encoder.bias',
    ]);
  });

  it('train(), eval(), zeroGrad() and requiresGrad_(false) keep their PyTorch meanings', () => {
    const net = new Net();
    expect(net.training).toBe(true);
    net.eval();
    expect(net.fc.training).toBe(false);
    net.train();
    expect(net.fc.training).toBe(true);
    net
      .forward(ones([1, 4]))
      .sum()
      .backward();
    expect(net.fc.weight.grad).not.toBeNull();
    net.zeroGrad();
    expect(net.fc.weight.grad).toBeNull();
    net.requiresGrad_(false);
    expect(net.parameters().every((p) => !p.requiresGrad)).toBe(true);
  });
});

describe('guide: porting-from-pytorch, names, options and dtypes', () => {
  it('a snake_case option is an error listing the valid ones', () => {
    const p = tensor([1], { requiresGrad: true });
    expect(() => adam([p], { weight_decay: 0.1 } as never)).toThrow(
      'adam: unknown option "weight_decay" in options; valid options: lr, betas, eps, weightDecay, ',
    );
    expect(adam([p], { weightDecay: 0.1 }).paramGroups[0].weightDecay).toBe(0.1);
  });

  it('camelCase options: ignoreIndex, numLayers, batchFirst, stepSize', () => {
    const logits = tensor([
      [2, 0, 0],
      [0, 2, 0],
    ]);
    const ignored = crossEntropy(logits, tensor([0, -100], { dtype: 'int32' }), { ignoreIndex: -100 });
    expect(ignored.item()).toBeCloseTo(crossEntropy(logits.slice([[0, 1]]), tensor([0], { dtype: 'int32' })).item(), 6);
    const lstm = new LSTM(2, 3, { numLayers: 2, batchFirst: true });
    expect(lstm.forward(zeros([4, 5, 2])).output.shape).toEqual([4, 5, 3]);
    const opt = sgd([tensor([1], { requiresGrad: true })], { lr: 1 });
    const sched = stepLR(opt, { stepSize: 1, gamma: 0.5 });
    opt.step();
    sched.step();
    expect(opt.paramGroups[0].lr).toBe(0.5);
  });

  it('F.crossEntropy, logSoftmax and F.scaledDotProductAttention', () => {
    const logits = tensor([[1, 2, 3]]);
    const y = tensor([2], { dtype: 'int32' });
    expect(F.crossEntropy(logits, y).item()).toBe(crossEntropy(logits, y).item());
    expect(F.logSoftmax).toBe(logSoftmax);
    expect(logSoftmax(logits).exp().sum().item()).toBeCloseTo(1, 6);
    const q = ones([1, 2, 4]);
    expect(F.scaledDotProductAttention(q, q, q).shape).toEqual([1, 2, 4]);
  });

  it('dtypes: float32 default, float64, half storage types; no bool and no int64', () => {
    expect(zeros([1]).dtype).toBe('float32');
    expect(tensor([1], { dtype: 'float64' }).dtype).toBe('float64');
    expect(tensor([1], { dtype: 'float16' }).dtype).toBe('float16');
    expect(tensor([1], { dtype: 'bfloat16' }).dtype).toBe('bfloat16');
    expect(() => tensor([1, 0], { dtype: 'bool' as never })).toThrow(DTypeError);
    expect(() => tensor([1, 0], { dtype: 'int64' as never })).toThrow(DTypeError);
  });

  it('comparisons return int32 masks of 0 and 1, and where takes them', () => {
    const x = tensor([-1, 0, 2]);
    const mask = x.gt(0);
    expect(mask.dtype).toBe('int32');
    expect(mask.toArray()).toEqual([0, 0, 1]);
    expect(x.eq(0).toArray()).toEqual([0, 1, 0]);
    expect(where(x.gt(0), x, 0).toArray()).toEqual([0, 0, 2]);
  });

  it('a float32 target of class indices is a DTypeError; indices and Embedding inputs must be int32', () => {
    const logits = tensor([
      [2, 0.5, -1],
      [0, 1, 0],
    ]);
    expect(() => crossEntropy(logits, tensor([0, 1]))).toThrow(DTypeError);
    expect(() => crossEntropy(logits, tensor([0, 1]))).toThrow(/^crossEntropy: target must be int32 class indices /);
    expect(crossEntropy(logits, tensor([0, 1], { dtype: 'int32' })).item()).toBeGreaterThan(0);
    expect(() => indexSelect(logits, 0, tensor([1, 0]))).toThrow(NablaError);
    expect(indexSelect(logits, 0, tensor([1, 0], { dtype: 'int32' })).toArray()).toEqual([
      [0, 1, 0],
      [2, 0.5, -1],
    ]);
    expect(() => logits.gather(1, tensor([[0], [1]]))).toThrow(NablaError);
    expect(logits.gather(1, tensor([[0], [1]], { dtype: 'int32' })).toArray()).toEqual([[2], [1]]);
    const emb = new Embedding(5, 2);
    expect(() => emb.forward(tensor([1, 2]))).toThrow(NablaError);
    expect(emb.forward(tensor([1, 2], { dtype: 'int32' })).shape).toEqual([2, 2]);
  });

  it('argmax, maxWithIndices(...).indices and attention masks are int32', () => {
    const x = tensor([
      [1, 5, 2],
      [7, 0, 3],
    ]);
    expect(x.argmax(1).dtype).toBe('int32');
    expect(x.argmax(1).toArray()).toEqual([1, 0]);
    expect(x.maxWithIndices(1).indices.dtype).toBe('int32');
    const mha = new MultiheadAttention(4, 2, { batchFirst: true });
    const q = randn([1, 3, 4], { generator: new Generator(4) });
    const pad = tensor([[0, 0, 1]], { dtype: 'int32' });
    const { weights } = mha.forward(q, q, q, { keyPaddingMask: pad });
    expect(weights!.shape).toEqual([1, 3, 3]);
    // the padded key (1 = "may NOT attend") gets no weight from any query
    expect(Array.from(weights!.slice([null, null, [2, 3]]).data)).toEqual([0, 0, 0]);
  });

  it('promotion: a 0-d float64 does not promote float32; a float32 layer computes a float64 input in float64', () => {
    expect(tensor([1, 2]).mul(tensor(0.5, { dtype: 'float64' })).dtype).toBe('float32');
    expect(tensor([1, 2]).mul(tensor([0.5], { dtype: 'float64' })).dtype).toBe('float64');
    const layer = new Linear(3, 2);
    const x64 = randn([2, 3], { generator: new Generator(5) }).to('float64');
    const out = layer.forward(x64);
    expect(out.dtype).toBe('float64');
    out.sum().backward();
    expect(layer.weight.dtype).toBe('float32');
    expect(layer.weight.grad!.dtype).toBe('float32');
    expect(layer.bias!.grad!.dtype).toBe('float32');
  });
});

describe('guide: porting-from-pytorch, tensors', () => {
  it('the code block: manualSeed(0) then randn equals randn with new Generator(0); arange is float32', () => {
    manualSeed(0);
    const w = randn([3, 4]); // or randn([3, 4], { generator: new Generator(0) })
    const n = arange(5); // float32, where torch.arange(5) is int64; arange(0, 5, 1, { dtype: 'int32' })
    expect(w.shape).toEqual([3, 4]);
    expect(Array.from(randn([3, 4], { generator: new Generator(0) }).data)).toEqual(Array.from(w.data));
    expect(n.dtype).toBe('float32');
    expect(n.toArray()).toEqual([0, 1, 2, 3, 4]);
    const ni = arange(0, 5, 1, { dtype: 'int32' });
    expect(ni.dtype).toBe('int32');
    expect(ni.toArray()).toEqual([0, 1, 2, 3, 4]);
  });

  it('reading values: item, toArray, shape, size; data is live, detach() is the detached tensor', () => {
    const x = tensor(
      [
        [1, 2],
        [3, 4],
      ],
      { requiresGrad: true },
    );
    expect(x.sum().item()).toBe(10);
    expect(x.toArray()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(x.shape).toEqual([2, 2]);
    expect(x.size).toBe(4);
    expect(x.data).toBeInstanceOf(Float32Array);
    const d = x.detach();
    expect(d.requiresGrad).toBe(false);
    x.data[0] = 9;
    expect(x.toArray()).toEqual([
      [9, 2],
      [3, 4],
    ]);
    expect(Array.from(d.data)).toEqual([9, 2, 3, 4]); // detach shares the buffer, as PyTorch's does
  });

  it('max(axis) returns the values only; maxWithIndices / minWithIndices return both', () => {
    const x = tensor([
      [1, 5, 2],
      [7, 0, 3],
    ]);
    expect(x.max(1).toArray()).toEqual([5, 7]);
    const { values, indices } = x.maxWithIndices(1);
    expect(values.toArray()).toEqual([5, 7]);
    expect(indices.toArray()).toEqual([1, 0]);
    expect(maxWithIndices(x, 1).indices.toArray()).toEqual([1, 0]);
    const min = x.minWithIndices(1);
    expect(min.values.toArray()).toEqual([1, 0]);
    expect(min.indices.toArray()).toEqual([0, 1]);
    expect(minWithIndices(x, 0).indices.toArray()).toEqual([0, 1, 0]);
  });

  it('views share the buffer: reshape, flatten, squeeze, unsqueeze, detach, a slice that keeps everything', () => {
    const views: Record<string, (t: Tensor) => Tensor> = {
      reshape: (t) => t.reshape([4]),
      flatten: (t) => t.flatten(),
      unsqueeze: (t) => t.unsqueeze(0),
      squeeze: (t) => t.reshape([1, 2, 2]).squeeze(0),
      detach: (t) => t.detach(),
      fullSlice: (t) => t.slice([[0, 2]]),
    };
    for (const [name, view] of Object.entries(views)) {
      const base = tensor([
        [1, 2],
        [3, 4],
      ]);
      view(base).add_(100);
      expect(base.toArray(), name).toEqual([
        [101, 102],
        [103, 104],
      ]);
    }
  });

  it('copies: a partial slice, transpose, .T, permute, expand, split and chunk', () => {
    const copies: Record<string, (t: Tensor) => Tensor> = {
      partialSlice: (t) => t.slice([[0, 1]]),
      transpose: (t) => t.transpose(0, 1),
      T: (t) => t.T,
      permute: (t) => t.permute([1, 0]),
      expand: (t) => t.reshape([1, 4]).expand([2, 4]),
      split: (t) => t.split(1, 0)[0],
      chunk: (t) => t.chunk(2, 0)[0],
    };
    for (const [name, copy] of Object.entries(copies)) {
      const base = tensor([
        [1, 2],
        [3, 4],
      ]);
      const c = copy(base);
      c.add_(100);
      expect(c.data[0], name).toBe(101);
      expect(base.toArray(), name).toEqual([
        [1, 2],
        [3, 4],
      ]);
    }
  });

  it('in-place ops on a tensor that requires gradients: AutogradError while recording, fine under noGrad', () => {
    const w = tensor([1, 2], { requiresGrad: true });
    expect(() => w.add_(1)).toThrow(AutogradError);
    expect(() => w.add_(1)).toThrow(/a leaf: wrap the update in noGrad\(\)/);
    const x = tensor([1, 2], { requiresGrad: true });
    const out = x.mul(2);
    const identity = x;
    expect(() => out.add_(identity)).toThrow(AutogradError);
    expect(() => out.add_(identity)).toThrow(/a result of recorded ops: use the out-of-place op\)$/);
    for (const op of [
      (t: Tensor) => t.sub_(1),
      (t: Tensor) => t.mul_(2),
      (t: Tensor) => t.div_(2),
      (t: Tensor) => t.clamp_(0, 1),
      (t: Tensor) => t.copy_(zeros([2])),
      (t: Tensor) => t.fill_(0),
      (t: Tensor) => t.zero_(),
    ]) {
      expect(() => op(w)).toThrow(AutogradError);
      expect(() => op(out)).toThrow(AutogradError);
    }
    noGrad(() => out.add_(1));
    expect(out.toArray()).toEqual([3, 5]);
  });

  it('the code block: out.add(identity).relu(), and w.sub_(w.grad, { alpha: lr }) under noGrad', () => {
    const x = tensor([-3, 1], { requiresGrad: true });
    const identity = x;
    let out = x.mul(2);
    // PyTorch: out += identity; out = self.relu(out)
    out = out.add(identity).relu();
    expect(out.toArray()).toEqual([0, 3]);
    out.sum().backward();
    expect(x.grad!.toArray()).toEqual([0, 3]);
    const w = x;
    const lr = 0.5;
    // PyTorch: with torch.no_grad(): w -= lr * w.grad
    noGrad(() => w.sub_(w.grad!, { alpha: lr }));
    expect(w.toArray()).toEqual([-3, -0.5]);
    expect(w.requiresGrad).toBe(true);
  });

  it('noGrad, enableGrad and tidy take synchronous functions only: a Promise is a ValueError', () => {
    const asyncFn = (async () => 1) as unknown as () => number;
    expect(() => noGrad(asyncFn)).toThrow(ValueError);
    expect(() => noGrad(asyncFn)).toThrow(/^noGrad: fn returned a Promise/);
    expect(() => enableGrad(asyncFn)).toThrow(ValueError);
    expect(() => tidy(asyncFn)).toThrow(ValueError);
    expect(() => tidy(asyncFn)).toThrow(/^tidy: fn returned a Promise/);
  });
});

describe('guide: porting-from-pytorch, autograd', () => {
  it('the code block: a gradient penalty through gradients(..., { createGraph: true })', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const out = x.pow(3).sum();
    // PyTorch: (g,) = torch.autograd.grad(out, [x], create_graph=True); (g ** 2).sum().backward()
    const [g] = gradients([out], [x], null, { createGraph: true });
    g!.square().sum().backward();
    expect(g!.toArray()).toEqual([3, 12]);
    // d/dx Σ (3x²)² = 36 x³
    expect(x.grad!.toArray()).toEqual([36, 288]);
  });

  it('x.grad accumulates; retainGrad and registerHook behave as in PyTorch', () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    x.mul(x).sum().backward();
    x.mul(x).sum().backward();
    expect(x.grad!.toArray()).toEqual([4, 8, 12]);
    x.grad = null;
    const h = x.mul(3);
    h.retainGrad();
    x.registerHook((gr) => gr.mul(2));
    h.sum().backward();
    expect(h.grad!.toArray()).toEqual([1, 1, 1]);
    expect(x.grad!.toArray()).toEqual([6, 6, 6]);
  });
});

describe('guide: porting-from-pytorch, optimizers, schedulers, clipping', () => {
  it('the optimizers live in their packages', () => {
    const p = [tensor([1], { requiresGrad: true })];
    expect([sgd, asgd].map((make) => make(p, {}).name)).toEqual(['sgd', 'asgd']);
    expect([adam, adamw, adamax, nadam, radam].map((make) => make(p, {}).name)).toEqual([
      'adam',
      'adamw',
      'adamax',
      'nadam',
      'radam',
    ]);
  });

  it('the code block: two parameter groups, cosineAnnealingLR, clipGradNorm returns a number', () => {
    const model = new Sequential(new Linear(4, 8), new BatchNorm1d(8), new ReLU(), new Linear(8, 3));
    const named = model.namedParameters();
    const decay = named.filter(([n]) => n === '0.weight' || n === '3.weight').map(([, p]) => p);
    const noDecay = named.filter(([n]) => n !== '0.weight' && n !== '3.weight').map(([, p]) => p);
    const x = randn([16, 4], { generator: new Generator(0) });
    const y = tensor(
      Array.from({ length: 16 }, (_, i) => i % 3),
      { dtype: 'int32' },
    );
    // PyTorch: torch.optim.AdamW([{'params': decay}, {'params': no_decay, 'weight_decay': 0}], lr=1e-3, weight_decay=0.01)
    const opt = adamw([{ params: decay }, { params: noDecay, weightDecay: 0 }], { lr: 1e-3, weightDecay: 0.01 });
    // PyTorch: sched = CosineAnnealingLR(opt, T_max=10)
    const sched = cosineAnnealingLR(opt, { tMax: 10 });
    expect(opt.paramGroups.map((g) => g.weightDecay)).toEqual([0.01, 0]);
    opt.zeroGrad();
    const loss = crossEntropy(model.forward(x), y);
    loss.backward();
    const norm = clipGradNorm(model.parameters(), 1.0); // returns the total norm, a number
    expect(typeof norm).toBe('number');
    expect(norm).toBeGreaterThan(0);
    opt.step();
    sched.step(); // after opt.step(), as in PyTorch; reduceLROnPlateau's is step(metric)
    const lr1 = 0.5e-3 * (1 + Math.cos(Math.PI / 10));
    expect(opt.paramGroups[0].lr).toBeCloseTo(lr1, 15);
    expect(opt.paramGroups[1].lr).toBeCloseTo(lr1, 15);
    expect(sched.getLastLr()[0]).toBeCloseTo(lr1, 15);
  });

  it('zeroGrad() sets gradients to null; zeroGrad(false) fills them with zeros', () => {
    const p = tensor([1, 2], { requiresGrad: true });
    const opt = sgd([p], { lr: 0.1 });
    p.square().sum().backward();
    opt.zeroGrad();
    expect(p.grad).toBeNull();
    p.square().sum().backward();
    opt.zeroGrad(false);
    expect(p.grad!.toArray()).toEqual([0, 0]);
  });

  it('a parameter with a zeroed gradient still moves under momentum; with a null one it does not', () => {
    const run = (setToNone: boolean) => {
      const p = tensor([1], { requiresGrad: true });
      const opt = sgd([p], { lr: 0.1, momentum: 0.9 });
      p.square().sum().backward();
      opt.step();
      const after = p.item();
      opt.zeroGrad(setToNone);
      opt.step(); // no backward: a PyTorch 1.13 step of a parameter that got no gradient
      return p.item() - after;
    };
    expect(run(true)).toBe(0);
    expect(run(false)).toBeLessThan(0);
  });

  it('schedulers: stepLR, oneCycleLR, reduceLROnPlateau.step(metric), getLastLr', () => {
    const p = [tensor([1], { requiresGrad: true })];
    const opt = sgd(p, { lr: 1, momentum: 0.9 });
    const sched = stepLR(opt, { stepSize: 30, gamma: 0.1 });
    for (let i = 0; i < 30; i++) {
      opt.step();
      sched.step();
    }
    expect(opt.paramGroups[0].lr).toBeCloseTo(0.1, 15);
    expect(sched.getLastLr()).toEqual([opt.paramGroups[0].lr]);
    const opt2 = sgd(p, { lr: 0.1, momentum: 0.9 });
    const cycle = oneCycleLR(opt2, { maxLr: 1, totalSteps: 10 });
    expect(opt2.paramGroups[0].lr).toBeCloseTo(0.04, 12); // maxLr / 25
    opt2.step();
    cycle.step();
    expect(opt2.paramGroups[0].lr).toBeGreaterThan(0.04);
    const opt3 = sgd(p, { lr: 0.1 });
    const plateau = reduceLROnPlateau(opt3, { patience: 0, factor: 0.5 });
    plateau.step(1);
    plateau.step(2);
    expect(opt3.paramGroups[0].lr).toBeCloseTo(0.05, 15);
  });

  it("NAdam: the foreach path; PyTorch 1.13's single-tensor path differs by about 2e-3 after 25 steps", () => {
    const c = optimizerCases().find((k) => k.id === 'nadam_default/mlp') as OptimizerCase;
    expect(c.hyperparams).toEqual({ lr: 0.02 });
    expect(c.params.map((p) => p.init.shape)).toEqual([[8, 4], [8], [3, 8], [3]]); // the 4-8-3 MLP
    expect(c.steps).toBe(25);
    const f = problemLoss(c.problem, 'float64');
    const ours = caseParams(c);
    const opt = nadam(ours, { lr: 0.02 });
    for (let t = 0; t < 25; t++) {
      opt.zeroGrad();
      f(ours).backward();
      opt.step();
    }
    const final = c.trajectory.params.find((cp) => cp.step === 25)!.values;
    const fixture = c.params.map((p) => fromFixture(final[p.name]));
    const maxDiff = (a: Tensor[], b: Tensor[]) => Math.max(...a.map((t, i) => t.sub(b[i]).abs().max().item()));
    expect(maxDiff(ours, fixture)).toBeLessThan(1e-12); // nabla matches the foreach path

    // PyTorch 1.13's single-tensor NAdam: μ_t counted twice in the second term's product.
    const [beta1, beta2, eps, lr, psi] = [0.9, 0.999, 1e-8, 0.02, 4e-3];
    const params = caseParams(c);
    const m = params.map((p) => zeros(p.shape, { dtype: 'float64' }));
    const v = params.map((p) => zeros(p.shape, { dtype: 'float64' }));
    let muProduct = 1;
    for (let t = 1; t <= 25; t++) {
      for (const p of params) p.grad = null;
      f(params).backward();
      const mu = beta1 * (1 - 0.5 * 0.96 ** (t * psi));
      const muNext = beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi));
      muProduct *= mu;
      const muProductNext = muProduct * mu * muNext; // the 1.13 bug; the formula has muProduct * muNext
      noGrad(() => {
        params.forEach((p, i) => {
          const g = p.grad!;
          m[i] = m[i].mul(beta1).add(g.mul(1 - beta1));
          v[i] = v[i].mul(beta2).add(g.square().mul(1 - beta2));
          const d = v[i]
            .div(1 - beta2 ** t)
            .sqrt()
            .add(eps);
          p.sub_(g.div(d).mul((lr * (1 - mu)) / (1 - muProduct)));
          p.sub_(m[i].div(d).mul((lr * muNext) / (1 - muProductNext)));
        });
      });
    }
    const diff = maxDiff(params, fixture);
    expect(diff).toBeGreaterThan(1e-3);
    expect(diff).toBeLessThan(3e-3);
  });
});

describe('guide: porting-from-pytorch, losses', () => {
  it('the code block: CrossEntropyLoss({ labelSmoothing }) is crossEntropy(..., { labelSmoothing })', () => {
    const logits = tensor([
      [2, 0.5, -1],
      [0, 1, 0],
    ]);
    const y = tensor([0, 1], { dtype: 'int32' });
    // PyTorch: criterion = nn.CrossEntropyLoss(label_smoothing=0.1); loss = criterion(logits, y)
    const criterion = new CrossEntropyLoss({ labelSmoothing: 0.1 });
    const loss = criterion.forward(logits, y); // or crossEntropy(logits, y, { labelSmoothing: 0.1 })
    expect(loss.item()).toBe(crossEntropy(logits, y, { labelSmoothing: 0.1 }).item());
    expect(loss.item()).toBeGreaterThan(crossEntropy(logits, y).item());
  });

  it('fit takes either the function or the module', async () => {
    const x = randn([16, 4], { generator: new Generator(0) });
    const y = tensor(
      Array.from({ length: 16 }, (_, i) => i % 3),
      { dtype: 'int32' },
    );
    const losses = [crossEntropy, new CrossEntropyLoss({ labelSmoothing: 0.1 })] as const;
    const firstEpoch: number[] = [];
    for (const loss of losses) {
      const model = new Linear(4, 3, { generator: new Generator(1) });
      const first = noGrad(() =>
        loss instanceof CrossEntropyLoss ? loss.forward(model.forward(x), y) : loss(model.forward(x), y),
      ).item();
      // biome-ignore lint/suspicious/noFocusedTests: fit is nabla's training loop, not a focused test
      const { history } = await fit({
        model,
        data: { x, y },
        loss,
        optimizer: sgd(model.parameters(), { lr: 0.1 }),
        epochs: 2,
      });
      expect(history).toHaveLength(2);
      // one batch of 16 per epoch: the first epoch's loss is this loss at the initial weights
      expect(history[0].loss).toBeCloseTo(first, 5);
      expect(history[1].loss).toBeLessThan(history[0].loss);
      firstEpoch.push(history[0].loss);
    }
    expect(firstEpoch[1]).not.toBeCloseTo(firstEpoch[0], 3); // fit used the smoothed loss
  });
});

describe('guide: porting-from-pytorch, state dicts and weight files', () => {
  it("the keys are PyTorch's", () => {
    class Tagger extends Module {
      readonly bn = this.registerModule('bn', new BatchNorm1d(3));
      readonly lstm = this.registerModule('lstm', new LSTM(3, 4));
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    const keys = Object.keys(new Tagger().stateDict());
    for (const key of ['bn.running_mean', 'bn.running_var', 'bn.num_batches_tracked', 'lstm.weight_ih_l0'])
      expect(keys).toContain(key);
    expect(Object.keys(new Sequential(new Linear(2, 2)).stateDict())).toEqual(['0.weight', '0.bias']);
  });

  it('loadStateDict is strict by default; strict: false returns missingKeys and unexpectedKeys', () => {
    const model = new Sequential(new Linear(2, 2));
    expect(() => model.loadStateDict({ '0.weight': zeros([2, 2]) })).toThrow(StateDictError);
    const result = model.loadStateDict({ '0.weight': zeros([2, 2]), extra: zeros([1]) }, { strict: false });
    expect(result).toEqual({ missingKeys: ['0.bias'], unexpectedKeys: ['extra'] });
    expect(model.parameters()[0].toArray()).toEqual([
      [0, 0],
      [0, 0],
    ]);
  });

  it('the code block: loadFile into a model, saveFile out; num_batches_tracked travels as I32', () => {
    const model = new Sequential(new Linear(4, 8, { generator: new Generator(0) }), new BatchNorm1d(8));
    const path = join(root, 'm.safetensors');
    saveFile(path, model.stateDict());
    const other = new Sequential(new Linear(4, 8, { generator: new Generator(1) }), new BatchNorm1d(8));
    other.loadStateDict(loadFile(path).tensors); // loadFile, saveFile: @nablajs/nn/node
    expect(Array.from(other.parameters()[0].data)).toEqual(Array.from(model.parameters()[0].data));
    saveFile(join(root, 'out.safetensors'), other.stateDict());
    expect(loadFile(join(root, 'out.safetensors')).tensors['1.num_batches_tracked'].dtype).toBe('int32');
  });

  it('saveSafetensors writes F32, F64 and I32; loadSafetensors reads I64 as int32 and fails on a value that does not fit', () => {
    const header = safetensorsHeader(
      saveSafetensors({
        a: zeros([2]),
        b: zeros([2], { dtype: 'float64' }),
        c: zeros([2], { dtype: 'int32' }),
      }),
    );
    expect([header.a.dtype, header.b.dtype, header.c.dtype]).toEqual(['F32', 'F64', 'I32']);
    const bn = new BatchNorm1d(2);
    expect(safetensorsHeader(saveSafetensors(bn.stateDict())).num_batches_tracked.dtype).toBe('I32');
    const loaded = loadSafetensors(i64Safetensors([7n, -3n])).tensors.n;
    expect(loaded.dtype).toBe('int32');
    expect(loaded.toArray()).toEqual([7, -3]);
    expect(() => loadSafetensors(i64Safetensors([1n, 2n ** 40n]))).toThrow(SafetensorsError);
    expect(() => loadSafetensors(i64Safetensors([1n, 2n ** 40n]))).toThrow(/outside the int32 range/);
  });
});

describe('guide: porting-from-pytorch, the training loop', () => {
  it('the code block: fit over a DataLoader for 10 epochs', async () => {
    const gen = new Generator(0);
    const x = randn([60, 4], { generator: gen });
    const y = x.argmax(1); // int32 class labels
    const model = new Sequential(
      new Linear(4, 16, { generator: gen }),
      new ReLU(),
      new Linear(16, 4, { generator: gen }),
    );
    const opt = adam(model.parameters(), { lr: 0.01 });
    const loader = new DataLoader(new TensorDataset(x, y), {
      batchSize: 16,
      shuffle: true,
      generator: new Generator(1),
      dropLast: false,
    });
    // PyTorch: for epoch in range(10): for x, y in loader: ... (the loop body)
    // biome-ignore lint/suspicious/noFocusedTests: fit is nabla's training loop, not a focused test
    const { history } = await fit({ model, data: loader, loss: crossEntropy, optimizer: opt, epochs: 10 });
    expect(history).toHaveLength(10);
    expect(history[9].loss).toBeLessThan(history[0].loss);
  });

  it('the code block: a hand-written step in tidy on the wasm backend', async () => {
    expect(await initWasmBackend()).toBe(true);
    const previous = getBackend();
    setBackend('wasm');
    try {
      const gen = new Generator(0);
      const model = new Sequential(
        new Linear(8, 16, { generator: gen }),
        new ReLU(),
        new Linear(16, 3, { generator: gen }),
      );
      const opt = adam(model.parameters(), { lr: 1e-2 });
      const x = randn([32, 8], { generator: gen });
      const y = tensor(
        Array.from({ length: 32 }, (_, i) => i % 3),
        { dtype: 'int32' },
      );
      const losses: number[] = [];
      const sizes: number[] = [];
      for (let step = 0; step < 30; step++) {
        const lossValue = tidy(() => {
          opt.zeroGrad();
          const l = crossEntropy(model.forward(x), y);
          l.backward();
          opt.step();
          return l.item();
        });
        losses.push(lossValue);
        sizes.push(wasmMemoryBytes());
      }
      expect(losses[29]).toBeLessThan(losses[0]);
      expect(new Set(sizes.slice(2)).size).toBe(1);
    } finally {
      setBackend(previous);
    }
  });
});

describe('guide: porting-from-pytorch, recurrent and attention layers', () => {
  it('the code block: lstm.forward(x, { h, c }) or [h, c]; gru.forward(x); PyTorch shapes', () => {
    const gen = new Generator(0);
    const lstm = new LSTM(10, 20, { numLayers: 2, batchFirst: true, generator: gen });
    const x = randn([3, 5, 10], { generator: gen });
    const h0 = zeros([2, 3, 20]);
    const c0 = zeros([2, 3, 20]);
    // PyTorch: output, (h_n, c_n) = lstm(x, (h0, c0))
    const { output, h, c } = lstm.forward(x, { h: h0, c: c0 }); // or [h0, c0]; both default to zeros
    expect(output.shape).toEqual([3, 5, 20]);
    expect(h.shape).toEqual([2, 3, 20]);
    expect(c.shape).toEqual([2, 3, 20]);
    const viaArray = lstm.forward(x, [h0, c0]);
    const byDefault = lstm.forward(x);
    expect(Array.from(viaArray.output.data)).toEqual(Array.from(output.data));
    expect(Array.from(byDefault.output.data)).toEqual(Array.from(output.data));
    const gru = new GRU(10, 20, { generator: gen });
    // PyTorch: output, h_n = gru(x)
    const { output: out, h: hN } = gru.forward(randn([5, 3, 10], { generator: gen }));
    expect(out.shape).toEqual([5, 3, 20]);
    expect(hN.shape).toEqual([1, 3, 20]);
  });

  it('MultiheadAttention.forward returns { output, weights }', () => {
    const mha = new MultiheadAttention(4, 2, { batchFirst: true });
    const q = randn([2, 3, 4], { generator: new Generator(0) });
    const result = mha.forward(q, q, q);
    expect(Object.keys(result).sort()).toEqual(['output', 'weights']);
    expect(result.output.shape).toEqual([2, 3, 4]);
    expect(result.weights!.shape).toEqual([2, 3, 3]);
  });

  it('Transformer is nn.Transformer: masks as options, PyTorch state-dict names', () => {
    const model = new nn.Transformer(8, 2, { numEncoderLayers: 1, numDecoderLayers: 1, dimFeedforward: 16 });
    const src = randn([6, 2, 8], { generator: new Generator(0) });
    const tgt = randn([4, 2, 8], { generator: new Generator(1) });
    const out = model.eval().forward(src, tgt, { tgtMask: nn.Transformer.generateSquareSubsequentMask(4) });
    expect(out.shape).toEqual([4, 2, 8]);
    const keys = Object.keys(model.stateDict());
    expect(keys).toContain('encoder.layers.0.self_attn.in_proj_weight');
    expect(keys).toContain('decoder.layers.0.multihead_attn.out_proj.bias');
    expect(keys).toContain('decoder.norm.weight');
  });

  it('packed sequences: each sequence runs for its own length, h in the batch order, zeros after each end', () => {
    const gen = new Generator(0);
    const lstm = new LSTM(2, 3, { generator: gen });
    const a = randn([2, 1, 2], { generator: gen }); // length 2
    const b = randn([4, 1, 2], { generator: gen }); // length 4
    const x = cat([cat([a, zeros([2, 1, 2])], 0), b], 1); // [4, 2, 2], padded
    const lengths = [2, 4];
    const packed = nn.packPaddedSequence(x, lengths, { enforceSorted: false });
    const { output, h, c } = lstm.forward(packed);
    expect(output).toBeInstanceOf(nn.PackedSequence);
    expect(Array.from(h.slice([null, [0, 1]]).data)).toEqual(Array.from(lstm.forward(a).h.data));
    expect(Array.from(h.slice([null, [1, 2]]).data)).toEqual(Array.from(lstm.forward(b).h.data));
    expect(c.shape).toEqual([1, 2, 3]);
    const { output: padded, lengths: lens } = nn.padPackedSequence(output);
    expect(lens.dtype).toBe('int32');
    expect(lens.toArray()).toEqual([2, 4]);
    expect(
      Array.from(
        padded.slice([
          [2, 4],
          [0, 1],
        ]).data,
      ),
    ).toEqual([0, 0, 0, 0, 0, 0]);
    expect(nn.packSequence([randn([3, 2]), randn([1, 2])]).batchSizes.toArray()).toEqual([2, 1, 1]);
  });
});

describe('guide: porting-from-pytorch, iterable datasets', () => {
  it('IterableDataLoader batches a stream in order, and fit trains on it', async () => {
    const rows = Array.from(
      { length: 10 },
      (_, i) => [tensor([i / 10, 1 - i / 10]), tensor([i % 2], { dtype: 'int32' }).reshape([])] as const,
    );
    class Stream implements data.IterableDataset<readonly [Tensor, Tensor]> {
      *[Symbol.iterator]() {
        yield* rows;
      }
    }
    const stream = new data.IterableDataLoader(new Stream(), { batchSize: 4 });
    expect([...stream].map(([x]) => x.shape)).toEqual([
      [4, 2],
      [4, 2],
      [2, 2],
    ]);
    expect(stream.length).toBeNull();
    expect(() => new data.IterableDataLoader(new Stream(), { shuffle: true } as object)).toThrow(
      /shuffle does not apply/,
    );
    const model = new nn.Linear(2, 2);
    // biome-ignore lint/suspicious/noFocusedTests: fit is nabla's training loop, not a focused test
    const { history } = await fit({
      model,
      data: stream,
      loss: nn.crossEntropy,
      optimizer: sgd(model.parameters(), { lr: 0.1 }),
      epochs: 2,
    });
    expect(history.length).toBe(2);
  });
});

describe('guide: porting-from-pytorch, Parametrizations', () => {
  it('runs the example with its state-dict names, and refuses a recurrent weight', () => {
    const { Conv2d, Linear, LSTM, parametrizations, parametrize } = nn;
    const critic = parametrizations.spectralNorm(new Linear(20, 40));
    const conv = parametrizations.weightNorm(new Conv2d(3, 16, 3), { dim: 0 });
    expect(Object.keys(critic.stateDict())).toEqual([
      'bias',
      'parametrizations.weight.original',
      'parametrizations.weight.0._u',
      'parametrizations.weight.0._v',
    ]);
    const x = randn([2, 20]);
    const out = parametrize.cached(() => critic.forward(x));
    expect(out.shape).toEqual([2, 40]);
    const w = conv.weight;
    parametrize.removeParametrizations(conv, 'weight');
    expect(Object.keys(conv.stateDict())).toEqual(['bias', 'weight']); // re-registered last, as in PyTorch
    expect(Array.from(conv.weight.data)).toEqual(Array.from(w.data));
    // Assignment runs the right inverses; the explicit call does the same.
    const list = parametrize.parametrizationsOf(critic)?.get('weight') as nn.parametrize.ParametrizationList;
    const value = randn([40, 20]);
    list.rightInverse(value);
    expect(Array.from(list.original.data)).toEqual(Array.from(value.data));
    expect(() => parametrize.registerParametrization(new LSTM(2, 3), 'weight_ih_l0', new nn.Identity())).toThrow(
      /registerParametrization: LSTM keeps "weight_ih_l0" inside its field/,
    );
  });
});

describe('guide: porting-from-pytorch, not in nabla', () => {
  it('the ops, modules and data tools listed are absent; their stand-ins exist', () => {
    const coreExports = core as Record<string, unknown>;
    expect(typeof coreExports.scatterAdd).toBe('function');
    const nnExports = nn as Record<string, unknown>;
    for (const name of ['weightNorm', 'spectralNorm']) expect(nnExports[name], name).toBeUndefined();
    expect(typeof nn.parametrizations.orthogonal).toBe('function');
    expect(typeof nn.parametrizations.weightNorm).toBe('function');
    expect(typeof (nn.Module.prototype as unknown as Record<string, unknown>).registerBackwardHook).toBe('undefined');
    for (const name of [
      'Transformer',
      'TransformerEncoder',
      'TransformerDecoder',
      'TransformerEncoderLayer',
      'TransformerDecoderLayer',
    ])
      expect(typeof nnExports[name], name).toBe('function');
    const dataExports = data as Record<string, unknown>;
    for (const name of ['DistributedSampler']) expect(dataExports[name], name).toBeUndefined();
    expect(typeof dataExports.IterableDataLoader).toBe('function');
    expect(typeof dataExports.Subset).toBe('function');
    expect(typeof dataExports.ConcatDataset).toBe('function');
    expect(typeof dataExports.randomSplit).toBe('function');
  });
});

describe('guide: porting-from-pytorch, Ops and layers added for porters', () => {
  it('gives int32 masks and indices, a stable sort whatever `stable` says, ties in order, sorted topk values', () => {
    const x = core.tensor([3, 1, 3, Number.NaN, 1]);
    expect(core.isnan(x).dtype).toBe('int32');
    expect(core.any(x.gt(2)).dtype).toBe('int32');
    for (const stable of [true, false]) {
      const { values, indices } = core.sort(x, -1, { stable });
      expect(indices.dtype).toBe('int32');
      expect(indices.toArray()).toEqual([1, 4, 0, 2, 3]); // equal values keep their order, NaN last
      expect(values.toArray()).toEqual([1, 1, 3, 3, Number.NaN]);
    }
    expect(core.argsort(x, -1, { descending: true }).toArray()).toEqual([3, 0, 2, 1, 4]);
    const top = core.topk(core.tensor([2, 5, 5, 1, 5]), 2);
    expect(top.indices.toArray()).toEqual([1, 2]); // the first two of three equal values
    expect(core.topk(core.tensor([1, 4, 2, 3]), 3, -1, { sorted: false }).values.toArray()).toEqual([4, 3, 2]);
    const c = core.cumsum(core.tensor([1, 2, 3], { dtype: 'int32' }), 0);
    expect(c.dtype).toBe('int32');
    expect(c.toArray()).toEqual([1, 3, 6]);
  });
  it('einsum takes the operands one by one or as an array, and refuses mixed dtypes', () => {
    const a = core.tensor([
      [1, 2],
      [3, 4],
    ]);
    expect(core.einsum('ij,jk->ik', a, a).toArray()).toEqual([
      [7, 10],
      [15, 22],
    ]);
    expect(core.einsum('ij,jk', [a, a]).toArray()).toEqual(core.matmul(a, a).toArray());
    expect(core.einsum('ii', a).item()).toBe(5);
    expect(() => core.einsum('ij,jk', a, core.cast(a, 'float64'))).toThrow(core.DTypeError);
  });
  it('exports every op, layer and sampler the section names, and unique returns an object', () => {
    const coreExports = core as Record<string, unknown>;
    for (const name of [
      'einsum',
      'scatter',
      'scatterReduce',
      'repeatInterleave',
      'nonzero',
      'unique',
      'cumsum',
      'topk',
      'erf',
    ])
      expect(typeof coreExports[name], name).toBe('function');
    const nnExports = nn as Record<string, unknown>;
    for (const name of [
      'Bilinear',
      'CTCLoss',
      'Conv3d',
      'ConvTranspose3d',
      'MaxPool3d',
      'MaxUnpool3d',
      'AdaptiveMaxPool3d',
      'AvgPool3d',
      'AdaptiveAvgPool3d',
      'BatchNorm3d',
      'InstanceNorm3d',
      'EmbeddingBag',
      'CosineSimilarity',
      'PairwiseDistance',
      'PixelShuffle',
      'PixelUnshuffle',
      'Dropout2d',
      'ParameterList',
      'ParameterDict',
    ])
      expect(typeof nnExports[name], name).toBe('function');
    const f = F as Record<string, unknown>;
    for (const name of [
      'normalize',
      'cosineSimilarity',
      'pairwiseDistance',
      'pixelShuffle',
      'pixelUnshuffle',
      'dropout2d',
      'bilinear',
      'conv3d',
      'convTranspose3d',
      'maxPool3d',
      'avgPool3d',
      'embeddingBag',
      'ctcLoss',
    ])
      expect(typeof f[name], name).toBe('function');
    const dataExports = data as Record<string, unknown>;
    for (const name of [
      'SequentialSampler',
      'RandomSampler',
      'SubsetRandomSampler',
      'WeightedRandomSampler',
      'BatchSampler',
    ])
      expect(typeof dataExports[name], name).toBe('function');
    const u = core.unique(core.tensor([2, Number.NaN, 1, 2, Number.NaN]), { returnCounts: true });
    expect(u.values.toArray()).toEqual([1, 2, Number.NaN, Number.NaN]);
    expect(u.counts.toArray()).toEqual([1, 2, 1, 1]);
    expect(core.nonzero(core.tensor([0, 3, 0, 1])).dtype).toBe('int32');
  });
});
