// How the wasm backend shares one product between threads: the chunks it is cut into (splitProduct) and
// when the calling thread keeps products to itself because a worker was late (nextLateness). Pure
// functions and constants, used by runtime.ts (which runs the chunks) and by its tests.
import { MATMUL_PARAMS } from './module.generated';

/** Bits of the claim word that count chunks (at most 4095 chunks a product). */
export const CHUNK_BITS = 12;

/**
 * Chunks a product is cut into per thread, when it has the work and the register tiles for them: more
 * chunks than threads let a thread that runs sooner or faster take over the share of one that is
 * late (descheduled on a busy machine, or still waking up), at the cost of packing the operand that
 * is not split once more per chunk.
 */
export const CHUNKS_PER_THREAD = 2;

/**
 * Products with fewer multiply-adds than this get one chunk a thread, not {@link CHUNKS_PER_THREAD}
 * (see {@link splitProduct}): in them the extra packing of a second chunk costs more than the balance it
 * buys. Measured on the MLP step's 128 x 256 x 128 product (4.2 M multiply-adds) on 2 threads: 1.29x
 * the 1-thread rate with 4 chunks, the step 1.51x faster than on 1 thread with 4 chunks in its
 * mid-sized products and 1.59x with 2.
 */
export const SHARED_PRODUCT_WORK = 16_000_000;

/**
 * Multiply-adds one chunk of a split product must have (about 20 µs of work) to pay for handing it to
 * another thread; smaller products run on the calling thread.
 */
export const MIN_PART_WORK = 400_000;

/**
 * When the threads of a product are late, and for how long products then stay on the calling thread:
 * `solo` products to go, and `backoff`, the length of the next such stretch.
 */
export interface LatenessState {
  solo: number;
  backoff: number;
}

/** The first and the longest stretch of products kept on the calling thread after a late worker. */
export const SOLO_BACKOFF = { first: 8, max: 1024 } as const;

/**
 * The lateness policy of split products. The workers were late for a product when its caller, having
 * run every chunk it could claim, waited for a chunk still running elsewhere for longer than one of its
 * own chunks took (plus 50 µs for a wake-up: a worker descheduled mid-chunk by another program), or
 * when the product took at least 90% of the time the caller alone would have needed at its own pace
 * (`parts` of its chunks: the workers barely helped). The next `backoff` products then run on the
 * calling thread alone (the workers stop spinning and sleep, leaving the cores to the caller and the
 * other programs), and the next stretch doubles, up to {@link SOLO_BACKOFF}.max; a product on time
 * halves it. Pure, for the runtime and its tests.
 *
 * @example
 * ```ts
 * nextLateness({ solo: 0, backoff: 8 }, { ownMs: 0.2, ownChunks: 2, waitMs: 5, parts: 4 }); // { solo: 8, backoff: 16 }
 * ```
 */
export function nextLateness(
  state: LatenessState,
  product: { ownMs: number; ownChunks: number; waitMs: number; parts: number },
): LatenessState {
  const perChunk = product.ownChunks > 0 ? product.ownMs / product.ownChunks : product.ownMs;
  const noGain = product.ownChunks > 0 && product.ownMs + product.waitMs >= 0.9 * perChunk * product.parts;
  if (product.waitMs > perChunk + 0.05 || noGain)
    return { solo: state.backoff, backoff: Math.min(SOLO_BACKOFF.max, state.backoff * 2) };
  return { solo: 0, backoff: Math.max(SOLO_BACKOFF.first, state.backoff >> 1) };
}

/** The register tile of a gemm: MR rows by NR columns of C per micro-kernel call. */
export interface RegisterTile {
  readonly MR: number;
  readonly NR: number;
}

/** How one product is split: `parts` chunks along rows (`byRows`) or columns, `size` rows or columns each. */
export interface Split {
  parts: number;
  byRows: boolean;
  size: number;
}

/**
 * Split an `m x k · k x n` product into chunks for `threads` threads: up to `perThread` chunks a thread
 * ({@link CHUNKS_PER_THREAD}) for a product of at least {@link SHARED_PRODUCT_WORK} multiply-adds, one a
 * thread for a smaller one; the threads claim them one at a time (so a chunk whose thread has not started
 * yet is taken by another). Each chunk packs the whole of the operand that is not split, so the split
 * goes along the larger of `m` and `n` (splitting rows repeats the packing of B, splitting columns that
 * of A); chunks are whole register tiles (MR rows or NR columns) and each has at least
 * {@link MIN_PART_WORK} multiply-adds, else there are fewer.
 */
export function splitProduct(
  m: number,
  k: number,
  n: number,
  threads: number,
  tile: RegisterTile = MATMUL_PARAMS,
  perThread = CHUNKS_PER_THREAD,
): Split {
  const { MR, NR } = tile;
  if (threads <= 1) return { parts: 1, byRows: true, size: m };
  if (m * n * k < SHARED_PRODUCT_WORK) perThread = 1;
  const work = Math.min(threads * perThread, (1 << CHUNK_BITS) - 1, Math.floor((m * n * k) / MIN_PART_WORK));
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
