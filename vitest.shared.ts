import { readdirSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('.', import.meta.url));

/** Resolve every `@nablajs/<name>` import to the package's source, so tests need no build. */
export const sourceAliases: Record<string, string> = Object.fromEntries(
  readdirSync(join(root, 'packages'))
    .filter((dir) => existsSync(join(root, 'packages', dir, 'src', 'index.ts')))
    .map((dir) => [`@nablajs/${dir}`, join(root, 'packages', dir, 'src', 'index.ts')]),
);
