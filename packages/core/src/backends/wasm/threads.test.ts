// Node only: the wasm backend's worker threads, started through @nablajs/core/node.
import { isMainThread } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capture } from '../../capture';
import { allocate } from '../../dtype';
import { NablaError } from '../../errors';
import { matmulKernel } from '../../kernels/cpu/matmul';
import { adagradUpdateKernel, adamUpdateKernel, rmspropUpdateKernel, sgdUpdateKernel } from '../../kernels/cpu/optim';
import { resolveKernel, setBackend } from '../../kernels/registry';
import { enableNodeThreads } from '../../node';
import { matmul } from '../../ops/matmul';
import { relu } from '../../ops/relu';
import { manualSeed, randn } from '../../random';
import { webWorkersAvailable } from './browser-threads';
import { canBlock } from './can-block';
import { DEFAULT_SPIN_US, MIN_UPDATE_SPLIT } from './control-block';
import { getNumThreads, getWasmRuntime, initWasmBackend, setNumThreads, setWasmWorkerStarter } from './index';
import { MATMUL_PARAMS } from './module.generated';
import {
  CHUNKS_PER_THREAD,
  MIN_PART_WORK,
  nextLateness,
  SHARED_PRODUCT_WORK,
  SOLO_BACKOFF,
  splitProduct,
} from './product-split';
import { lcgValues } from './test-utils';

const { MR, NR } = MATMUL_PARAMS;

function wasmMatmul(): typeof matmulKernel {
  setBackend('wasm');
  const kernel = resolveKernel('matmul', matmulKernel);
  setBackend('cpu');
  return kernel;
}

/** Sleep long enough that a spinning worker gives up and sleeps in Atomics.wait. */
function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function runtime() {
  return getWasmRuntime() as NonNullable<ReturnType<typeof getWasmRuntime>>;
}

/** The chunks worker 1 ran so far. */
function worker1Chunks(): number {
  return runtime().chunksRun(1);
}

/** Run `fn` with the workers computing every chunk (the caller only hands out and waits). */
function workersOnly<T>(fn: () => T): T {
  runtime().callerTakesChunks = false;
  try {
    return fn();
  } finally {
    runtime().callerTakesChunks = true;
  }
}

describe('splitProduct', () => {
  it('keeps products with too little work on one thread', () => {
    expect(splitProduct(1024, 1024, 1024, 1).parts).toBe(1);
    expect(splitProduct(64, 64, 64, 2).parts).toBe(1);
    // exactly enough for two parts
    expect(splitProduct(100, MIN_PART_WORK / 1000, 20, 2).parts).toBe(2);
    expect(splitProduct(100, MIN_PART_WORK / 1000 - 1, 20, 2).parts).toBe(1);
  });

  it('splits the larger of m and n into whole register tiles that cover it', () => {
    for (const [m, k, n, threads] of [
      [1024, 1024, 1024, 2],
      [128, 784, 256, 2],
      [784, 128, 256, 2],
      [128, 256, 784, 3],
      [9, 2000, 1001, 2],
      [1001, 2000, 9, 4],
      [203, 310, 150, 16],
    ]) {
      const { parts, byRows, size } = splitProduct(m, k, n, threads);
      expect(parts, `${m}x${k}x${n}`).toBeGreaterThan(1);
      expect(parts).toBeLessThanOrEqual(threads * CHUNKS_PER_THREAD);
      expect(byRows).toBe(m >= n);
      const dim = byRows ? m : n;
      expect(size % (byRows ? MR : NR)).toBe(0);
      // every part but the last is full, and the last is not empty
      expect((parts - 1) * size).toBeLessThan(dim);
      expect(parts * size).toBeGreaterThanOrEqual(dim);
      expect((m * n * k) / parts).toBeGreaterThanOrEqual(MIN_PART_WORK);
    }
    // enough work and tiles: CHUNKS_PER_THREAD chunks a thread, so that a thread that is late hands over its share
    expect(splitProduct(1024, 1024, 1024, 2).parts).toBe(2 * CHUNKS_PER_THREAD);
    expect(splitProduct(1024, 1024, 1024, 2, undefined, 1).parts).toBe(2);
    // a product under SHARED_PRODUCT_WORK multiply-adds: one chunk a thread (the MLP step's middle layer)
    expect(splitProduct(128, 256, 128, 2).parts).toBe(2);
    expect(splitProduct(128, 256, 128, 3).parts).toBe(3);
    expect(128 * 256 * 128).toBeLessThan(SHARED_PRODUCT_WORK);
    expect(splitProduct(128, 784, 256, 2).parts).toBe(2 * CHUNKS_PER_THREAD);
  });

  it('splits the other dimension when the larger one has too few tiles', () => {
    // the 14 columns make 1 tile of 8, the 12 rows 2 tiles of 5
    expect(splitProduct(12, 100_000, 14, 2)).toEqual({ parts: 2, byRows: true, size: 10 });
    expect(splitProduct(6, 100_000, 9, 2)).toEqual({ parts: 1, byRows: true, size: 6 });
  });
});

describe('nextLateness', () => {
  const fresh = { solo: 0, backoff: SOLO_BACKOFF.first };

  it('keeps the threads while the caller waits less than one of its chunks took', () => {
    expect(nextLateness(fresh, { ownMs: 2, ownChunks: 2, waitMs: 1, parts: 4 })).toEqual(fresh);
    expect(nextLateness(fresh, { ownMs: 2, ownChunks: 2, waitMs: 1.04, parts: 4 })).toEqual(fresh);
  });

  it('runs the next products alone after a late worker, doubling the stretch each time, up to the cap', () => {
    let state = nextLateness(fresh, { ownMs: 2, ownChunks: 2, waitMs: 5, parts: 4 });
    expect(state).toEqual({ solo: SOLO_BACKOFF.first, backoff: 2 * SOLO_BACKOFF.first });
    state = nextLateness(state, { ownMs: 2, ownChunks: 2, waitMs: 5, parts: 4 });
    expect(state).toEqual({ solo: 2 * SOLO_BACKOFF.first, backoff: 4 * SOLO_BACKOFF.first });
    for (let i = 0; i < 20; i++) state = nextLateness(state, { ownMs: 1, ownChunks: 1, waitMs: 30, parts: 4 });
    expect(state).toEqual({ solo: SOLO_BACKOFF.max, backoff: SOLO_BACKOFF.max });
  });

  it('counts a product the workers barely helped with as late', () => {
    // 4 chunks at 1 ms each would take the caller 4 ms alone: 3.7 ms is no gain, 2.5 ms is
    expect(nextLateness(fresh, { ownMs: 3, ownChunks: 3, waitMs: 0.7, parts: 4 }).solo).toBe(SOLO_BACKOFF.first);
    expect(nextLateness(fresh, { ownMs: 2, ownChunks: 2, waitMs: 0.5, parts: 4 })).toEqual(fresh);
    // the caller ran every chunk: the workers did not come at all
    expect(nextLateness(fresh, { ownMs: 4, ownChunks: 4, waitMs: 0, parts: 4 }).solo).toBe(SOLO_BACKOFF.first);
  });

  it('halves the stretch after a product on time, never below the first', () => {
    expect(nextLateness({ solo: 0, backoff: 64 }, { ownMs: 1, ownChunks: 2, waitMs: 0, parts: 4 })).toEqual({
      solo: 0,
      backoff: 32,
    });
    expect(nextLateness(fresh, { ownMs: 1, ownChunks: 2, waitMs: 0, parts: 4 }).backoff).toBe(SOLO_BACKOFF.first);
  });
});

describe('wasm backend threads (Node)', () => {
  beforeAll(async () => {
    expect(isMainThread).toBe(true);
    expect(await initWasmBackend()).toBe(true);
    // Node has no Web Workers: no default starter, until enableNodeThreads()
    expect(webWorkersAvailable()).toBe(false);
    expect(await setNumThreads(2)).toBe(1);
    enableNodeThreads();
  });
  afterAll(async () => {
    await setNumThreads(1);
    setWasmWorkerStarter(null);
    setBackend('cpu');
  });

  it('may block in Atomics.wait on the main thread of Node', () => {
    expect(canBlock()).toBe(true);
  });

  it('splits products across worker threads with the same results', async () => {
    const kernel = wasmMatmul();
    const m = 203;
    const k = 310;
    const n = 150;
    const a = lcgValues(m * k, 10);
    const b = lcgValues(k * n, 11);
    const one = new Float32Array(m * n);
    kernel(a, 0, b, 0, one, 0, m, k, n, true, false, false);
    const threads = await setNumThreads(2);
    expect(threads).toBe(2);
    expect(getNumThreads()).toBe(2);
    const two = new Float32Array(m * n);
    for (let r = 0; r < 3; r++) kernel(a, 0, b, 0, two, 0, m, k, n, true, false, false);
    // Rows are independent, so splitting them changes no bit, whichever thread ran which chunk.
    expect(two).toEqual(one);
    const before = worker1Chunks();
    const three = new Float32Array(m * n);
    workersOnly(() => kernel(a, 0, b, 0, three, 0, m, k, n, true, false, false));
    expect(three).toEqual(one);
    expect(worker1Chunks() - before).toBe(splitProduct(m, k, n, 2).parts);
    expect(await setNumThreads(1)).toBe(1);
    expect(getNumThreads()).toBe(1);
  });

  it('gives the 1-thread bits for awkward shapes split by rows or by columns, every transpose', async () => {
    const kernel = wasmMatmul();
    // m < 2 MR (columns), odd n, n < NR with many rows (rows), m and n not multiples of the tiles
    const shapes = [
      [3, 700, 1001],
      [9, 1500, 257],
      [1200, 700, 5],
      [37, 400, 333],
      [333, 250, 37],
      [64, 300, 517],
    ];
    const cases = shapes.flatMap(([m, k, n]) =>
      [0, 1, 2, 3].map((t) => ({ m, k, n, transA: (t & 1) === 1, transB: (t & 2) === 2 })),
    );
    const operands = cases.map(({ m, k, n }, i) => [
      lcgValues(m * k, 3 * i + 1),
      lcgValues(k * n, 3 * i + 2),
      lcgValues(m * n, 3 * i + 3),
    ]);
    const run = () =>
      cases.map(({ m, k, n, transA, transB }, i) => {
        const [a, b, c] = operands[i];
        const out = Float32Array.from(c);
        kernel(a, 0, b, 0, out, 0, m, k, n, transA, transB, i % 2 === 0);
        return out;
      });
    const one = run();
    expect(await setNumThreads(2)).toBe(2);
    for (const { m, k, n } of cases) expect(splitProduct(m, k, n, 2).parts, `${m}x${k}x${n}`).toBeGreaterThan(1);
    const two = run();
    for (let i = 0; i < cases.length; i++) expect(two[i], JSON.stringify(cases[i])).toEqual(one[i]);
    const before = worker1Chunks();
    const three = workersOnly(run);
    expect(worker1Chunks() - before).toBe(cases.reduce((sum, { m, k, n }) => sum + splitProduct(m, k, n, 2).parts, 0));
    for (let i = 0; i < cases.length; i++) expect(three[i], JSON.stringify(cases[i])).toEqual(one[i]);
    await setNumThreads(1);
  });

  it('replays a captured step with the same bits on one thread, on two, and on the workers alone', async () => {
    setBackend('wasm');
    try {
      manualSeed(5);
      const w1 = randn([256, 300]).requiresGrad_();
      const w2 = randn([10, 256]).requiresGrad_();
      const x = randn([96, 300]);
      const step = capture(
        (input) => {
          w1.grad = null;
          w2.grad = null;
          const loss = matmul(relu(matmul(input, w1.transpose(0, 1))), w2.transpose(0, 1))
            .square()
            .mean();
          loss.backward();
          return loss;
        },
        [x],
      );
      const batches = [1, 2, 3].map((i) => {
        manualSeed(50 + i);
        return randn([96, 300]);
      });
      const run = () =>
        batches.map((b) => {
          const loss = step.replay(b).item();
          return [loss, ...Array.from(w1.grad?.values ?? []), ...Array.from(w2.grad?.values ?? [])];
        });
      const one = run();
      expect(await setNumThreads(2)).toBe(2);
      expect(run()).toEqual(one);
      const before = worker1Chunks();
      expect(workersOnly(run)).toEqual(one);
      expect(worker1Chunks()).toBeGreaterThan(before); // the replayed products were split
      await setNumThreads(1);
      step.dispose();
    } finally {
      setBackend('cpu');
    }
  });

  it('hands over many parts in a row, to spinning and to sleeping workers, without losing one', async () => {
    const kernel = wasmMatmul();
    const m = 40;
    const k = 2000;
    const n = 200; // 16M multiply-adds (SHARED_PRODUCT_WORK): 4 chunks of 56, 56, 56 and 32 columns
    const a = lcgValues(m * k, 21);
    const b = lcgValues(k * n, 22);
    const one = new Float32Array(m * n);
    kernel(a, 0, b, 0, one, 0, m, k, n, false, true, false);
    expect(await setNumThreads(2)).toBe(2);
    const rt = runtime();
    expect(rt.spinMicros).toBe(DEFAULT_SPIN_US);
    const out = new Float32Array(m * n);
    const parts = splitProduct(m, k, n, 2).parts;
    expect(parts).toBe(4);
    const before = worker1Chunks();
    const wokenBefore = rt.wakeups(1);
    let mismatches = 0;
    const check = () => {
      out.fill(Number.NaN);
      kernel(a, 0, b, 0, out, 0, m, k, n, false, true, false);
      if (!out.every((v, i) => v === one[i])) mismatches++;
    };
    try {
      // back to back: the worker is spinning when the next product comes (the caller takes chunks too)
      for (let r = 0; r < 500; r++) check();
      // the worker alone: every chunk of every product is its
      const own = worker1Chunks();
      workersOnly(() => {
        for (let r = 0; r < 100; r++) check();
      });
      expect(worker1Chunks() - own).toBe(100 * parts);
      // no spinning, and pauses: the worker sleeps in Atomics.wait and each product must wake it
      rt.spinMicros = 0;
      for (let r = 0; r < 40; r++) {
        workersOnly(check);
        if (r % 2 === 1) await pause(2);
      }
    } finally {
      rt.spinMicros = DEFAULT_SPIN_US;
    }
    expect(mismatches).toBe(0);
    expect(worker1Chunks() - before).toBeGreaterThanOrEqual(140 * parts);
    expect(rt.wakeups(1) - wokenBefore).toBeGreaterThan(0);
    await setNumThreads(1);
  });

  it('shares a large optimizer update between the threads with the 1-thread bits', async () => {
    setBackend('wasm');
    const adam = resolveKernel('adamUpdate', adamUpdateKernel);
    const sgd = resolveKernel('sgdUpdate', sgdUpdateKernel);
    const rmsprop = resolveKernel('rmspropUpdate', rmspropUpdateKernel);
    const adagrad = resolveKernel('adagradUpdate', adagradUpdateKernel);
    const n = 2 * MIN_UPDATE_SPLIT + 3; // ragged: the last chunk is short and ends in the scalar tail
    /** Five arrays in wasm memory (the pool allocates there while the backend is wasm), from fixed values. */
    const arrays = () =>
      [0, 1, 2, 3, 4].map((i) => {
        const a = allocate('float32', n, false) as Float32Array;
        a.set(lcgValues(n, 60 + i));
        if (i >= 2) for (let j = 0; j < n; j++) a[j] = Math.abs(a[j]); // second moments are not negative
        return a;
      });
    /** Three steps of every update, each on its own arrays: the arrays afterwards. */
    const run = () => {
      const [pa, ga, ma, va, xa] = arrays();
      const [ps, gs, bs] = arrays();
      const [pr, gr, sr, ar, br] = arrays();
      const [pg, gg, sg] = arrays();
      for (let step = 1; step <= 3; step++) {
        adam(pa, ga, ma, va, xa, step, 1e-3, 0.9, 0.999, 1e-8, 0.01, true, false);
        sgd(ps, gs, bs, step === 1, 0.01, 0.9, 0, 1e-4, true, false);
        rmsprop(pr, gr, sr, ar, br, 0.01, 0.99, 1e-8, 0.001, 0.9, true);
        adagrad(pg, gg, sg, step, 0.01, 0.001, 1e-10, 0.01, false);
      }
      return [pa, ma, va, xa, ps, bs, pr, sr, ar, br, pg, sg];
    };
    const one = run();
    expect(await setNumThreads(2)).toBe(2);
    const two = run();
    const before = worker1Chunks();
    const workers = workersOnly(run);
    // Each of the 12 update calls is cut into 4 chunks (2 per thread), all of which worker 1 ran.
    expect(worker1Chunks() - before).toBe(12 * 4);
    await setNumThreads(1);
    /** Elements whose bits differ (a loop: toEqual on arrays this long takes seconds). */
    const differing = (x: Float32Array, y: Float32Array) => {
      const xi = new Int32Array(x.buffer, x.byteOffset, x.length);
      const yi = new Int32Array(y.buffer, y.byteOffset, y.length);
      let d = 0;
      for (let j = 0; j < xi.length; j++) if (xi[j] !== yi[j]) d++;
      return d;
    };
    for (let i = 0; i < one.length; i++) {
      expect(differing(two[i], one[i]), `array ${i}, 2 threads`).toBe(0);
      expect(differing(workers[i], one[i]), `array ${i}, workers only`).toBe(0);
    }
    expect(differing(one[0], arrays()[0])).toBeGreaterThan(n / 2); // the updates did change the parameters
    setBackend('cpu');
  });

  it('never waits for a worker that does not come: the caller takes every chunk', async () => {
    const kernel = wasmMatmul();
    const m = 256;
    const k = 256;
    const n = 256;
    const a = lcgValues(m * k, 41);
    const b = lcgValues(k * n, 42);
    const one = new Float32Array(m * n);
    kernel(a, 0, b, 0, one, 0, m, k, n, false, false, false);
    // A worker that starts and then never runs (as one descheduled for good would be).
    setWasmWorkerStarter(() => Promise.resolve({ terminate() {} }));
    try {
      expect(await setNumThreads(2)).toBe(2);
      expect(splitProduct(m, k, n, 2).parts).toBeGreaterThan(1);
      const before = worker1Chunks();
      const out = new Float32Array(m * n);
      for (let r = 0; r < 20; r++) kernel(a, 0, b, 0, out, 0, m, k, n, false, false, false);
      expect(out).toEqual(one);
      expect(worker1Chunks()).toBe(before);
      await setNumThreads(1);
    } finally {
      enableNodeThreads();
    }
  });

  it('keeps the products after a late worker on the calling thread, with the same bits', async () => {
    const kernel = wasmMatmul();
    const m = 256;
    const k = 256;
    const n = 256;
    const a = lcgValues(m * k, 51);
    const b = lcgValues(k * n, 52);
    const one = new Float32Array(m * n);
    kernel(a, 0, b, 0, one, 0, m, k, n, false, false, false);
    expect(await setNumThreads(2)).toBe(2);
    const rt = runtime();
    rt.lateness = { solo: 3, backoff: 16 };
    const soloBefore = rt.soloProducts;
    const chunksBefore = worker1Chunks();
    const out = new Float32Array(m * n);
    for (let r = 0; r < 3; r++) {
      out.fill(Number.NaN);
      kernel(a, 0, b, 0, out, 0, m, k, n, false, false, false);
      expect(out).toEqual(one);
    }
    expect(rt.soloProducts - soloBefore).toBe(3);
    expect(worker1Chunks()).toBe(chunksBefore);
    expect(rt.lateness.solo).toBe(0);
    // the stretch is over: the next product is split again (the worker alone, to see it)
    workersOnly(() => kernel(a, 0, b, 0, out, 0, m, k, n, false, false, false));
    expect(worker1Chunks() - chunksBefore).toBe(splitProduct(m, k, n, 2).parts);
    expect(out).toEqual(one);
    await setNumThreads(1);
  });

  it('replaces its workers when the count changes, more threads than cores included', async () => {
    const kernel = wasmMatmul();
    const m = 300;
    const k = 300;
    const n = 300;
    const a = lcgValues(m * k, 31);
    const b = lcgValues(k * n, 32);
    const one = new Float32Array(m * n);
    kernel(a, 0, b, 0, one, 0, m, k, n, false, false, false);
    for (const threads of [3, 2, 4, 2]) {
      expect(await setNumThreads(threads)).toBe(threads);
      expect(getNumThreads()).toBe(threads);
      const out = new Float32Array(m * n);
      for (let r = 0; r < 5; r++) kernel(a, 0, b, 0, out, 0, m, k, n, false, false, false);
      expect(out, `${threads} threads`).toEqual(one);
    }
    expect(await setNumThreads(1)).toBe(1);
  });

  it('rejects naming the cause when a worker fails to start, and stays on one thread', async () => {
    setWasmWorkerStarter(() => Promise.reject(new Error('no threads here')));
    try {
      const started = setNumThreads(2);
      await expect(started).rejects.toThrow(NablaError);
      await expect(setNumThreads(3)).rejects.toThrow(
        /^setNumThreads: could not start 2 worker threads: Error: no threads here$/,
      );
      expect(getNumThreads()).toBe(1);
    } finally {
      enableNodeThreads();
    }
    expect(await setNumThreads(2)).toBe(2);
    await setNumThreads(1);
  });
});
