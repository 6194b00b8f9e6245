// The hooks a backend that keeps tensors away from JavaScript memory uses (the webgpu backend, tested in
// Chromium in test/browser/webgpu.test.ts): a residency that refuses host reads of "remote" arrays and
// brings them back when awaited, and a backend whose registry hook wraps every cpu kernel.
import { afterEach, describe, expect, it } from 'vitest';
import type { TypedArray } from './dtype';
import { HostReadError, ValueError } from './errors';
import { bringToHost, checkHostRead, relu, setBackend, tensor } from './index';
import { setBackendHooks } from './kernels/registry';
import { setResidency } from './residency';

/** A residency where some arrays' newest values are "remote" (kept here) until awaited. */
function fakeResidency() {
  const remote = new Map<TypedArray, number[]>();
  const reads: string[] = [];
  return {
    remote,
    reads,
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
      for (const data of arrays) {
        const values = remote.get(data);
        if (values !== undefined) {
          data.set(values);
          remote.delete(data);
        }
      }
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
    expect(() => t.add_(1)).toThrow(HostReadError); // an in-place op writes the host array
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
