// Node only: the wasm backend's worker threads, started through @nablajs/core/node.
import { isMainThread } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matmulKernel } from '../../kernels/cpu/matmul';
import { resolveKernel, setBackend } from '../../kernels/registry';
import { enableNodeThreads } from '../../node';
import { getNumThreads, initWasmBackend, setNumThreads, setWasmWorkerStarter } from './index';

/** Deterministic values in [-1, 1) from a small LCG. */
function lcg(size: number, seed: number): Float32Array {
  const out = new Float32Array(size);
  let s = seed >>> 0;
  for (let i = 0; i < size; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

describe('wasm backend threads (Node)', () => {
  beforeAll(async () => {
    expect(isMainThread).toBe(true);
    expect(await initWasmBackend()).toBe(true);
    enableNodeThreads();
  });
  afterAll(async () => {
    await setNumThreads(1);
    setWasmWorkerStarter(null);
    setBackend('cpu');
  });

  it('splits products across worker threads with the same results', async () => {
    setBackend('wasm');
    const kernel = resolveKernel('matmul', matmulKernel);
    setBackend('cpu');
    const m = 203;
    const k = 310;
    const n = 150;
    const a = lcg(m * k, 10);
    const b = lcg(k * n, 11);
    const one = new Float32Array(m * n);
    kernel(a, 0, b, 0, one, 0, m, k, n, true, false, false);
    const threads = await setNumThreads(2);
    expect(threads).toBe(2);
    expect(getNumThreads()).toBe(2);
    const two = new Float32Array(m * n);
    for (let r = 0; r < 3; r++) kernel(a, 0, b, 0, two, 0, m, k, n, true, false, false);
    // Rows are independent, so splitting them changes no bit.
    expect(two).toEqual(one);
    expect(await setNumThreads(1)).toBe(1);
    expect(getNumThreads()).toBe(1);
  });
});
