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
import { SLOT_WORDS } from '../../../packages/core/src/backends/wasm/runtime';
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
    report.identical = two.map((r, i) => r.length === one[i].length && r.every((v, j) => Object.is(v, one[i][j])));
    report.cpuDiff = two.map((r, i) => r.reduce((worst, v, j) => Math.max(worst, Math.abs(v - cpu[i][j])), 0));
    const memory = getWasmRuntime()?.heap.memory;
    if (memory !== undefined && report.sharedArrayBuffer && memory.buffer instanceof SharedArrayBuffer)
      report.workerParts = Atomics.load(new Int32Array(memory.buffer, 0, 2 * SLOT_WORDS), SLOT_WORDS + 1);
    report.back = await setNumThreads(1);
    setBackend('cpu');
  } catch (e) {
    report.error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  }
  return report;
}
