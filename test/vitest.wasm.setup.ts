import { initWasmBackend, setBackend } from '@nablajs/core';
import { beforeEach } from 'vitest';

if (!(await initWasmBackend())) throw new Error('cross-package-wasm: WebAssembly SIMD is not available in this Node');
beforeEach(() => setBackend('wasm'));
