import { defineProject } from 'vitest/config';
import { sourceAliases } from '../vitest.shared.ts';

export default defineProject({
  resolve: { alias: sourceAliases },
  test: {
    name: 'cross-package',
    include: ['**/*.test.ts'],
    exclude: ['browser/**', '**/node_modules/**'],
    testTimeout: 60_000,
  },
});
