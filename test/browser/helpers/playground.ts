// Driving the playground page in the browser tests: read its results table, open it, wait for a race to
// end, set a racer, add custom optimizers.
import type { Page } from 'playwright-core';

/** One row of the results table, from its data attributes. */
export interface Row {
  racer: string;
  step: number;
  seeds: number;
  diverged: number;
  loss: number;
  initialLoss: number;
  lossQ1: number;
  lossQ3: number;
  accuracy: number | null;
  x: number;
  y: number;
  pathLength: number;
  status: string;
  text: string;
}

export async function playgroundRows(page: Page): Promise<Row[]> {
  return page.$$eval('#results tbody tr', (trs) =>
    trs.map((tr) => {
      const d = (tr as HTMLElement).dataset;
      return {
        racer: d.racer ?? '',
        step: Number(d.step),
        seeds: Number(d.seeds),
        diverged: Number(d.diverged),
        loss: Number(d.loss),
        initialLoss: Number(d.initialLoss),
        lossQ1: Number(d.lossQ1),
        lossQ3: Number(d.lossQ3),
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

/** Load the playground from `url` and wait until its worker is ready. */
export async function openPlayground(page: Page, url: string): Promise<void> {
  await page.goto(`${url}index.html`);
  await page.waitForSelector('#race-status[data-state="ready"]', { timeout: 600_000 });
}

/** Wait until every racer has stopped (done, diverged or failed). */
export async function allStopped(page: Page): Promise<void> {
  await page.waitForFunction(
    () =>
      Array.from(document.querySelectorAll('#results tbody tr')).every((tr) =>
        ['done', 'diverged', 'error'].includes((tr as HTMLElement).dataset.status ?? ''),
      ),
    null,
    { timeout: 600_000 },
  );
}

/** Set racer `index` (0-based) to `optimizer` with the given inputs. */
export async function chooseRacer(
  page: Page,
  index: number,
  optimizer: string,
  options: Record<string, string>,
): Promise<void> {
  const card = page.locator('.racer').nth(index);
  await card.locator('select.optimizer').selectOption(optimizer);
  for (const [key, value] of Object.entries(options)) await card.locator(`.hp[data-key="${key}"]`).fill(value);
}

/** Define and add two custom optimizers: the example in the box (signSgd) and `explodes`, whose rule throws. */
export async function addCustomOptimizers(page: Page): Promise<void> {
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
}
