import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));
const packages = readdirSync(join(root, 'packages')).filter((dir) =>
  existsSync(join(root, 'packages', dir, 'src', 'index.ts')),
);

/**
 * Resolve `@nablajs/<name>` to the package's `src/index.ts` and `@nablajs/<name>/<entry>` to
 * `src/<entry>.ts`, so tests run against the source with no build.
 */
export const sourceAliases = packages.flatMap((dir) => [
  { find: new RegExp(`^@nablajs/${dir}$`), replacement: join(root, 'packages', dir, 'src', 'index.ts') },
  { find: new RegExp(`^@nablajs/${dir}/(.+)$`), replacement: join(root, 'packages', dir, 'src', '$1.ts') },
]);

/**
 * Time limits for every project: no test may depend on the machine's speed, so the limits are sized for a
 * machine several times slower than a loaded 2-core one (a heavy test takes seconds there, not minutes).
 * They catch a hang, not a slow machine.
 */
export const timeouts = { testTimeout: 120_000, hookTimeout: 300_000 };

/**
 * How the Node projects run their files: one worker process runs one file after another (`isolate: false`)
 * instead of a new process importing the packages again for every file, which took about 1 s per file, most
 * of the suite's time. The packages' modules are then shared between the files of a worker, so the state
 * they keep for the whole process (the default generator, the active backend, grad and anomaly mode, the
 * optimizer registry, the fused-update switch, the wasm threads) is put back to a fresh process's values
 * before every file by vitest.setup.ts, which also fails a file that leaves state it cannot put back.
 * A project with setup files of its own lists them after `sharedWorker.setupFiles`.
 */
export const sharedWorker = { isolate: false, setupFiles: [join(root, 'vitest.setup.ts')] };

/**
 * The files that take longest, started first (vitest.config.ts) so that they overlap the hundreds of short
 * ones instead of running alone at the end: `<project>:<path from the repository root>`, longest first
 * (seconds on a loaded 2-core machine, load average 5: train-e2e and docs-site 130 each, the browser
 * suites 80, the playground 20, the browser threads 15; every other file takes under 10).
 */
export const slowFiles = [
  'cross-package:test/train-e2e.test.ts',
  'cross-package:test/docs-site.test.ts',
  'cross-package:test/packaging/install.test.ts',
  'browser:test/browser/suites.test.ts',
  'browser:test/browser/playground.test.ts',
  'browser:test/browser/threads.test.ts',
];
