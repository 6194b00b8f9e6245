// The playground, built with Vite (by the test command, or `pnpm run playground`) and served on 127.0.0.1,
// driven in Debian's Chromium: races on Rosenbrock, spirals above 90%, custom optimizers that throw,
// pause/step/reset, and no network access; and its honesty (issue 16): several seeds drawn as a median with
// an IQR band, a diverged optimizer flagged, labelled axes on every plot with ticks at powers of ten (never
// `1e-0.2`), and class colours apart from the optimizers' colours. Screenshots go to test-output/browser/.
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLASS_COLORS, hexRgb, PALETTE } from '../../examples/playground/src/plots';
import { TASK_DEFAULTS } from '../../examples/playground/src/tuning';
import { launchChromium, OUTPUT_DIR, recordingContext } from './helpers/browser';
import { playgroundDist } from './helpers/build';
import { addCustomOptimizers, allStopped, chooseRacer, openPlayground, playgroundRows } from './helpers/playground';
import { type StaticServer, serveStatic } from './helpers/server';

let server: StaticServer;
let browser: Browser;
let session: Awaited<ReturnType<typeof recordingContext>>;
let context: BrowserContext;
let page: Page;

const rows = () => playgroundRows(page);
const freshPage = () => openPlayground(page, server.url);
const finished = () => allStopped(page);
const setRacer = (index: number, optimizer: string, options: Record<string, string>) =>
  chooseRacer(page, index, optimizer, options);
const addCustomRacers = () => addCustomOptimizers(page);

/** What every visible plot shows of its axes: labels, ticks, scale. */
async function visiblePlots() {
  return page.$$eval('svg.plot', (plots) =>
    plots
      .filter((p) => p.getBoundingClientRect().width > 0)
      .map((p) => ({
        id: p.id,
        scale: (p as SVGSVGElement).dataset.scale ?? 'linear',
        xLabel: p.querySelector('.axis-label[data-axis="x"]')?.textContent ?? '',
        yLabel: p.querySelector('.axis-label[data-axis="y"]')?.textContent ?? '',
        xTicks: Array.from(p.querySelectorAll('.tick[data-axis="x"]'), (t) => t.textContent ?? ''),
        yTicks: Array.from(p.querySelectorAll('.tick[data-axis="y"]'), (t) => t.textContent ?? ''),
      })),
  );
}

/** Every visible plot has both axes labelled and ticked, ticks without fractional exponents, log ticks at 1-2-5 x 10^k. */
async function expectLabelledAxes(expected: Record<string, [x: string, y: string]>): Promise<void> {
  const plots = await visiblePlots();
  expect(plots.length).toBeGreaterThanOrEqual(Object.keys(expected).length);
  for (const plot of plots) {
    const labels = expected[plot.id] ?? expected[plot.id.replace(/-r\d+$/, '')];
    expect(labels, `unexpected plot ${plot.id}`).toBeDefined();
    expect([plot.id, plot.xLabel, plot.yLabel]).toEqual([plot.id, ...labels]);
    expect(plot.xTicks.length, plot.id).toBeGreaterThanOrEqual(2);
    expect(plot.yTicks.length, plot.id).toBeGreaterThanOrEqual(2);
    for (const tick of [...plot.xTicks, ...plot.yTicks]) {
      expect(tick).not.toMatch(/1e-?\d+\.\d/);
      expect(Number.isFinite(Number(tick)), `tick ${tick} of ${plot.id}`).toBe(true);
    }
    if (plot.scale === 'log')
      for (const tick of plot.yTicks) {
        const v = Number(tick);
        const mantissa = Number((v / 10 ** Math.floor(Math.log10(v) + 1e-9)).toPrecision(6));
        expect([1, 2, 5], `log tick ${tick} of ${plot.id}`).toContain(mantissa);
      }
  }
}

/** The smallest RGB distance from `rgb` to a colour of the optimizer palette. */
function paletteDistance(rgb: readonly number[]): number {
  return Math.min(...PALETTE.map((hex) => Math.hypot(...hexRgb(hex).map((c, i) => c - rgb[i]))));
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
  it('lists every registered optimizer, with PyTorch defaults and a learning rate tuned for the task', async () => {
    await freshPage();
    const names = await page.$$eval('.racer:first-child select.optimizer option', (os) =>
      os.map((o) => (o as HTMLOptionElement).value),
    );
    expect(names).toEqual(expect.arrayContaining(['adam', 'adamw', 'sgd', 'rmsprop', 'adagrad', 'lbfgs', 'lion']));
    const adam = page.locator('.racer').nth(1);
    const lr = adam.locator('.hp[data-key="lr"]');
    expect(Number(await lr.inputValue())).toBe(TASK_DEFAULTS.rosenbrock.lr.adam);
    expect(await lr.getAttribute('data-pytorch-default')).toBe('0.001');
    expect(await lr.getAttribute('title')).toMatch(/tuned for Rosenbrock .*PyTorch's\) default is 0\.001/);
    expect(await adam.locator('.hp[data-key="betas"]').inputValue()).toBe('0.9, 0.999');
    expect(await adam.locator('.hp[data-key="eps"]').inputValue()).toBe('1e-8');
    expect(await page.locator('.racer').nth(0).locator('.hp[data-key="momentum"]').inputValue()).toBe('0');
    expect(await page.inputValue('#max-steps')).toBe(String(TASK_DEFAULTS.rosenbrock.maxSteps));
    expect(await page.inputValue('#seeds')).toBe('1');
    expect(await page.textContent('#seeds-note')).toMatch(
      /deterministic: seed 1 starts at ●, seeds 2 and up start slightly off it/,
    );
    // another task, other defaults: 3 seeds on the models, and their own learning rates
    await page.selectOption('#task', 'digits');
    expect(await page.inputValue('#seeds')).toBe('3');
    expect(await page.inputValue('#max-steps')).toBe(String(TASK_DEFAULTS.digits.maxSteps));
    expect(Number(await lr.inputValue())).toBe(TASK_DEFAULTS.digits.lr.adam ?? 0.001);
    // the seeds are kept within 1..10
    await page.fill('#seeds', '40');
    await page.click('#step');
    await page.waitForFunction(() => document.querySelector<HTMLElement>('#results tbody tr')?.dataset.step === '1');
    expect(await page.inputValue('#seeds')).toBe('10');
    expect((await rows())[0].seeds).toBe(10);
  });

  it('trains in the worker on the wasm backend (Chromium has WebAssembly SIMD)', async () => {
    await freshPage();
    await page.waitForFunction(() => document.getElementById('backend')?.textContent?.startsWith('backend: '));
    expect(await page.locator('#backend').textContent()).toMatch(/^backend: wasm \(available: cpu, wasm\)/);
  });

  it('races sgd and adam on Rosenbrock: both trajectories move and both losses fall', async () => {
    await freshPage();
    await page.selectOption('#task', 'rosenbrock');
    await setRacer(0, 'sgd', { lr: '0.001' });
    await setRacer(1, 'adam', { lr: '0.02' });
    await page.fill('#max-steps', '300');
    await page.selectOption('#pace', '0');
    await page.click('#start');
    await finished();
    const [sgd, adam] = await rows();
    for (const r of [sgd, adam]) {
      expect(r.status).toBe('done');
      expect(r.step).toBe(300);
      expect(r.seeds).toBe(1);
      expect(r.initialLoss).toBeCloseTo(12.5, 6); // f(-1.5, 2) = 2.5² + 100 (2 - 2.25)²
      expect(r.loss).toBeLessThan(r.initialLoss / 2);
      expect(r.pathLength).toBe(301);
      expect(Math.hypot(r.x + 1.5, r.y - 2)).toBeGreaterThan(0.3);
    }
    expect(Math.hypot(sgd.x - adam.x, sgd.y - adam.y)).toBeGreaterThan(1e-3);
    // the contour map is drawn, one trajectory per racer on it; one seed: no band
    expect(await page.getAttribute('#contour image.contour-map', 'href')).toMatch(/^data:image\/png;base64,.{2000}/);
    const trajectories = await page.$$eval('#contour path.trajectory', (ps) =>
      ps.map((p) => (p.getAttribute('d') ?? '').split('L').length),
    );
    expect(trajectories).toHaveLength(2);
    for (const n of trajectories) expect(n).toBeGreaterThan(100);
    expect(await page.locator('#loss-curves path.median').count()).toBe(2);
    expect(await page.locator('path.band').count()).toBe(0);
    expect(await page.textContent('#legend-note')).toMatch(/one seed/);
    await expectLabelledAxes({ contour: ['x', 'y'], 'loss-curves': ['step', 'f(x, y)'] });
    await page.screenshot({ path: join(OUTPUT_DIR, 'playground-rosenbrock.png'), fullPage: true });
  });

  it('shows 3 seeds as a median with an IQR band, and flags an optimizer whose lr is far too large as diverged', async () => {
    await freshPage();
    await page.selectOption('#task', 'rosenbrock');
    await page.fill('#seeds', '3');
    await setRacer(0, 'sgd', { lr: '1000' });
    await page.fill('#max-steps', '150');
    await page.selectOption('#pace', '0');
    await page.click('#start');
    await finished();
    const [sgd, adam] = await rows();
    expect(sgd.status).toBe('diverged');
    expect([sgd.seeds, sgd.diverged, sgd.step]).toEqual([3, 3, 2]);
    expect(sgd.text).toMatch(
      /^#1 sgd diverged on 3\/3 seeds \(first at step 2: loss \S+ > 10 × \|initial loss [\d.]+\|\)$/,
    );
    expect(adam.status).toBe('done');
    expect([adam.seeds, adam.diverged, adam.step]).toEqual([3, 0, 150]);
    expect(adam.loss).toBeLessThan(adam.initialLoss);
    // the legend flags it, the loss curve ends with a marker, and each seed's trajectory too
    const legend = page.locator(`#legend-items li[data-racer="${sgd.racer}"]`);
    expect(await legend.getAttribute('data-status')).toBe('diverged');
    expect(await legend.locator('.flag').textContent()).toBe('diverged (3/3 seeds)');
    expect(await page.locator(`#legend-items li[data-racer="${adam.racer}"] .flag`).textContent()).toBe('');
    expect(await page.locator(`#loss-curves .diverged-marker[data-racer="${sgd.racer}"]`).count()).toBe(1);
    expect(await page.getAttribute(`#loss-curves .diverged-marker[data-racer="${sgd.racer}"]`, 'data-step')).toBe('2');
    expect(await page.locator(`#contour .diverged-marker[data-racer="${sgd.racer}"]`).count()).toBe(3);
    expect(await page.locator(`.diverged-marker[data-racer="${adam.racer}"]`).count()).toBe(0);
    // a band for the optimizer that kept going, with a width, and the legend says what it is
    expect(await page.textContent('#legend-note')).toMatch(/median over 3 seeds, band = IQR/);
    const band = await page.getAttribute(`#loss-curves path.band[data-racer="${adam.racer}"]`, 'd');
    expect(band).toMatch(/^M.*Z$/);
    expect(await page.locator('#contour path.trajectory').count()).toBe(6);
    expect(adam.lossQ3 - adam.lossQ1).toBeGreaterThan(0);
    await expectLabelledAxes({ contour: ['x', 'y'], 'loss-curves': ['step', 'f(x, y)'] });
    expect(await page.getAttribute('#loss-curves', 'data-scale')).toBe('log');
    await page.screenshot({ path: join(OUTPUT_DIR, 'playground-seeds-diverged.png'), fullPage: true });
  });

  it('draws bands on both curves of a model task, with labelled axes', async () => {
    await freshPage();
    await page.selectOption('#task', 'digits');
    expect(await page.inputValue('#seeds')).toBe('3');
    await page.fill('#max-steps', '15');
    await page.click('#start');
    await finished();
    const [sgd, adam] = await rows();
    for (const r of [sgd, adam]) {
      expect([r.status, r.seeds, r.step]).toEqual(['done', 3, 15]);
      expect(r.accuracy).toBeGreaterThan(0.1); // measured at the last step too, not only every 10
      expect(r.loss).toBeLessThan(r.initialLoss);
    }
    expect(await page.locator('#loss-curves path.band').count()).toBe(2);
    expect(await page.locator('#acc-curves path.band').count()).toBe(2);
    await expectLabelledAxes({
      'loss-curves': ['step (full batch: 1 step = 1 epoch)', 'train loss (cross-entropy)'],
      'acc-curves': ['step (full batch: 1 step = 1 epoch)', 'held-out accuracy'],
    });
    await page.screenshot({ path: join(OUTPUT_DIR, 'playground-digits.png'), fullPage: true });
  });

  it('pauses, steps once and resets', async () => {
    await freshPage();
    await page.selectOption('#task', 'illConditioned');
    await page.fill('#max-steps', '100000000'); // still racing when paused
    await page.selectOption('#pace', '0');
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

  it('trains the two spirals above 90% accuracy and draws decision maps in class colours apart from the racers', async () => {
    await freshPage();
    await page.selectOption('#task', 'spirals');
    await page.fill('#seeds', '1');
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
    await page.waitForFunction(() =>
      Array.from(document.querySelectorAll('#boundaries image.decision-map')).every((i) => i.getAttribute('href')),
    );
    await expectLabelledAxes({
      boundary: ['x1', 'x2'],
      'loss-curves': ['step (full batch: 1 step = 1 epoch)', 'train loss (cross-entropy)'],
      'acc-curves': ['step (full batch: 1 step = 1 epoch)', 'train accuracy'],
    });
    // the class legend, the points and the shaded regions use colours far from every racer colour
    const racerColors = await page.$$eval('.racer', (cards) => cards.map((c) => (c as HTMLElement).dataset.color));
    expect(PALETTE).toEqual(expect.arrayContaining(racerColors));
    const classColors = await page.$$eval(
      '#class-legend .class-swatch, #class-legend .class-point, #boundaries .class-point',
      (els) => [...new Set(els.flatMap((e) => [e.getAttribute('fill'), e.getAttribute('stroke')]))],
    );
    expect(await page.locator('#class-legend .class-item').allTextContents()).toEqual([
      ' class 0 (hollow points, its region shaded)',
      ' class 1 (filled points, its region shaded)',
    ]);
    const used = classColors.filter((c): c is string => typeof c === 'string' && c.startsWith('#') && c !== '#999');
    expect(used.sort()).toEqual(
      [...new Set([...CLASS_COLORS.fill, ...CLASS_COLORS.point, CLASS_COLORS.stroke])].sort(),
    );
    for (const c of used) {
      expect(PALETTE).not.toContain(c);
      expect(paletteDistance(hexRgb(c)), c).toBeGreaterThan(60);
    }
    // every pixel of the maps' rasters, the regions of adam's model split between the two classes
    const maps = await page.$$eval('#boundaries image.decision-map', (images) =>
      Promise.all(
        images.map(async (image) => {
          const img = new Image();
          img.src = image.getAttribute('href')!;
          await img.decode();
          const canvas = document.createElement('canvas');
          canvas.width = img.width;
          canvas.height = img.height;
          const ctx = canvas.getContext('2d')!;
          ctx.drawImage(img, 0, 0);
          const d = ctx.getImageData(0, 0, img.width, img.height).data;
          const colors = new Map<string, number>();
          for (let i = 0; i < d.length; i += 4) {
            const key = `${d[i]},${d[i + 1]},${d[i + 2]}`;
            colors.set(key, (colors.get(key) ?? 0) + 1);
          }
          return [...colors].map(([k, n]) => [...k.split(',').map(Number), n]);
        }),
      ),
    );
    expect(maps).toHaveLength(2);
    for (const colors of maps) for (const [r, g, b] of colors) expect(paletteDistance([r, g, b])).toBeGreaterThan(60);
    const [fill0, fill1] = CLASS_COLORS.fill.map(hexRgb);
    const near = (rgb: number[], to: number[]) => Math.hypot(...rgb.map((c, i) => c - to[i])) < 12;
    const share = (rgb: number[]) =>
      maps[1].filter((c) => near(c.slice(0, 3), rgb)).reduce((n, c) => n + c[3], 0) / (48 * 48);
    expect(share(fill0)).toBeGreaterThan(0.2);
    expect(share(fill1)).toBeGreaterThan(0.2);
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
    await addCustomRacers();
    await page.selectOption('#task', 'himmelblau');
    await page.fill('#max-steps', '50');
    await page.selectOption('#pace', '0');
    await page.click('#start');
    await finished();
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
