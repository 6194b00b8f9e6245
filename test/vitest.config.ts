import { defineProject } from 'vitest/config';
import { sourceAliases } from '../vitest.shared.ts';

export default defineProject({
  resolve: { alias: sourceAliases },
  test: { name: 'cross-package', include: ['**/*.test.ts'], testTimeout: 60_000 },
});
