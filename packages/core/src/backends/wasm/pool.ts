import type { DType, TypedArray } from '../../dtype';
import { getBackend } from '../../kernels/registry';
import { type BufferPool, inScope } from '../../lifetime';
import type { WasmHeap } from './memory';

/** Arrays smaller than this (elements) stay in JavaScript memory: for them a block costs more than it saves. */
export const MIN_POOLED_ELEMENTS = 256;

/** The default cap on the bytes of tensor blocks (1 GiB); past it new tensors use JavaScript memory. */
export const DEFAULT_POOL_LIMIT_BYTES = 1 << 30;

/**
 * The default cap on blocks for arrays allocated outside any `tidy` scope (64 MiB): enough for the
 * parameters and optimizer state a program creates first, while the temporaries of a loop without
 * `tidy`, which only the garbage collector frees, soon go to JavaScript memory instead.
 */
export const DEFAULT_UNSCOPED_LIMIT_BYTES = 64 << 20;

/** At most this many blocks wait for their finalizer registration (see `WasmBufferPool.scopesClosed`). */
const MAX_UNREGISTERED = 1024;

interface Block {
  readonly ptr: number;
  readonly bytes: number;
  readonly token: object;
  refs: number;
  /** False once the block went back to the heap. */
  live: boolean;
}

/**
 * Tensor memory of the wasm backend: float32 arrays of 256 elements or more that `allocate()` creates
 * while the `wasm` backend is active are views into the backend's shared WebAssembly memory, so its
 * kernels read and write them in place, with no copy per op.
 *
 * A block goes back to the heap's free lists (and is reused by the next array of its size class)
 * when the last tensor over it is disposed ({@link Tensor.dispose}, the end of a `tidy`), or when the
 * garbage collector has collected its array (a FinalizationRegistry, which runs between tasks, so
 * never inside a synchronous loop). The pool never holds more than `limit` bytes of blocks, and
 * outside `tidy` scopes no more than `unscopedLimit`: past them, arrays come from ordinary JavaScript
 * memory (kernels then copy them), so memory stays bounded even when nothing is disposed.
 *
 * Registering an array with the FinalizationRegistry costs about 0.5 µs, as much as a small op, and
 * most arrays made inside a scope are disposed when it ends: those wait (strongly held, at most
 * {@link MAX_UNREGISTERED} of them) until the outermost scope closes, and only the ones still in use
 * then (returned from it, kept, a gradient) are registered.
 */
export class WasmBufferPool implements BufferPool {
  private readonly heap: WasmHeap;
  private readonly blocks = new Map<number, Block>();
  private readonly registry: FinalizationRegistry<number>;
  limit: number;
  unscopedLimit: number;
  /** Bytes in tensor blocks now (not counting the kernels' scratch and arena). */
  pooledBytes = 0;
  /** Arrays handed out inside a scope and not yet registered with the finalizer, and their blocks. */
  private readonly unregistered: TypedArray[] = [];
  private readonly unregisteredBlocks: Block[] = [];

  constructor(heap: WasmHeap, limit = DEFAULT_POOL_LIMIT_BYTES, unscopedLimit = DEFAULT_UNSCOPED_LIMIT_BYTES) {
    this.heap = heap;
    this.limit = limit;
    this.unscopedLimit = unscopedLimit;
    this.registry = new FinalizationRegistry((ptr: number) => this.free(ptr));
  }

  allocate(dtype: DType, size: number, zeroed = true): TypedArray | null {
    if (dtype !== 'float32' || size < MIN_POOLED_ELEMENTS || getBackend() !== 'wasm') return null;
    const bytes = size * 4;
    if (this.pooledBytes + bytes > (inScope() ? this.limit : this.unscopedLimit)) return null;
    const ptr = this.heap.alloc(bytes);
    const array = new Float32Array(this.heap.f32.buffer, ptr, size);
    if (zeroed) array.fill(0); // a reused block holds an earlier tensor's values
    const block: Block = { ptr, bytes, token: {}, refs: 0, live: true };
    this.blocks.set(ptr, block);
    if (inScope() && this.unregistered.length < MAX_UNREGISTERED) {
      this.unregistered.push(array);
      this.unregisteredBlocks.push(block);
    } else this.registry.register(array, ptr, block.token);
    this.pooledBytes += bytes;
    return array;
  }

  /**
   * Once no scope is open: register with the finalizer the arrays handed out inside scopes that are still
   * in use (a tensor returned from the scope or kept, a gradient); those disposed meanwhile gave their
   * blocks back.
   */
  scopesClosed(): void {
    const arrays = this.unregistered;
    const blocks = this.unregisteredBlocks;
    for (let i = 0; i < arrays.length; i++) {
      const block = blocks[i];
      // still handed out: the map has this very block (a block given back and handed out again is a new one)
      if (block.live) this.registry.register(arrays[i], block.ptr, block.token);
    }
    arrays.length = 0;
    blocks.length = 0;
  }

  retain(data: TypedArray): void {
    const block = this.blockOf(data);
    if (block !== undefined) block.refs++;
  }

  release(data: TypedArray): void {
    const block = this.blockOf(data);
    if (block === undefined) return;
    if (--block.refs <= 0) {
      this.registry.unregister(block.token);
      this.free(data.byteOffset);
    }
  }

  owns(data: TypedArray): boolean {
    return this.blockOf(data) !== undefined;
  }

  /** The number of tensor blocks handed out and not yet given back. */
  get liveBlocks(): number {
    return this.blocks.size;
  }

  private blockOf(data: TypedArray): Block | undefined {
    if (data.length < MIN_POOLED_ELEMENTS) return undefined;
    const ptr = this.heap.pointerOf(data);
    if (ptr < 0) return undefined;
    const block = this.blocks.get(ptr);
    return block !== undefined && block.bytes === data.byteLength ? block : undefined;
  }

  private free(ptr: number): void {
    const block = this.blocks.get(ptr);
    if (block === undefined) return;
    this.blocks.delete(ptr);
    block.live = false;
    this.pooledBytes -= block.bytes;
    this.heap.release(ptr, block.bytes);
  }
}
