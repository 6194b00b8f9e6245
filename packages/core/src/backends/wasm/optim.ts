import type { WasmRuntime } from './runtime';

/** Register the wasm backend's fused optimizer updates (each with the signature of its cpu kernel). */
export function registerOptimKernels(_runtime: WasmRuntime): void {}
