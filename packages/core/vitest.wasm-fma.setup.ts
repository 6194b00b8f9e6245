import { beforeEach } from 'vitest';
import { getWasmBackendInfo, initWasmBackend } from './src/backends/wasm/index';
import { setBackend } from './src/kernels/registry';

// Runs before every test file of the core-wasm-fma project: the relaxed-SIMD gemm must be in use, and
// every test starts on the wasm backend (a test may switch backends itself).
if (!(await initWasmBackend())) throw new Error('core-wasm-fma: WebAssembly SIMD is not available in this Node');
if (!getWasmBackendInfo().relaxedSimd)
  throw new Error('core-wasm-fma: relaxed SIMD is off (was Node started with --experimental-wasm-relaxed-simd?)');
beforeEach(() => setBackend('wasm'));
