import { afterEach, describe, expect, it } from 'vitest';
import { DisposedError, ValueError } from './errors';
import { initWasmBackend, matmul, randn, setBackend, tensor } from './index';

// The asynchronous reads of a Tensor (dataAsync, toArrayAsync, itemAsync) give what the synchronous ones
// give, on the cpu and on the wasm backend, and reject (never throw synchronously) with their errors.

afterEach(() => setBackend('cpu'));

/** The error `fn` throws, or undefined. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('Tensor async reads', () => {
  it('dataAsync resolves with a copy of the values, of the same array type', async () => {
    const x = tensor([1.5, -2, 3], { dtype: 'float64' });
    const copy = await x.dataAsync();
    expect(copy).toBeInstanceOf(Float64Array);
    expect(Array.from(copy)).toEqual([1.5, -2, 3]);
    expect(copy).not.toBe(x.values);
    copy[0] = 99;
    expect(x.values[0]).toBe(1.5);
    expect(x.version).toBe(0);
    const i = await tensor([4, 5], { dtype: 'int32' }).dataAsync();
    expect(i).toBeInstanceOf(Int32Array);
    expect(Array.from(i)).toEqual([4, 5]);
  });

  it('toArrayAsync and itemAsync equal toArray and item', async () => {
    const x = randn([2, 3, 4]);
    expect(await x.toArrayAsync()).toEqual(x.toArray());
    expect(await tensor(7).toArrayAsync()).toBe(7);
    const loss = x.square().mean();
    expect(await loss.itemAsync()).toBe(loss.item());
  });

  it('decodes float16 and bfloat16 as toArray and item do; dataAsync keeps the bit patterns', async () => {
    for (const dtype of ['float16', 'bfloat16'] as const) {
      const h = tensor([1, -2.5, 1e-3, 300.7], { dtype });
      const decoded = await h.toArrayAsync();
      expect(decoded).toEqual(h.toArray());
      expect((decoded as number[])[1]).toBe(-2.5);
      const bits = await h.dataAsync();
      expect(bits).toBeInstanceOf(Uint16Array);
      expect(Array.from(bits)).toEqual(Array.from(h.values));
      const one = tensor([0.1], { dtype });
      expect(await one.itemAsync()).toBe(one.item());
      expect(await one.itemAsync()).not.toBe(0.1); // rounded to the half format
    }
  });

  it('rejects on a disposed tensor with the error of the synchronous read', async () => {
    const x = tensor([1, 2]);
    x.dispose();
    const sync = thrown(() => x.data);
    expect(sync).toBeInstanceOf(DisposedError);
    let pending: Promise<unknown> | undefined;
    expect(() => {
      pending = x.dataAsync(); // no synchronous throw: the error comes through the promise
    }).not.toThrow();
    await expect(pending).rejects.toThrow(DisposedError);
    await expect(x.dataAsync()).rejects.toThrow((sync as Error).message);
    await expect(x.toArrayAsync()).rejects.toThrow((sync as Error).message);
    const y = tensor([5]);
    y.dispose();
    await expect(y.itemAsync()).rejects.toThrow(DisposedError);
  });

  it('itemAsync rejects on more than one element with item’s error', async () => {
    const x = tensor([1, 2]);
    const sync = thrown(() => x.item()) as Error;
    expect(sync).toBeInstanceOf(ValueError);
    await expect(x.itemAsync()).rejects.toThrow(sync.message);
  });

  it('reads results of the wasm backend', async () => {
    if (!(await initWasmBackend())) return expect.fail('initWasmBackend: no SIMD here');
    setBackend('wasm');
    const a = randn([5, 7]);
    const b = randn([7, 3]);
    const c = matmul(a, b);
    const copy = await c.dataAsync();
    expect(Array.from(copy)).toEqual(Array.from(c.values));
    expect(copy.buffer).not.toBe(c.values.buffer);
    expect(await c.toArrayAsync()).toEqual(c.toArray());
    expect(await c.sum().itemAsync()).toBe(c.sum().item());
  });
});
