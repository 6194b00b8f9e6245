import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';
import { sharedWorker, sourceAliases, timeouts } from '../../vitest.shared.ts';

// Every test of core again on the wasm backend, in a Node started with relaxed SIMD on (Node 20 needs
// the flag; Chrome 114+ and Node 22+ have it by default), so that matmul, conv2d and the threads run
// the fused multiply-add gemm (vitest.wasm-fma.setup.ts checks that it is in use).
export default defineProject({
  root: fileURLToPath(new URL('.', import.meta.url)),
  resolve: { alias: sourceAliases },
  test: {
    ...timeouts,
    ...sharedWorker,
    name: 'core-wasm-fma',
    include: ['src/**/*.test.ts'],
    setupFiles: [...sharedWorker.setupFiles, './vitest.wasm-fma.setup.ts'],
    execArgv: ['--experimental-wasm-relaxed-simd'],
  },
});
