import { type Tensor, tensor, ValueError } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { ReLU } from './layers/activations';
import { Linear } from './layers/linear';
import { Module } from './module';
import { Sequential } from './sequential';

/** A module whose forward records its call and returns its arguments, so that tests see what it got. */
class Echo extends Module {
  readonly log: string[] = [];
  forward(...args: unknown[]): unknown[] {
    this.log.push('forward');
    return args;
  }
}

/** A module of two arguments: x + y. */
class Add extends Module {
  forward(x: Tensor, y: Tensor): Tensor {
    return x.add(y);
  }
}

describe('forward pre-hooks', () => {
  it('run in registration order, all before forward and the forward hooks', () => {
    const m = new Echo();
    m.registerForwardHook(() => {
      m.log.push('hook');
    });
    m.registerForwardPreHook(() => {
      m.log.push('pre 1');
    });
    m.registerForwardPreHook(() => {
      m.log.push('pre 2');
    });
    expect(m.forward(1, 2)).toEqual([1, 2]);
    expect(m.log).toEqual(['pre 1', 'pre 2', 'forward', 'hook']);
  });

  it('replace the argument list with a returned array, each seeing what the previous one left', () => {
    const add = new Add();
    const seen: number[][] = [];
    add.registerForwardPreHook((_m, [x, y]) => [y, x.mul(10)]);
    add.registerForwardPreHook((m, inputs) => {
      expect(m).toBe(add);
      seen.push(inputs.map((t) => t.item()));
    });
    let hookInputs: number[] = [];
    add.registerForwardHook((_m, inputs) => {
      hookInputs = inputs.map((t) => t.item());
    });
    expect(add.forward(tensor([1]), tensor([2])).item()).toBe(12);
    expect(seen).toEqual([[2, 10]]);
    expect(hookInputs).toEqual([2, 10]); // forward hooks see the inputs forward was called with
  });

  it('make a returned value that is not an array the single argument, and keep the inputs on undefined', () => {
    const m = new Echo();
    const remove = m.registerForwardPreHook(() => 'only');
    expect(m.forward(1, 2, 3)).toEqual(['only']);
    remove();
    m.registerForwardPreHook(() => undefined);
    expect(m.forward(1, 2, 3)).toEqual([1, 2, 3]);
    m.registerForwardPreHook(() => null);
    expect(m.forward(1)).toEqual([null]);
    m.registerForwardPreHook((_m, inputs) => [inputs]); // an array argument is replaced by wrapping it
    expect(m.forward(4, 5)).toEqual([[null]]);
  });

  it('type their inputs and return value from the module', () => {
    const relu = new ReLU();
    relu.registerForwardPreHook((_m, [x]) => [x.neg()]);
    relu.registerForwardPreHook((_m, [x]) => x.add(1)); // a single tensor becomes the one argument
    expect(Array.from(relu.forward(tensor([2, -3])).data)).toEqual([0, 4]);
  });

  it('unsubscribe, removing the forward wrapper with the last hook (removing twice does nothing)', () => {
    const fc = new Linear(2, 2);
    const x = tensor([[1, -1]]);
    const plain = Array.from(fc.forward(x).data);
    const remove = fc.registerForwardPreHook((_m, [t]) => [t.mul(0)]);
    expect(Object.hasOwn(fc, 'forward')).toBe(true);
    expect(Array.from(fc.forward(x).data)).toEqual(Array.from(fc.bias!.data));
    remove();
    remove();
    expect(Object.hasOwn(fc, 'forward')).toBe(false);
    expect(Array.from(fc.forward(x).data)).toEqual(plain);
  });

  it('and forward hooks work together: removing either kind leaves the other working', () => {
    const relu = new ReLU();
    const calls: string[] = [];
    const removeHook = relu.registerForwardHook((_m, _i, out) => {
      calls.push('hook');
      return out.mul(2);
    });
    const removePre = relu.registerForwardPreHook((_m, [x]) => {
      calls.push('pre');
      return [x.add(1)];
    });
    expect(relu.forward(tensor([1])).item()).toBe(4);
    expect(calls).toEqual(['pre', 'hook']);

    removeHook();
    expect(Object.hasOwn(relu, 'forward')).toBe(true);
    expect(relu.forward(tensor([1])).item()).toBe(2);
    expect(calls).toEqual(['pre', 'hook', 'pre']);

    const removeHook2 = relu.registerForwardHook((_m, _i, out) => out.neg());
    removePre();
    expect(relu.forward(tensor([1])).item()).toBe(-1);
    expect(calls).toEqual(['pre', 'hook', 'pre']);
    removeHook2();
    expect(Object.hasOwn(relu, 'forward')).toBe(false);
    expect(relu.forward(tensor([1])).item()).toBe(1);
    removeHook();
    removePre();
    expect(Object.hasOwn(relu, 'forward')).toBe(false);
  });

  it("put back an instance's own forward when the last hook goes", () => {
    const m = new Echo();
    const own = (...args: unknown[]): unknown[] => ['own', ...args];
    Object.defineProperty(m, 'forward', { value: own, writable: true, configurable: true });
    const remove = m.registerForwardPreHook(() => [0]);
    expect(m.forward(1)).toEqual(['own', 0]);
    remove();
    expect(m.forward).toBe(own);
  });

  it('run on a child when the parent forwards, and a hook added during a call counts from the next call', () => {
    const first = new Linear(2, 2);
    const net = new Sequential(first, new ReLU());
    let count = 0;
    first.registerForwardPreHook(() => {
      count++;
      if (count === 1)
        first.registerForwardPreHook(() => {
          count += 100;
        });
    });
    net.forward(tensor([[1, 2]]));
    expect(count).toBe(1);
    net.forward(tensor([[1, 2]]));
    expect(count).toBe(102);
  });

  it('must be functions: a ValueError naming the module and the method', () => {
    const fc = new Linear(2, 2);
    for (const bad of [undefined, null, 3, 'hook', {}]) {
      const call = () => fc.registerForwardPreHook(bad as never);
      expect(call).toThrow(ValueError);
      expect(call).toThrow('Linear.registerForwardPreHook: hook must be a function');
    }
    expect(Object.hasOwn(fc, 'forward')).toBe(false);
  });
});
