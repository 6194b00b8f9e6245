#!/usr/bin/env node
// Launcher of the `nabla` command. It runs the built CLI (dist/cli.js); in a checkout of the
// nabla repository that has not been built yet, it runs the TypeScript sources through tsx instead.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'dist', 'cli.js');
const source = join(root, 'src', 'cli.ts');

if (existsSync(built)) {
  await import(pathToFileURL(built).href);
} else if (existsSync(source)) {
  let tsx;
  try {
    tsx = createRequire(import.meta.url).resolve('tsx/cli');
  } catch {
    process.stderr.write('nabla: dist/cli.js is missing; run `pnpm build` first (or install tsx to run from source)\n');
    process.exit(1);
  }
  const run = spawnSync(
    process.execPath,
    [tsx, '--tsconfig', join(root, 'tsconfig.json'), source, ...process.argv.slice(2)],
    {
      stdio: 'inherit',
    },
  );
  process.exit(run.status ?? 1);
} else {
  process.stderr.write('nabla: dist/cli.js is missing; reinstall @nablajs/cli\n');
  process.exit(1);
}
