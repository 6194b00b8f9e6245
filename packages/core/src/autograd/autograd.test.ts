import { describe, expect, it } from 'vitest';
import {
  AnomalyError,
  AutogradError,
  add,
  DTypeError,
  detectAnomaly,
  enableGrad,
  exp,
  grad,
  gradients,
  isGradEnabled,
  log,
  mul,
  noGrad,
  ShapeError,
  sqrt,
  sum,
  type Tensor,
  tensor,
  valueAndGrad,
  vjp,
  zeros,
} from '../index';

const f64 = (values: number[], requiresGrad = true) => tensor(values, { dtype: 'float64', requiresGrad });

describe('backward', () => {
  it('accumulates into leaves across two backward passes when the graph is retained', () => {
    const x = f64([1, 2, 3]);
    const y = sum(mul(x, x));
    y.backward(null, { retainGraph: true });
    expect(Array.from(x.grad!.data)).toEqual([2, 4, 6]);
    y.backward();
    expect(Array.from(x.grad!.data)).toEqual([4, 8, 12]);
  });

  it('releases the graph: a second backward without retainGraph throws, naming the op', () => {
    const x = f64([1, 2]);
    const y = sum(exp(x));
    y.backward();
    expect(() => y.backward()).toThrow(AutogradError);
    expect(() => y.backward()).toThrow(/second time.*"sum"/);
  });

  it('refuses an implicit gradient for a non-scalar output', () => {
    const y = mul(f64([1, 2]), 2);
    expect(() => y.backward()).toThrow(/shape \[2\].*one-element/);
  });

  it('checks an explicit upstream gradient against the output shape', () => {
    const y = mul(f64([1, 2]), 2);
    expect(() => y.backward(tensor([1, 2, 3], { dtype: 'float64' }))).toThrow(ShapeError);
  });

  it('refuses backward from a tensor that does not require gradients', () => {
    expect(() => tensor([1]).backward()).toThrow(/does not require gradients/);
  });

  it('sums the gradient of an input used twice', () => {
    const x = f64([3]);
    add(x, x).sum().backward();
    expect(x.grad!.item()).toBe(2);
  });

  it('does not let the stored gradient alias the upstream gradient', () => {
    const x = f64([1, 2]);
    const g = tensor([1, 1], { dtype: 'float64' });
    add(x, 0).backward(g);
    x.grad!.data[0] = 100;
    expect(g.data[0]).toBe(1);
  });

  it('backpropagates a chain of 100,000 ops without overflowing the stack', () => {
    const x = f64([1]);
    let y: Tensor = x;
    for (let i = 0; i < 100_000; i++) y = mul(y, 1.00001);
    y.sum().backward();
    expect(x.grad!.item()).toBeCloseTo(1.00001 ** 100_000, 6);
  });

  it('keeps the gradient of a non-leaf only when asked with retainGrad', () => {
    const x = f64([1, 2]);
    const h = mul(x, 3);
    const k = mul(x, 4);
    h.retainGrad();
    sum(mul(h, k)).backward();
    expect(Array.from(h.grad!.data)).toEqual([4, 8]);
    expect(k.grad).toBeNull();
  });

  it('runs tensor hooks that may replace the gradient, and unsubscribes them', () => {
    const x = f64([1, 2]);
    const seen: number[][] = [];
    const remove = x.registerHook((g) => {
      seen.push(Array.from(g.data));
      return mul(g, 10);
    });
    sum(mul(x, x)).backward();
    expect(seen).toEqual([[2, 4]]);
    expect(Array.from(x.grad!.data)).toEqual([20, 40]);
    remove();
    x.grad = null;
    sum(mul(x, x)).backward();
    expect(Array.from(x.grad!.data)).toEqual([2, 4]);
  });

  it('rejects a hook that returns a gradient of the wrong shape', () => {
    const x = f64([1, 2]);
    x.registerHook(() => zeros([3], { dtype: 'float64' }));
    expect(() => sum(x).backward()).toThrow(/hook returned a gradient of shape \[3\]/);
  });
});

describe('gradient mode', () => {
  it('noGrad records nothing and enableGrad turns recording back on', () => {
    const x = f64([1]);
    const y = noGrad(() => mul(x, 2));
    expect(y.requiresGrad).toBe(false);
    expect(y.gradFn).toBeNull();
    const z = noGrad(() => enableGrad(() => mul(x, 2)));
    expect(z.requiresGrad).toBe(true);
    expect(isGradEnabled()).toBe(true);
  });

  it('restores the mode when the function throws', () => {
    expect(() =>
      noGrad(() => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(isGradEnabled()).toBe(true);
  });

  it('detach shares data but leaves the graph', () => {
    const x = f64([1, 2]);
    const d = mul(x, 2).detach();
    expect(d.requiresGrad).toBe(false);
    expect(d.isLeaf).toBe(true);
  });
});

describe('tensor fields', () => {
  it('only float tensors can require gradients', () => {
    expect(() => tensor([1], { dtype: 'int32', requiresGrad: true })).toThrow(DTypeError);
    expect(() => tensor([1], { dtype: 'int32', requiresGrad: true })).toThrow(/only float32 and float64/);
  });

  it('grad can be assigned a same-shaped tensor or null, and nothing else', () => {
    const x = f64([1, 2]);
    x.grad = tensor([5, 6], { dtype: 'float64' });
    expect(Array.from(x.grad.data)).toEqual([5, 6]);
    expect(() => {
      x.grad = tensor([1], { dtype: 'float64' });
    }).toThrow(/assigned gradient has shape \[1\] but the tensor has shape \[2\]/);
    expect(() => {
      x.grad = tensor([1, 2], { dtype: 'float32' });
    }).toThrow(DTypeError);
    x.grad = null;
    expect(x.grad).toBeNull();
  });

  it('item and toArray', () => {
    expect(tensor([[7]]).item()).toBe(7);
    expect(() => tensor([1, 2]).item()).toThrow(/only one-element tensors/);
    expect(tensor([1, 2, 3, 4, 5, 6], { shape: [2, 3] }).toArray()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(tensor(3).toArray()).toBe(3);
  });
});

describe('higher order', () => {
  it('createGraph makes gradients differentiable: d2/dx2 x^3 = 6x', () => {
    const x = f64([2, -1]);
    const [g] = gradients([sum(mul(mul(x, x), x))], [x], null, { createGraph: true });
    expect(Array.from(g!.data)).toEqual([12, 3]);
    const [h] = gradients([sum(g!)], [x]);
    expect(Array.from(h!.data)).toEqual([12, -6]);
  });

  it('backward with createGraph leaves a differentiable grad on the leaf', () => {
    const x = f64([3]);
    sum(mul(mul(x, x), x)).backward(null, { createGraph: true });
    const g = x.grad!;
    expect(g.requiresGrad).toBe(true);
    x.grad = null;
    g.sum().backward();
    expect(x.grad!.item()).toBe(18);
  });

  it('gradients reports unused inputs unless allowUnused', () => {
    const x = f64([1]);
    const y = f64([1]);
    const out = sum(mul(x, 2));
    expect(() => gradients([out], [x, y], null, { retainGraph: true })).toThrow(/inputs\[1\].*not used/);
    const [gx, gy] = gradients([out], [x, y], null, { allowUnused: true });
    expect(gx!.item()).toBe(2);
    expect(gy).toBeNull();
  });
});

describe('functional API', () => {
  const cube = (x: Tensor) => sum(mul(mul(x, x), x));

  it('grad returns df/dx and nests for higher derivatives', () => {
    const x = tensor([2], { dtype: 'float64' });
    expect(grad(cube)(x).item()).toBe(12);
    const d2 = grad((y: Tensor) => sum(grad(cube)(y)));
    expect(d2(x).item()).toBe(12);
    const d3 = grad((y: Tensor) => sum(d2(y)));
    expect(d3(x).item()).toBe(6);
  });

  it('grad with several argnums returns one gradient per argument', () => {
    const f = (a: Tensor, b: Tensor) => sum(mul(a, b));
    const [ga, gb] = grad(f, [0, 1])(f64([1, 2], false), f64([3, 4], false));
    expect(Array.from(ga.data)).toEqual([3, 4]);
    expect(Array.from(gb.data)).toEqual([1, 2]);
  });

  it('gives zeros for an argument the function ignores', () => {
    const g = grad((_a: Tensor, b: Tensor) => sum(b), 0)(f64([1, 2], false), f64([1], false));
    expect(Array.from(g.data)).toEqual([0, 0]);
  });

  it('valueAndGrad returns the value too, and does not touch .grad', () => {
    const x = f64([1, 2]);
    const [v, g] = valueAndGrad((w: Tensor) => sum(mul(w, w)))(x);
    expect(v.item()).toBe(5);
    expect(Array.from(g.data)).toEqual([2, 4]);
    expect(x.grad).toBeNull();
  });

  it('vjp pulls back any cotangent, several times', () => {
    const [y, pullback] = vjp((x: Tensor) => mul(x, x), f64([1, 2, 3], false));
    expect(Array.from(y.data)).toEqual([1, 4, 9]);
    expect(Array.from(pullback(f64([1, 1, 1], false))[0].data)).toEqual([2, 4, 6]);
    expect(Array.from(pullback(f64([1, 0, 2], false))[0].data)).toEqual([2, 0, 12]);
  });

  it('rejects a non-scalar function for grad', () => {
    expect(() => grad((x: Tensor) => mul(x, 2))(f64([1, 2], false))).toThrow(/one-element Tensor/);
  });
});

describe('detectAnomaly', () => {
  it('names the op whose forward produced NaN', () => {
    const x = f64([-1]);
    expect(() => detectAnomaly(() => log(x))).toThrow(AnomalyError);
    try {
      detectAnomaly(() => log(x));
    } catch (e) {
      expect((e as AnomalyError).op).toBe('log');
      expect((e as AnomalyError).phase).toBe('forward');
      expect((e as Error).message).toMatch(/forward of op "log" produced NaN/);
    }
  });

  it('names the op whose backward produced a non-finite gradient', () => {
    const x = f64([0]);
    let caught: AnomalyError | null = null;
    try {
      detectAnomaly(() => sum(sqrt(x)).backward());
    } catch (e) {
      caught = e as AnomalyError;
    }
    expect(caught).toBeInstanceOf(AnomalyError);
    expect(caught!.op).toBe('sqrt');
    expect(caught!.phase).toBe('backward');
  });

  it('is off outside detectAnomaly', () => {
    expect(Number.isNaN(log(f64([-1], false)).item())).toBe(true);
  });
});
