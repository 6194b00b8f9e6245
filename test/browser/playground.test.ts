// The playground, built with Vite (by the test command, or `pnpm run playground`) and served on 127.0.0.1,
// driven in Debian's Chromium: races on Rosenbrock, spirals above 90%, custom optimizers that throw,
// pause/step/reset, and no network access.
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, OUTPUT_DIR, recordingContext } from './helpers/browser';
import { playgroundDist } from './helpers/build';
import { type StaticServer, serveStatic } from './helpers/server';

let server: StaticServer;
let browser: Browser;
let session: Awaited<ReturnType<typeof recordingContext>>;
let context: BrowserContext;
let page: Page;

interface Row {
  step: number;
  loss: number;
  initialLoss: number;
  accuracy: number | null;
  x: number;
  y: number;
  pathLength: number;
  status: string;
  text: string;
}

async function rows(): Promise<Row[]> {
  return page.$$eval('#results tbody tr', (trs) =>
    trs.map((tr) => {
      const d = (tr as HTMLElement).dataset;
      return {
        step: Number(d.step),
        loss: Number(d.loss),
        initialLoss: Number(d.initialLoss),
        accuracy: d.accuracy ? Number(d.accuracy) : null,
        x: Number(d.x),
        y: Number(d.y),
        pathLength: Number(d.pathLength),
        status: d.status ?? '',
        text: tr.querySelector('.status')?.textContent ?? '',
      };
    }),
  );
}

async function freshPage(): Promise<void> {
  await page.goto(`${server.url}index.html`);
  await page.waitForSelector('#race-status[data-state="ready"]', { timeout: 120_000 });
}

async function setRacer(index: number, optimizer: string, options: Record<string, string>): Promise<void> {
  const card = page.locator('.racer').nth(index);
  await card.locator('select.optimizer').selectOption(optimizer);
  for (const [key, value] of Object.entries(options)) await card.locator(`.hp[data-key="${key}"]`).fill(value);
}

beforeAll(async () => {
  server = await serveStatic(playgroundDist());
  browser = await launchChromium();
  session = await recordingContext(browser, server.url);
  context = session.context;
  page = await context.newPage();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the playground in Chromium', () => {
  it('lists every registered optimizer with PyTorch defaults read from the plugins', async () => {
    await freshPage();
    const names = await page.$$eval('.racer:first-child select.optimizer option', (os) =>
      os.map((o) => (o as HTMLOptionElement).value),
    );
    expect(names).toEqual(expect.arrayContaining(['adam', 'adamw', 'sgd', 'rmsprop', 'adagrad', 'lbfgs', 'lion']));
    const adam = page.locator('.racer').nth(1);
    expect(await adam.locator('.hp[data-key="lr"]').inputValue()).toBe('0.001');
    expect(await adam.locator('.hp[data-key="betas"]').inputValue()).toBe('0.9, 0.999');
    expect(await adam.locator('.hp[data-key="eps"]').inputValue()).toBe('1e-8');
    expect(await page.locator('.racer').nth(0).locator('.hp[data-key="momentum"]').inputValue()).toBe('0');
  });

  it('trains in the worker on the wasm backend (Chromium has WebAssembly SIMD)', async () => {
    await freshPage();
    await page.waitForFunction(() => document.getElementById('backend')?.textContent?.startsWith('backend: '));
    expect(await page.locator('#backend').textContent()).toMatch(/^backend: wasm \(available: cpu, wasm\)/);
  });

  it('races sgd and adam on Rosenbrock: both trajectories move and both losses fall', async () => {
    await freshPage();
    await page.selectOption('#task', 'rosenbrock');
    await setRacer(1, 'adam', { lr: '0.02' });
    await page.fill('#max-steps', '300');
    await page.click('#start');
    await page.waitForFunction(
      () =>
        Array.from(document.querySelectorAll('#results tbody tr')).every(
          (tr) => (tr as HTMLElement).dataset.status === 'done',
        ),
      null,
      { timeout: 120_000 },
    );
    const [sgd, adam] = await rows();
    for (const r of [sgd, adam]) {
      expect(r.step).toBe(300);
      expect(r.initialLoss).toBeCloseTo(12.5, 6); // f(-1.5, 2) = 2.5² + 100 (2 - 2.25)²
      expect(r.loss).toBeLessThan(r.initialLoss / 2);
      expect(r.pathLength).toBe(301);
      expect(Math.hypot(r.x + 1.5, r.y - 2)).toBeGreaterThan(0.3);
    }
    expect(Math.hypot(sgd.x - adam.x, sgd.y - adam.y)).toBeGreaterThan(1e-3);
    // the contour plot is drawn: its pixels are not all the same
    const distinct = await page.$eval('#contour', (c) => {
      const d = (c as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, 480, 480).data;
      const seen = new Set<number>();
      for (let i = 0; i < d.length; i += 4 * 97) seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
      return seen.size;
    });
    expect(distinct).toBeGreaterThan(20);
    await page.screenshot({ path: join(OUTPUT_DIR, 'playground-rosenbrock.png'), fullPage: true });
  });

  it('pauses, steps once and resets', async () => {
    await freshPage();
    await page.selectOption('#task', 'illConditioned');
    await page.fill('#max-steps', '100000000'); // still racing when paused
    await page.click('#start');
    await page.waitForFunction(
      () => Number(document.querySelector<HTMLElement>('#results tbody tr')?.dataset.step) > 20,
    );
    // the page stays responsive while the worker trains: animation frames keep coming during the race, and
    // they show it moving (5 frames, each with a higher step than the last, while the racer is still running)
    const frames = await page.evaluate(
      () =>
        new Promise<number[]>((resolve) => {
          const steps: number[] = [];
          const tick = () => {
            const row = document.querySelector<HTMLElement>('#results tbody tr');
            const step = Number(row?.dataset.step);
            if (row?.dataset.status !== 'running') return resolve(steps);
            if (step !== steps[steps.length - 1]) steps.push(step);
            if (steps.length === 5) return resolve(steps);
            requestAnimationFrame(tick);
          };
          requestAnimationFrame(tick);
        }),
    );
    expect(frames).toHaveLength(5);
    for (let i = 1; i < frames.length; i++) expect(frames[i]).toBeGreaterThan(frames[i - 1]);
    await page.click('#pause');
    await page.waitForSelector('#race-status[data-state="paused"]');
    await page.waitForTimeout(200);
    const paused = (await rows())[0].step;
    await page.waitForTimeout(300);
    expect((await rows())[0].step).toBe(paused);
    await page.click('#step');
    await page.waitForFunction(
      (n) => Number(document.querySelector<HTMLElement>('#results tbody tr')?.dataset.step) === n + 1,
      paused,
    );
    await page.click('#reset');
    await page.waitForFunction(() => document.querySelector<HTMLElement>('#results tbody tr')?.dataset.step === '0');
    const [first] = await rows();
    expect([first.x, first.y]).toEqual([-1.5, 0.5]); // the quadratic's start
  });

  it('trains the two spirals above 90% accuracy and draws the decision boundaries', async () => {
    await freshPage();
    await page.selectOption('#task', 'spirals');
    await setRacer(0, 'sgd', { lr: '0.1', momentum: '0.9' });
    await setRacer(1, 'adam', { lr: '0.01' });
    await page.fill('#max-steps', '800');
    await page.click('#start');
    await page.waitForFunction(
      () => Number(document.querySelectorAll<HTMLElement>('#results tbody tr')[1]?.dataset.accuracy) > 0.9,
      null,
      { timeout: 90_000 },
    );
    const [, adam] = await rows();
    expect(adam.accuracy).toBeGreaterThan(0.9);
    expect(adam.loss).toBeLessThan(adam.initialLoss);
    expect(await page.textContent('#results tbody tr:nth-child(2) .accuracy')).toMatch(/^(9\d|100)\.\d%$/);
    await page.click('#pause');
    await page.waitForTimeout(400);
    const blueish = await page.$eval('#boundaries canvas[data-racer]:nth-child(2)', (c) => {
      const d = (c as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, 200, 200).data;
      let blue = 0;
      let orange = 0;
      for (let i = 0; i < d.length; i += 4) {
        if (d[i + 2] > d[i] + 40) blue++;
        if (d[i] > d[i + 2] + 40) orange++;
      }
      return { blue, orange };
    });
    expect(blueish.blue).toBeGreaterThan(5000);
    expect(blueish.orange).toBeGreaterThan(5000);
    await page.screenshot({ path: join(OUTPUT_DIR, 'playground-spirals.png'), fullPage: true });
  });

  it('shows a clear message for a custom optimizer that throws at definition', async () => {
    await freshPage();
    await page.fill('#custom-code', '({ chain }) => chain(notDefined())');
    await page.click('#define-custom');
    await page.waitForSelector('#custom-status[data-state="error"]');
    expect(await page.textContent('#custom-status')).toBe(
      'Custom optimizer: the definition threw ReferenceError: notDefined is not defined',
    );
    await page.fill('#custom-code', '({ defineOptimizer }) => defineOptimizer({ name: "x", defaults: { lr: 0.1 } })');
    await page.click('#define-custom');
    await page.waitForFunction(() => /rule must be/.test(document.querySelector('#custom-status')?.textContent ?? ''));
    expect(await page.getAttribute('#custom-status', 'data-state')).toBe('error');
    expect(await page.textContent('#custom-status')).toBe(
      'Custom optimizer: the definition threw ValueError: defineOptimizer: x: rule must be an update rule with init and update functions',
    );
    await page.screenshot({ path: join(OUTPUT_DIR, 'playground-custom-error.png'), fullPage: true });
  });

  it('races a working custom optimizer and reports one that throws at step time', async () => {
    await freshPage();
    await page.click('#define-custom'); // the example in the box: signSgd
    await page.waitForSelector('#custom-status[data-state="ok"]');
    await page.fill(
      '#custom-code',
      `({ defineOptimizer }) => defineOptimizer({
        name: 'explodes', defaults: { lr: 0.1 },
        rule: { init: () => null, update() { throw new RangeError('no step for you'); } },
      })`,
    );
    await page.click('#define-custom');
    await page.waitForFunction(() => document.querySelectorAll('.racer').length === 4);
    await page.selectOption('#task', 'himmelblau');
    await page.fill('#max-steps', '50');
    await page.click('#start');
    await page.waitForFunction(
      () =>
        Array.from(document.querySelectorAll('#results tbody tr')).every((tr) =>
          ['done', 'error'].includes((tr as HTMLElement).dataset.status ?? ''),
        ),
      null,
      { timeout: 120_000 },
    );
    const [, , sign, explodes] = await rows();
    expect(sign.status).toBe('done');
    expect(sign.step).toBe(50);
    // signSgd from (0, 0) with lr 0.01 moves every coordinate by exactly 0.01 per step
    expect(Math.abs(sign.x)).toBeCloseTo(0.5, 6);
    expect(Math.abs(sign.y)).toBeCloseTo(0.5, 6);
    expect(sign.loss).toBeLessThan(sign.initialLoss);
    expect(explodes.status).toBe('error');
    expect(explodes.text).toBe('#4 explodes threw at step 1: RangeError: no step for you');
    await page.screenshot({ path: join(OUTPUT_DIR, 'playground-custom-race.png'), fullPage: true });
  });

  it('made no request outside 127.0.0.1 and threw no page errors', () => {
    expect(session.offsite).toEqual([]);
    expect(session.requests.length).toBeGreaterThan(3);
    expect(session.requests.every((u) => u.startsWith(server.url))).toBe(true);
    expect(session.errors).toEqual([]);
  });
});
