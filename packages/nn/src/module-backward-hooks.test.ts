import { gradients, noGrad, type Tensor, tensor } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { ReLU } from './layers/activations';
import { Linear } from './layers/linear';
import { Module } from './module';
import { Sequential } from './sequential';

/** forward(a, k, b) = a·b·k + a, with a number among the tensors. */
class Mix extends Module {
  forward(a: Tensor, k: number, b: Tensor): Tensor {
    return a.mul(b).mul(k).add(a);
  }
}

const values = (gs: (Tensor | null)[]) => gs.map((g) => (g === null ? null : g.toArray()));

describe('Module.registerFullBackwardHook (values checked with PyTorch 1.13)', () => {
  it('gets one gradient per argument (null for a number, zeros for a tensor without gradient) and the output gradient', () => {
    const m = new Mix();
    const seen: unknown[] = [];
    m.registerFullBackwardHook((mod, gradInput, gradOutput) => {
      expect(mod).toBe(m);
      seen.push([values(gradInput), values(gradOutput)]);
    });
    const a = tensor([1, 2], { requiresGrad: true });
    const b = tensor([3, 4]);
    m.forward(a, 2, b)
      .mul(tensor([1, 10]))
      .sum()
      .backward();
    expect(seen).toEqual([[[[7, 90], null, [0, 0]], [[1, 10]]]]);
    expect(a.grad?.toArray()).toEqual([7, 90]);
  });

  it('runs at the output when no input requires a gradient (a first layer), with null input gradients', () => {
    const fc = new Linear(2, 1);
    const seen: unknown[] = [];
    fc.registerFullBackwardHook((_m, gradInput, gradOutput) => {
      seen.push([values(gradInput), values(gradOutput)]);
    });
    fc.forward(tensor([[1, 2]]))
      .sum()
      .backward();
    expect(seen).toEqual([[[null], [[[1]]]]]);
    expect(fc.weight.grad?.toArray()).toEqual([[1, 2]]);
  });

  it('replaces the input gradients with what it returns, null giving none', () => {
    const fc = new Linear(2, 2);
    fc.registerFullBackwardHook((_m, [g]) => [g === null ? null : g.mul(3)]);
    const x = tensor([[1, 2]], { requiresGrad: true });
    fc.forward(x).sum().backward();
    const w = fc.weight.toArray() as number[][];
    expect(x.grad?.toArray()).toEqual([[3 * (w[0][0] + w[1][0]), 3 * (w[0][1] + w[1][1])].map(Math.fround)]);
    const fc2 = new Linear(2, 2);
    fc2.registerFullBackwardHook(() => [null]);
    const x2 = tensor([[1, 2]], { requiresGrad: true });
    fc2.forward(x2).sum().backward();
    expect(x2.grad).toBeNull();
    expect(fc2.weight.grad).not.toBeNull();
  });

  it('fires once per forward call, sees the output a forward hook put in place, and is removed by its remover', () => {
    const fc = new Linear(2, 2);
    let calls = 0;
    const remove = fc.registerFullBackwardHook(() => {
      calls++;
    });
    const x = tensor([[1, 2]], { requiresGrad: true });
    fc.forward(fc.forward(x)).sum().backward();
    expect(calls).toBe(2);
    const outputs: Tensor[] = [];
    const removeForward = fc.registerForwardHook((_m, _inputs, y) => y.mul(2));
    fc.registerFullBackwardHook((_m, _gi, [go]) => {
      outputs.push(go as Tensor);
    });
    fc.forward(x).sum().backward();
    expect(outputs[0].toArray()).toEqual([[1, 1]]); // the gradient of the doubled output the forward hook returned
    removeForward();
    remove();
    calls = 0;
    fc.forward(x).sum().backward();
    expect(calls).toBe(0);
  });

  it('keeps gradients of gradients, and runs again in the second backward, as in PyTorch', () => {
    const fc = new Linear(2, 2, { dtype: 'float64' });
    let calls = 0;
    fc.registerFullBackwardHook((_m, [g]) => {
      calls++;
      return [g === null ? null : g.mul(2)];
    });
    const x = tensor([[0.5, -1]], { dtype: 'float64', requiresGrad: true });
    const [g] = gradients([fc.forward(x).square().sum()], [x], null, { createGraph: true });
    const [h] = gradients([(g as Tensor).sum()], [x]);
    // d/dx of Σ_i 2·Σ_o 2·y_o·W_oi is 4·Σ_o W_oj (Σ_i W_oi); the second backward passes the gate (and the
    // hook's doubling) again, so 8 (PyTorch 1.13 gives the same, and calls the hook twice)
    expect(calls).toBe(2);
    const w = fc.weight.toArray() as number[][];
    const expected = [0, 1].map((i) => 8 * [0, 1].reduce((s, o) => s + w[o][i] * (w[o][0] + w[o][1]), 0));
    (h as Tensor).values.forEach((v, i) => {
      expect(v).toBeCloseTo(expected[i], 12);
    });
  });

  it('turns off the Linear-ReLU fusion of Sequential while it is on, and leaves the values as they were', () => {
    const fc = new Linear(3, 2);
    const model = new Sequential(fc, new ReLU());
    const x = tensor([[1, -2, 3]]);
    const before = model.forward(x).toArray();
    let seen: Tensor | null = null;
    const remove = fc.registerFullBackwardHook((_m, _gi, [go]) => {
      seen = go;
    });
    const xg = x.clone().requiresGrad_();
    const y = model.forward(xg);
    expect(y.toArray()).toEqual(before);
    y.sum().backward();
    expect(seen).not.toBeNull();
    remove();
    expect(Object.hasOwn(fc, 'forward')).toBe(false);
  });

  it('refuses what it cannot do, with errors that name the method', () => {
    const fc = new Linear(2, 2);
    expect(() => fc.registerFullBackwardHook(3 as never)).toThrow(
      /Linear.registerFullBackwardHook: hook must be a function/,
    );
    class Pair extends Module {
      forward(x: Tensor): { y: Tensor } {
        return { y: x.mul(2) };
      }
    }
    const pair = new Pair();
    pair.registerFullBackwardHook(() => undefined);
    const x = tensor([1], { requiresGrad: true });
    expect(() => pair.forward(x)).toThrow(
      /Pair.registerFullBackwardHook: full backward hooks need a forward that returns one Tensor/,
    );
    expect(noGrad(() => pair.forward(x)).y.toArray()).toEqual([2]); // no gradients recorded: nothing to hook
    fc.registerFullBackwardHook(() => [null, null]);
    expect(() =>
      fc
        .forward(x.reshape([1, 1]).expand([1, 2]))
        .sum()
        .backward(),
    ).toThrow(/must return nothing or an array of 1 input gradients, got 2 entries/);
  });

  it('registerFullBackwardPreHook: sees the output gradient first and may replace it, for the module and its full hooks', () => {
    const fc = new Linear(2, 2);
    const order: string[] = [];
    let fullSaw: Tensor | null = null;
    const removePre = fc.registerFullBackwardPreHook((_m, [g]) => {
      order.push('pre');
      return [(g as Tensor).mul(10)];
    });
    fc.registerFullBackwardHook((_m, _gi, [go]) => {
      order.push('full');
      fullSaw = go;
    });
    const x = tensor([[1, 2]], { requiresGrad: true });
    fc.forward(x).sum().backward();
    expect(order).toEqual(['pre', 'full']);
    expect((fullSaw as Tensor | null)?.toArray()).toEqual([[10, 10]]);
    const w = fc.weight.toArray() as number[][];
    expect(x.grad?.toArray()).toEqual([[10 * (w[0][0] + w[1][0]), 10 * (w[0][1] + w[1][1])].map(Math.fround)]);
    expect(fc.weight.grad?.toArray()).toEqual([
      [10, 20],
      [10, 20],
    ]); // the module's own backward got the replaced gradient too
    removePre();
    const only = new Linear(2, 2);
    let calls = 0;
    only.registerFullBackwardPreHook(() => {
      calls++;
    });
    only
      .forward(tensor([[1, 2]]))
      .sum()
      .backward(); // no input needs a gradient: the pre-hook runs all the same
    expect(calls).toBe(1);
    only.registerFullBackwardPreHook(() => [tensor([1])]);
    expect(() =>
      only
        .forward(tensor([[1, 2]]))
        .sum()
        .backward(),
    ).toThrow(
      /Linear.registerFullBackwardPreHook: a full backward pre-hook must return nothing or an array of one gradient/,
    );
  });
});
