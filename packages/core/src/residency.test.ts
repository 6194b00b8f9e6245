// The hooks a backend that keeps tensors away from JavaScript memory uses (the webgpu backend, tested in
// Chromium in test/browser/webgpu.test.ts): a residency that refuses host reads of "remote" arrays and
// brings them back when awaited, and a backend whose registry hook wraps every cpu kernel.
import { afterEach, describe, expect, it } from 'vitest';
import type { TypedArray } from './dtype';
import { HostReadError, ValueError } from './errors';
import {
  bringToHost,
  checkHostRead,
  hostReadsMayWait,
  relu,
  runOnHost,
  runOnHostNow,
  setBackend,
  tensor,
} from './index';
import { setBackendHooks } from './kernels/registry';
import { setResidency } from './residency';

/** A residency where some arrays' newest values are "remote" (kept here) until awaited. */
function fakeResidency() {
  const remote = new Map<TypedArray, number[]>();
  const reads: string[] = [];
  const queue: { arrays: readonly TypedArray[]; task: () => void }[] = [];
  const bring = (arrays: readonly TypedArray[]) => {
    for (const data of arrays) {
      const values = remote.get(data);
      if (values !== undefined) {
        data.set(values);
        remote.delete(data);
      }
    }
  };
  return {
    remote,
    reads,
    queue,
    hostTask(reads: readonly TypedArray[], writes: readonly TypedArray[], task: () => void) {
      const arrays = [...reads, ...writes];
      if (queue.length === 0 && !arrays.some((a) => remote.has(a))) {
        task();
        return true;
      }
      queue.push({ arrays, task });
      return false;
    },
    hostAccess(data: TypedArray, reader: string) {
      reads.push(reader);
      if (remote.has(data)) throw new HostReadError(`${reader}: remote; use await t.dataAsync()`);
    },
    async toHost(data: TypedArray) {
      await this.toHostMany([data]);
    },
    async toHostMany(arrays: readonly TypedArray[]) {
      await Promise.resolve();
      reads.push(`toHostMany(${arrays.length})`);
      for (const job of queue.splice(0)) {
        bring(job.arrays);
        job.task();
      }
      bring(arrays);
    },
  };
}

afterEach(() => {
  setResidency(null);
  setBackend('cpu');
});

describe('residency hooks', () => {
  it('refuses synchronous reads of a remote tensor and brings its values back when awaited', async () => {
    const r = fakeResidency();
    setResidency(r);
    const t = tensor([0, 0, 0]);
    r.remote.set(t._array, [1, 2, 3]);
    expect(() => t.values).toThrow(HostReadError);
    expect(() => t.data).toThrow(/^Tensor\.data: remote; use await t\.dataAsync\(\)/);
    expect(() => t.toArray()).toThrow(HostReadError);
    // shape, size and version do not read the values
    expect(t.size).toBe(3);
    expect(t.version).toBe(0);
    expect(Array.from(t._array)).toEqual([0, 0, 0]);
    const copy = await t.dataAsync();
    expect(Array.from(copy)).toEqual([1, 2, 3]);
    expect(Array.from(t.values)).toEqual([1, 2, 3]);
    const u = tensor([5]);
    r.remote.set(u._array, [7]);
    expect(await u.itemAsync()).toBe(7);
    const v = tensor([0, 0]);
    r.remote.set(v._array, [4, 5]);
    expect(await v.toArrayAsync()).toEqual([4, 5]);
    const a = tensor([0]);
    const b = tensor([0, 0]);
    r.remote.set(a._array, [8]);
    r.remote.set(b._array, [9, 10]);
    r.reads.length = 0;
    await bringToHost([a, b]);
    expect(r.reads).toEqual(['toHostMany(2)']); // one read for both
    expect(a.item()).toBe(8);
    expect(Array.from(b.values)).toEqual([9, 10]);
  });

  it('bringToHost resolves at once without a residency', async () => {
    const t = tensor([1, 2]);
    await bringToHost([t]);
    expect(Array.from(t.values)).toEqual([1, 2]);
  });

  it('checkHostRead asks the residency for arrays outside tensors, and is free without one', () => {
    const a = new Float32Array(2);
    expect(() => checkHostRead(a, 'nobody')).not.toThrow();
    const r = fakeResidency();
    setResidency(r);
    r.remote.set(a, [1, 2]);
    expect(() => checkHostRead(a, 'myOptimizer.stateDict')).toThrow(/^myOptimizer\.stateDict: remote/);
    expect(r.reads).toEqual(['myOptimizer.stateDict']);
  });
});

describe('host tasks', () => {
  it('run at once without a residency, and when their arrays are on the host', () => {
    expect(hostReadsMayWait()).toBe(false);
    const a = new Float32Array([1, 2]);
    expect(runOnHost([], [a], () => a.fill(3))).toBe(true);
    expect(Array.from(a)).toEqual([3, 3]);
    const r = fakeResidency();
    setResidency(r);
    expect(hostReadsMayWait()).toBe(true);
    expect(runOnHost([a], [], () => a.fill(4))).toBe(true);
    expect(Array.from(a)).toEqual([4, 4]);
  });

  it('wait for remote arrays until a value is awaited, then run in order with their values', async () => {
    const r = fakeResidency();
    setResidency(r);
    const g = new Float32Array(2);
    const p = new Float32Array([10, 20]);
    r.remote.set(g, [1, 2]);
    const order: string[] = [];
    expect(
      runOnHost([g], [p], () => {
        order.push('first');
        for (let i = 0; i < p.length; i++) p[i] -= g[i];
      }),
    ).toBe(false);
    // a second task over p waits behind the first, though p itself is on the host
    expect(runOnHost([], [p], () => order.push(`second sees ${Array.from(p)}`))).toBe(false);
    expect(order).toEqual([]);
    await bringToHost([]);
    expect(order).toEqual(['first', 'second sees 9,18']);
  });

  it('run with the cpu kernels, and a kernel inside refuses an array whose newest values are remote', () => {
    const calls: string[] = [];
    setBackendHooks('hooked-host-test', {
      fallback: (name, cpu) => {
        calls.push(name);
        return cpu;
      },
      activate: () => {},
      deactivate: () => {},
    });
    setBackend('hooked-host-test');
    const r = fakeResidency();
    setResidency(r);
    const x = tensor([-1, 2]);
    const inside = runOnHostNow([x._array], 'test.step', () => Array.from(relu(x).values));
    expect(inside).toEqual([0, 2]);
    expect(calls).toEqual([]); // not through the backend's kernels
    relu(x);
    expect(calls).toEqual(['relu']); // the backend is back afterwards
    const remote = tensor([0, 0]);
    r.remote.set(remote._array, [5, -5]);
    // the arrays named up front are checked before anything runs
    let ran = false;
    expect(() =>
      runOnHostNow([remote._array], 'myOptimizer.step', () => {
        ran = true;
      }),
    ).toThrow(/^myOptimizer\.step: remote/);
    expect(ran).toBe(false);
    // an array the task reads through a kernel is checked too: no stale read
    expect(() => runOnHostNow([], 'test.step', () => relu(remote))).toThrow(/^relu: remote/);
    expect(() => relu(x)).not.toThrow(); // and the backend is back after the throw
    expect(calls.at(-1)).toBe('relu');
  });
});

describe('backend hooks', () => {
  it('routes every kernel the backend does not replace through its fallback, and runs activate / deactivate', () => {
    const calls: string[] = [];
    let active = 0;
    let refuse = false;
    setBackendHooks('hooked-test', {
      fallback: (name, cpu) => {
        calls.push(name);
        return cpu;
      },
      activate: () => {
        active++;
      },
      deactivate: () => {
        if (refuse) throw new ValueError('setBackend: values are still elsewhere');
        active--;
      },
    });
    setBackend('hooked-test');
    expect(active).toBe(1);
    expect(Array.from(relu(tensor([-1, 2])).values)).toEqual([0, 2]);
    expect(calls).toContain('relu');
    refuse = true;
    expect(() => setBackend('cpu')).toThrow(/values are still elsewhere/);
    // the backend stays active when leaving it throws
    calls.length = 0;
    relu(tensor([1]));
    expect(calls).toEqual(['relu']);
    refuse = false;
    setBackend('cpu');
    expect(active).toBe(0);
    calls.length = 0;
    relu(tensor([1]));
    expect(calls).toEqual([]);
  });
});
