import { defineProject } from 'vitest/config';
import { sourceAliases, timeouts } from '../vitest.shared.ts';

export default defineProject({
  resolve: { alias: sourceAliases },
  test: {
    ...timeouts,
    name: 'cross-package',
    include: ['**/*.test.ts'],
    exclude: ['browser/**', '**/node_modules/**'],
  },
});
