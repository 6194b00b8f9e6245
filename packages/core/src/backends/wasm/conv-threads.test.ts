// Node only (worker_threads through enableNodeThreads, Buffer): the wasm backend's convolution and pooling
// kernels shared between worker threads.
import { Buffer } from 'node:buffer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Conv2dGeometry,
  conv2dInputGradKernel,
  conv2dKernel,
  conv2dWeightGradKernel,
} from '../../kernels/cpu/conv2d';
import { maxPool2dKernel, maxPool2dScatterKernel, type Pool2dGeometry } from '../../kernels/cpu/pool2d';
import { resolveKernel, setBackend } from '../../kernels/registry';
import { enableNodeThreads } from '../../node';
import { getWasmRuntime, initWasmBackend, setNumThreads } from './index';
import { lcgValues } from './test-utils';

function runtime() {
  return getWasmRuntime() as NonNullable<ReturnType<typeof getWasmRuntime>>;
}

// Large enough that every sliced call (im2col, col2im, the layout moves, pooling) and every product is cut
// into chunks: 32 samples of 4 channels of 28 x 28, 8 output channels, 3 x 3 with padding 1, then 2 x 2
// max pooling.
const g: Conv2dGeometry = {
  batch: 32,
  inChannels: 4,
  height: 28,
  width: 28,
  outChannels: 8,
  groups: 1,
  kernelH: 3,
  kernelW: 3,
  strideH: 1,
  strideW: 1,
  padH: 1,
  padW: 1,
  dilationH: 1,
  dilationW: 1,
  outH: 28,
  outW: 28,
};
const pool: Pool2dGeometry = {
  batch: 32,
  channels: 8,
  height: 28,
  width: 28,
  outH: 14,
  outW: 14,
  kernelH: 2,
  kernelW: 2,
  strideH: 2,
  strideW: 2,
  padH: 0,
  padW: 0,
  dilationH: 1,
  dilationW: 1,
};

/** Blocks of wasm memory taken by {@link inWasm}, given back by {@link releaseAll}. */
const blocks: [number, number][] = [];

/**
 * A float32 array in wasm memory (a block of the heap, given back at the end of the test: arrays of the
 * tensor pool taken outside a tensor would wait for the garbage collector) holding `values`, or zeros.
 */
function inWasm(values: Float32Array | number): Float32Array {
  const n = typeof values === 'number' ? values : values.length;
  const heap = runtime().heap;
  const ptr = heap.alloc(n * 4);
  blocks.push([ptr, n * 4]);
  const a = new Float32Array(heap.memory.buffer, ptr, n);
  if (typeof values === 'number') a.fill(0);
  else a.set(values);
  return a;
}

function releaseAll(): void {
  for (const [ptr, bytes] of blocks.splice(0)) runtime().heap.release(ptr, bytes);
}

/** conv2d, its two gradients, max pooling and its gradient on fixed data: every result. */
function run(): Float32Array[] {
  setBackend('wasm');
  try {
    const P = g.outH * g.outW;
    const x = inWasm(lcgValues(g.batch * g.inChannels * g.height * g.width, 31));
    const w = inWasm(lcgValues(g.outChannels * g.inChannels * 9, 32));
    const b = inWasm(lcgValues(g.outChannels, 33));
    const gy = inWasm(lcgValues(g.batch * g.outChannels * P, 34));
    const y = inWasm(gy.length);
    resolveKernel('conv2d', conv2dKernel)(x, w, b, y, g);
    const gx = inWasm(x.length);
    resolveKernel('conv2dInputGrad', conv2dInputGradKernel)(gy, w, gx, g);
    const gw = inWasm(w.length);
    resolveKernel('conv2dWeightGrad', conv2dWeightGradKernel)(x, gy, gw, g);
    const pooled = inWasm(y.length / 4);
    const indices = new Int32Array(pooled.length);
    resolveKernel('maxPool2d', maxPool2dKernel)(y, pooled, indices, pool);
    const gp = inWasm(y.length);
    resolveKernel('maxPool2dBackward', maxPool2dScatterKernel)(inWasm(lcgValues(pooled.length, 35)), indices, gp, pool);
    return [y, gx, gw, pooled, Float32Array.from(indices), gp].map((a) => a.slice());
  } finally {
    releaseAll();
    setBackend('cpu');
  }
}

/** max pooling and its gradient over `planes` planes of 8 x 8 (sliced calls of 1 to 4 chunks, by `planes`). */
function poolPlanes(planes: number): Float32Array {
  const geometry = { ...pool, batch: planes, channels: 1, height: 8, width: 8, outH: 4, outW: 4 };
  const x = inWasm(lcgValues(planes * 64, planes));
  const out = inWasm(planes * 16);
  const indices = new Int32Array(planes * 16);
  resolveKernel('maxPool2d', maxPool2dKernel)(x, out, indices, geometry);
  const gx = inWasm(planes * 64);
  resolveKernel('maxPool2dBackward', maxPool2dScatterKernel)(out, indices, gx, geometry);
  const result = gx.slice();
  releaseAll();
  return result;
}

describe('wasm convolution and pooling on worker threads (Node)', () => {
  beforeAll(async () => {
    expect(await initWasmBackend()).toBe(true);
    enableNodeThreads();
  });
  afterAll(async () => {
    await setNumThreads(1);
  });

  it('shares conv2d, its gradients and max pooling between the threads with the 1-thread bits', async () => {
    const one = run();
    expect(await setNumThreads(2)).toBe(2);
    const two = run();
    const before = runtime().chunksRun(1);
    runtime().callerTakesChunks = false;
    let workers: Float32Array[];
    try {
      workers = run();
    } finally {
      runtime().callerTakesChunks = true;
    }
    // Worker 1 ran every chunk: of the 4 products (2 each) and of the 9 sliced calls (im2col twice, col2im,
    // the 4 layout moves, pooling and its gradient: at least 2 each).
    expect(runtime().chunksRun(1) - before).toBeGreaterThanOrEqual(4 * 2 + 9 * 2);
    await setNumThreads(1);
    for (let i = 0; i < one.length; i++) {
      expect(Buffer.from(two[i].buffer).equals(Buffer.from(one[i].buffer)), `result ${i}, 2 threads`).toBe(true);
      expect(Buffer.from(workers[i].buffer).equals(Buffer.from(one[i].buffer)), `result ${i}, workers only`).toBe(true);
    }
    // The results are the convolution's, not zeros: the cpu kernels agree to float32 rounding.
    const want = new Float64Array(one[0].length);
    const f64 = (seed: number, n: number) => Float64Array.from(lcgValues(n, seed));
    conv2dKernel(f64(31, 32 * 4 * 784), f64(32, 8 * 4 * 9), f64(33, 8), want, g);
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(one[0][i] - want[i]));
    expect(worst).toBeLessThan(1e-5);
  });

  it('hands over thousands of jobs of changing chunk counts in a row, each chunk counted once', async () => {
    // Jobs of 2, 3 and 4 chunks back to back: a worker still in its claim loop when the next job is written
    // must not take a chunk of it before it is published (that chunk would be counted twice).
    // Workers that sleep between jobs (no spinning) arrive late, often after the caller ran every chunk and
    // while it writes the next job.
    const sizes = [2048, 4096, 3072, 4096];
    setBackend('wasm');
    const one = sizes.map(poolPlanes);
    expect(await setNumThreads(2)).toBe(2);
    const spin = runtime().spinMicros;
    runtime().spinMicros = 0;
    try {
      for (let round = 0; round < 800; round++) {
        const i = round % sizes.length;
        const got = poolPlanes(sizes[i]);
        if (!Buffer.from(got.buffer).equals(Buffer.from(one[i].buffer))) throw new Error(`round ${round}: other bits`);
      }
    } finally {
      runtime().spinMicros = spin;
      setBackend('cpu');
      await setNumThreads(1);
    }
  });
});
