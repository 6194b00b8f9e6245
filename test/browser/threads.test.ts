// The wasm backend's worker threads in Chromium: a cross-origin isolated page (COOP + COEP) gets 2
// threads from setNumThreads(2), on its main thread and in a dedicated worker, with products identical
// to 1 thread; the same page served without isolation has no SharedArrayBuffer and stays on 1 thread.
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sourceAliases } from '../../vitest.shared.ts';
import { launchChromium, OUTPUT_DIR, recordingContext } from './helpers/browser';
import { type StaticServer, serveStatic } from './helpers/server';
import type { ThreadsReport } from './threads/check';

let isolated: StaticServer;
let plain: StaticServer;
let browser: Browser;

beforeAll(async () => {
  const root = join(import.meta.dirname, 'threads');
  const outDir = join(OUTPUT_DIR, 'threads');
  await build({
    root,
    configFile: false,
    base: './',
    logLevel: 'warn',
    resolve: { alias: sourceAliases },
    worker: { format: 'es' },
    build: { outDir, emptyOutDir: true, target: 'es2022', minify: false },
  });
  isolated = await serveStatic(outDir);
  plain = await serveStatic(outDir, { isolated: false });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await isolated?.close();
  await plain?.close();
});

async function reports(base: string): Promise<{ page: ThreadsReport; worker: ThreadsReport; errors: string[] }> {
  const { context, offsite, errors } = await recordingContext(browser, base);
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${base}index.html`);
  await page.waitForFunction(() => window.__threads !== undefined, null, { timeout: 600_000 });
  const result = (await page.evaluate(() => window.__threads)) as { page: ThreadsReport; worker: ThreadsReport };
  await context.close();
  expect(offsite).toEqual([]);
  return { ...result, errors };
}

describe('wasm backend threads in Chromium', () => {
  it('runs 2 threads on a cross-origin isolated page and in its dedicated worker, results as on 1 thread', async () => {
    const { page, worker, errors } = await reports(isolated.url);
    expect(errors).toEqual([]);
    for (const r of [page, worker]) {
      expect(r.error, r.where).toBeUndefined();
      expect(r.crossOriginIsolated, r.where).toBe(true);
      expect(r.sharedArrayBuffer, r.where).toBe(true);
      expect(r.simd, r.where).toBe(true);
      expect(r.relaxedSimd, r.where).toBe(true); // Chromium 114+ has relaxed SIMD on by default
      expect(r.resolved, r.where).toBe(2);
      expect(r.threads, r.where).toBe(2);
      // splitting rows or columns changes no bit; and the products are right
      expect(r.identical, r.where).toEqual([true, true, true]);
      for (const d of r.cpuDiff) expect(d, r.where).toBeLessThan(1e-3);
      // worker thread 1 ran chunks of them (all of them once the caller hands every chunk to the workers)
      expect(r.workerParts, r.where).toBeGreaterThan(0);
      expect(r.back, r.where).toBe(1);
    }
  });

  it('stays on 1 thread without cross-origin isolation, with no error', async () => {
    const { page, worker, errors } = await reports(plain.url);
    expect(errors).toEqual([]);
    for (const r of [page, worker]) {
      expect(r.error, r.where).toBeUndefined();
      expect(r.crossOriginIsolated, r.where).toBe(false);
      expect(r.sharedArrayBuffer, r.where).toBe(false);
      expect(r.resolved, r.where).toBe(1);
      expect(r.threads, r.where).toBe(1);
      expect(r.identical, r.where).toEqual([true, true, true]);
      for (const d of r.cpuDiff) expect(d, r.where).toBeLessThan(1e-3);
      expect(r.back, r.where).toBe(1);
    }
  });
});
