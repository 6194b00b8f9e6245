import type { TypedArray } from '../../dtype';
import { adagradUpdateKernel, adamUpdateKernel, rmspropUpdateKernel, sgdUpdateKernel } from '../../kernels/cpu/optim';
import { registerKernel } from '../../kernels/registry';
import type { WasmHeap } from './memory';
import type { WasmRuntime } from './runtime';

// The fused optimizer updates of scripts/wasm/optim.mjs, `opt_<name>_<flags>(pointers..., n, scalars...)`, run
// through WasmRuntime.update (which shares a large one between the threads).

/**
 * The byte address of `arr` when it is a float32 array of `n` elements living in wasm memory, 0 for an
 * absent optional array (`null`), else -1. With any -1 the wrapper runs the cpu kernel: copying four
 * or five arrays in and out of wasm memory would cost more than the SIMD loop saves.
 */
function pointer(heap: WasmHeap, arr: TypedArray | null, n: number): number {
  if (arr === null) return 0;
  if (!(arr instanceof Float32Array) || arr.length !== n) return -1;
  return heap.pointerOf(arr);
}

/**
 * The wasm backend's `adamUpdate` kernel ({@link adamUpdateKernel}'s signature): in place, in f32
 * SIMD, when every array is float32 and lives in wasm memory; otherwise the cpu kernel.
 */
export function makeAdamUpdateKernel(runtime: WasmRuntime): typeof adamUpdateKernel {
  const heap = runtime.heap;
  return function adamUpdateWasm(
    param,
    grad,
    m,
    v,
    vmax,
    step,
    lr,
    beta1,
    beta2,
    eps,
    weightDecay,
    decoupled,
    maximize,
  ) {
    const n = param.length;
    const pp = pointer(heap, param, n);
    const gp = pointer(heap, grad, n);
    const mp = pointer(heap, m, n);
    const vp = pointer(heap, v, n);
    const xp = pointer(heap, vmax, n);
    if ((pp | gp | mp | vp | xp) < 0) {
      adamUpdateKernel(param, grad, m, v, vmax, step, lr, beta1, beta2, eps, weightDecay, decoupled, maximize);
      return;
    }
    const flags = (vmax !== null ? 1 : 0) | (weightDecay !== 0 ? (decoupled ? 4 : 2) : 0) | (maximize ? 8 : 0);
    // The bias corrections outside the division (see scripts/wasm/optim.mjs): ε·√bc2 and -lr·√bc2/bc1.
    const sqrtBc2 = Math.sqrt(1 - beta2 ** step);
    runtime.update('adam', flags, [pp, gp, mp, vp, xp], n, [
      maximize ? -1 : 1,
      weightDecay,
      beta1,
      1 - beta1,
      beta2,
      1 - beta2,
      eps * sqrtBc2,
      (-lr * sqrtBc2) / (1 - beta1 ** step),
      -lr * weightDecay,
    ]);
  };
}

/**
 * The wasm backend's `sgdUpdate` kernel ({@link sgdUpdateKernel}'s signature): in place, in f32 SIMD,
 * when every array is float32 and lives in wasm memory; otherwise the cpu kernel.
 */
export function makeSgdUpdateKernel(runtime: WasmRuntime): typeof sgdUpdateKernel {
  const heap = runtime.heap;
  return function sgdUpdateWasm(
    param,
    grad,
    momentumBuffer,
    firstStep,
    lr,
    momentum,
    dampening,
    weightDecay,
    nesterov,
    maximize,
  ) {
    const n = param.length;
    const pp = pointer(heap, param, n);
    const gp = pointer(heap, grad, n);
    const bp = pointer(heap, momentumBuffer, n);
    if ((pp | gp | bp) < 0) {
      sgdUpdateKernel(param, grad, momentumBuffer, firstStep, lr, momentum, dampening, weightDecay, nesterov, maximize);
      return;
    }
    const buffered = momentumBuffer !== null;
    const flags = (weightDecay !== 0 ? 1 : 0) | (buffered ? (firstStep ? 2 : 4) : 0) | (buffered && nesterov ? 8 : 0);
    runtime.update('sgd', flags, [pp, gp, bp], n, [maximize ? -1 : 1, weightDecay, momentum, 1 - dampening, -lr]);
  };
}

/**
 * The wasm backend's `rmspropUpdate` kernel ({@link rmspropUpdateKernel}'s signature): in place, in
 * f32 SIMD, when every array is float32 and lives in wasm memory; otherwise the cpu kernel.
 */
export function makeRmspropUpdateKernel(runtime: WasmRuntime): typeof rmspropUpdateKernel {
  const heap = runtime.heap;
  return function rmspropUpdateWasm(
    param,
    grad,
    squareAvg,
    gradAvg,
    momentumBuffer,
    lr,
    alpha,
    eps,
    weightDecay,
    momentum,
    maximize,
  ) {
    const n = param.length;
    const pp = pointer(heap, param, n);
    const gp = pointer(heap, grad, n);
    const sp = pointer(heap, squareAvg, n);
    const ap = pointer(heap, gradAvg, n);
    const bp = pointer(heap, momentumBuffer, n);
    if ((pp | gp | sp | ap | bp) < 0) {
      rmspropUpdateKernel(
        param,
        grad,
        squareAvg,
        gradAvg,
        momentumBuffer,
        lr,
        alpha,
        eps,
        weightDecay,
        momentum,
        maximize,
      );
      return;
    }
    const flags = (weightDecay !== 0 ? 1 : 0) | (gradAvg !== null ? 2 : 0) | (momentumBuffer !== null ? 4 : 0);
    runtime.update('rmsprop', flags, [pp, gp, sp, ap, bp], n, [
      maximize ? -1 : 1,
      weightDecay,
      alpha,
      1 - alpha,
      eps,
      momentum,
      -lr,
    ]);
  };
}

/**
 * The wasm backend's `adagradUpdate` kernel ({@link adagradUpdateKernel}'s signature): in place, in
 * f32 SIMD, when every array is float32 and lives in wasm memory; otherwise the cpu kernel.
 */
export function makeAdagradUpdateKernel(runtime: WasmRuntime): typeof adagradUpdateKernel {
  const heap = runtime.heap;
  return function adagradUpdateWasm(param, grad, sum, step, lr, lrDecay, eps, weightDecay, maximize) {
    const n = param.length;
    const pp = pointer(heap, param, n);
    const gp = pointer(heap, grad, n);
    const sp = pointer(heap, sum, n);
    if ((pp | gp | sp) < 0) {
      adagradUpdateKernel(param, grad, sum, step, lr, lrDecay, eps, weightDecay, maximize);
      return;
    }
    const flags = weightDecay !== 0 ? 1 : 0;
    runtime.update('adagrad', flags, [pp, gp, sp], n, [
      maximize ? -1 : 1,
      weightDecay,
      1 / (1 + (step - 1) * lrDecay),
      eps,
      -lr,
    ]);
  };
}

/**
 * Register the wasm backend's fused optimizer updates (each with the signature of its cpu kernel):
 * `adamUpdate`, `sgdUpdate`, `rmspropUpdate` and `adagradUpdate`. Each runs in place in wasm memory,
 * with no copy, when the parameter, its gradient and its state arrays are all float32 arrays living
 * there; anything else (float64, arrays in JavaScript memory) runs the cpu kernel.
 */
export function registerOptimKernels(runtime: WasmRuntime): void {
  // A module generated without scripts/wasm/optim.mjs leaves the cpu kernels in place.
  if (typeof (runtime.exports as unknown as Record<string, unknown>).opt_adam_0 !== 'function') return;
  registerKernel('adamUpdate', makeAdamUpdateKernel(runtime), 'wasm');
  registerKernel('sgdUpdate', makeSgdUpdateKernel(runtime), 'wasm');
  registerKernel('rmspropUpdate', makeRmspropUpdateKernel(runtime), 'wasm');
  registerKernel('adagradUpdate', makeAdagradUpdateKernel(runtime), 'wasm');
}
