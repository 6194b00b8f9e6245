import { canBlock } from './can-block';
import type { WasmHeap } from './memory';
import { MATMUL_PARAMS } from './module.generated';
import {
  CHUNK_BITS,
  type LatenessState,
  nextLateness,
  type RegisterTile,
  SOLO_BACKOFF,
  splitProduct,
} from './product-split';

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
// scratch areas: 16 slots of 16 int32, then the job. Slot t (1 to 15) belongs to worker t: [sequence,
// chunks it ran, 11 unused words, its packA and packB scratch addresses, unused]. Slot 0 is shared: word
// SPIN_WORD holds how long idle threads spin (µs), and word t (1 to 15) counts the times worker t fell
// asleep and had to be woken. The job (from word JOB_WORD) is the product being computed, cut into
// chunks that any thread claims: [claim, finished, a, ars, acs, b, brs, bcs, c, ldc, m, k, n, overwrite,
// byRows, size, chunks]. The claim word holds the job's generation (upper bits) and the next chunk to
// take (lower CHUNK_BITS bits); a thread takes chunk i by a compare-and-swap from i to i + 1 under the
// generation it read, so a thread that wakes late can never take a chunk of a job that is over, and
// the job's words stay put while any of its chunks is unfinished (the caller starts no new job before
// `finished` reaches `chunks`).
export const SLOT_WORDS = 16;
export const MAX_WORKERS = 15;
export const SPIN_WORD = 0;
/** The first word of the job (see above). */
export const JOB_WORD = (MAX_WORKERS + 1) * SLOT_WORDS;
/** Words of the job. */
export const JOB_WORDS = 24;
/**
 * The job's kind word (job + 14: 1 a product split by rows, 0 by columns) for an optimizer update, whose
 * words are [claim, finished, update index, pointer count, 5 pointers, scalar count, scalars 0 to 3,
 * kind, size, chunks, scalars 4 to 9, elements]; the scalars are float32 bits.
 */
export const UPDATE_JOB = 2;
/** Elements of an optimizer update below which it stays on the calling thread (a chunk then takes a few µs). */
export const MIN_UPDATE_SPLIT = 1 << 16;
/** Generations of the claim word (19 bits, so that the word stays a positive int32). */
const GENERATIONS = 1 << 19;
/**
 * How long (microseconds) an idle worker spins on `Atomics.load` before it sleeps in `Atomics.wait`,
 * by default. Waking a sleeping thread is costly where it matters most: Linux puts the woken worker on
 * the waker's CPU when the other one looks busy (an idle vCPU of a virtual machine does), so the worker
 * preempts the caller and the two halves of a product run one after the other. Workers that are still
 * spinning when the next product comes avoid that, and training loops call products every few
 * milliseconds.
 */
export const DEFAULT_SPIN_US = 10_000;

/** A worker thread that runs `gemm` on a part of a product when its slot's sequence number changes. */
export interface GemmWorker {
  /** Stop the worker (a promise, as Node's, is awaited before its slot is used again). */
  terminate(): unknown;
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
    this.control = workers.length > 0 ? new Int32Array(this.heap.memory.buffer, 0, JOB_WORD + JOB_WORDS) : null;
    this.controlF32 = workers.length > 0 ? new Float32Array(this.heap.memory.buffer, 0, JOB_WORD + JOB_WORDS) : null;
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
    const solo = split !== null && split.parts > 1 && this.lateness.solo > 0 && this.callerTakesChunks;
    if (solo) {
      this.lateness.solo--;
      this.soloProducts++;
      // The stretch is over: wake the workers now, with nothing to do, so that they spin again and the next
      // product finds them running rather than asleep (which would count as late again).
      if (this.lateness.solo === 0 && ctl !== null) {
        Atomics.store(ctl, SPIN_WORD, this.spinUs);
        this.sequence = (this.sequence + 1) | 0;
        for (let t = 1; t <= this.workers.length; t++) {
          Atomics.store(ctl, t * SLOT_WORDS, this.sequence);
          Atomics.notify(ctl, t * SLOT_WORDS);
        }
      }
    }
    if (ctl === null || split === null || split.parts <= 1 || solo) {
      const s = this.heap.scratchOf(0);
      this.gemmKernel(a, ars, acs, b, brs, bcs, c, ldc, m, k, n, s.packA, s.packB, ow);
      return;
    }
    const { parts, byRows, size } = split;
    const job = JOB_WORD;
    // The job's words after claim and finished, in the order the worker reads them (see the layout above).
    ctl.set([a, ars, acs, b, brs, bcs, c, ldc, m, k, n, ow, byRows ? 1 : 0, size, parts], job + 2);
    this.publish(ctl, Math.min(this.workers.length, parts - 1));
    const s = this.heap.scratchOf(0);
    const started = performance.now();
    const own = this.claimChunks(ctl, parts, (i) => {
      const at = i * size;
      if (byRows)
        this.gemmKernel(
          a + at * ars * 4,
          ars,
          acs,
          b,
          brs,
          bcs,
          c + at * ldc * 4,
          ldc,
          Math.min(size, m - at),
          k,
          n,
          s.packA,
          s.packB,
          ow,
        );
      else
        this.gemmKernel(
          a,
          ars,
          acs,
          b + at * bcs * 4,
          brs,
          bcs,
          c + at * 4,
          ldc,
          m,
          k,
          Math.min(size, n - at),
          s.packA,
          s.packB,
          ow,
        );
    });
    const claimed = performance.now();
    this.awaitFinished(ctl, job + 1, parts);
    if (this.callerTakesChunks) {
      this.lateness = nextLateness(this.lateness, {
        ownMs: claimed - started,
        ownChunks: own,
        waitMs: performance.now() - claimed,
        parts,
      });
      // While products stay on this thread, idle workers sleep instead of spinning: a spinning worker
      // would take CPU time from this thread and the other programs that made it late.
      if (this.lateness.solo > 0) Atomics.store(ctl, SPIN_WORD, 0);
    }
  }

  /**
   * Run the optimizer update `opt_<name>` of the kernels module (`name` includes its flags) over `n`
   * elements: `update(...pointers, n, ...scalars)`, in place. A large update on several threads is cut into
   * chunks of whole SIMD vectors that any thread claims, as a product's are, with the same bits as on one
   * thread (each element's arithmetic is the same whichever thread runs it). Pointers of 0 (an absent
   * optional array) stay 0.
   */
  update(name: string, pointers: readonly number[], n: number, scalars: readonly number[]): void {
    const exports = this.exports as unknown as Record<string, (...args: number[]) => void>;
    const fn = exports[`opt_${name}`];
    const ctl = this.control;
    const f32 = this.controlF32;
    const threads = this.workers.length + 1;
    if (ctl === null || f32 === null || n < MIN_UPDATE_SPLIT || (this.lateness.solo > 0 && this.callerTakesChunks)) {
      fn(...pointers, n, ...scalars);
      return;
    }
    const index = this.updateIndex.get(`opt_${name}`) as number;
    const parts = 2 * threads;
    const size = Math.ceil(n / parts / 4) * 4;
    const chunks = Math.ceil(n / size);
    const job = JOB_WORD;
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

  /**
   * Claim chunks of the published job, as the workers do, and `run` each (counting it finished) until none
   * is left, unless tests keep the caller out (`callerTakesChunks`). Returns how many this thread ran.
   */
  private claimChunks(ctl: Int32Array, chunks: number, run: (chunk: number) => void): number {
    const job = JOB_WORD;
    let own = 0;
    while (this.callerTakesChunks) {
      const claim = Atomics.load(ctl, job);
      const i = claim & ((1 << CHUNK_BITS) - 1);
      if (i >= chunks) break;
      if (Atomics.compareExchange(ctl, job, claim, claim + 1) !== claim) continue;
      run(i);
      Atomics.add(ctl, job + 1, 1);
      own++;
    }
    return own;
  }

  /**
   * Publish the job whose words are written (its finished count reset, a new generation in the claim word,
   * which makes the other words visible to whoever claims a chunk), and wake `helpers` workers.
   */
  private publish(ctl: Int32Array, helpers: number): void {
    const job = JOB_WORD;
    Atomics.store(ctl, job + 1, 0);
    this.generation = (this.generation + 1) % GENERATIONS;
    Atomics.store(ctl, job, this.generation << CHUNK_BITS);
    this.sequence = (this.sequence + 1) | 0;
    const seq = this.sequence;
    for (let t = 1; t <= helpers; t++) {
      Atomics.store(ctl, t * SLOT_WORDS, seq);
      Atomics.notify(ctl, t * SLOT_WORDS);
    }
  }

  /**
   * Spin until `ctl[at]` (the job's finished chunks) is `parts`: the chunks still running were claimed
   * by threads that run, so this is short; past the spin time, sleep in `Atomics.wait` where this thread may.
   */
  private awaitFinished(ctl: Int32Array, at: number, parts: number): void {
    if (Atomics.load(ctl, at) === parts) return;
    const until = performance.now() + this.spinUs / 1000;
    let i = 0;
    for (;;) {
      const done = Atomics.load(ctl, at);
      if (done === parts) return;
      if (this.blocking && (++i & 255) === 0 && performance.now() > until) Atomics.wait(ctl, at, done, 1);
    }
  }
}
