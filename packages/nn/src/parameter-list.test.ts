import { DTypeError, NablaError, ones, type Tensor, tensor, ValueError, zeros } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { Linear } from './layers/linear';
import { Module, parameter } from './module';
import { ParameterList } from './parameter-list';

/** A parent holding a ParameterList between an own parameter and a child, as a model would. */
class Scaled extends Module {
  readonly bias = this.registerParameter('bias', parameter(zeros([2])));
  readonly plist = this.registerModule('plist', new ParameterList([tensor([1, 2]), tensor([3, 4])]));
  readonly fc = this.registerModule('fc', new Linear(2, 1));

  forward(x: Tensor): Tensor {
    for (const s of this.plist) x = x.mul(s);
    return this.fc.forward(x.add(this.bias));
  }
}

const values = (t: Tensor) => Array.from(t.data);

describe('ParameterList', () => {
  it("registers its parameters as '0', '1', ... under the parent, in namedParameters and stateDict", () => {
    const m = new Scaled();
    expect(m.namedParameters().map(([n]) => n)).toEqual(['bias', 'plist.0', 'plist.1', 'fc.weight', 'fc.bias']);
    expect(Object.keys(m.stateDict())).toEqual(['bias', 'plist.0', 'plist.1', 'fc.weight', 'fc.bias']);
    expect(m.parameters()[1]).toBe(m.plist.at(0));
    expect(m.plist.namedParameters().map(([n]) => n)).toEqual(['0', '1']);
    expect(m.plist.length).toBe(2);
    expect([...m.plist].map(values)).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });

  it('turns a plain tensor into a trainable copy and keeps a trainable leaf as it is', () => {
    const plain = tensor([1, 2]);
    const shared = new Linear(2, 2).weight;
    const list = new ParameterList([plain]).append(shared);
    expect(list.at(0)).not.toBe(plain);
    expect(list.at(0).requiresGrad).toBe(true);
    expect(list.at(0).isLeaf).toBe(true);
    expect(values(list.at(0))).toEqual([1, 2]);
    expect(plain.requiresGrad).toBe(false); // the caller's tensor is not touched
    expect(list.at(1)).toBe(shared); // a tied weight stays tied
    const computed = shared.mul(2); // not a leaf: copied, like parameter()
    list.append(computed);
    expect(list.at(2)).not.toBe(computed);
    expect(list.at(2).isLeaf && list.at(2).requiresGrad).toBe(true);
    list.append(shared); // the same tensor twice: two entries, one parameter
    expect(list.length).toBe(4);
    expect(list.parameters()).toHaveLength(3);
  });

  it('has append, extend, at (negative from the end) and iteration', () => {
    const list = new ParameterList();
    expect(list.length).toBe(0);
    expect(list.append(ones([1]))).toBe(list);
    expect(list.extend([zeros([2]), zeros([3])])).toBe(list);
    expect(list.extend(new Set([ones([4])])).length).toBe(4);
    expect(list.at(-1).shape).toEqual([4]);
    expect(list.at(1).shape).toEqual([2]);
    expect([...list].map((t) => t.shape[0])).toEqual([1, 2, 3, 4]);
    expect(list.namedParameters().map(([n]) => n)).toEqual(['0', '1', '2', '3']);
  });

  it('round-trips through stateDict and loadStateDict, keeping the tensor objects', () => {
    const a = new Scaled();
    const b = new Scaled();
    for (const p of a.plist) p.data.fill(7);
    const held = [...b.plist];
    expect(b.loadStateDict(a.stateDict())).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect([...b.plist]).toEqual(held);
    expect(b.plist.at(0)).toBe(held[0]);
    expect(values(b.plist.at(1))).toEqual([7, 7]);
    const x = tensor([[1, -2]]);
    expect(values(b.forward(x))).toEqual(values(a.forward(x)));
  });

  it('gives an optimizer its parameters: an SGD step over parameters() trains them', () => {
    const m = new Scaled();
    const opt = m.parameters(); // what an optimizer is given
    expect(opt).toContain(m.plist.at(0));
    expect(opt).toContain(m.plist.at(1));
    m.forward(tensor([[1, 1]]))
      .sum()
      .backward();
    const before = values(m.plist.at(0));
    for (const p of opt) {
      expect(p.grad).not.toBeNull();
      const g = p.grad!.data;
      p.data.forEach((v, i) => {
        p.data[i] = v - 0.1 * g[i];
      });
    }
    expect(values(m.plist.at(0))).not.toEqual(before);
    m.zeroGrad();
    expect(m.plist.at(0).grad).toBeNull();
  });

  it('is accepted by the registration check, also when a field keeps its tensors in an array', () => {
    class Holder extends Module {
      readonly plist = this.registerModule('plist', new ParameterList([ones([2]), ones([2])]));
      readonly handy = [...this.plist]; // registered (in the list), so not an error
      forward(x: Tensor): Tensor {
        return x.mul(this.handy[0]);
      }
    }
    const h = new Holder();
    expect(h.parameters()).toHaveLength(2);
    expect(() => h.stateDict()).not.toThrow();
    expect(h.namedModules().map(([n]) => n)).toEqual(['', 'plist']);

    class Forgot extends Module {
      readonly plist = new ParameterList([ones([2])]);
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    expect(() => new Forgot().parameters()).toThrow(
      /^Module: field "plist" of Forgot holds a ParameterList that is not registered/,
    );
  });

  it('follows Module.to: at() and iteration give the converted tensors', () => {
    const m = new Scaled().to('float64');
    expect(m.plist.at(0).dtype).toBe('float64');
    expect([...m.plist]).toEqual(m.parameters().slice(1, 3));
    expect(m.plist.at(1)).toBe(m.parameters()[2]);
  });

  it('prints its parameters as PyTorch does and has no forward', () => {
    expect(String(new ParameterList([zeros([3, 4]), ones([5])]))).toBe(
      'ParameterList(\n  (0): Parameter containing: [float32 of size 3x4]\n  (1): Parameter containing: [float32 of size 5]\n)',
    );
    expect(String(new ParameterList())).toBe('ParameterList()');
    expect(String(new Scaled()).split('\n').slice(0, 4)).toEqual([
      'Scaled(',
      '  (plist): ParameterList(',
      '    (0): Parameter containing: [float32 of size 2]',
      '    (1): Parameter containing: [float32 of size 2]',
    ]);
    expect(() => new ParameterList().forward()).toThrow(NablaError);
  });

  it('rejects values that are not float tensors and bad indices, naming the method and argument', () => {
    const list = new ParameterList([ones([1])]);
    expect(() => list.append(3 as never)).toThrow(ValueError);
    expect(() => list.append(3 as never)).toThrow('ParameterList.append: value must be a Tensor, got number');
    expect(() => list.append(null as never)).toThrow('ParameterList.append: value must be a Tensor, got null');
    expect(() => list.append(tensor([1], { dtype: 'int32' }))).toThrow(DTypeError);
    expect(() => list.append(tensor([1], { dtype: 'int32' }))).toThrow(
      'ParameterList.append: value must be a floating-point tensor, got int32',
    );
    expect(() => list.extend(5 as never)).toThrow('ParameterList.extend: values must be an iterable of Tensors');
    expect(() => new ParameterList(null as never)).toThrow(ValueError);
    expect(() => new ParameterList([ones([1]), 'x' as never])).toThrow('ParameterList.append: value must be a Tensor');
    expect(() => list.at(5)).toThrow('ParameterList.at: index 5 is out of range for');
    expect(() => list.at(-9)).toThrow(ValueError);
    expect(() => list.at(0.5)).toThrow(ValueError);
  });
});
