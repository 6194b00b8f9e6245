import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      'packages/*',
      'test',
      'test/browser',
      'packages/core/vitest.wasm.config.ts',
      'packages/core/vitest.wasm-fma.config.ts',
      'test/vitest.wasm.config.ts',
    ],
  },
});
