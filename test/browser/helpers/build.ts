// Builds for the browser tests: the playground (its own vite.config.ts), and the package test suites
// bundled into one page with a tiny vitest stand-in.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { build, type Plugin } from 'vite';
import { sourceAliases } from '../../../vitest.shared.ts';

/** The repository root. */
export const ROOT = join(import.meta.dirname, '..', '..', '..');

/** Build the playground into `examples/playground/dist` (as `node scripts/build-playground.mjs` does). */
export async function buildPlayground(): Promise<string> {
  const root = join(ROOT, 'examples', 'playground');
  await build({ root, configFile: join(root, 'vite.config.ts'), logLevel: 'warn' });
  return join(root, 'dist');
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

/** Build a package's dist with its own tsup config (what `pnpm run build` does), unless it is there already. */
export async function ensureDist(packages: readonly string[]): Promise<void> {
  const missing = packages.filter((p) => !existsSync(join(ROOT, 'packages', p, 'dist', 'index.js')));
  await Promise.all(
    missing.map(
      (p) =>
        new Promise<void>((resolve, reject) => {
          const child = spawn('npx', ['--no-install', 'tsup'], { cwd: join(ROOT, 'packages', p), stdio: 'ignore' });
          child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`tsup failed in packages/${p}`))));
        }),
    ),
  );
}
