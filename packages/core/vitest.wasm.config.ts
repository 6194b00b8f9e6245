import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';
import { sharedWorker, sourceAliases, timeouts } from '../../vitest.shared.ts';

// Every test of core again, with the wasm backend initialised and active (see vitest.wasm.setup.ts).
export default defineProject({
  root: fileURLToPath(new URL('.', import.meta.url)),
  resolve: { alias: sourceAliases },
  test: {
    ...timeouts,
    ...sharedWorker,
    name: 'core-wasm',
    include: ['src/**/*.test.ts'],
    setupFiles: [...sharedWorker.setupFiles, './vitest.wasm.setup.ts'],
  },
});
