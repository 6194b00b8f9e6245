// What the browser tests load: the playground bundle and the packages' dist builds, built before the tests by
// the test command (scripts/test.mjs) and only read here; and the package test suites bundled into one page
// with a tiny vitest stand-in.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { build, type Plugin } from 'vite';
import { sourceAliases } from '../../../vitest.shared.ts';

/** The repository root. */
export const ROOT = join(import.meta.dirname, '..', '..', '..');

/**
 * The playground bundle, `examples/playground/dist`: the test command builds it before the tests when it is
 * missing or older than its sources; a test only reads it. Throws, saying what to run, when it is missing.
 */
export function playgroundDist(): string {
  const dist = join(ROOT, 'examples', 'playground', 'dist');
  const assets = join(dist, 'assets');
  if (!existsSync(join(dist, 'index.html')) || !existsSync(assets) || readdirSync(assets).length === 0)
    throw new Error(
      'the playground bundle examples/playground/dist is missing: build it with `pnpm run playground` ' +
        '(node scripts/build-playground.mjs), or run the tests with the test command `pnpm test`, which builds it first',
    );
  return dist;
}

/** Resolve a package the way vitest itself resolves it (pnpm keeps vitest's dependencies out of the root). */
function resolveFromVitest(name: string): string {
  const fromVitest = createRequire(createRequire(join(ROOT, 'package.json')).resolve('vitest/package.json'));
  return fromVitest.resolve(name);
}

/** Every test file of `packages`, except those that import Node built-ins (they test the `node` entries). */
export function browserTestFiles(packages: readonly string[]): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.test.ts') && !/from '(node:|fs'|path')/.test(readFileSync(path, 'utf8')))
        files.push(path);
    }
  };
  for (const pkg of packages) walk(join(ROOT, 'packages', pkg, 'src'));
  return files;
}

/** Bundle `files` into a page (`index.html?file=<i>` runs file i) with `vitest` replaced by the shim. */
export async function buildSuites(files: readonly string[], outDir: string): Promise<void> {
  const suitesDir = join(import.meta.dirname, '..', 'suites');
  const virtual: Plugin = {
    name: 'nabla-suite-files',
    resolveId: (id) => (id === 'virtual:suite-files' ? '\0virtual:suite-files' : null),
    load(id) {
      if (id !== '\0virtual:suite-files') return null;
      const rows = files.map((f) => `[${JSON.stringify(relative(ROOT, f))}, () => import(${JSON.stringify(f)})]`);
      return `export const files = [\n${rows.join(',\n')}\n];`;
    },
    // NOTE: the packages declare "sideEffects": false, so a test file (all side effects, no exports) would
    // be tree-shaken to nothing; its describe/it calls must be kept.
    transform: (code, id) => (id.endsWith('.test.ts') ? { code, moduleSideEffects: 'no-treeshake' } : null),
  };
  const expectEntry = resolveFromVitest('@vitest/expect');
  await build({
    root: suitesDir,
    configFile: false,
    base: './',
    logLevel: 'warn',
    plugins: [virtual],
    resolve: {
      alias: [
        { find: /^vitest$/, replacement: join(suitesDir, 'shim.ts') },
        { find: /^virtual:vitest-expect$/, replacement: expectEntry },
        ...sourceAliases,
      ],
    },
    build: { outDir, emptyOutDir: true, target: 'es2022', minify: false, chunkSizeWarningLimit: 5000 },
  });
}

/**
 * Check that each of `packages` has its dist build (what `pnpm run build` makes; the test command builds the
 * missing ones before the tests); throws, naming those without one and saying what to run.
 */
export function requireDist(packages: readonly string[]): void {
  const missing = packages.filter((p) => !existsSync(join(ROOT, 'packages', p, 'dist', 'index.js')));
  if (missing.length > 0)
    throw new Error(
      `no dist build of ${missing.map((p) => `packages/${p}`).join(', ')}: run \`pnpm run build\`, or run the tests ` +
        'with the test command `pnpm test`, which builds the missing ones first',
    );
}
