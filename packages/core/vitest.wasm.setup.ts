import { beforeEach } from 'vitest';
import { initWasmBackend } from './src/backends/wasm/index';
import { setBackend } from './src/kernels/registry';

// Runs before every test file of the core-wasm project: the SIMD kernels must be in use, and every
// test starts on the wasm backend (a test may switch backends itself).
if (!(await initWasmBackend())) throw new Error('core-wasm: WebAssembly SIMD is not available in this Node');
beforeEach(() => setBackend('wasm'));
