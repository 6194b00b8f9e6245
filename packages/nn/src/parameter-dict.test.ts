import { DTypeError, NablaError, ones, type Tensor, tensor, ValueError, zeros } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { Linear } from './layers/linear';
import { Module } from './module';
import { ParameterDict } from './parameter-dict';

/** A parent holding a ParameterDict after a child, as a model would. */
class Gated extends Module {
  readonly fc = this.registerModule('fc', new Linear(2, 2));
  readonly gains = this.registerModule('gains', new ParameterDict({ scale: tensor([1, 2]), shift: tensor([3, 4]) }));

  forward(x: Tensor): Tensor {
    return this.fc.forward(x).mul(this.gains.get('scale')).add(this.gains.get('shift'));
  }
}

const values = (t: Tensor) => Array.from(t.data);

describe('ParameterDict', () => {
  it('registers its parameters under their keys below the parent, in namedParameters and stateDict', () => {
    const m = new Gated();
    const names = ['fc.weight', 'fc.bias', 'gains.scale', 'gains.shift'];
    expect(m.namedParameters().map(([n]) => n)).toEqual(names);
    expect(Object.keys(m.stateDict())).toEqual(names);
    expect(m.parameters()[2]).toBe(m.gains.get('scale'));
    expect(values(m.stateDict()['gains.shift'])).toEqual([3, 4]);
  });

  it('has set, get, has, delete, keys, values, entries, size and iteration over [key, parameter] pairs', () => {
    const d = new ParameterDict([
      ['b', ones([1])],
      ['a', zeros([2])],
    ]);
    expect(d.size).toBe(2);
    expect(d.keys()).toEqual(['b', 'a']);
    expect(d.has('a')).toBe(true);
    expect(d.has('c')).toBe(false);
    expect(d.has('toString')).toBe(false);
    expect(d.set('c', ones([3]))).toBe(d);
    expect(d.values().map((t) => t.shape[0])).toEqual([1, 2, 3]);
    expect(d.entries().map(([k, t]) => [k, t.shape[0]])).toEqual([
      ['b', 1],
      ['a', 2],
      ['c', 3],
    ]);
    expect([...d].map(([k]) => k)).toEqual(['b', 'a', 'c']);
    d.set('b', zeros([5])); // replacing keeps the place
    expect(d.keys()).toEqual(['b', 'a', 'c']);
    expect(d.namedParameters().map(([n, p]) => [n, p.shape[0]])).toEqual([
      ['b', 5],
      ['a', 2],
      ['c', 3],
    ]);
    expect(d.delete('a')).toBe(true);
    expect(d.delete('a')).toBe(false);
    expect(d.keys()).toEqual(['b', 'c']);
    expect(Object.keys(d.stateDict())).toEqual(['b', 'c']);
    d.set('a', ones([1])); // a deleted key comes back at the end
    expect(d.namedParameters().map(([n]) => n)).toEqual(['b', 'c', 'a']);
    expect(d.keys()).toEqual(['b', 'c', 'a']);
    expect(new ParameterDict().size).toBe(0);
  });

  it('turns a plain tensor into a trainable copy and keeps a trainable leaf as it is', () => {
    const plain = tensor([1, 2]);
    const shared = new Linear(2, 2).weight;
    const d = new ParameterDict({ plain, shared });
    expect(d.get('plain')).not.toBe(plain);
    expect(d.get('plain').requiresGrad).toBe(true);
    expect(plain.requiresGrad).toBe(false);
    expect(values(d.get('plain'))).toEqual([1, 2]);
    expect(d.get('shared')).toBe(shared);
  });

  it('round-trips through stateDict and loadStateDict, keeping the tensor objects', () => {
    const a = new Gated();
    const b = new Gated();
    a.gains.get('scale').data.fill(5);
    const held = b.gains.get('scale');
    b.loadStateDict(a.stateDict());
    expect(b.gains.get('scale')).toBe(held);
    expect(values(held)).toEqual([5, 5]);
    const x = tensor([[1, -2]]);
    expect(values(b.forward(x))).toEqual(values(a.forward(x)));
    expect(() => b.loadStateDict({ ...a.stateDict(), 'gains.extra': ones([1]) })).toThrow(
      /unexpected keys: "gains.extra"/,
    );
  });

  it('gives an optimizer its parameters: an SGD step over parameters() trains them', () => {
    const m = new Gated();
    const params = m.parameters(); // what an optimizer is given
    expect(params).toContain(m.gains.get('scale'));
    expect(params).toContain(m.gains.get('shift'));
    m.forward(tensor([[1, 1]]))
      .sum()
      .backward();
    const shift = m.gains.get('shift');
    expect(values(shift.grad!)).toEqual([1, 1]);
    for (const p of params) {
      const g = p.grad!.data;
      p.data.forEach((v, i) => {
        p.data[i] = v - 0.5 * g[i];
      });
    }
    expect(values(shift)).toEqual([2.5, 3.5]);
  });

  it('is accepted by the registration check, and follows Module.to', () => {
    const m = new Gated();
    expect(m.namedModules().map(([n]) => n)).toEqual(['', 'fc', 'gains']);
    expect(() => m.train()).not.toThrow();
    m.to('float64');
    expect(m.gains.get('scale').dtype).toBe('float64');
    expect(m.gains.get('scale')).toBe(m.parameters()[2]);
    expect(m.gains.values()).toEqual(m.parameters().slice(2));
  });

  it('prints its parameters as PyTorch does and has no forward', () => {
    expect(String(new ParameterDict({ scale: ones([4]), w: zeros([2, 3]) }))).toBe(
      'ParameterDict(\n  (scale): Parameter containing: [float32 of size 4]\n  (w): Parameter containing: [float32 of size 2x3]\n)',
    );
    expect(String(new ParameterDict())).toBe('ParameterDict()');
    expect(() => new ParameterDict().forward()).toThrow(NablaError);
  });

  it('rejects bad keys and values, naming the method and argument', () => {
    const d = new ParameterDict();
    for (const key of ['', 'a.b', 3, null])
      expect(() => d.set(key as never, ones([1]))).toThrow(
        `ParameterDict.set: key must be a non-empty string without ".", got ${JSON.stringify(key)}`,
      );
    expect(() => d.set('__proto__', ones([1]))).toThrow('ParameterDict.set: "__proto__" is not a valid key');
    expect(() => d.set('w', 'x' as never)).toThrow(ValueError);
    expect(() => d.set('w', 'x' as never)).toThrow('ParameterDict.set: value of "w" must be a Tensor, got string');
    expect(() => d.set('w', tensor([1], { dtype: 'int32' }))).toThrow(DTypeError);
    expect(() => d.set('w', tensor([1], { dtype: 'int32' }))).toThrow(
      'ParameterDict.set: value of "w" must be a floating-point tensor, got int32',
    );
    expect(d.size).toBe(0);
    expect(d.parameters()).toHaveLength(0);
    expect(() => d.get('missing')).toThrow('ParameterDict.get: no parameter called "missing"; keys are []');
    expect(() => new ParameterDict(null as never)).toThrow(
      'ParameterDict: values must be an object of tensors or an iterable of [key, tensor] pairs, got null',
    );
    expect(() => new ParameterDict([['a', ones([1]), 3]] as never)).toThrow(
      'ParameterDict: each entry of values must be a [key, tensor] pair',
    );
    expect(() => new ParameterDict({ 'x.y': ones([1]) })).toThrow(ValueError);
  });
});
