// The layout of the worker threads' control block in the shared memory, and the constants of the
// hand-over protocol, shared by the runtime (runtime.ts) and the worker loop (worker-source.ts), and the
// interfaces of the kernels module and of a worker.

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
    bias: number,
    relu: number,
  ): void;
}

/** A worker thread that runs `gemm` on a part of a product when its slot's sequence number changes. */
export interface GemmWorker {
  /** Stop the worker (a promise, as Node's, is awaited before its slot is used again). */
  terminate(): unknown;
}

// The control block of the worker threads lives at the start of the (shared) memory, below the
// scratch areas: 16 slots of 16 int32, then the job. Slot t (1 to 15) belongs to worker t: [sequence,
// chunks it ran, 11 unused words, its packA and packB scratch addresses, unused]. Slot 0 is shared: word
// SPIN_WORD holds how long idle threads spin (µs), and word t (1 to 15) counts the times worker t fell
// asleep and had to be woken. The job (from word JOB_WORD) is the product being computed, cut into
// chunks that any thread claims: [claim, finished, a, ars, acs, b, brs, bcs, c, ldc, m, k, n, overwrite,
// byRows, size, chunks, bias, relu] (bias: the address of the n floats added to C's columns, or 0). The claim word holds the job's generation (upper bits) and the next chunk to
// take (lower CHUNK_BITS bits); a thread takes chunk i by a compare-and-swap from i to i + 1 under the
// generation it read, so a thread that wakes late can never take a chunk of a job that is over, and
// the job's words stay put while any of its chunks is unfinished (the caller starts no new job before
// `finished` reaches `chunks`, and closes the claim word of the job that is over before it writes the
// next one: WasmRuntime.closeJob).
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
/**
 * The job's kind word for a sliced call ({@link WasmRuntime.sliced}), whose descriptor follows the job from
 * word SLICE_WORD: [function index, argument count, index of the count argument, units, the arguments
 * (MAX_SLICE_ARGS words), their strides per unit (MAX_SLICE_ARGS words)].
 */
export const SLICE_JOB = 3;
export const SLICE_WORD = JOB_WORD + JOB_WORDS;
export const MAX_SLICE_ARGS = 20;
/** Words of the control block the threads read: the slots, the job and the sliced call's descriptor. */
export const CONTROL_WORDS = SLICE_WORD + 4 + 2 * MAX_SLICE_ARGS;
/** Elements a chunk of a sliced call must touch (about 20 µs of data movement) to be handed to another thread. */
export const MIN_SLICE_WORK = 1 << 16;
/** The kernels a sliced call can run: the exports with these prefixes, numbered in the order of their sorted names. */
export const SLICE_PREFIXES = ['conv_', 'pool_'];
/** Generations of the claim word (19 bits, so that the word stays a positive int32). */
export const GENERATIONS = 1 << 19;
/**
 * How long (microseconds) an idle worker spins on `Atomics.load` before it sleeps in `Atomics.wait`,
 * by default. Waking a sleeping thread is costly where it matters most: Linux puts the woken worker on
 * the waker's CPU when the other one looks busy (an idle vCPU of a virtual machine does), so the worker
 * preempts the caller and the two halves of a product run one after the other. Workers that are still
 * spinning when the next product comes avoid that, and training loops call products every few
 * milliseconds.
 */
export const DEFAULT_SPIN_US = 10_000;
