// Nothing Node-only in what browsers load: the published ESM builds of the browser packages (dist, built
// by `pnpm run build`, or by the test command when missing) and the playground bundle (built by
// `pnpm run playground`, or by the test command when missing or older than its sources).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { playgroundDist, ROOT, requireDist } from './helpers/build';

const BROWSER_PACKAGES = readdirSync(join(ROOT, 'packages')).filter((p) => p !== 'cli');
// `import ... from "node:fs"`, `require("fs")`, `import("path")`: any Node built-in, prefixed or not
const NODE_IMPORT =
  /(?:from\s*|import\s*\(\s*|require\s*\(\s*)["'](?:node:[\w/]+|fs|path|os|url|crypto|child_process|worker_threads|zlib|stream|util)(?:\/[\w/]*)?["']/;

/** The entry file and every chunk it imports, transitively (tsup splits shared code into chunks). */
function esmClosure(dist: string, entry: string): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const m of readFileSync(join(dist, file), 'utf8').matchAll(/from\s*["']\.\/([\w.-]+\.js)["']/g)) visit(m[1]);
  };
  visit(entry);
  return [...seen];
}

beforeAll(() => {
  requireDist(BROWSER_PACKAGES);
});

describe('browser bundles', () => {
  it.each(BROWSER_PACKAGES)('dist/index.js of %s and its chunks import no Node built-in', (pkg) => {
    const dist = join(ROOT, 'packages', pkg, 'dist');
    const files = esmClosure(dist, 'index.js');
    expect(files.length).toBeGreaterThan(0);
    for (const file of files)
      expect(readFileSync(join(dist, file), 'utf8'), `${pkg}/dist/${file}`).not.toMatch(NODE_IMPORT);
  });

  it('the node entries are where the Node built-ins are (the check can fail)', () => {
    const files = esmClosure(join(ROOT, 'packages', 'train', 'dist'), 'node.js');
    const texts = files.map((f) => readFileSync(join(ROOT, 'packages', 'train', 'dist', f), 'utf8'));
    expect(texts.some((t) => NODE_IMPORT.test(t))).toBe(true);
  });

  it('the playground bundle imports no Node built-in and fetches nothing from a CDN', () => {
    const dist = playgroundDist();
    const assets = readdirSync(join(dist, 'assets')).filter((f) => f.endsWith('.js'));
    expect(assets.some((f) => f.startsWith('worker'))).toBe(true);
    for (const file of assets) {
      const text = readFileSync(join(dist, 'assets', file), 'utf8');
      expect(text, file).not.toMatch(NODE_IMPORT);
      expect(text, file).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)[\w.-]+\/[\w@./-]*\.(?:m?js|wasm|css)/);
    }
  });
});
