// The plain <script type="module"> example: the published ESM builds (dist) loaded through an import map
// from a static server, with no bundler, fit y = 2x + 1.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { launchChromium, recordingContext } from './helpers/browser';
import { ROOT, requireDist } from './helpers/build';
import { type StaticServer, serveStatic } from './helpers/server';

let server: StaticServer;
let browser: Browser;

beforeAll(async () => {
  requireDist(['core', 'nn', 'optim', 'optim-sgd']);
  server = await serveStatic(ROOT);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

it('trains a Linear layer with SGD from the dist builds in a plain module script', async () => {
  const { context, requests, offsite, errors } = await recordingContext(browser, server.url);
  const page = await context.newPage();
  await page.goto(`${server.url}examples/script-module/index.html`);
  // a stale dist (older than the sources) shows up here as a page error: run `pnpm run build`
  await Promise.race([
    page.waitForSelector('#result[data-loss]', { timeout: 600_000 }),
    page.waitForEvent('pageerror', { timeout: 600_000 }),
  ]);
  expect(errors).toEqual([]);
  const data = await page.$eval('#result', (el) => ({ ...(el as HTMLElement).dataset }));
  expect(Number(data.w)).toBeCloseTo(2, 3);
  expect(Number(data.b)).toBeCloseTo(1, 3);
  expect(Number(data.loss)).toBeLessThan(1e-6);
  expect(requests.some((u) => u.endsWith('/packages/nn/dist/index.js'))).toBe(true);
  expect(offsite).toEqual([]);
  expect(errors).toEqual([]);
  await context.close();
});
