// Launch Debian's Chromium (never a downloaded one) headless through playwright-core, and record every
// request a page makes so that tests can assert that nothing leaves 127.0.0.1.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium } from 'playwright-core';

/** Where Debian's `chromium` package installs the browser. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Screenshots and other artifacts of the browser tests (gitignored). */
export const OUTPUT_DIR = join(import.meta.dirname, '..', '..', '..', 'test-output', 'browser');

/** Options of {@link launchChromium}. */
export interface LaunchOptions {
  /**
   * Turn on WebGPU on SwiftShader, Chromium's CPU implementation of Vulkan (adapter `google / swiftshader`):
   * `--enable-unsafe-webgpu --use-webgpu-adapter=swiftshader`, without `--disable-gpu`. Default false.
   */
  webgpu?: boolean;
}

/** Start headless Chromium; throws a message saying how to install it when it is missing. */
export async function launchChromium(options: LaunchOptions = {}): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`Chromium not found at ${CHROMIUM}: run \`apt-get install -y chromium\` (or set CHROMIUM_PATH)`);
  mkdirSync(OUTPUT_DIR, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      ...(options.webgpu === true ? ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader'] : ['--disable-gpu']),
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/**
 * A browser context whose requests are all recorded; any request to a host other than the test
 * server's is aborted and listed in `offsite`.
 */
export async function recordingContext(
  browser: Browser,
  base: string,
): Promise<{ context: BrowserContext; requests: string[]; offsite: string[]; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const requests: string[] = [];
  const offsite: string[] = [];
  const errors: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    requests.push(url);
    if (url.startsWith(base) || url.startsWith('data:') || url.startsWith('blob:')) return route.continue();
    offsite.push(url);
    return route.abort();
  });
  context.on('weberror', (e) => errors.push(String(e.error())));
  return { context, requests, offsite, errors };
}
