import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { backward } from '../../autograd/backward';
import { allocate } from '../../dtype';
import { getBackend, setBackend } from '../../kernels/registry';
import { getBufferPool } from '../../lifetime';
import { logSoftmaxNll } from '../../ops/log-softmax-nll';
import { matmul } from '../../ops/matmul';
import { sum } from '../../ops/sum';
import { manualSeed, randn } from '../../random';
import { Tensor } from '../../tensor';
import { tidy } from '../../tidy';
import { getWasmRuntime, initWasmBackend, wasmMemoryBytes } from './index';
import { MIN_POOLED_ELEMENTS, type WasmBufferPool } from './pool';

const resident = (t: Tensor | Float32Array) =>
  (getWasmRuntime()?.heap.pointerOf(t instanceof Tensor ? t.data : t) ?? -1) >= 0;

describe('wasm tensor memory (pool)', () => {
  let previous = 'cpu';
  let pool: WasmBufferPool;
  beforeAll(async () => {
    previous = getBackend();
    expect(await initWasmBackend()).toBe(true);
    pool = getBufferPool() as WasmBufferPool;
    expect(pool).not.toBeNull();
  });
  beforeEach(() => setBackend('wasm'));
  afterAll(() => setBackend(previous));

  it('puts large float32 arrays in wasm memory, and only those', () => {
    expect(resident(allocate('float32', MIN_POOLED_ELEMENTS) as Float32Array)).toBe(true);
    expect(resident(allocate('float32', MIN_POOLED_ELEMENTS - 1) as Float32Array)).toBe(false);
    expect(getWasmRuntime()?.heap.pointerOf(allocate('float64', 4096))).toBe(-1);
    setBackend('cpu');
    expect(resident(allocate('float32', 4096) as Float32Array)).toBe(false);
  });

  it('gives tiny arrays views into shared slabs while wasm is active (kernels read their buffer)', () => {
    for (const dtype of ['float32', 'int32', 'float64'] as const) {
      const tiny = allocate(dtype, 3);
      expect(tiny.buffer.byteLength).toBeGreaterThan(tiny.byteLength);
      expect(Array.from(tiny)).toEqual([0, 0, 0]);
    }
    setBackend('cpu');
    const own = allocate('float32', 3);
    expect(own.buffer.byteLength).toBe(own.byteLength);
  });

  it('hands out zero-filled blocks even when reusing a dirty one', () => {
    const a = tidy(() => {
      const t = randn([1000]);
      return Array.from(t.data).some((v) => v !== 0);
    });
    expect(a).toBe(true);
    const fresh = allocate('float32', 1000);
    expect(resident(fresh as Float32Array)).toBe(true);
    expect(fresh.every((v) => v === 0)).toBe(true);
  });

  it('skips the zero-fill only when asked, and ops that skip it overwrite every element', () => {
    // A dirty block of 64 x 64 floats goes back to the pool; the next allocation of that size reuses it.
    const dirty = tidy(() => {
      const t = new Tensor(allocate('float32', 64 * 64), [64, 64], 'float32');
      t.data.fill(7);
      return getWasmRuntime()?.heap.pointerOf(t.data);
    });
    const raw = tidy(() => {
      const t = new Tensor(allocate('float32', 64 * 64, false), [64, 64], 'float32');
      expect(getWasmRuntime()?.heap.pointerOf(t.data)).toBe(dirty);
      const stale = t.data.every((v) => v === 7); // not zeroed: the caller said it overwrites
      t.data.fill(7);
      return stale;
    });
    expect(raw).toBe(true);
    // matmul, add and relu allocate without the fill; their results must not show the old 7s.
    const a = new Tensor(
      Float32Array.from({ length: 64 * 64 }, (_, i) => (i % 5) - 2),
      [64, 64],
      'float32',
    );
    const eye = new Tensor(
      Float32Array.from({ length: 64 * 64 }, (_, i) => (i % 65 === 0 ? 1 : 0)),
      [64, 64],
      'float32',
    );
    tidy(() => {
      const prod = matmul(a, eye);
      expect(Array.from(prod.data)).toEqual(Array.from(a.data));
    });
    tidy(() => {
      const zero = new Tensor(new Float32Array(64 * 64), [64, 64], 'float32');
      expect(Array.from(a.add(zero).data)).toEqual(Array.from(a.data));
      expect(Array.from(zero.relu().data).every((v) => v === 0)).toBe(true);
    });
  });

  it('frees a block when its last tensor is disposed, not before', () => {
    const t = tidy(() => randn([64, 64]).add(0));
    const view = t.reshape([4096]);
    const live = pool.liveBlocks;
    t.dispose();
    expect(pool.liveBlocks).toBe(live); // the view still holds it
    view.dispose();
    expect(pool.liveBlocks).toBe(live - 1);
  });

  it('a training loop in tidy reuses the same blocks: memory and live blocks stay flat', () => {
    manualSeed(3);
    const w1 = randn([64, 128], { requiresGrad: true });
    const w2 = randn([128, 10], { requiresGrad: true });
    const x = randn([32, 64]);
    expect(resident(w1) && resident(x)).toBe(true);
    const step = () =>
      tidy(() => {
        w1.grad = null;
        w2.grad = null;
        const loss = sum(matmul(matmul(x, w1).relu(), w2).square());
        loss.backward();
        for (const w of [w1, w2]) {
          const d = w.data;
          const g = (w.grad as Tensor).data;
          for (let i = 0; i < d.length; i++) d[i] -= 1e-6 * g[i];
        }
        return loss.item();
      });
    const losses = [step(), step()];
    const bytes = wasmMemoryBytes();
    const blocks = pool.liveBlocks;
    for (let i = 0; i < 200; i++) losses.push(step());
    expect(wasmMemoryBytes()).toBe(bytes);
    expect(pool.liveBlocks).toBe(blocks);
    expect(losses[losses.length - 1]).toBeLessThan(losses[0]);
    expect(resident(w1.grad as Tensor)).toBe(true);
  });

  it('logSoftmaxNll gives back every block it takes, for every reduction (its scratch arrays too)', () => {
    // 300 rows: the per-row terms (300 elements) and the logits' scratch gradient are pooled blocks too.
    const x = randn([300, 10], { requiresGrad: true });
    const picks = {
      index: Int32Array.from({ length: 300 }, (_, i) => i % 10),
      weight: new Float32Array(300).fill(1),
      denominator: 300,
    };
    const step = (reduction: 'mean' | 'sum' | 'none') =>
      tidy(() => {
        x.grad = null;
        const loss = logSoftmaxNll(x, picks, reduction);
        (reduction === 'none' ? sum(loss) : loss).backward();
        return loss.sum().item();
      });
    for (const reduction of ['mean', 'sum', 'none'] as const) {
      step(reduction);
      const blocks = pool.liveBlocks;
      for (let i = 0; i < 20; i++) step(reduction);
      expect(pool.liveBlocks, reduction).toBe(blocks);
    }
  });

  it('replacing a gradient that backward created gives its block back', () => {
    const w = randn([40, 40], { requiresGrad: true });
    sum(w.square()).backward();
    const old = w.grad as Tensor;
    expect(resident(old)).toBe(true);
    const live = pool.liveBlocks;
    w.grad = null; // what zeroGrad() does
    expect(old.isDisposed).toBe(true);
    expect(pool.liveBlocks).toBe(live - 1);
    // A gradient the user assigned is the user's: never disposed by nabla.
    const mine = randn([40, 40]);
    w.grad = mine;
    w.grad = null;
    expect(mine.isDisposed).toBe(false);
  });

  it('outside tidy, allocations past the unscoped limit go to JavaScript memory and stay correct', () => {
    const saved = pool.unscopedLimit;
    pool.unscopedLimit = pool.pooledBytes + 4096 * 4;
    try {
      const a = randn([64, 64]);
      const b = randn([64, 64]);
      expect(resident(a)).toBe(true);
      expect(resident(b)).toBe(false);
      const c = matmul(a, b); // one operand in place, the other copied
      setBackend('cpu');
      const ref = matmul(new Tensor(a.data.slice(), a.shape), b);
      for (let i = 0; i < ref.size; i++) expect(c.data[i]).toBeCloseTo(ref.data[i], 3);
    } finally {
      pool.unscopedLimit = saved;
    }
  });

  it('registers with the finalizer only the blocks still in use when their scope closes', () => {
    // every array handed to a FinalizationRegistry, counted by a wrapper of its method (restored below)
    const registered: unknown[] = [];
    const original = FinalizationRegistry.prototype.register;
    FinalizationRegistry.prototype.register = function (this: FinalizationRegistry<unknown>, target, held, token) {
      registered.push(target);
      return original.call(this, target, held, token);
    };
    try {
      let during = -1;
      let reused: Float32Array | null = null;
      const kept = tidy(() => {
        for (let i = 0; i < 10; i++) randn([40, 40]).mul(2);
        // a block given back and handed out again inside the scope: only the new array counts
        const first = randn([50, 50]);
        const at = getWasmRuntime()?.heap.pointerOf(first.data);
        first.dispose();
        const second = tidy(() => randn([50, 50]));
        expect(getWasmRuntime()?.heap.pointerOf(second.data)).toBe(at);
        reused = second.data as Float32Array;
        during = registered.length;
        return [second, randn([60, 60])];
      });
      // nothing while the scopes were open (the inner one's survivor moved to the outer scope)
      expect(during).toBe(0);
      expect(registered).toHaveLength(2);
      expect(registered).toContain(reused);
      expect(registered).toContain(kept[1].data);
      const live = pool.liveBlocks;
      for (const t of kept) t.dispose();
      expect(pool.liveBlocks).toBe(live - 2);
      // outside a scope, the block is registered at once
      registered.length = 0;
      const outside = randn([70, 70]);
      expect(registered).toEqual([outside.data]);
      outside.dispose();
    } finally {
      FinalizationRegistry.prototype.register = original;
    }
  });

  it('gradients accumulate in place across backward calls', () => {
    const w = randn([30, 30], { requiresGrad: true });
    backward(sum(w.mul(2)));
    backward(sum(w.mul(3)));
    expect((w.grad as Tensor).data.every((v) => v === 5)).toBe(true);
  });
});
