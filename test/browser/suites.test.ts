// The core, nn, optim, optim-adam and train test files, bundled with Vite and run in Chromium (one page
// per file, so each gets fresh modules as under vitest), with vitest's own expect. Files that import
// Node built-ins test the packages' `node` entries and stay in Node.
import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, OUTPUT_DIR, recordingContext } from './helpers/browser';
import { browserTestFiles, buildSuites, ROOT } from './helpers/build';
import { type StaticServer, serveStatic } from './helpers/server';

const PACKAGES = ['core', 'nn', 'optim', 'optim-adam', 'train'];
const PAGES = 4;

interface FileResult {
  file: string;
  ms: number;
  passed: number;
  failed: number;
  skipped: number;
  failures: { name: string; error: string }[];
}

let server: StaticServer;
let browser: Browser;
let files: string[];

beforeAll(async () => {
  files = browserTestFiles(PACKAGES);
  const out = join(OUTPUT_DIR, 'suites');
  await buildSuites(files, out);
  server = await serveStatic(out);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function runFile(page: Page, index: number): Promise<FileResult> {
  await page.goto(`${server.url}index.html?file=${index}`);
  await page.waitForFunction(() => window.__suiteResult !== undefined, null, { timeout: 600_000 });
  return (await page.evaluate(() => window.__suiteResult)) as FileResult;
}

describe('package test suites in Chromium', () => {
  it('run every browser-safe test file of core, nn, optim, optim-adam and train, and all pass', async () => {
    const { context, offsite } = await recordingContext(browser, server.url);
    const results: FileResult[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: PAGES }, async () => {
        const page = await context.newPage();
        while (next < files.length) results.push(await runFile(page, next++));
        await page.close();
      }),
    );
    await context.close();
    results.sort((a, b) => a.file.localeCompare(b.file));
    const byPackage: Record<string, { files: number; passed: number; failed: number }> = {};
    for (const r of results) {
      const pkg = r.file.split('/')[1];
      byPackage[pkg] ??= { files: 0, passed: 0, failed: 0 };
      byPackage[pkg].files++;
      byPackage[pkg].passed += r.passed;
      byPackage[pkg].failed += r.failed;
    }
    writeFileSync(join(OUTPUT_DIR, 'suites.json'), JSON.stringify({ byPackage, results }, null, 2));
    console.log(`browser suites: ${JSON.stringify(byPackage)}`);

    expect(results.map((r) => r.file)).toEqual(files.map((f) => relative(ROOT, f)).sort());
    expect(results.flatMap((r) => r.failures.map((f) => `${r.file} > ${f.name}: ${f.error}`))).toEqual([]);
    expect(offsite).toEqual([]);
    for (const pkg of PACKAGES) expect(byPackage[pkg]?.passed ?? 0).toBeGreaterThan(10);
    // the representative files must be among those that ran, with tests in them
    const passed = (suffix: string) => results.find((r) => r.file.endsWith(suffix))?.passed ?? 0;
    for (const file of [
      'core/src/autograd/autograd.test.ts',
      'core/src/ops/elementwise.test.ts',
      'core/src/ops/matmul.test.ts',
      'nn/src/layers.test.ts',
      'nn/src/losses/cross-entropy.test.ts',
      'optim/src/runtime.test.ts',
      'optim-adam/src/optimizers.test.ts',
      'train/src/fit.test.ts',
    ])
      expect(passed(file), file).toBeGreaterThan(0);
  });
});
