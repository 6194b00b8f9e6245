import { canBlock } from './can-block';
import {
  CONTROL_WORDS,
  DEFAULT_SPIN_US,
  GENERATIONS,
  type GemmWorker,
  JOB_WORD,
  type KernelExports,
  MAX_SLICE_ARGS,
  MIN_SLICE_WORK,
  MIN_UPDATE_SPLIT,
  SLICE_JOB,
  SLICE_PREFIXES,
  SLICE_WORD,
  SLOT_WORDS,
  SPIN_WORD,
  UPDATE_JOB,
} from './control-block';
import { awaitFinished, claimChunks, closeJob, publishJob } from './hand-over';
import type { WasmHeap } from './memory';
import { MATMUL_PARAMS } from './module.generated';
import { type LatenessState, nextLateness, type RegisterTile, SOLO_BACKOFF, splitProduct } from './product-split';

/** An optimizer update of the kernels module: the export, and its index among the `opt_` exports. */
interface UpdateFunction {
  readonly fn: (...args: number[]) => void;
  readonly index: number;
}

/**
 * The instantiated module, its memory and the worker threads that share it. Large products are cut
 * by rows or by columns into chunks ({@link splitProduct}); each thread packs its own panels into its
 * own scratch area. Hand-off goes through the control block: the caller publishes the job and bumps
 * each worker's sequence number (waking it with `Atomics.notify` if it sleeps), then claims chunks
 * itself, like the workers, until none is left; then it spins (and, where it may block, sleeps) until
 * every claimed chunk is finished. A worker that is late (descheduled by another program, or still
 * waking) so takes fewer chunks or none, and the product never waits for a chunk nobody started:
 * with a busy machine, two threads are not slower than one by more than a chunk.
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
  private generation = 0;
  /**
   * Whether the calling thread claims chunks too (true). Tests turn it off to have the workers compute
   * every chunk; not part of the backend's API.
   */
  callerTakesChunks = true;
  /** Products left to run on the calling thread after a late worker, and the next stretch ({@link nextLateness}). */
  lateness: LatenessState = { solo: 0, backoff: SOLO_BACKOFF.first };
  /** Split products that ran on the calling thread alone because a worker had been late. */
  soloProducts = 0;
  private blocking = true;
  private spinUs = DEFAULT_SPIN_US;
  /** The index of each optimizer update (`opt_<name>_<flags>`) among their sorted names: a job names one by it. */
  private readonly updateIndex: Map<string, number>;
  private readonly updateFunctions = new Map<string, UpdateFunction[]>();
  /** The index of each kernel a sliced call can run (see {@link SLICE_PREFIXES}). */
  private readonly sliceIndex: Map<string, number>;
  private controlF32: Float32Array | null = null;

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
    const names = Object.keys(exports as object)
      .filter((name) => name.startsWith('opt_'))
      .sort();
    this.updateIndex = new Map(names.map((name, i) => [name, i]));
    const sliceable = Object.keys(exports as object)
      .filter((name) => SLICE_PREFIXES.some((prefix) => name.startsWith(prefix)))
      .sort();
    this.sliceIndex = new Map(sliceable.map((name, i) => [name, i]));
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
    this.lateness = { solo: 0, backoff: SOLO_BACKOFF.first };
    this.heap.setThreads(workers.length + 1);
    this.control = workers.length > 0 ? new Int32Array(this.heap.memory.buffer, 0, CONTROL_WORDS) : null;
    this.controlF32 = workers.length > 0 ? new Float32Array(this.heap.memory.buffer, 0, CONTROL_WORDS) : null;
    if (this.control !== null) {
      this.blocking = canBlock();
      Atomics.store(this.control, SPIN_WORD, this.spinUs);
      for (let t = 1; t <= workers.length; t++) {
        const s = this.heap.scratchOf(t);
        this.control[t * SLOT_WORDS + 13] = s.packA;
        this.control[t * SLOT_WORDS + 14] = s.packB;
      }
      // No chunk left in the (no) current job, so a worker that wakes finds nothing to take.
      Atomics.store(this.control, JOB_WORD + 16, 0);
    }
  }

  /**
   * How long (µs) idle threads spin before they sleep ({@link DEFAULT_SPIN_US} unless changed; while products
   * stay on the calling thread after a late worker, workers do not spin at all).
   */
  get spinMicros(): number {
    return this.spinUs;
  }

  set spinMicros(us: number) {
    this.spinUs = Math.max(0, Math.min(1_000_000, Math.round(us)));
    if (this.control !== null) Atomics.store(this.control, SPIN_WORD, this.lateness.solo > 0 ? 0 : this.spinUs);
  }

  /** How many times worker `t` (1 for the first) fell asleep and was woken for a product, since memory was made. */
  wakeups(t: number): number {
    return this.control === null ? 0 : Atomics.load(this.control, t);
  }

  /** How many chunks of products worker `t` (1 for the first) computed, since memory was made. */
  chunksRun(t: number): number {
    return this.control === null ? 0 : Atomics.load(this.control, t * SLOT_WORDS + 1);
  }

  /**
   * `C += op(A)·op(B)`, or with `overwrite`, `C = op(A)·op(B)` without reading C (k > 0), on operands
   * already in wasm memory (see scripts/wasm/matmul.mjs for the arguments); then, with `bias` (an address,
   * 0 for none), the n floats there added to C's columns, and with `relu`, ReLU applied, as each tile is
   * finished.
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
    bias = 0,
    relu = false,
  ): void {
    const ow = overwrite ? 1 : 0;
    const r = relu ? 1 : 0;
    const ctl = this.control;
    const split = ctl === null ? null : splitProduct(m, k, n, this.workers.length + 1, this.tile);
    if (ctl === null || split === null || split.parts <= 1 || this.keepsSolo()) {
      const s = this.heap.scratchOf(0);
      this.gemmKernel(a, ars, acs, b, brs, bcs, c, ldc, m, k, n, s.packA, s.packB, ow, bias, r);
      return;
    }
    const { parts, byRows, size } = split;
    // The job's words after claim and finished, in the order the worker reads them (see the layout above).
    this.closeJob(ctl);
    ctl.set([a, ars, acs, b, brs, bcs, c, ldc, m, k, n, ow, byRows ? 1 : 0, size, parts, bias, r], JOB_WORD + 2);
    const s = this.heap.scratchOf(0);
    this.share(ctl, parts, (i) => {
      // Chunk i: `size` rows of A and C from row i·size, or `size` columns of B and C.
      const at = i * size;
      const [rows, cols] = byRows ? [Math.min(size, m - at), n] : [m, Math.min(size, n - at)];
      const [aAt, bAt] = byRows ? [a + at * ars * 4, b] : [a, b + at * bcs * 4];
      const cAt = c + (byRows ? at * ldc : at) * 4;
      const biasAt = byRows || bias === 0 ? bias : bias + at * 4;
      this.gemmKernel(aAt, ars, acs, bAt, brs, bcs, cAt, ldc, rows, k, cols, s.packA, s.packB, ow, biasAt, r);
    });
  }

  /**
   * Whether a job that could be shared runs on this thread alone because a worker was late (one of the
   * stretch is used up; at its end the workers are woken, with nothing to do, so that they spin again and
   * the next job finds them running rather than asleep, which would count as late again).
   */
  private keepsSolo(): boolean {
    const ctl = this.control;
    if (ctl === null || this.lateness.solo <= 0 || !this.callerTakesChunks) return false;
    this.lateness.solo--;
    this.soloProducts++;
    if (this.lateness.solo === 0) {
      Atomics.store(ctl, SPIN_WORD, this.spinUs);
      this.sequence = (this.sequence + 1) | 0;
      for (let t = 1; t <= this.workers.length; t++) {
        Atomics.store(ctl, t * SLOT_WORDS, this.sequence);
        Atomics.notify(ctl, t * SLOT_WORDS);
      }
    }
    return true;
  }

  /**
   * Publish the job whose words are written, in `parts` chunks; claim and `run` chunks on this thread too,
   * wait until every chunk is finished, and update the lateness policy ({@link nextLateness}).
   */
  private share(ctl: Int32Array, parts: number, run: (chunk: number) => void, judge = true): void {
    ctl[JOB_WORD + 16] = parts;
    this.publish(ctl, Math.min(this.workers.length, parts - 1));
    const started = performance.now();
    const own = this.claimChunks(ctl, parts, run);
    const claimed = performance.now();
    this.awaitFinished(ctl, JOB_WORD + 1, parts);
    if (this.callerTakesChunks && judge) {
      this.lateness = nextLateness(this.lateness, {
        ownMs: claimed - started,
        ownChunks: own,
        waitMs: performance.now() - claimed,
        parts,
      });
      // While jobs stay on this thread, idle workers sleep instead of spinning: a spinning worker
      // would take CPU time from this thread and the other programs that made it late.
      if (this.lateness.solo > 0) Atomics.store(ctl, SPIN_WORD, 0);
    }
  }

  /**
   * Run the kernels module's `name(...args)` (a kernel of {@link SLICE_PREFIXES}) over `units` units
   * (samples, planes, rows), `args[countArg]` being their count: on several threads, in chunks of whole
   * units that any thread claims, chunk [u0, u1) running with every argument i moved by `u0 * strides[i]`
   * (an argument of 0, an absent array, stays 0) and `u1 - u0` units. The chunks must write disjoint memory,
   * so that the result is that of one call. `unitWork` (elements a unit touches) decides whether the call
   * is worth sharing; lateness is counted as for products.
   */
  sliced(name: string, args: number[], strides: number[], countArg: number, units: number, unitWork: number): void {
    const fn = (this.exports as unknown as Record<string, (...a: number[]) => void>)[name];
    const ctl = this.control;
    const threads = this.workers.length + 1;
    const parts = Math.min(2 * threads, units, Math.floor((units * unitWork) / MIN_SLICE_WORK));
    if (ctl === null || parts <= 1 || args.length > MAX_SLICE_ARGS || this.keepsSolo()) {
      args[countArg] = units;
      fn(...args);
      return;
    }
    const size = Math.ceil(units / parts);
    const chunks = Math.ceil(units / size);
    const d = SLICE_WORD;
    this.closeJob(ctl);
    ctl[d] = this.sliceIndex.get(name) as number;
    ctl[d + 1] = args.length;
    ctl[d + 2] = countArg;
    ctl[d + 3] = units;
    for (let i = 0; i < args.length; i++) {
      ctl[d + 4 + i] = args[i];
      ctl[d + 4 + MAX_SLICE_ARGS + i] = strides[i];
    }
    ctl[JOB_WORD + 14] = SLICE_JOB;
    ctl[JOB_WORD + 15] = size;
    const chunkArgs = [...args];
    this.share(
      ctl,
      chunks,
      (i) => {
        const at = i * size;
        for (let p = 0; p < args.length; p++) chunkArgs[p] = args[p] === 0 ? 0 : args[p] + at * strides[p];
        chunkArgs[countArg] = Math.min(size, units - at);
        fn(...chunkArgs);
      },
      false,
    );
  }

  /**
   * The export `opt_<family>_<flags>` and its index among the updates (for the workers), looked up once:
   * building the name and finding it among the exports on every call cost about 0.3 µs, a few percent of
   * a small model's step.
   */
  private updateFunction(family: string, flags: number): UpdateFunction {
    let byFlags = this.updateFunctions.get(family);
    if (byFlags === undefined) {
      byFlags = [];
      this.updateFunctions.set(family, byFlags);
    }
    let found = byFlags[flags];
    if (found === undefined) {
      const name = `opt_${family}_${flags}`;
      const exports = this.exports as unknown as Record<string, ((...args: number[]) => void) | undefined>;
      const fn = exports[name];
      const index = this.updateIndex.get(name);
      if (fn === undefined || index === undefined) throw new Error(`WasmRuntime.update: no update ${name}`);
      found = { fn, index };
      byFlags[flags] = found;
    }
    return found;
  }

  /**
   * Run the optimizer update `opt_<family>_<flags>` of the kernels module over `n` elements:
   * `update(...pointers, n, ...scalars)`, in place. A large update on several threads is cut into
   * chunks of whole SIMD vectors that any thread claims, as a product's are, with the same bits as on one
   * thread (each element's arithmetic is the same whichever thread runs it). Pointers of 0 (an absent
   * optional array) stay 0.
   */
  update(family: string, flags: number, pointers: readonly number[], n: number, scalars: readonly number[]): void {
    const { fn, index } = this.updateFunction(family, flags);
    const ctl = this.control;
    const f32 = this.controlF32;
    const threads = this.workers.length + 1;
    if (ctl === null || f32 === null || n < MIN_UPDATE_SPLIT || (this.lateness.solo > 0 && this.callerTakesChunks)) {
      fn(...pointers, n, ...scalars);
      return;
    }
    const parts = 2 * threads;
    const size = Math.ceil(n / parts / 4) * 4;
    const chunks = Math.ceil(n / size);
    const job = JOB_WORD;
    this.closeJob(ctl);
    ctl[job + 2] = index;
    ctl[job + 3] = pointers.length;
    for (let i = 0; i < pointers.length; i++) ctl[job + 4 + i] = pointers[i];
    ctl[job + 9] = scalars.length;
    for (let i = 0; i < scalars.length; i++) f32[i < 4 ? job + 10 + i : job + 13 + i] = scalars[i];
    ctl[job + 14] = UPDATE_JOB;
    ctl[job + 15] = size;
    ctl[job + 16] = chunks;
    ctl[job + 23] = n;
    this.publish(ctl, Math.min(this.workers.length, chunks - 1));
    const args = [...pointers, 0, ...scalars];
    this.claimChunks(ctl, chunks, (i) => {
      const at = i * size;
      for (let p = 0; p < pointers.length; p++) args[p] = pointers[p] === 0 ? 0 : pointers[p] + at * 4;
      args[pointers.length] = Math.min(size, n - at);
      fn(...args);
    });
    this.awaitFinished(ctl, job + 1, chunks);
  }

  /** Close the claim word of the job that is over (see {@link closeJob}). */
  private closeJob(ctl: Int32Array): void {
    closeJob(ctl, this.generation);
  }

  /** Publish the job whose words are written, under a new generation, and wake `helpers` workers. */
  private publish(ctl: Int32Array, helpers: number): void {
    this.generation = (this.generation + 1) % GENERATIONS;
    this.sequence = (this.sequence + 1) | 0;
    publishJob(ctl, this.generation, this.sequence, helpers);
  }

  /** Claim and `run` chunks as the workers do ({@link claimChunks}), unless tests keep the caller out. */
  private claimChunks(ctl: Int32Array, chunks: number, run: (chunk: number) => void): number {
    return this.callerTakesChunks ? claimChunks(ctl, chunks, run) : 0;
  }

  /** Wait until the job's `parts` chunks are finished ({@link awaitFinished}). */
  private awaitFinished(ctl: Int32Array, at: number, parts: number): void {
    awaitFinished(ctl, at, parts, this.blocking, this.spinUs);
  }
}

export type { GemmWorker, KernelExports };
