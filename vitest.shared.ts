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
