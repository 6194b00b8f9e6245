// How the wasm backend's kernels reach their float32 operands: arrays that live in wasm memory are used
// in place, the others are copied into the operand arena (and the written ones copied back after).
import type { TypedArray } from '../../dtype';
import { alignBytes, MAX_OPERAND_BYTES, type WasmHeap } from './memory';

/** One operand of a kernel call: its array (null when absent), whether it is read, whether it is written. */
export interface Operand {
  arr: Float32Array | null;
  read: boolean;
  write: boolean;
}

/**
 * The byte addresses of a call's float32 operands in wasm memory: arrays that live there are used in
 * place, the others (and `scratch` bytes, returned last) are placed in the arena, read ones copied in.
 * Null when they do not fit. After the call, {@link copyBack} copies the written ones out.
 */
export function placeOperands(heap: WasmHeap, ops: Operand[], scratch: number): number[] | null {
  const ptrs: number[] = [];
  let bytes = 0;
  const offsets: number[] = [];
  for (const op of ops) {
    const p = op.arr === null ? 0 : heap.pointerOf(op.arr);
    ptrs.push(p);
    offsets.push(bytes);
    if (op.arr !== null && p < 0) bytes += alignBytes(op.arr.length * 4);
  }
  if (bytes + scratch > MAX_OPERAND_BYTES) return null;
  const at = bytes + scratch > 0 ? heap.arena(bytes + scratch) : 0;
  const f32 = heap.f32;
  for (let i = 0; i < ops.length; i++) {
    const arr = ops[i].arr;
    if (arr === null || ptrs[i] >= 0) continue;
    ptrs[i] = at + offsets[i];
    if (ops[i].read) f32.set(arr, ptrs[i] >> 2);
  }
  ptrs.push(at + bytes);
  return ptrs;
}

/** Copy the written operands that were placed in the arena back into their arrays. */
export function copyBack(heap: WasmHeap, ops: Operand[], ptrs: number[]): void {
  const f32 = heap.f32;
  for (let i = 0; i < ops.length; i++) {
    const arr = ops[i].arr;
    if (arr === null || !ops[i].write || heap.pointerOf(arr) >= 0) continue;
    arr.set(f32.subarray(ptrs[i] >> 2, (ptrs[i] >> 2) + arr.length));
  }
}

export const isF32 = (a: TypedArray | null): a is Float32Array | null => a === null || a instanceof Float32Array;
