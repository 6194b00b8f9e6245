import { Generator, sum, type Tensor, tensor } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { ReLU, Tanh } from './layers/activations';
import { Linear } from './layers/linear';
import { Sequential } from './sequential';

function input(rows: number, features: number, seed: number): Tensor {
  const rng = new Generator(seed);
  return tensor(
    Array.from({ length: rows * features }, () => rng.normal()),
    { shape: [rows, features] },
  );
}

/** The output and parameter gradients of `net` on `x`, and of the same modules applied one by one. */
function both(net: Sequential, x: Tensor) {
  const grads = () => net.parameters().map((p) => Array.from(p.grad?.values ?? []));
  net.zeroGrad();
  const fused = net.forward(x);
  sum(fused.mul(fused)).backward();
  const fusedGrads = grads();
  net.zeroGrad();
  let h = x;
  for (const m of net) h = m.forward(h) as Tensor;
  sum(h.mul(h)).backward();
  return { fused: Array.from(fused.values), plain: Array.from(h.values), fusedGrads, plainGrads: grads() };
}

describe('Sequential', () => {
  it('runs a Linear followed by a ReLU as one op, with the values and gradients of the two modules', () => {
    const g = new Generator(1);
    const net = new Sequential(
      new Linear(6, 8, { generator: g }),
      new ReLU(),
      new Linear(8, 8, { generator: g }),
      new Tanh(),
      new Linear(8, 3, { generator: g }),
      new ReLU(),
    );
    const x = input(5, 6, 2);
    const r = both(net, x);
    expect(r.fused).toEqual(r.plain);
    expect(r.fusedGrads).toEqual(r.plainGrads);
    expect(net.forward(x).gradFn?.spec.name).toBe('linearRelu');
    // inputs with leading dimensions go through the fused op too
    expect(net.forward(input(10, 6, 3).reshape([2, 5, 6])).shape).toEqual([2, 5, 3]);
  });

  it('leaves a hooked or subclassed module to its own forward', () => {
    const g = new Generator(4);
    const relu = new ReLU();
    const seen: number[] = [];
    const remove = relu.registerForwardHook((_m, _inputs, out) => {
      seen.push((out as Tensor).size);
      return undefined;
    });
    const net = new Sequential(new Linear(3, 4, { generator: g }), relu);
    const x = input(2, 3, 5);
    const y = net.forward(x);
    expect(seen).toEqual([8]);
    expect(y.gradFn?.spec.name).toBe('relu');
    remove();
    expect(net.forward(x).gradFn?.spec.name).toBe('linearRelu');
    let calls = 0;
    class Counted extends Linear {
      override forward(inputTensor: Tensor): Tensor {
        calls++;
        return super.forward(inputTensor);
      }
    }
    const counted = new Sequential(new Counted(3, 4, { generator: g }), new ReLU());
    counted.forward(x);
    expect(calls).toBe(1);
  });
});
