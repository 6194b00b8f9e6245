import type { TypedArray } from '../../dtype';
import { MATMUL_FMA_PARAMS, MATMUL_PARAMS } from './module.generated';

const PAGE = 65536;

// The plain and the relaxed-SIMD gemm share their block sizes; only the register tile differs.
const TILE_FLOATS = Math.max(MATMUL_PARAMS.MR * MATMUL_PARAMS.NR, MATMUL_FMA_PARAMS.MR * MATMUL_FMA_PARAMS.NR);

/** Bytes of one thread's matmul scratch: the packed A block, the packed B block and an edge tile. */
export const MATMUL_SCRATCH_BYTES = align(
  (MATMUL_PARAMS.MC * MATMUL_PARAMS.KC + MATMUL_PARAMS.KC * MATMUL_PARAMS.NC + TILE_FLOATS) * 4,
);

/** The largest operand area the backend uses (1 GiB); bigger products stay on the cpu kernel. */
export const MAX_OPERAND_BYTES = 1 << 30;

/** Where one thread's matmul scratch lives in wasm memory (byte addresses). */
export interface MatmulScratch {
  readonly packA: number;
  /** The packed B block, followed by the edge-tile scratch (the gemm finds it there). */
  readonly packB: number;
}

/** Bytes at the start of memory kept for the worker threads' control block. */
const CONTROL_BYTES = 2048;

/** The smallest block the allocator hands out (and the alignment of every block). */
const MIN_BLOCK = 64;

function align(bytes: number): number {
  return Math.ceil(bytes / 64) * 64;
}

/** The size class of a request: blocks are powers of two from {@link MIN_BLOCK} bytes. */
function sizeClass(bytes: number): number {
  if (bytes <= MIN_BLOCK) return MIN_BLOCK;
  // The next power of two from the leading zeros of bytes - 1, not through log2: this runs on every
  // allocation and release, and with it a pooled tensor's allocation and disposal took 0.9 µs instead of
  // 1.9 (measured here). Past 2^31 bytes, which int32 bits cannot hold, through log2.
  return bytes <= 2 ** 31 ? (1 << (32 - Math.clz32(bytes - 1))) >>> 0 : 2 ** Math.ceil(Math.log2(bytes));
}

/**
 * The wasm backend's memory: one `WebAssembly.Memory` holding the worker threads' control block, one
 * matmul scratch area per thread, an operand arena for kernels whose operands live in JavaScript
 * memory, and the blocks of arrays that live in wasm memory (see {@link WasmHeap.alloc}).
 *
 * Blocks come in power-of-two size classes; a freed block goes to its class's free list and the next
 * request of that class reuses it, so a training loop that allocates the same shapes every step stops
 * growing the memory after its first step. The memory only grows; a shared memory (the default where
 * `SharedArrayBuffer` exists) keeps every view valid when it grows, a non-shared one does not, so
 * arrays are only placed in a shared memory ({@link WasmHeap.resident}).
 */
export class WasmHeap {
  readonly memory: WebAssembly.Memory;
  /** Whether arrays may live here: only in a shared memory, whose views survive `grow`. */
  readonly resident: boolean;
  private top: number;
  private readonly free = new Map<number, number[]>();
  private readonly scratch: MatmulScratch[] = [];
  private readonly buffers = new Set<ArrayBufferLike>();
  private arenaPtr = 0;
  private arenaBytes = 0;
  private liveBytes = 0;
  private f32View: Float32Array;
  /** The memory's current buffer (f32View's), kept in a field: a typed array's `buffer` getter is not free. */
  private current: ArrayBufferLike;

  constructor(memory: WebAssembly.Memory, threads: number, shared: boolean) {
    this.memory = memory;
    this.resident = shared;
    this.top = CONTROL_BYTES;
    this.buffers.add(memory.buffer);
    this.f32View = new Float32Array(memory.buffer);
    this.current = this.f32View.buffer;
    this.setThreads(threads);
  }

  /** Make sure there is matmul scratch for `threads` threads (scratch is never given back). */
  setThreads(threads: number): void {
    while (this.scratch.length < threads) {
      const packA = this.alloc(MATMUL_SCRATCH_BYTES);
      const packB = packA + align(MATMUL_PARAMS.MC * MATMUL_PARAMS.KC * 4);
      this.scratch.push({ packA, packB });
    }
  }

  /** The scratch area of thread `t` (0 is the calling thread). */
  scratchOf(t: number): MatmulScratch {
    return this.scratch[t];
  }

  /** The number of threads this heap has scratch for. */
  get threads(): number {
    return this.scratch.length;
  }

  /**
   * Reserve `bytes` of operand space and return its byte address (64-byte aligned). The space is
   * only valid until the next call: every kernel call that copies its operands in reuses it.
   */
  arena(bytes: number): number {
    if (bytes > this.arenaBytes) {
      if (this.arenaBytes > 0) this.release(this.arenaPtr, this.arenaBytes);
      this.arenaBytes = sizeClass(bytes);
      this.arenaPtr = this.alloc(this.arenaBytes);
    }
    return this.arenaPtr;
  }

  /**
   * A block of at least `bytes` bytes (64-byte aligned, contents undefined); give it back with
   * {@link WasmHeap.release} and the same byte count.
   */
  alloc(bytes: number): number {
    const cls = sizeClass(bytes);
    this.liveBytes += cls;
    const list = this.free.get(cls);
    if (list !== undefined && list.length > 0) return list.pop() as number;
    const ptr = this.top;
    this.top += cls;
    this.ensure(this.top);
    return ptr;
  }

  /** Give back a block from {@link WasmHeap.alloc} (`bytes` as requested then). */
  release(ptr: number, bytes: number): void {
    const cls = sizeClass(bytes);
    this.liveBytes -= cls;
    let list = this.free.get(cls);
    if (list === undefined) {
      list = [];
      this.free.set(cls, list);
    }
    list.push(ptr);
  }

  /**
   * The byte address of `arr` when it is a view into this memory, else -1: kernels use arrays that
   * live here in place and copy the others into the {@link WasmHeap.arena}.
   */
  pointerOf(arr: TypedArray): number {
    const buffer = arr.buffer;
    // NOTE: reading memory.buffer costs ~45 ns on Node 20; only ensure() grows the memory, so the
    // current buffer object is the view's.
    if (buffer === this.current || this.buffers.has(buffer)) return arr.byteOffset;
    return -1;
  }

  /** A float32 view of the whole memory (replaced when the memory grows). */
  get f32(): Float32Array {
    return this.f32View;
  }

  /** Bytes of wasm memory in use (its current size). */
  get byteLength(): number {
    return this.memory.buffer.byteLength;
  }

  /** Bytes in blocks currently handed out (scratch and arena included). */
  get allocatedBytes(): number {
    return this.liveBytes;
  }

  private ensure(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes > have) {
      // Grow by at least a quarter (and 1 MiB): few grow calls, each of which makes a new buffer object.
      const pages = Math.max(Math.ceil((bytes - have) / PAGE), Math.ceil(have / 4 / PAGE), 16);
      this.memory.grow(pages);
      // A shared memory's views stay valid after growing; remember its new buffer object as well.
      this.buffers.add(this.memory.buffer);
      this.f32View = new Float32Array(this.memory.buffer);
      this.current = this.f32View.buffer;
    }
  }
}

/** Round a byte count up to the 64-byte alignment the arena uses between operands. */
export function alignBytes(bytes: number): number {
  return align(bytes);
}
