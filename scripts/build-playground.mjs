#!/usr/bin/env node
// Build the playground (examples/playground) to static files in examples/playground/dist, bundled from
// the packages' sources with the aliases the tests use: `node scripts/build-playground.mjs`.
// With `--if-stale` (what the test command runs), build only when the bundle is missing or older than one of
// its sources: the playground's own files, vitest.shared.ts (the aliases) and the sources of every package
// it imports, directly or through another package.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));
const root = join(repo, 'examples', 'playground');
/** The file the build writes last is not known; every build rewrites index.html, so its time is the bundle's. */
const builtPage = join(root, 'dist', 'index.html');

/** Every file under `dir` (recursively), except test files and node_modules. */
function filesUnder(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : filesUnder(path);
    return entry.name.endsWith('.test.ts') ? [] : [path];
  });
}

/** The workspace packages (directory names under packages/) that `packageJson` depends on, transitively. */
function workspaceDependencies(packageJson, seen = new Set()) {
  const { dependencies = {} } = JSON.parse(readFileSync(packageJson, 'utf8'));
  for (const name of Object.keys(dependencies)) {
    const dir = name.startsWith('@nablajs/') ? name.slice('@nablajs/'.length) : null;
    if (dir === null || seen.has(dir) || !existsSync(join(repo, 'packages', dir, 'package.json'))) continue;
    seen.add(dir);
    workspaceDependencies(join(repo, 'packages', dir, 'package.json'), seen);
  }
  return seen;
}

/** The files the bundle is made from. */
export function playgroundSources() {
  const own = ['index.html', 'vite.config.ts', 'package.json'].map((f) => join(root, f));
  const packages = [...workspaceDependencies(join(root, 'package.json'))];
  return [
    ...own,
    join(repo, 'vitest.shared.ts'),
    ...filesUnder(join(root, 'src')),
    ...packages.flatMap((p) => [
      join(repo, 'packages', p, 'package.json'),
      ...filesUnder(join(repo, 'packages', p, 'src')),
    ]),
  ].filter((f) => existsSync(f));
}

/** Why the bundle needs building (`missing`, or the newest source that is newer than it), or null when it is up to date. */
export function playgroundStaleness() {
  if (!existsSync(builtPage)) return 'missing';
  const built = statSync(builtPage).mtimeMs;
  let newest = null;
  for (const file of playgroundSources()) {
    const time = statSync(file).mtimeMs;
    if (time > built && (newest === null || time > newest.time)) newest = { file, time };
  }
  return newest === null ? null : `older than ${newest.file.slice(repo.length)}`;
}

/** Build the bundle into examples/playground/dist (`logLevel`: Vite's, `info` lists the files written). */
export async function buildPlayground(logLevel = 'info') {
  const { build } = await import('vite');
  await build({ root, configFile: join(root, 'vite.config.ts'), logLevel });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const onlyIfStale = process.argv.includes('--if-stale');
  const reason = onlyIfStale ? playgroundStaleness() : 'asked';
  if (reason === null) {
    console.log('playground: examples/playground/dist is up to date');
  } else {
    const start = performance.now();
    await buildPlayground(onlyIfStale ? 'warn' : 'info');
    const seconds = ((performance.now() - start) / 1000).toFixed(1);
    console.log(
      onlyIfStale
        ? `playground: built examples/playground/dist (it was ${reason}) in ${seconds} s`
        : `playground built: ${join(root, 'dist')} (serve it with any static server)`,
    );
  }
}
