import type { WasmHeap } from './memory';
import { MATMUL_PARAMS } from './module.generated';

/** The exports of the kernels module (see scripts/wasm). */
export interface KernelExports {
  gemm(
    a: number,
    ars: number,
    acs: number,
    b: number,
    brs: number,
    bcs: number,
    c: number,
    ldc: number,
    m: number,
    k: number,
    n: number,
    packA: number,
    packB: number,
    tile: number,
  ): void;
}

// The control block of the worker threads lives at the start of the (shared) memory, below the
// scratch areas: one slot of 16 int32 per worker: [sequence, done, the 14 arguments of gemm].
export const SLOT_WORDS = 16;
export const MAX_WORKERS = 15;

/** A worker thread that runs `gemm` on a slice of rows when its slot's sequence number changes. */
export interface GemmWorker {
  /** Stop the worker. */
  terminate(): void;
}

/**
 * The instantiated module, its memory and the worker threads that share it. Products with enough
 * rows are split by rows: each thread packs its own panels into its own scratch area.
 */
export class WasmRuntime {
  readonly heap: WasmHeap;
  readonly exports: KernelExports;
  readonly shared: boolean;
  private workers: GemmWorker[] = [];
  private control: Int32Array | null = null;
  private sequence = 0;

  constructor(exports: KernelExports, heap: WasmHeap, shared: boolean) {
    this.exports = exports;
    this.heap = heap;
    this.shared = shared;
  }

  /** Threads in use, the calling thread included. */
  get threads(): number {
    return this.workers.length + 1;
  }

  /**
   * Replace the worker threads (already running, worker i waiting on slot i + 1), with one matmul
   * scratch area per thread.
   */
  setWorkers(workers: GemmWorker[]): void {
    for (const w of this.workers) w.terminate();
    this.workers = workers;
    this.heap.setThreads(workers.length + 1);
    this.control =
      workers.length > 0 ? new Int32Array(this.heap.memory.buffer, 0, (MAX_WORKERS + 1) * SLOT_WORDS) : null;
  }

  /** `C += op(A)·op(B)` on operands already in wasm memory (see scripts/wasm/matmul.mjs for the arguments). */
  gemm(
    a: number,
    ars: number,
    acs: number,
    b: number,
    brs: number,
    bcs: number,
    c: number,
    ldc: number,
    m: number,
    k: number,
    n: number,
  ): void {
    const threads = this.workers.length + 1;
    // NOTE: a slice needs enough rows for whole register tiles and enough work to pay for the wake-up.
    const parts = Math.min(threads, Math.floor(m / (2 * MATMUL_PARAMS.MR)), Math.floor((m * n * k) / 250_000));
    if (parts <= 1 || this.control === null) {
      const s = this.heap.scratchOf(0);
      this.exports.gemm(a, ars, acs, b, brs, bcs, c, ldc, m, k, n, s.packA, s.packB, s.tile);
      return;
    }
    const ctl = this.control;
    const rowsPer = Math.ceil(m / parts / MATMUL_PARAMS.MR) * MATMUL_PARAMS.MR;
    const seq = ++this.sequence | 0;
    let used = 0;
    for (let t = 1; t < parts; t++) {
      const i0 = t * rowsPer;
      if (i0 >= m) break;
      const rows = Math.min(rowsPer, m - i0);
      const s = this.heap.scratchOf(t);
      const base = t * SLOT_WORDS;
      const args = [
        a + i0 * ars * 4,
        ars,
        acs,
        b,
        brs,
        bcs,
        c + i0 * ldc * 4,
        ldc,
        rows,
        k,
        n,
        s.packA,
        s.packB,
        s.tile,
      ];
      for (let i = 0; i < 14; i++) ctl[base + 2 + i] = args[i];
      Atomics.store(ctl, base, seq);
      Atomics.notify(ctl, base);
      used = t;
    }
    const s = this.heap.scratchOf(0);
    this.exports.gemm(a, ars, acs, b, brs, bcs, c, ldc, Math.min(rowsPer, m), k, n, s.packA, s.packB, s.tile);
    for (let t = 1; t <= used; t++) {
      const doneAt = t * SLOT_WORDS + 1;
      for (;;) {
        const done = Atomics.load(ctl, doneAt);
        if (done === seq) break;
        Atomics.wait(ctl, doneAt, done, 1000);
      }
    }
  }
}
