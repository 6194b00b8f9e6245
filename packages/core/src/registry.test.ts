import { afterEach, describe, expect, it } from 'vitest';
import {
  add,
  getBackend,
  getOp,
  gradcheck,
  listBackends,
  listOps,
  mul,
  NablaError,
  registerKernel,
  registerOp,
  setBackend,
  sum,
  Tensor,
  tensor,
} from './index';

describe('op registry', () => {
  it('lists the built-in ops', () => {
    expect(listOps()).toEqual(expect.arrayContaining(['add', 'mul', 'exp', 'reshape']));
    expect(getOp('add')?.name).toBe('add');
  });

  it('runs a user op with its own VJP through the same machinery, gradients of gradients included', () => {
    const cube = registerOp<undefined>({
      name: 'test.cube',
      forward: ([x]) =>
        new Tensor(
          x.data.map((v) => v ** 3),
          x.shape,
          x.dtype,
        ),
      backward: (g, { inputs: [x] }) => [mul(g, mul(3, mul(x, x)))],
    });
    const x = tensor([2, -1], { dtype: 'float64', requiresGrad: true });
    expect(gradcheck((a) => cube([a], undefined), [x])).toBe(true);
    sum(cube([x], undefined)).backward();
    expect(Array.from(x.grad!.data)).toEqual([12, 3]);
  });

  it('refuses a duplicate name unless overridden', () => {
    const spec = { name: 'test.dup', forward: ([x]: readonly Tensor[]) => x.detach() };
    registerOp(spec);
    expect(() => registerOp(spec)).toThrow(NablaError);
    expect(() => registerOp(spec)).toThrow(/already registered/);
    expect(() => registerOp(spec, { override: true })).not.toThrow();
  });
});

describe('kernel registry', () => {
  afterEach(() => setBackend('cpu'));

  it('a backend replaces only the kernels it registers', () => {
    let calls = 0;
    registerKernel(
      'add',
      (a: Float32Array, _as: number[], b: Float32Array, _bs: number[], out: Float32Array) => {
        calls++;
        for (let i = 0; i < out.length; i++) out[i] = a[i] + b[i] + 1000;
      },
      'test-backend',
    );
    expect(listBackends()).toContain('test-backend');
    setBackend('test-backend');
    expect(getBackend()).toBe('test-backend');
    expect(Array.from(add(tensor([1]), tensor([2])).data)).toEqual([1003]);
    expect(Array.from(mul(tensor([2]), tensor([3])).data)).toEqual([6]);
    expect(calls).toBe(1);
    setBackend('cpu');
    expect(Array.from(add(tensor([1]), tensor([2])).data)).toEqual([3]);
  });

  it('rejects an unknown backend with the list of known ones', () => {
    expect(() => setBackend('gpu')).toThrow(/unknown backend "gpu"; registered: cpu/);
  });
});
