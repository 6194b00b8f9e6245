import { defineProject } from 'vitest/config';
import { sharedWorker, sourceAliases, timeouts } from '../vitest.shared.ts';

export default defineProject({
  resolve: { alias: sourceAliases },
  test: {
    ...timeouts,
    ...sharedWorker,
    name: 'cross-package',
    include: ['**/*.test.ts'],
    exclude: ['browser/**', '**/node_modules/**'],
  },
});
