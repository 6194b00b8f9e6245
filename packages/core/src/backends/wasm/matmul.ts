import type { TypedArray } from '../../dtype';
import { linearForwardKernel } from '../../kernels/cpu/linear';
import { matmulKernel } from '../../kernels/cpu/matmul';
import { alignBytes, MAX_OPERAND_BYTES } from './memory';
import type { WasmRuntime } from './runtime';

// Below this many multiply-adds the three copies and the call cost more than the product itself.
const MIN_WORK = 2048;

/**
 * `C (+)= op(A)·op(B)` on the SIMD gemm, then with `bias` its n floats added to C's columns and with
 * `relu` ReLU applied, as each tile is finished; false (nothing done) when the cpu kernel has to run:
 * arrays that are not all float32, an empty or tiny product, or operands too large for the arena.
 * Operands that live in wasm memory are read in place, the others copied into the reused arena, and C
 * copied out when it lives outside.
 */
function gemmOn(
  runtime: WasmRuntime,
  a: TypedArray,
  aOffset: number,
  b: TypedArray,
  bOffset: number,
  out: TypedArray,
  outOffset: number,
  m: number,
  k: number,
  n: number,
  transA: boolean,
  transB: boolean,
  accumulate: boolean,
  bias: TypedArray | null,
  relu: boolean,
): boolean {
  const aSize = m * k;
  const bSize = k * n;
  const cSize = m * n;
  const aBytes = alignBytes(aSize * 4);
  const bBytes = alignBytes(bSize * 4);
  const biasBytes = bias === null ? 0 : alignBytes(n * 4);
  if (
    !(a instanceof Float32Array && b instanceof Float32Array && out instanceof Float32Array) ||
    !(bias === null || bias instanceof Float32Array) ||
    m === 0 ||
    n === 0 ||
    k === 0 ||
    cSize * k < MIN_WORK ||
    aBytes + bBytes + cSize * 4 + biasBytes > MAX_OPERAND_BYTES
  )
    return false;
  // Operands that live in wasm memory (tensors allocated while the backend is active) are used in
  // place; the others are copied into the arena.
  const heap = runtime.heap;
  const aHome = heap.pointerOf(a);
  const bHome = heap.pointerOf(b);
  const cHome = heap.pointerOf(out);
  const biasHome = bias === null ? 0 : heap.pointerOf(bias);
  const arena = heap.arena(
    (aHome < 0 ? aBytes : 0) + (bHome < 0 ? bBytes : 0) + (cHome < 0 ? cSize * 4 : 0) + (biasHome < 0 ? biasBytes : 0),
  );
  let next = arena;
  let aPtr = aHome + aOffset * 4;
  let bPtr = bHome + bOffset * 4;
  let cPtr = cHome + outOffset * 4;
  let biasPtr = biasHome;
  const f = heap.f32;
  if (aHome < 0) {
    aPtr = next;
    next += aBytes;
    f.set(a.subarray(aOffset, aOffset + aSize), aPtr >> 2);
  }
  if (bHome < 0) {
    bPtr = next;
    next += bBytes;
    f.set(b.subarray(bOffset, bOffset + bSize), bPtr >> 2);
  }
  if (bias !== null && biasHome < 0) {
    biasPtr = next;
    next += biasBytes;
    f.set(bias.subarray(0, n), biasPtr >> 2);
  }
  const c0 = (cHome < 0 ? next : cPtr) >> 2;
  if (cHome < 0) {
    cPtr = next;
    if (accumulate) f.set(out.subarray(outOffset, outOffset + cSize), c0);
  }
  // Without accumulate the gemm overwrites C (it never reads it), so C needs no zero-filling.
  runtime.gemm(
    aPtr,
    transA ? 1 : k,
    transA ? m : 1,
    bPtr,
    transB ? 1 : n,
    transB ? k : 1,
    cPtr,
    n,
    m,
    k,
    n,
    !accumulate,
    biasPtr,
    relu,
  );
  if (cHome < 0) out.set(f.subarray(c0, c0 + cSize), outOffset);
  return true;
}

/**
 * The matmul kernel of the wasm backend, with the signature of the cpu kernel it replaces
 * ({@link matmulKernel}). float32 products run the SIMD kernel: operands that live in wasm memory are
 * read in place, the others are copied into the reused wasm arena, `C += op(A)·op(B)` runs there (split by rows across the worker threads when there
 * are any), and the result is copied out. float64 and int32 arrays, tiny products and products too
 * large for the arena go to the cpu kernel. Sums are in float32 (the cpu kernel sums in doubles), so
 * results can differ from it in the last bits.
 */
export function makeMatmulKernel(runtime: WasmRuntime): typeof matmulKernel {
  return function matmulWasm(a, aOffset, b, bOffset, out, outOffset, m, k, n, transA, transB, accumulate) {
    if (!gemmOn(runtime, a, aOffset, b, bOffset, out, outOffset, m, k, n, transA, transB, accumulate, null, false))
      matmulKernel(a, aOffset, b, bOffset, out, outOffset, m, k, n, transA, transB, accumulate);
  };
}

/**
 * The wasm backend's `linearForward` kernel: `out = act(x·wᵀ + bias)` for `x` `[rows, k]`, `w` `[n, k]`,
 * `bias` `[n]` or null, `act` ReLU or none, in one pass of the SIMD gemm (the bias and ReLU are applied
 * to each tile of the output right after the product stores it, while it is in the L1 cache). The values are those
 * of the wasm matmul, add and relu kernels one after the other, to the bit: the product is complete
 * before the bias is added. Where the gemm does not run (see the matmul kernel), the same three steps run
 * on the cpu kernels ({@link linearForwardKernel}).
 */
export function makeLinearForwardKernel(runtime: WasmRuntime): typeof linearForwardKernel {
  return function linearForwardWasm(x, w, bias, out, rows, k, n, relu) {
    if (!gemmOn(runtime, x, 0, w, 0, out, 0, rows, k, n, false, true, false, bias, relu))
      linearForwardKernel(x, w, bias, out, rows, k, n, relu);
  };
}
