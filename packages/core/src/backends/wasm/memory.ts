import { MATMUL_PARAMS } from './module.generated';

const PAGE = 65536;

/** Bytes of one thread's matmul scratch: the packed A block, the packed B block and an edge tile. */
export const MATMUL_SCRATCH_BYTES = align(
  (MATMUL_PARAMS.MC * MATMUL_PARAMS.KC + MATMUL_PARAMS.KC * MATMUL_PARAMS.NC + MATMUL_PARAMS.MR * MATMUL_PARAMS.NR) * 4,
);

/** The largest operand area the backend uses (1 GiB); bigger products stay on the cpu kernel. */
export const MAX_OPERAND_BYTES = 1 << 30;

/** Where one thread's matmul scratch lives in wasm memory (byte addresses). */
export interface MatmulScratch {
  readonly packA: number;
  readonly packB: number;
  readonly tile: number;
}

function align(bytes: number): number {
  return Math.ceil(bytes / 64) * 64;
}

/**
 * The wasm backend's memory: one `WebAssembly.Memory` laid out as a fixed scratch area per thread
 * (packed panels) followed by one operand arena. Kernels run one at a time and copy their operands
 * in and their result out, so the arena is reused by every call: it is grown to the largest call seen
 * and never beyond, which bounds memory over a training run by its largest product.
 */
export class WasmHeap {
  readonly memory: WebAssembly.Memory;
  private readonly arenaStart: number;
  private readonly scratch: MatmulScratch[] = [];
  private f32View: Float32Array;

  constructor(memory: WebAssembly.Memory, threads: number) {
    this.memory = memory;
    let offset = 1024;
    for (let t = 0; t < threads; t++) {
      const packA = offset;
      const packB = packA + align(MATMUL_PARAMS.MC * MATMUL_PARAMS.KC * 4);
      const tile = packB + align(MATMUL_PARAMS.KC * MATMUL_PARAMS.NC * 4);
      this.scratch.push({ packA, packB, tile });
      offset += MATMUL_SCRATCH_BYTES + 64;
    }
    this.arenaStart = align(offset);
    this.ensure(this.arenaStart);
    this.f32View = new Float32Array(memory.buffer);
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
   * only valid until the next call: every kernel call starts again at the same address.
   */
  arena(bytes: number): number {
    this.ensure(this.arenaStart + bytes);
    return this.arenaStart;
  }

  /** A float32 view of the whole memory (refreshed after the memory grew). */
  get f32(): Float32Array {
    if (this.f32View.buffer !== this.memory.buffer || this.f32View.length * 4 !== this.memory.buffer.byteLength)
      this.f32View = new Float32Array(this.memory.buffer);
    return this.f32View;
  }

  /** Bytes of wasm memory in use (its current size). */
  get byteLength(): number {
    return this.memory.buffer.byteLength;
  }

  private ensure(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes > have) this.memory.grow(Math.ceil((bytes - have) / PAGE));
  }
}

/** Round a byte count up to the 64-byte alignment the arena uses between operands. */
export function alignBytes(bytes: number): number {
  return align(bytes);
}
