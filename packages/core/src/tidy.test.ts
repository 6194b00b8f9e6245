import { describe, expect, it } from 'vitest';
import { tensor, zeros } from './creation';
import { DisposedError, ValueError } from './errors';
import { matmul } from './ops/matmul';
import { reshape } from './ops/reshape';
import { sum } from './ops/sum';
import { randn } from './random';
import { Tensor } from './tensor';
import { endScope, keep, startScope, tidy } from './tidy';

// Runs on both backends (projects core and core-wasm): the lifetime rules are the same on each.
describe('tidy / keep / dispose', () => {
  it('disposes the temporaries and leaves the returned tensor intact', () => {
    let temp: Tensor | null = null;
    const out = tidy(() => {
      const a = tensor([1, 2, 3]);
      temp = a.mul(2);
      return temp.add(1);
    });
    expect(out.toArray()).toEqual([3, 5, 7]);
    expect((temp as unknown as Tensor).isDisposed).toBe(true);
    expect(() => (temp as unknown as Tensor).sum()).toThrow(DisposedError);
    expect(() => (temp as unknown as Tensor).data).toThrow(/shape \[3\] \(float32\) was disposed/);
  });

  it('never touches tensors created before it', () => {
    const w = randn([300, 3]);
    const before = Array.from(w.data);
    tidy(() => {
      w.mul(2).sum();
      return reshape(w, [3, 300]); // a view of w's data, created inside: w must survive
    });
    expect(w.isDisposed).toBe(false);
    expect(Array.from(w.data)).toEqual(before);
  });

  it('keeps tensors returned in arrays and objects, and kept ones', () => {
    let kept: Tensor | null = null;
    const { a, list } = tidy(() => {
      kept = keep(zeros([300]).add(5));
      return { a: tensor([1]).add(1), list: [tensor([2]).add(1), 'text'] as const };
    });
    expect(a.item()).toBe(2);
    expect((list[0] as Tensor).item()).toBe(3);
    expect((kept as unknown as Tensor).sum().item()).toBe(1500);
  });

  it('a view returned from the scope keeps the shared data alive', () => {
    const v = tidy(() => {
      const big = randn([40, 40]).add(0); // 1600 elements: pooled on the wasm backend
      const copy = Array.from(big.data);
      const view = reshape(big, [1600]);
      return { view, copy };
    });
    // Allocate again: a wrongly freed block would be handed out (zeroed) and overwrite the view.
    tidy(() => randn([40, 40]).add(1));
    expect(Array.from(v.view.data)).toEqual(v.copy);
  });

  it('nested scopes hand the inner result to the outer one', () => {
    let inner: Tensor | null = null;
    const outer = tidy(() => {
      inner = tidy(() => tensor([1, 2]).mul(3));
      expect(inner.toArray()).toEqual([3, 6]);
      return inner.sum();
    });
    expect(outer.item()).toBe(9);
    expect((inner as unknown as Tensor).isDisposed).toBe(true);
  });

  it('gradients stored by backward survive the scope', () => {
    const w = randn([20, 20], { requiresGrad: true });
    const x = randn([8, 20]);
    const loss = tidy(() => {
      const l = sum(matmul(x, w).relu());
      l.backward();
      return l.item();
    });
    expect(Number.isFinite(loss)).toBe(true);
    const g = w.grad as Tensor;
    expect(g.isDisposed).toBe(false);
    // The same gradient computed without a scope.
    const w2 = new Tensor(w.data.slice(), w.shape).requiresGrad_();
    sum(matmul(x, w2).relu()).backward();
    expect(Array.from(g.data)).toEqual(Array.from((w2.grad as Tensor).data));
  });

  it('a backward through a disposed graph fails clearly', () => {
    const w = randn([3], { requiresGrad: true });
    const l = tidy(() => w.mul(2).exp().sum().mul(1));
    // l was returned, but the exp inside it (saved for the gradient) was disposed.
    expect(() => l.backward()).toThrow(DisposedError);
  });

  it('disposes everything when fn throws, and rethrows', () => {
    let t: Tensor | null = null;
    expect(() =>
      tidy(() => {
        t = tensor([1]).add(1);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect((t as unknown as Tensor).isDisposed).toBe(true);
  });

  it('rejects async functions and non-functions', () => {
    expect(() => tidy(async () => 1)).toThrow(ValueError);
    expect(() => tidy(1 as unknown as () => void)).toThrow(/tidy: fn must be a function/);
    expect(() => keep({} as Tensor)).toThrow(/keep: tensor must be a Tensor/);
  });

  it('dispose is idempotent and leaves views usable', () => {
    const t = randn([300]);
    const values = Array.from(t.data);
    const view = t.detach();
    t.dispose();
    t.dispose();
    expect(t.isDisposed).toBe(true);
    expect(Array.from(view.data)).toEqual(values);
  });

  it('startScope / endScope work across an await', async () => {
    const scope = startScope();
    const a = tensor([1, 2]).mul(2);
    await Promise.resolve();
    const b = a.add(1);
    endScope(scope, [b]);
    expect(a.isDisposed).toBe(true);
    expect(b.toArray()).toEqual([3, 5]);
    expect(() => endScope({} as never)).toThrow(/endScope: scope must come from startScope/);
  });
});
