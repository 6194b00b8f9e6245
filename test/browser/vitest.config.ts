import { defineProject } from 'vitest/config';
import { sourceAliases } from '../../vitest.shared.ts';

// The browser project: Playwright drives Debian's Chromium against pages built with Vite (the playground,
// the package test suites, the script-module example). Builds and the browser make these slow.
export default defineProject({
  root: import.meta.dirname,
  resolve: { alias: sourceAliases },
  test: {
    name: 'browser',
    include: ['**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 900_000,
    fileParallelism: false,
  },
});
