import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';
import { sharedWorker, sourceAliases, timeouts } from '../vitest.shared.ts';

// The PyTorch fixtures of the core ops again, on the wasm backend (see vitest.wasm.setup.ts).
export default defineProject({
  root: fileURLToPath(new URL('.', import.meta.url)),
  resolve: { alias: sourceAliases },
  test: {
    ...timeouts,
    ...sharedWorker,
    name: 'cross-package-wasm',
    include: ['golden-ops.test.ts'],
    setupFiles: [...sharedWorker.setupFiles, './vitest.wasm.setup.ts'],
  },
});
