import { DTypeError } from './errors';
import { getBackend } from './kernels/registry';
import { getBufferPool } from './lifetime';

/**
 * The element types a {@link Tensor} can hold: `float32` (default), `float64`, `int32` for indices and
 * labels, and the half-precision storage types `float16` (IEEE 754 binary16: 5 exponent bits, 10
 * mantissa bits, largest finite 65504, subnormals down to 2^-24) and `bfloat16` (brain float: float32's
 * 8 exponent bits with 7 mantissa bits), like PyTorch's `torch.float16` and `torch.bfloat16`.
 *
 * A half tensor STORES its elements as 16-bit patterns: its {@link Tensor.values} is a `Uint16Array`
 * of bit patterns (not numbers), while `item()`, `toArray()` and printing decode them. Arithmetic on
 * half tensors upcasts them to float32, computes in float32, and rounds the result back to the half
 * dtype (round to nearest, ties to even), like PyTorch's CPU half ops: half storage saves memory, not
 * time (every op pays a decode and an encode pass). See the guide's "Half precision storage" section.
 *
 * @example
 * ```ts
 * const h = tensor([1, 2.5, 70000], { dtype: 'float16' });
 * h.toArray(); // [1, 2.5, Infinity] (70000 overflows float16)
 * h.values; // Uint16Array [0x3c00, 0x4100, 0x7c00]
 * ```
 */
export type DType = 'float32' | 'float64' | 'int32' | 'float16' | 'bfloat16';

/** The typed array that backs a tensor of any dtype (a `Uint16Array` of bit patterns for float16 and bfloat16). */
export type TypedArray = Float32Array | Float64Array | Int32Array | Uint16Array;

/** Every dtype nabla knows (the half types first; see {@link promoteTypes} for the promotion rules). */
export const DTYPES: readonly DType[] = ['int32', 'float16', 'bfloat16', 'float32', 'float64'];

/**
 * Whether `dtype` is one of the 16-bit storage types, `float16` or `bfloat16`.
 *
 * @example
 * ```ts
 * isHalfDType('bfloat16'); // true
 * isHalfDType('float32'); // false
 * ```
 */
export function isHalfDType(dtype: DType): dtype is 'float16' | 'bfloat16' {
  return dtype === 'float16' || dtype === 'bfloat16';
}

/**
 * Small arrays (more than 64 and at most 1024 bytes) are views into shared 8 KB slabs: V8 keeps typed
 * arrays of up to 64 bytes on its heap, but gives every larger one its own ArrayBuffer and backing
 * store, which costs about 600 ns, more than an op on 64 floats (a view on an existing buffer: 30-100
 * ns). Slabs are bump-allocated and never reused, so every array starts zeroed, and a slab is freed by
 * the GC once none of its arrays is reachable; a long-lived small array keeps at most its 8 KB slab.
 * While the wasm backend is active, arrays of 64 bytes or less come from slabs too:
 * its kernels read `buffer` of every operand to find whether it is in wasm memory, and reading `buffer`
 * of an array kept on V8's heap moves it to a backing store of its own (about 1 µs).
 */
const SLAB_BYTES = 8192;
const SLAB_MIN_BYTES = 65;
/** The smallest array from a slab while the wasm backend is active. */
const SLAB_MIN_BYTES_POOLED = 1;
const SLAB_MAX_BYTES = 1024;
let slab = new ArrayBuffer(SLAB_BYTES);
let slabUsed = 0;

/** Reserve `bytes` in the current slab (a new one when it is full): the offset, in {@link slab}. */
function fromSlab(bytes: number): number {
  if (slabUsed + bytes > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    slabUsed = 0;
  }
  const at = slabUsed;
  slabUsed = (at + bytes + 7) & ~7; // 8-byte aligned, for Float64Array views
  return at;
}

/**
 * Allocate a zero-filled typed array of `size` elements for `dtype`. With the wasm backend active, large
 * float32 arrays are views into its WebAssembly memory (see `initWasmBackend`); small arrays (65 to
 * 1024 bytes) are views into shared slabs, so that allocating one costs no more than a small op. The
 * result may therefore not start at byte 0 of its `buffer`: use `byteOffset` and `byteLength`.
 *
 * With `zeroed: false` the contents are unspecified (a reused wasm block keeps old values): for
 * kernels that write every element of their output, which then skip a pass over it.
 *
 * @example
 * ```ts
 * allocate('float64', 3); // Float64Array [0, 0, 0]
 * ```
 */
export function allocate(dtype: DType, size: number, zeroed = true): TypedArray {
  if (allocationObserver === null) return allocateArray(dtype, size, zeroed);
  const array = allocateArray(dtype, size, zeroed);
  allocationObserver(array, zeroed);
  return array;
}

let allocationObserver: ((array: TypedArray, zeroed: boolean) => void) | null = null;

/**
 * Install (or with `null`, remove) what `allocate()` tells of every array it hands out; used by
 * `capture()`, which zeroes the zeroed ones again on every replay and keeps their memory.
 *
 * @internal
 */
export function setAllocationObserver(next: ((array: TypedArray, zeroed: boolean) => void) | null): void {
  allocationObserver = next;
}

function allocateArray(dtype: DType, size: number, zeroed: boolean): TypedArray {
  const pool = getBufferPool();
  let slabMin = SLAB_MIN_BYTES;
  if (pool !== null) {
    const pooled = pool.allocate(dtype, size, zeroed);
    if (pooled !== null) return pooled;
    if (getBackend() === 'wasm') slabMin = SLAB_MIN_BYTES_POOLED;
  }
  switch (dtype) {
    case 'float32':
      if (size * 4 >= slabMin && size * 4 <= SLAB_MAX_BYTES) {
        const at = fromSlab(size * 4);
        return new Float32Array(slab, at, size);
      }
      return new Float32Array(size);
    case 'float64':
      if (size * 8 >= slabMin && size * 8 <= SLAB_MAX_BYTES) {
        const at = fromSlab(size * 8);
        return new Float64Array(slab, at, size);
      }
      return new Float64Array(size);
    case 'int32':
      if (size * 4 >= slabMin && size * 4 <= SLAB_MAX_BYTES) {
        const at = fromSlab(size * 4);
        return new Int32Array(slab, at, size);
      }
      return new Int32Array(size);
    case 'float16':
    case 'bfloat16':
      if (size * 2 >= slabMin && size * 2 <= SLAB_MAX_BYTES) {
        const at = fromSlab(size * 2);
        return new Uint16Array(slab, at, size);
      }
      return new Uint16Array(size);
    default:
      throw new DTypeError(`allocate: unknown dtype ${JSON.stringify(dtype)}; expected one of ${DTYPES.join(', ')}`);
  }
}

/**
 * Whether `dtype` is a floating-point dtype (the only kind that can require gradients).
 *
 * @example
 * ```ts
 * isFloatingDType('float32'); // true
 * isFloatingDType('int32'); // false
 * ```
 */
export function isFloatingDType(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float64' || dtype === 'float16' || dtype === 'bfloat16';
}

/**
 * The dtype of a binary op's result, following PyTorch's promotion: int32 < float16, bfloat16 <
 * float32 < float64, where float16 with bfloat16 gives float32 (neither holds the other), and an
 * integer with a half type keeps the half type.
 *
 * Ops apply it to the dtypes of their inputs with PyTorch's exception for 0-d tensors (see `applyOp`): a
 * 0-d float tensor (or a number) does not promote a dimensioned float tensor, so `tensor([1, 2]).mul(
 * tensor(0.1, { dtype: 'float64' }))` is float32 and a half tensor times a 0-d float32 tensor stays half.
 * A 0-d float tensor does promote a dimensioned int32 one: int32 with a 0-d float64 tensor gives float64.
 *
 * @example
 * ```ts
 * promoteTypes('int32', 'float32'); // 'float32'
 * promoteTypes('float16', 'float32'); // 'float32'
 * promoteTypes('float16', 'bfloat16'); // 'float32'
 * promoteTypes('int32', 'bfloat16'); // 'bfloat16'
 * ```
 */
export function promoteTypes(a: DType, b: DType): DType {
  if (a === b) return a;
  if (isHalfDType(a) && isHalfDType(b)) return 'float32';
  return DTYPES.indexOf(a) >= DTYPES.indexOf(b) ? a : b;
}

/**
 * The dtype a typed array holds. A `Uint16Array` is ambiguous (float16 or bfloat16 bit patterns): it
 * reports `float16`; pass the dtype explicitly for bfloat16.
 */
export function dtypeOfArray(data: TypedArray): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Uint16Array) return 'float16';
  return 'int32';
}

/**
 * Whether `data` is the kind of typed array that backs a tensor of `dtype` (a `Uint16Array` backs both
 * half types).
 *
 * @example
 * ```ts
 * arrayMatchesDType(new Uint16Array(2), 'bfloat16'); // true
 * arrayMatchesDType(new Float32Array(2), 'float64'); // false
 * ```
 */
export function arrayMatchesDType(data: TypedArray, dtype: DType): boolean {
  if (isHalfDType(dtype)) return data instanceof Uint16Array;
  return dtypeOfArray(data) === dtype;
}

/** Throw unless `dtype` is one of nabla's dtypes; `fn` and `arg` name the caller in the message. */
export function checkDType(fn: string, arg: string, dtype: unknown): DType {
  if (dtype === 'float32' || dtype === 'float64' || dtype === 'int32' || dtype === 'float16' || dtype === 'bfloat16')
    return dtype;
  throw new DTypeError(`${fn}: ${arg} must be one of ${DTYPES.join(', ')}, got ${JSON.stringify(dtype)}`);
}
