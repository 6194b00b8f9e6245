// Node only (worker threads): the wasm `linearForward` kernel split between threads, by rows and by columns, gives
// the bits of one thread (the workers add the bias at their own columns).
import { isMainThread } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setBackend } from '../../kernels/registry';
import { enableNodeThreads } from '../../node';
import { getWasmRuntime, initWasmBackend, setNumThreads, setWasmWorkerStarter } from './index';
import { CASES, inWasm, runBoth, sameBits } from './linear-epilogue-cases';
import { splitProduct } from './product-split';

describe('the wasm linearForward kernel on threads', () => {
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

  it('gives the same bits split between threads by rows and by columns, the workers adding the bias at their columns', async () => {
    const one = runBoth(inWasm).fused;
    expect(await setNumThreads(2)).toBe(2);
    const splits = CASES.map(({ rows, k, n }) => splitProduct(rows, k, n, 2));
    expect(splits.some((s) => s.parts > 1 && s.byRows)).toBe(true);
    expect(splits.some((s) => s.parts > 1 && !s.byRows)).toBe(true);
    const two = runBoth(inWasm).fused;
    const runtime = getWasmRuntime() as NonNullable<ReturnType<typeof getWasmRuntime>>;
    runtime.callerTakesChunks = false;
    const before = runtime.chunksRun(1);
    let workers: Float32Array[];
    try {
      workers = runBoth(inWasm).fused;
    } finally {
      runtime.callerTakesChunks = true;
    }
    // every split product's chunks ran on the worker (twice: the fused kernel and the unfused matmul)
    const parts = splits.reduce((sum, s) => sum + (s.parts > 1 ? s.parts : 0), 0);
    expect(runtime.chunksRun(1) - before).toBe(2 * parts);
    CASES.forEach((c, i) => {
      expect(sameBits(two[i], one[i]), JSON.stringify(c)).toBe(true);
      expect(sameBits(workers[i], one[i]), JSON.stringify(c)).toBe(true);
    });
    await setNumThreads(1);
  });
});
