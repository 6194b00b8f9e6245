import type { TypedArray } from '../../dtype';
import { geluBackwardKernel, geluKernel, thresholdBackwardKernel } from '../../kernels/cpu/activations';
import { attentionSoftmaxKernel } from '../../kernels/cpu/attention';
import { layerNormBackwardKernel, layerNormKernel } from '../../kernels/cpu/layer-norm';
import { sumKernel } from '../../kernels/cpu/reduce';
import { registerKernel, resolveKernel } from '../../kernels/registry';
import { copyBack, isF32, type Operand, placeOperands } from './operands';
import type { WasmRuntime } from './runtime';

// Exports of scripts/wasm/nn.mjs (pointers are byte addresses, counts in elements).
interface NnExports {
  ew_gelu(x: number, out: number, n: number): void;
  ew_gelu_tanh(x: number, out: number, n: number): void;
  ew_gelu_backward(g: number, x: number, out: number, n: number): void;
  ew_gelu_tanh_backward(g: number, x: number, out: number, n: number): void;
  nn_layer_norm(
    x: number,
    w: number,
    b: number,
    out: number,
    rows: number,
    n: number,
    eps: number,
    flags: number,
  ): void;
  nn_layer_norm_backward(
    g: number,
    x: number,
    w: number,
    dx: number,
    acc: number,
    rows: number,
    n: number,
    eps: number,
    flags: number,
  ): void;
  nn_relu_backward_bias(g: number, y: number, dz: number, acc: number, rows: number, n: number): void;
  nn_attention_softmax(
    x: number,
    bias: number,
    out: number,
    tmp: number,
    rows: number,
    l: number,
    s: number,
    scale: number,
    flags: number,
  ): void;
}

/**
 * Size limit (elements) below which the network kernels leave the work to the cpu kernels: the call and
 * the copies cost more than the loop. Internal (tests lower it to reach the wasm kernels at every size).
 *
 * @example
 * ```ts
 * NN_LIMITS.minElements; // 64
 * ```
 */
export const NN_LIMITS = { minElements: 64 };

/**
 * Register the wasm backend's network kernels, each with the signature of the cpu kernel it replaces,
 * for float32 arrays: `gelu` and its gradient (exact and tanh form), `layerNorm` and its backward on
 * rows whose length is a multiple of 4, the fused softmax of attention scores (`attentionSoftmax`,
 * rows a multiple of 4 long), and a linear layer's ReLU gradient with its bias gradient in one pass
 * (`reluBackwardBias`, rows a multiple of 4 long; the same bits as `thresholdBackward` then `sum`). Other dtypes, shapes and small arrays keep the cpu kernels. The results
 * are the cpu kernels' to within 1 ulp of float32 (see scripts/wasm/nn.mjs).
 *
 * @example
 * ```ts
 * registerNnKernels(runtime); // from initWasmBackend, after the elementwise kernels
 * ```
 */
export function registerNnKernels(runtime: WasmRuntime): void {
  const ex = runtime.exports as unknown as NnExports;
  const heap = runtime.heap;

  registerKernel(
    'gelu',
    (x: TypedArray, out: TypedArray, tanh: boolean) => {
      const n = out.length;
      const ops: Operand[] = [
        { arr: x as Float32Array, read: true, write: false },
        { arr: out as Float32Array, read: false, write: true },
      ];
      const ptrs = n >= NN_LIMITS.minElements && isF32(x) && isF32(out) ? placeOperands(heap, ops, 0) : null;
      if (ptrs === null) return geluKernel(x, out, tanh);
      (tanh ? ex.ew_gelu_tanh : ex.ew_gelu)(ptrs[0], ptrs[1], n);
      copyBack(heap, ops, ptrs);
    },
    'wasm',
  );
  registerKernel(
    'geluBackward',
    (g: TypedArray, x: TypedArray, out: TypedArray, tanh: boolean) => {
      const n = out.length;
      const ops: Operand[] = [
        { arr: g as Float32Array, read: true, write: false },
        { arr: x as Float32Array, read: true, write: false },
        { arr: out as Float32Array, read: false, write: true },
      ];
      const ptrs =
        n >= NN_LIMITS.minElements && isF32(g) && isF32(x) && isF32(out) ? placeOperands(heap, ops, 0) : null;
      if (ptrs === null) return geluBackwardKernel(g, x, out, tanh);
      (tanh ? ex.ew_gelu_tanh_backward : ex.ew_gelu_backward)(ptrs[0], ptrs[1], ptrs[2], n);
      copyBack(heap, ops, ptrs);
    },
    'wasm',
  );

  const rowsFit = (n: number, size: number) => n % 4 === 0 && n > 0 && size >= NN_LIMITS.minElements;
  registerKernel(
    'layerNorm',
    (
      x: TypedArray,
      w: TypedArray | null,
      b: TypedArray | null,
      rows: number,
      n: number,
      eps: number,
      out: TypedArray,
    ) => {
      const ops: Operand[] = [
        { arr: x as Float32Array, read: true, write: false },
        { arr: w as Float32Array | null, read: true, write: false },
        { arr: b as Float32Array | null, read: true, write: false },
        { arr: out as Float32Array, read: false, write: true },
      ];
      const ptrs =
        rowsFit(n, out.length) && isF32(x) && isF32(w) && isF32(b) && isF32(out) ? placeOperands(heap, ops, 0) : null;
      if (ptrs === null) return layerNormKernel(x, w, b, rows, n, eps, out);
      const flags = (w === null ? 0 : 1) | (b === null ? 0 : 2);
      ex.nn_layer_norm(ptrs[0], ptrs[1], ptrs[2], ptrs[3], rows, n, eps, flags);
      copyBack(heap, ops, ptrs);
    },
    'wasm',
  );
  registerKernel(
    'layerNormBackward',
    (
      g: TypedArray,
      x: TypedArray,
      w: TypedArray | null,
      rows: number,
      n: number,
      eps: number,
      dx: TypedArray | null,
      dw: TypedArray | null,
      db: TypedArray | null,
    ) => {
      const ops: Operand[] = [
        { arr: g as Float32Array, read: true, write: false },
        { arr: x as Float32Array, read: true, write: false },
        { arr: w as Float32Array | null, read: true, write: false },
        { arr: dx as Float32Array | null, read: false, write: true },
      ];
      const ok = rowsFit(n, x.length) && isF32(g) && isF32(x) && isF32(w) && isF32(dx) && isF32(dw) && isF32(db);
      // The f64 sums of dw and db (zeroed here) follow the operands in the arena.
      const ptrs = ok ? placeOperands(heap, ops, 16 * n) : null;
      if (ptrs === null) return layerNormBackwardKernel(g, x, w, rows, n, eps, dx, dw, db);
      const acc = ptrs[4];
      new Float64Array(heap.f32.buffer, acc, 2 * n).fill(0);
      const flags = (w === null ? 0 : 1) | (dx === null ? 0 : 2) | (dw === null ? 0 : 4) | (db === null ? 0 : 8);
      ex.nn_layer_norm_backward(ptrs[0], ptrs[1], ptrs[2], ptrs[3], acc, rows, n, eps, flags);
      copyBack(heap, ops, ptrs);
      // NOTE: the arena is read before any other call can reuse it.
      const sums = new Float64Array(heap.f32.buffer, acc, 2 * n);
      if (dw !== null) dw.set(sums.subarray(0, n));
      if (db !== null) db.set(sums.subarray(n, 2 * n));
    },
    'wasm',
  );

  registerKernel(
    'reluBackwardBias',
    (g: TypedArray, y: TypedArray, dz: TypedArray, rows: number, n: number, db: TypedArray) => {
      const ops: Operand[] = [
        { arr: g as Float32Array, read: true, write: false },
        { arr: y as Float32Array, read: true, write: false },
        { arr: dz as Float32Array, read: false, write: true },
      ];
      const ok = rowsFit(n, dz.length) && isF32(g) && isF32(y) && isF32(dz) && isF32(db);
      // The f64 column sums (zeroed here) follow the operands in the arena.
      const ptrs = ok ? placeOperands(heap, ops, 8 * n) : null;
      if (ptrs === null) {
        resolveKernel('thresholdBackward', thresholdBackwardKernel)(g, y, dz, 0);
        resolveKernel('sum', sumKernel)(dz, [rows, n], [0], db);
        return;
      }
      const acc = ptrs[3];
      new Float64Array(heap.f32.buffer, acc, n).fill(0);
      ex.nn_relu_backward_bias(ptrs[0], ptrs[1], ptrs[2], acc, rows, n);
      copyBack(heap, ops, ptrs);
      // NOTE: the arena is read before any other call can reuse it; storing a double rounds it once.
      db.set(new Float64Array(heap.f32.buffer, acc, n));
    },
    'wasm',
  );

  registerKernel(
    'attentionSoftmax',
    (
      x: TypedArray,
      bias: TypedArray | null,
      rows: number,
      l: number,
      s: number,
      scale: number,
      causal: boolean,
      out: TypedArray,
    ) => {
      const ops: Operand[] = [
        { arr: x as Float32Array, read: true, write: false },
        { arr: bias as Float32Array | null, read: true, write: false },
        { arr: out as Float32Array, read: false, write: true },
      ];
      // NOTE: when out is x and lives in JavaScript memory, both get their own arena copy: x is read
      // in, out is written back, so the result is the same.
      const ptrs =
        rowsFit(s, out.length) && isF32(x) && isF32(bias) && isF32(out) ? placeOperands(heap, ops, 8 * s) : null;
      if (ptrs === null) return attentionSoftmaxKernel(x, bias, rows, l, s, scale, causal, out);
      const flags = (bias === null ? 0 : 1) | (causal ? 2 : 0);
      ex.nn_attention_softmax(ptrs[0], ptrs[1], ptrs[2], ptrs[3], rows, l, s, scale, flags);
      copyBack(heap, ops, ptrs);
    },
    'wasm',
  );
}
