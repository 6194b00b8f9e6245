// What the page and its dedicated worker both run: the wasm backend's matmul on 1 thread, then
// setNumThreads(2) and the same products again; the report goes back to Playwright.
import {
  getNumThreads,
  getWasmBackendInfo,
  initWasmBackend,
  matmulTransposed,
  setBackend,
  setNumThreads,
  tensor,
} from '@nablajs/core';
import { getWasmRuntime } from '../../../packages/core/src/backends/wasm/index';
import { lcgValues } from '../../../packages/core/src/backends/wasm/test-utils';

/** What one context (the page or a worker) found. */
export interface ThreadsReport {
  where: string;
  crossOriginIsolated: boolean;
  sharedArrayBuffer: boolean;
  simd: boolean;
  /**
   * Whether matmul uses the relaxed-SIMD (fused multiply-add) gemm; the workers must then run the same
   * one, or the 2-thread products would not be bit for bit the 1-thread ones.
   */
  relaxedSimd: boolean;
  /** What setNumThreads(2) resolved to, and getNumThreads() after it. */
  resolved: number;
  threads: number;
  /** Per product: whether the 2-thread result is bit for bit the 1-thread one. */
  identical: boolean[];
  /** Per product: the largest difference from the cpu backend. */
  cpuDiff: number[];
  /** Worker 1's `done` word: the sequence number of the last part it ran (0: none; -1: no shared memory). */
  workerParts: number;
  /** What setNumThreads(1) resolved to afterwards. */
  back: number;
  error?: string;
}

/** [m, k, n, transA, transB]: rows split, columns split (m < n, odd n), columns with few rows. */
const CASES: [number, number, number, boolean, boolean][] = [
  [256, 256, 256, false, false],
  [64, 300, 517, false, true],
  [9, 200, 1001, true, false],
];

function products(): Float32Array[] {
  return CASES.map(([m, k, n, transA, transB], i) => {
    const a = tensor(lcgValues(m * k, 2 * i + 1), { shape: transA ? [k, m] : [m, k] });
    const b = tensor(lcgValues(k * n, 2 * i + 2), { shape: transB ? [n, k] : [k, n] });
    return Float32Array.from(matmulTransposed(a, b, { transA, transB }).data);
  });
}

/** Run the check in this context. */
export async function runThreadsCheck(where: string): Promise<ThreadsReport> {
  const report: ThreadsReport = {
    where,
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    sharedArrayBuffer: typeof SharedArrayBuffer === 'function',
    simd: false,
    relaxedSimd: false,
    resolved: 0,
    threads: 0,
    identical: [],
    cpuDiff: [],
    workerParts: -1,
    back: 0,
  };
  try {
    report.simd = await initWasmBackend();
    report.relaxedSimd = getWasmBackendInfo().relaxedSimd;
    setBackend('cpu');
    const cpu = products();
    setBackend('wasm');
    const one = products();
    report.resolved = await setNumThreads(2);
    report.threads = getNumThreads();
    const two = products();
    // Then with the workers computing every chunk (the caller only hands them out), so that the worker's part
    // is certain whatever the machine's load: a late worker otherwise leaves its chunks to the caller.
    const runtime = getWasmRuntime();
    const before = runtime?.chunksRun(1) ?? 0;
    if (runtime) runtime.callerTakesChunks = false;
    let workers: Float32Array[];
    try {
      workers = products();
    } finally {
      if (runtime) runtime.callerTakesChunks = true;
    }
    const same = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((v, j) => Object.is(v, b[j]));
    report.identical = two.map((r, i) => same(r, one[i]) && same(workers[i], one[i]));
    report.cpuDiff = two.map((r, i) => r.reduce((worst, v, j) => Math.max(worst, Math.abs(v - cpu[i][j])), 0));
    if (runtime && report.sharedArrayBuffer) report.workerParts = runtime.chunksRun(1) - before;
    report.back = await setNumThreads(1);
    setBackend('cpu');
  } catch (e) {
    report.error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  }
  return report;
}
