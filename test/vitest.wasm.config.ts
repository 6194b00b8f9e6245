import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';
import { sourceAliases, timeouts } from '../vitest.shared.ts';

// The PyTorch fixtures of the core ops again, on the wasm backend (see vitest.wasm.setup.ts).
export default defineProject({
  root: fileURLToPath(new URL('.', import.meta.url)),
  resolve: { alias: sourceAliases },
  test: {
    ...timeouts,
    name: 'cross-package-wasm',
    include: ['golden-ops.test.ts'],
    setupFiles: ['./vitest.wasm.setup.ts'],
  },
});
