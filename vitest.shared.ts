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
