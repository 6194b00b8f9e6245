import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tensor } from '../../creation';
import { allocate } from '../../dtype';
import { getBackend, setBackend } from '../../kernels/registry';
import { type FingerprintLanes, fingerprintOf, getFingerprintLanes, setFingerprintLanes } from '../../version';
import { getWasmRuntime, initWasmBackend } from './index';
import { lcgValues } from './test-utils';

/** `values` in an array of wasm memory (the pool's, while the wasm backend is active). */
function inWasm(values: Float32Array): Float32Array {
  const a = allocate('float32', values.length, false) as Float32Array;
  a.set(values);
  expect(getWasmRuntime()?.heap.pointerOf(a)).toBeGreaterThanOrEqual(0);
  return a;
}

describe('the content fingerprint through the wasm backend', () => {
  let previous = 'cpu';
  let installed: FingerprintLanes | null = null;
  /** Calls of the module's loop that it took (it declines arrays outside wasm memory, and small ones). */
  let taken = 0;
  const counting: FingerprintLanes = (data, groups, state) => {
    const ok = (installed as FingerprintLanes)(data, groups, state);
    if (ok) taken++;
    return ok;
  };
  beforeAll(async () => {
    previous = getBackend();
    expect(await initWasmBackend()).toBe(true);
    setBackend('wasm');
    installed = getFingerprintLanes();
    expect(installed).not.toBeNull();
    setFingerprintLanes(counting);
  });
  afterAll(() => {
    setFingerprintLanes(installed);
    setBackend(previous);
  });

  it('is the JavaScript loop’s value for arrays in wasm memory, every length around the SIMD groups', () => {
    const lengths = [512, 513, 519, 520, 527, 1000, 4099, 200_704];
    const before = taken;
    for (const n of lengths) {
      const values = lcgValues(n, n);
      const js = Float32Array.from(values); // ordinary JavaScript memory: the JavaScript loop
      expect(getWasmRuntime()?.heap.pointerOf(js)).toBe(-1);
      expect(fingerprintOf(inWasm(values)), `n = ${n}`).toBe(fingerprintOf(js));
    }
    expect(taken - before).toBe(lengths.length); // each wasm array went through the module's loop
  });

  it('sees a change of any one element, in the groups and in the last words', () => {
    const n = 4096 + 3;
    const a = inWasm(lcgValues(n, 5));
    const before = fingerprintOf(a);
    for (const at of [0, 1, 7, 8, 511, 512, 4095, 4096, 4098]) {
      const old = a[at];
      a[at] = old + 1;
      expect(fingerprintOf(a), `element ${at}`).not.toBe(before);
      a[at] = old;
      expect(fingerprintOf(a)).toBe(before);
    }
    setFingerprintLanes(null); // the JavaScript loop alone gives the same value
    try {
      expect(fingerprintOf(a)).toBe(before);
    } finally {
      setFingerprintLanes(counting);
    }
  });

  it('tracks writes through data on a tensor in wasm memory', () => {
    const t = tensor(Array.from(lcgValues(2048, 9)), { requiresGrad: true });
    expect(getWasmRuntime()?.heap.pointerOf(t.values)).toBeGreaterThanOrEqual(0);
    const s = t.mul(t).sum();
    const before = taken;
    t.data[1500] += 1;
    expect(() => s.backward()).toThrow(/saved at version 0, now at version 1/);
    expect(taken).toBeGreaterThan(before);
  });
});
