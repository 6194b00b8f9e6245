import {
  AutogradError,
  DTypeError,
  Generator,
  manualSeed,
  NablaError,
  ones,
  randn,
  type Tensor,
  tensor,
  ValueError,
  zeros,
} from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { ReLU } from './layers/activations';
import { BatchNorm1d } from './layers/batch-norm';
import { Dropout } from './layers/dropout';
import { Linear } from './layers/linear';
import { Module, parameter } from './module';
import { ModuleDict } from './module-dict';
import { ModuleList } from './module-list';
import { Sequential } from './sequential';
import { StateDictError } from './state-dict-error';
import { summary } from './summary';

class Net extends Module {
  readonly net: Sequential;
  readonly scale: Tensor;

  constructor(seed = 0) {
    super();
    const generator = new Generator(seed);
    this.net = this.registerModule(
      'net',
      new Sequential(new Linear(4, 8, { generator }), new ReLU(), new Linear(8, 3, { generator })),
    );
    this.scale = this.registerParameter('scale', parameter(ones([3])));
  }

  forward(x: Tensor): Tensor {
    return this.net.forward(x).mul(this.scale);
  }
}

class WithNorm extends Module {
  readonly fc = this.registerModule('fc', new Linear(3, 4, { generator: new Generator(1) }));
  readonly bn = this.registerModule('bn', new BatchNorm1d(4));
  readonly scratch = this.registerBuffer('scratch', zeros([2]), { persistent: false });

  forward(x: Tensor): Tensor {
    return this.bn.forward(this.fc.forward(x));
  }
}

const snapshot = (m: Module) => m.parameters().map((p) => Array.from(p.data));

describe('Module registration and traversal', () => {
  it('names the parameters of a nested model with stable dotted names, own parameters first', () => {
    const model = new Net();
    expect(model.namedParameters().map(([n, p]) => [n, p.shape])).toEqual([
      ['scale', [3]],
      ['net.0.weight', [8, 4]],
      ['net.0.bias', [8]],
      ['net.2.weight', [3, 8]],
      ['net.2.bias', [3]],
    ]);
    expect(model.parameters().reduce((n, p) => n + p.size, 0)).toBe(3 + 32 + 8 + 24 + 3);
    expect(model.parameters().every((p) => p.requiresGrad && p.isLeaf)).toBe(true);
    expect(model.namedModules().map(([n, m]) => [n, m.constructor.name])).toEqual([
      ['', 'Net'],
      ['net', 'Sequential'],
      ['net.0', 'Linear'],
      ['net.1', 'ReLU'],
      ['net.2', 'Linear'],
    ]);
    expect(model.namedChildren().map(([n]) => n)).toEqual(['net']);
    expect(model.children()[0]).toBe(model.net);
    expect(model.modules()).toHaveLength(5);
    expect(model.namedParameters('', false).map(([n]) => n)).toEqual(['scale']);
    expect(model.namedParameters('model').map(([n]) => n)[1]).toBe('model.net.0.weight');
    expect(model.getSubmodule('net.2')).toBe(model.net.at(2));
    expect(() => model.getSubmodule('net.7')).toThrow(/no submodule "7"/);
  });

  it('lists a shared module and a shared parameter once', () => {
    const shared = new Linear(2, 2, { generator: new Generator(0) });
    const seq = new Sequential(shared, new ReLU(), shared);
    expect(seq.namedParameters().map(([n]) => n)).toEqual(['0.weight', '0.bias']);
    expect(seq.modules()).toHaveLength(3);
    // state dicts list a shared tensor under every name, like PyTorch
    expect(Object.keys(seq.stateDict())).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
  });

  it('rejects bad names, clashes and unsuitable tensors', () => {
    class Bad extends Module {
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    const m = new Bad();
    expect(() => m.registerParameter('a.b', zeros([1]))).toThrow(/Bad\.registerParameter: name must not contain "\."/);
    expect(() => m.registerParameter('', zeros([1]))).toThrow(ValueError);
    expect(() => m.registerParameter('__proto__', zeros([1]))).toThrow(/__proto__/);
    m.registerBuffer('b', zeros([1]));
    expect(() => m.registerParameter('b', zeros([1]))).toThrow(/"b" is already registered as a buffer/);
    expect(() => m.registerParameter('i', zeros([1], { dtype: 'int32' }))).toThrow(DTypeError);
    const nonLeaf = tensor([1], { requiresGrad: true }).mul(2);
    expect(() => m.registerParameter('n', nonLeaf)).toThrow(AutogradError);
    expect(() => m.registerModule('self', m)).toThrow(/own child/);
    const p = m.registerParameter('w', zeros([2]));
    expect(p.requiresGrad).toBe(true);
    expect(m.registerParameter('none', null)).toBeNull();
    expect(m.namedParameters().map(([n]) => n)).toEqual(['w']);
  });

  it('parameter() copies the value and makes a trainable leaf', () => {
    const value = tensor([1, 2, 3]);
    const p = parameter(value);
    p.data[0] = 9;
    expect(value.data[0]).toBe(1);
    expect(p.requiresGrad).toBe(true);
    expect(parameter(value, false).requiresGrad).toBe(false);
    expect(() => parameter(zeros([1], { dtype: 'int32' }))).toThrow(DTypeError);
  });
});

describe('Module modes, gradients and apply', () => {
  it('train() and eval() set the flag on every submodule', () => {
    const model = new Net();
    expect(model.modules().every((m) => m.training)).toBe(true);
    expect(model.eval()).toBe(model);
    expect(model.modules().every((m) => !m.training)).toBe(true);
    model.train();
    expect(model.modules().every((m) => m.training)).toBe(true);
    model.train(false);
    expect(model.net.at(0).training).toBe(false);
  });

  it('zeroGrad() sets gradients to null', () => {
    const model = new Net();
    model
      .forward(randn([2, 4], { generator: new Generator(5) }))
      .sum()
      .backward();
    expect(model.parameters().every((p) => p.grad !== null)).toBe(true);
    model.zeroGrad();
    expect(model.parameters().every((p) => p.grad === null)).toBe(true);
  });

  it('a frozen submodule gets no gradient after backward', () => {
    const model = new Net();
    const first = model.net.at(0) as Linear;
    expect(first.requiresGrad_(false)).toBe(first);
    model
      .forward(randn([2, 4], { generator: new Generator(5) }))
      .sum()
      .backward();
    expect(first.weight.grad).toBeNull();
    expect(first.bias?.grad).toBeNull();
    const last = model.net.at(2) as Linear;
    expect(last.weight.grad).not.toBeNull();
    expect(model.scale.grad).not.toBeNull();
    model.requiresGrad_(true);
    expect(first.weight.requiresGrad).toBe(true);
  });

  it('apply() visits children before their parent', () => {
    const model = new Net();
    const order: string[] = [];
    model.apply((m) => order.push(m.constructor.name));
    expect(order).toEqual(['Linear', 'ReLU', 'Linear', 'Sequential', 'Net']);
  });
});

describe('forward hooks', () => {
  it('see the inputs and output, may replace the output, and unsubscribe', () => {
    const model = new Net();
    const fc = model.net.at(0) as Linear;
    const x = randn([2, 4], { generator: new Generator(2) });
    const seen: Array<[Tensor, Tensor]> = [];
    const remove = fc.registerForwardHook((m, inputs, output) => {
      expect(m).toBe(fc);
      seen.push([inputs[0], output]);
      return undefined;
    });
    expect(Object.hasOwn(fc, 'forward')).toBe(true);
    const y = model.forward(x);
    expect(seen).toHaveLength(1);
    expect(seen[0][0]).toBe(x);
    expect(seen[0][1].shape).toEqual([2, 8]);

    const removeZero = fc.registerForwardHook((_m, _inputs, output) => output.mul(0));
    const zeroed = model.forward(x);
    // With the first layer's output zeroed, every row of the output is the last bias times scale.
    const expected = (model.net.at(2) as Linear).forward(ones([1, 8]).mul(0)).mul(model.scale);
    expect(seen).toHaveLength(2);
    expect(Array.from(zeroed.data.slice(0, 3))).toEqual(Array.from(expected.data));
    removeZero();
    remove();
    remove();
    expect(Object.hasOwn(fc, 'forward')).toBe(false);
    expect(Array.from(model.forward(x).data)).toEqual(Array.from(y.data));
    expect(seen).toHaveLength(2);
  });

  it('run in registration order, each seeing the output of the previous one', () => {
    const relu = new ReLU();
    const calls: string[] = [];
    relu.registerForwardHook((_m, _i, out) => {
      calls.push('a');
      return out.add(1);
    });
    relu.registerForwardHook((_m, _i, out) => {
      calls.push(`b:${out.data[0]}`);
      return undefined;
    });
    expect(relu.forward(tensor([-3])).item()).toBe(1);
    expect(calls).toEqual(['a', 'b:1']);
  });
});

describe('stateDict and loadStateDict', () => {
  it('holds copies of the parameters and persistent buffers under dotted names', () => {
    const model = new WithNorm();
    const sd = model.stateDict();
    expect(Object.keys(sd)).toEqual([
      'fc.weight',
      'fc.bias',
      'bn.weight',
      'bn.bias',
      'bn.running_mean',
      'bn.running_var',
      'bn.num_batches_tracked',
    ]);
    expect(sd['bn.num_batches_tracked'].dtype).toBe('int32');
    expect(sd['fc.weight'].requiresGrad).toBe(false);
    expect(sd['fc.weight']).not.toBe(model.fc.weight);
    const before = sd['fc.weight'].data[0];
    model.fc.weight.data[0] += 1;
    expect(sd['fc.weight'].data[0]).toBe(before);
    expect(model.namedBuffers().map(([n]) => n)).toEqual([
      'scratch',
      'bn.running_mean',
      'bn.running_var',
      'bn.num_batches_tracked',
    ]);
  });

  it('round-trips into a fresh model, which then gives identical outputs', () => {
    const a = new Net(1);
    const b = new Net(2);
    const x = randn([5, 4], { generator: new Generator(9) });
    expect(Array.from(a.forward(x).data)).not.toEqual(Array.from(b.forward(x).data));
    const params = b.parameters();
    expect(b.loadStateDict(a.stateDict())).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(Array.from(b.forward(x).data)).toEqual(Array.from(a.forward(x).data));
    // the same Tensor objects stay, so an optimizer holding them keeps working
    expect(b.parameters().every((p, i) => p === params[i])).toBe(true);
  });

  it('loads a Map state dict (as PyTorch takes an OrderedDict), checking it as a record', () => {
    const a = new Net(1);
    const b = new Net(2);
    const x = randn([5, 4], { generator: new Generator(9) });
    const map = new Map(Object.entries(a.stateDict()));
    expect(b.loadStateDict(map)).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(Array.from(b.forward(x).data)).toEqual(Array.from(a.forward(x).data));
    // the same checks as for a record: a missing and an unexpected key, nothing loaded
    const c = new Net(3);
    const before = snapshot(c);
    map.delete('net.0.bias');
    map.set('net.9.weight', zeros([1]));
    expect(() => c.loadStateDict(map)).toThrow(StateDictError);
    expect(snapshot(c)).toEqual(before);
    expect(c.loadStateDict(map, { strict: false })).toEqual({
      missingKeys: ['net.0.bias'],
      unexpectedKeys: ['net.9.weight'],
    });
    const numbered = new Map<unknown, Tensor>([[0, zeros([1])]]) as unknown as Map<string, Tensor>;
    expect(() => c.loadStateDict(numbered)).toThrow(
      'Net.loadStateDict: a Map state dict needs string keys, got a number key',
    );
  });

  it('round-trips BatchNorm running statistics', () => {
    const a = new WithNorm();
    a.forward(randn([6, 3], { generator: new Generator(3) }));
    const b = new WithNorm();
    b.loadStateDict(a.stateDict());
    expect(Array.from(b.bn.runningMean?.data ?? [])).toEqual(Array.from(a.bn.runningMean?.data ?? []));
    expect(b.bn.numBatchesTracked?.item()).toBe(1);
    a.eval();
    b.eval();
    const x = randn([2, 3], { generator: new Generator(4) });
    expect(Array.from(b.forward(x).data)).toEqual(Array.from(a.forward(x).data));
  });

  it('reports missing keys, unexpected keys and shape mismatches together and loads nothing', () => {
    const model = new Net(1);
    const before = snapshot(model);
    const sd = new Net(2).stateDict();
    delete sd['net.0.bias'];
    sd['net.9.weight'] = zeros([1]);
    sd['net.2.weight'] = zeros([8, 3]);
    let error: unknown;
    try {
      model.loadStateDict(sd);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StateDictError);
    expect(error).toBeInstanceOf(NablaError);
    const e = error as StateDictError;
    expect(e.missingKeys).toEqual(['net.0.bias']);
    expect(e.unexpectedKeys).toEqual(['net.9.weight']);
    expect(e.shapeMismatches).toEqual([{ key: 'net.2.weight', expected: [3, 8], got: [8, 3] }]);
    expect(e.message).toMatch(
      /^Net\.loadStateDict: 3 problems \(nothing was loaded\): missing keys: "net\.0\.bias"; unexpected keys: "net\.9\.weight"; shape mismatches: "net\.2\.weight" has shape \[8,3\] in the state dict but \[3,8\] in the model$/,
    );
    expect(snapshot(model)).toEqual(before);
  });

  it('with strict: false loads what matches and returns the missing and unexpected keys', () => {
    const model = new Net(1);
    const source = new Net(2);
    const sd = source.stateDict();
    delete sd['net.0.bias'];
    sd.extra = zeros([2]);
    const before = Array.from((model.net.at(0) as Linear).bias?.data ?? []);
    expect(model.loadStateDict(sd, { strict: false })).toEqual({
      missingKeys: ['net.0.bias'],
      unexpectedKeys: ['extra'],
    });
    expect(Array.from((model.net.at(0) as Linear).weight.data)).toEqual(
      Array.from((source.net.at(0) as Linear).weight.data),
    );
    expect(Array.from((model.net.at(0) as Linear).bias?.data ?? [])).toEqual(before);
  });

  it('with strict: false still throws on shape mismatches and leaves the model untouched', () => {
    const model = new Net(1);
    const before = snapshot(model);
    const sd = new Net(2).stateDict();
    sd.scale = zeros([4]);
    sd.extra = zeros([1]);
    expect(() => model.loadStateDict(sd, { strict: false })).toThrow(StateDictError);
    try {
      model.loadStateDict(sd, { strict: false });
    } catch (e) {
      expect((e as StateDictError).shapeMismatches).toEqual([{ key: 'scale', expected: [3], got: [4] }]);
      expect((e as StateDictError).unexpectedKeys).toEqual([]);
    }
    expect(snapshot(model)).toEqual(before);
  });

  it('converts dtypes when loading and rejects non-tensors', () => {
    const model = new Linear(2, 1, { dtype: 'float64', generator: new Generator(0) });
    model.loadStateDict({ weight: tensor([[0.5, 0.25]]), bias: tensor([2]) });
    expect(Array.from(model.weight.data)).toEqual([0.5, 0.25]);
    expect(model.weight.dtype).toBe('float64');
    expect(() => model.loadStateDict({ weight: [1, 2] as unknown as Tensor, bias: tensor([2]) })).toThrow(
      /entry "weight" is not a Tensor/,
    );
  });
});

describe('containers', () => {
  it('Sequential chains its modules and supports append, at and iteration', () => {
    const seq = new Sequential(new Linear(2, 3, { generator: new Generator(0) }), new ReLU());
    seq.append(new Linear(3, 1, { generator: new Generator(1) }));
    expect(seq.length).toBe(3);
    expect(seq.at(-1)).toBe(seq.at(2));
    expect([...seq].map((m) => m.constructor.name)).toEqual(['Linear', 'ReLU', 'Linear']);
    const x = randn([4, 2], { generator: new Generator(2) });
    const manual = (seq.at(2) as Linear).forward((seq.at(0) as Linear).forward(x).relu());
    expect(Array.from(seq.forward(x).data)).toEqual(Array.from(manual.data));
    expect(() => seq.at(3)).toThrow(/index 3 is out of range for 3 modules/);
    expect(() => seq.append({} as Module)).toThrow(ValueError);
  });

  it('ModuleList registers its modules and has no forward', () => {
    const list = new ModuleList([new Linear(2, 2), new Linear(2, 2)]);
    list.extend([new ReLU()]);
    expect(list.length).toBe(3);
    expect(list.namedParameters().map(([n]) => n)).toEqual(['0.weight', '0.bias', '1.weight', '1.bias']);
    expect([...list][2]).toBeInstanceOf(ReLU);
    expect(list.at(-3)).toBe(list.at(0));
    expect(() => list.forward()).toThrow(/ModuleList has no forward/);
  });

  it('ModuleDict maps names to modules in insertion order', () => {
    const dict = new ModuleDict({ cls: new Linear(4, 2), box: new Linear(4, 4) });
    dict.set('act', new ReLU());
    expect(dict.keys()).toEqual(['cls', 'box', 'act']);
    expect(dict.size).toBe(3);
    expect(dict.namedParameters().map(([n]) => n)).toEqual(['cls.weight', 'cls.bias', 'box.weight', 'box.bias']);
    expect(dict.has('box')).toBe(true);
    expect(dict.delete('box')).toBe(true);
    expect(dict.delete('box')).toBe(false);
    expect(dict.namedParameters().map(([n]) => n)).toEqual(['cls.weight', 'cls.bias']);
    expect(() => dict.get('box')).toThrow(/no module called "box"/);
    expect(() => dict.forward()).toThrow(/ModuleDict has no forward/);
    expect(new ModuleDict([['a', new ReLU()]]).keys()).toEqual(['a']);
  });
});

describe('printing', () => {
  it('toString() prints the module tree like PyTorch', () => {
    manualSeed(0);
    expect(String(new Net())).toBe(
      [
        'Net(',
        '  (net): Sequential(',
        '    (0): Linear(inFeatures=4, outFeatures=8, bias=true)',
        '    (1): ReLU()',
        '    (2): Linear(inFeatures=8, outFeatures=3, bias=true)',
        '  )',
        ')',
      ].join('\n'),
    );
    expect(String(new Dropout(0.25))).toBe('Dropout(p=0.25)');
  });

  it('summary() lists output shapes and parameter counts without changing the model', () => {
    const model = new WithNorm();
    model.train();
    const before = Array.from(model.bn.runningMean?.data ?? []);
    const text = summary(model, [2, 3]);
    const lines = text.split('\n');
    expect(lines[0]).toBe('WithNorm');
    expect(lines.find((l) => l.startsWith('fc (Linear)'))).toMatch(/^fc \(Linear\)\s+\[2,4\]\s+16$/);
    expect(lines.find((l) => l.startsWith('bn (BatchNorm1d)'))).toMatch(/^bn \(BatchNorm1d\)\s+\[2,4\]\s+8$/);
    expect(text).toContain('Output shape: [2,4]');
    expect(text).toContain('Total params: 24');
    expect(text).toContain('Trainable params: 24');
    expect(text).toContain('Non-trainable params: 0');
    expect(model.training && model.bn.training).toBe(true);
    expect(Array.from(model.bn.runningMean?.data ?? [])).toEqual(before);
    expect(model.bn.numBatchesTracked?.item()).toBe(0);
    expect(Object.hasOwn(model.fc, 'forward')).toBe(false);
  });

  it('summary() indents nested modules and counts frozen parameters as non-trainable', () => {
    const model = new Net();
    (model.net.at(0) as Linear).requiresGrad_(false);
    const text = summary(model);
    expect(text).toMatch(/\n {2}net\.0 \(Linear\)\s+-\s+40\n/);
    expect(text).toMatch(/\nnet \(Sequential\)\s+-\s+67\n/);
    expect(text).toContain('Total params: 70');
    expect(text).toContain('Trainable params: 30');
    expect(text).toContain('Non-trainable params: 40');
  });
});
