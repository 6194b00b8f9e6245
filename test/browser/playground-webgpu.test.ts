// The playground in a Chromium with WebGPU (SwiftShader): the models race on the webgpu backend, with the
// losses of the same race on the wasm backend (a Chromium without WebGPU), and the 2-D functions (float64)
// leave WebGPU with the reason on the page. Nothing is timed: SwiftShader is WebGPU emulated on the CPU.
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, OUTPUT_DIR, recordingContext } from './helpers/browser';
import { playgroundDist } from './helpers/build';
import {
  addCustomOptimizers,
  allStopped,
  chooseRacer,
  openPlayground,
  playgroundRows,
  type Row,
} from './helpers/playground';
import { type StaticServer, serveStatic } from './helpers/server';

let server: StaticServer;
let page: Page;

beforeAll(async () => {
  server = await serveStatic(playgroundDist());
});

afterAll(async () => {
  await server?.close();
});

describe('the playground on WebGPU (Chromium on SwiftShader)', () => {
  let wasmBrowser: Browser;
  let gpuBrowser: Browser;
  let wasmSession: Awaited<ReturnType<typeof recordingContext>>;
  let gpuSession: Awaited<ReturnType<typeof recordingContext>>;

  beforeAll(async () => {
    wasmBrowser = await launchChromium();
    wasmSession = await recordingContext(wasmBrowser, server.url);
    gpuBrowser = await launchChromium({ webgpu: true });
    gpuSession = await recordingContext(gpuBrowser, server.url);
  });

  afterAll(async () => {
    await wasmBrowser?.close();
    await gpuBrowser?.close();
  });

  /** 12 steps of L-BFGS, Adam, signSgd (a rule in JavaScript) and a rule that throws, on the spirals. */
  async function raceSpirals(): Promise<{ rows: Row[]; backend: string }> {
    await openPlayground(page, server.url);
    await addCustomOptimizers(page);
    await page.selectOption('#task', 'spirals');
    await page.fill('#seeds', '1');
    await chooseRacer(page, 0, 'lbfgs', { lr: '0.1', maxIter: '2' });
    await chooseRacer(page, 1, 'adam', { lr: '0.01' });
    await page.fill('#max-steps', '12');
    await page.selectOption('#pace', '0');
    await page.click('#start');
    await allStopped(page);
    return { rows: await playgroundRows(page), backend: (await page.textContent('#backend')) ?? '' };
  }

  it('races the spirals on the webgpu backend, says so, and gives the losses of the wasm backend', async () => {
    page = await wasmSession.context.newPage();
    const wasm = await raceSpirals();
    expect(wasm.backend).toMatch(/^backend: wasm \(available: cpu, wasm\); no WebGPU: initWebGpuBackend: /);
    page = await gpuSession.context.newPage();
    const gpu = await raceSpirals();
    expect(gpu.backend).toBe('backend: webgpu (available: cpu, wasm, webgpu); WebGPU adapter google / swiftshader');
    // the same race: L-BFGS (which steps on the host), Adam (fused, on the GPU) and signSgd (its rule in
    // JavaScript, after the gradients come back) end where they did on the wasm backend
    for (const i of [0, 1, 2]) {
      const [w, g] = [wasm.rows[i], gpu.rows[i]];
      expect(g.status, w.racer).toBe('done');
      expect(g.step, w.racer).toBe(12);
      expect(w.loss, w.racer).toBeLessThan(w.initialLoss);
      expect(Math.abs(g.initialLoss - w.initialLoss), w.racer).toBeLessThan(1e-5);
      expect(Math.abs(g.loss - w.loss), w.racer).toBeLessThan(1e-4);
      expect(Math.abs((g.accuracy ?? 0) - (w.accuracy ?? 1)), w.racer).toBeLessThanOrEqual(2 / 300);
    }
    // the rule throws inside a step that waited for the GPU: still that racer's error, at its first step
    for (const r of [wasm.rows[3], gpu.rows[3]]) {
      expect(r.status).toBe('error');
      expect(r.text).toBe('#4 explodes threw at step 1: RangeError: no step for you');
    }
    await page.waitForFunction(() =>
      Array.from(document.querySelectorAll('#boundaries image.decision-map')).every((i) => i.getAttribute('href')),
    );
    await page.screenshot({ path: join(OUTPUT_DIR, 'playground-webgpu-spirals.png'), fullPage: true });
    // the 2-D functions are float64: they leave WebGPU, and the page says why
    await page.selectOption('#task', 'rosenbrock');
    await page.fill('#max-steps', '20');
    await page.click('#start');
    await allStopped(page);
    expect(await page.textContent('#backend')).toBe(
      'backend: wasm (available: cpu, wasm, webgpu); the 2-D functions run in float64, which WebGPU does not have',
    );
    const [, adam] = await playgroundRows(page);
    expect(adam.status).toBe('done');
    expect(adam.loss).toBeLessThan(adam.initialLoss);
    for (const session of [wasmSession, gpuSession]) {
      expect(session.offsite).toEqual([]);
      expect(session.errors).toEqual([]);
    }
  });
});
