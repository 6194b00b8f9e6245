import { defineProject } from 'vitest/config';
import { sourceAliases } from '../../vitest.shared.ts';

// The browser project: Playwright drives Debian's Chromium against pages built with Vite (the playground,
// the package test suites, the script-module example). Builds and the browser make these slow, so they run
// beside the Node projects' files rather than alone after them (vitest.config.ts starts the slowest first);
// each file has its own Chromium, server and output names, so two of them may run at once. The playground
// bundle and the packages' dist builds are made before the tests (scripts/test.mjs), not in a hook here.
export default defineProject({
  root: import.meta.dirname,
  resolve: { alias: sourceAliases },
  test: {
    name: 'browser',
    include: ['**/*.test.ts'],
    // Hang detectors, not speed checks: a page that trains on SwiftShader while the machine is busy may take
    // minutes (the suites page takes about 90 s on a quiet 2-core machine).
    testTimeout: 600_000,
    hookTimeout: 900_000,
  },
});
