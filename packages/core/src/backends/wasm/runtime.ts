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
    overwrite: number,
  ): void;
}

// The control block of the worker threads lives at the start of the (shared) memory, below the
// scratch areas: 16 slots of 16 int32. Slot t (1 to 15) belongs to worker t: [sequence, done, the 14
// arguments of gemm]. Slot 0 is shared: word SPIN_WORD holds how long idle threads spin (µs), and word
// t (1 to 15) counts the times worker t fell asleep and had to be woken.
export const SLOT_WORDS = 16;
export const MAX_WORKERS = 15;
export const SPIN_WORD = 0;

/**
 * How long (microseconds) an idle worker spins on `Atomics.load` before it sleeps in `Atomics.wait`,
 * by default. Waking a sleeping thread is costly where it matters most: Linux puts the woken worker on
 * the waker's CPU when the other one looks busy (an idle vCPU of a virtual machine does), so the worker
 * preempts the caller and the two halves of a product run one after the other. Workers that are still
 * spinning when the next product comes avoid that, and training loops call products every few
 * milliseconds.
 */
export const DEFAULT_SPIN_US = 10_000;

/**
 * Multiply-adds one part of a split product must have (about 20 µs of work) to pay for handing it to
 * another thread; smaller products run on the calling thread.
 */
export const MIN_PART_WORK = 400_000;

/** The register tile of a gemm: MR rows by NR columns of C per micro-kernel call. */
export interface RegisterTile {
  readonly MR: number;
  readonly NR: number;
}

/** A worker thread that runs `gemm` on a part of a product when its slot's sequence number changes. */
export interface GemmWorker {
  /** Stop the worker (a promise, as Node's, is awaited before its slot is used again). */
  terminate(): unknown;
}

let blockingAllowed: boolean | null = null;

/**
 * Whether the calling thread may block in `Atomics.wait` (false on a browser's main thread, which may
 * only spin).
 */
export function canBlock(): boolean {
  if (blockingAllowed === null) {
    try {
      // A mismatched value returns at once where waiting is allowed, and throws where it is not.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
      blockingAllowed = true;
    } catch {
      blockingAllowed = false;
    }
  }
  return blockingAllowed;
}

/** How one product is split: `parts` pieces along rows (`byRows`) or columns, `size` rows or columns each. */
export interface Split {
  parts: number;
  byRows: boolean;
  size: number;
}

/**
 * Split an `m x k · k x n` product over at most `threads` threads. Each thread packs the whole of
 * the operand that is not split, so the split goes along the larger of `m` and `n` (splitting rows
 * repeats the packing of B, splitting columns that of A); parts are whole register tiles (MR rows or
 * NR columns) and each has at least {@link MIN_PART_WORK} multiply-adds, else fewer threads run.
 */
export function splitProduct(
  m: number,
  k: number,
  n: number,
  threads: number,
  tile: RegisterTile = MATMUL_PARAMS,
): Split {
  const { MR, NR } = tile;
  const work = Math.min(threads, Math.floor((m * n * k) / MIN_PART_WORK));
  if (work <= 1) return { parts: 1, byRows: true, size: m };
  const rowTiles = Math.floor(m / MR);
  const colTiles = Math.floor(n / NR);
  // The larger dimension, unless it has too few tiles for the threads and the other has more.
  let byRows = m >= n;
  if (byRows ? rowTiles < work && colTiles > rowTiles : colTiles < work && rowTiles > colTiles) byRows = !byRows;
  const tiles = byRows ? rowTiles : colTiles;
  const granule = byRows ? MR : NR;
  const dim = byRows ? m : n;
  let parts = Math.min(work, tiles);
  if (parts <= 1) return { parts: 1, byRows: true, size: m };
  const size = Math.ceil(dim / parts / granule) * granule;
  parts = Math.ceil(dim / size);
  return { parts, byRows, size };
}

/**
 * The instantiated module, its memory and the worker threads that share it. Large products are split
 * by rows or by columns ({@link splitProduct}); each thread packs its own panels into its own scratch
 * area. Hand-off goes through the control block: the caller writes a part's arguments and bumps the
 * slot's sequence number, the worker (spinning or woken by `Atomics.notify`) runs it and stores the
 * sequence number in `done`; the caller computes its own part meanwhile, then spins (and, where it
 * may block, sleeps) until every `done` matches.
 */
export class WasmRuntime {
  readonly heap: WasmHeap;
  /** The exports of the kernels module (elementwise, optimizer and plain-SIMD gemm kernels). */
  readonly exports: KernelExports;
  readonly shared: boolean;
  /** Whether products use the relaxed-SIMD (fused multiply-add) gemm instead of the module's own. */
  readonly fma: boolean;
  private readonly gemmKernel: KernelExports['gemm'];
  private readonly tile: RegisterTile;
  private workers: GemmWorker[] = [];
  private control: Int32Array | null = null;
  private sequence = 0;
  private blocking = true;
  private spinUs = DEFAULT_SPIN_US;

  /**
   * `fmaGemm`: the exports of the relaxed-SIMD gemm module instantiated on the same memory, whose
   * `gemm` (register tile `fmaTile`) then replaces the kernels module's.
   */
  constructor(
    exports: KernelExports,
    heap: WasmHeap,
    shared: boolean,
    fmaGemm: KernelExports | null = null,
    fmaTile: RegisterTile = MATMUL_PARAMS,
  ) {
    this.exports = exports;
    this.heap = heap;
    this.shared = shared;
    this.fma = fmaGemm !== null;
    this.gemmKernel = (fmaGemm ?? exports).gemm;
    this.tile = fmaGemm === null ? MATMUL_PARAMS : fmaTile;
  }

  /** Threads in use, the calling thread included. */
  get threads(): number {
    return this.workers.length + 1;
  }

  /**
   * Stop the worker threads; resolves once they are gone, so that new workers can take their slots
   * (two threads on one slot would share its scratch area).
   */
  async stopWorkers(): Promise<void> {
    const old = this.workers;
    this.setWorkers([]);
    await Promise.all(old.map((w) => w.terminate()));
  }

  /**
   * Use these worker threads (already running, worker i waiting on slot i + 1; the previous ones
   * stopped with {@link WasmRuntime.stopWorkers}), with one matmul scratch area per thread.
   */
  setWorkers(workers: GemmWorker[]): void {
    this.workers = workers;
    this.heap.setThreads(workers.length + 1);
    this.control =
      workers.length > 0 ? new Int32Array(this.heap.memory.buffer, 0, (MAX_WORKERS + 1) * SLOT_WORDS) : null;
    if (this.control !== null) {
      this.blocking = canBlock();
      Atomics.store(this.control, SPIN_WORD, this.spinUs);
    }
  }

  /** How long (µs) idle threads spin before they sleep ({@link DEFAULT_SPIN_US} unless changed). */
  get spinMicros(): number {
    return this.spinUs;
  }

  set spinMicros(us: number) {
    this.spinUs = Math.max(0, Math.min(1_000_000, Math.round(us)));
    if (this.control !== null) Atomics.store(this.control, SPIN_WORD, this.spinUs);
  }

  /** How many times worker `t` (1 for the first) fell asleep and was woken for a part, since memory was made. */
  wakeups(t: number): number {
    return this.control === null ? 0 : Atomics.load(this.control, t);
  }

  /**
   * `C += op(A)·op(B)`, or with `overwrite`, `C = op(A)·op(B)` without reading C (k > 0), on operands
   * already in wasm memory (see scripts/wasm/matmul.mjs for the arguments).
   */
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
    overwrite = false,
  ): void {
    const ow = overwrite ? 1 : 0;
    const ctl = this.control;
    const split = ctl === null ? null : splitProduct(m, k, n, this.workers.length + 1, this.tile);
    if (ctl === null || split === null || split.parts <= 1) {
      const s = this.heap.scratchOf(0);
      this.gemmKernel(a, ars, acs, b, brs, bcs, c, ldc, m, k, n, s.packA, s.packB, ow);
      return;
    }
    const { parts, byRows, size } = split;
    this.sequence = (this.sequence + 1) | 0;
    const seq = this.sequence;
    for (let t = 1; t < parts; t++) {
      const at = t * size;
      const s = this.heap.scratchOf(t);
      const base = t * SLOT_WORDS;
      if (byRows) {
        ctl[base + 2] = a + at * ars * 4;
        ctl[base + 5] = b;
        ctl[base + 8] = c + at * ldc * 4;
        ctl[base + 10] = Math.min(size, m - at);
        ctl[base + 12] = n;
      } else {
        ctl[base + 2] = a;
        ctl[base + 5] = b + at * bcs * 4;
        ctl[base + 8] = c + at * 4;
        ctl[base + 10] = m;
        ctl[base + 12] = Math.min(size, n - at);
      }
      ctl[base + 3] = ars;
      ctl[base + 4] = acs;
      ctl[base + 6] = brs;
      ctl[base + 7] = bcs;
      ctl[base + 9] = ldc;
      ctl[base + 11] = k;
      ctl[base + 13] = s.packA;
      ctl[base + 14] = s.packB;
      ctl[base + 15] = ow;
      Atomics.store(ctl, base, seq);
      Atomics.notify(ctl, base);
    }
    const s = this.heap.scratchOf(0);
    if (byRows) this.gemmKernel(a, ars, acs, b, brs, bcs, c, ldc, size, k, n, s.packA, s.packB, ow);
    else this.gemmKernel(a, ars, acs, b, brs, bcs, c, ldc, m, k, size, s.packA, s.packB, ow);
    for (let t = 1; t < parts; t++) this.awaitDone(ctl, t * SLOT_WORDS + 1, seq);
  }

  /**
   * Spin until `ctl[at]` is `seq` (the worker's part takes about as long as the caller's, so this is
   * short); past the spin time, sleep in `Atomics.wait` where this thread may.
   */
  private awaitDone(ctl: Int32Array, at: number, seq: number): void {
    if (Atomics.load(ctl, at) === seq) return;
    const until = performance.now() + this.spinUs / 1000;
    let i = 0;
    for (;;) {
      const done = Atomics.load(ctl, at);
      if (done === seq) return;
      if (this.blocking && (++i & 255) === 0 && performance.now() > until) Atomics.wait(ctl, at, done, 1);
    }
  }
}
