// The WebGPU device and kernels in Chromium on SwiftShader (WebGPU on the CPU): a page runs every WGSL
// kernel against the cpu kernel it mirrors and reports the largest error of each comparison; here each
// one is held to the tolerance the page states (or to bit-for-bit equality where it claims it; see the
// comments in test/browser/webgpu/cases-*.ts for which and why). SwiftShader's speed says nothing about
// a GPU's, so nothing here is timed. And in Node, which has no WebGPU, initWebGpuBackend rejects.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initWebGpuBackend, WebGpuUnavailableError } from '../../packages/core/src/index';
import { sourceAliases } from '../../vitest.shared.ts';
import { launchChromium, OUTPUT_DIR, recordingContext } from './helpers/browser';
import { type StaticServer, serveStatic } from './helpers/server';
import type { WebGpuReport } from './webgpu/check';

let server: StaticServer;
let browser: Browser;
let report: WebGpuReport;
let pageErrors: string[];
let offsite: string[];

beforeAll(async () => {
  const root = join(import.meta.dirname, 'webgpu');
  const outDir = join(OUTPUT_DIR, 'webgpu');
  await build({
    root,
    configFile: false,
    base: './',
    logLevel: 'warn',
    resolve: { alias: sourceAliases },
    build: { outDir, emptyOutDir: true, target: 'es2022', minify: false },
  });
  server = await serveStatic(outDir);
  browser = await launchChromium({ webgpu: true });
  const recorded = await recordingContext(browser, server.url);
  pageErrors = recorded.errors;
  offsite = recorded.offsite;
  const page = await recorded.context.newPage();
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  await page.goto(`${server.url}index.html`);
  await page.waitForFunction(() => window.__webgpu !== undefined, null, { timeout: 600_000 });
  report = (await page.evaluate(() => window.__webgpu)) as WebGpuReport;
  writeFileSync(join(OUTPUT_DIR, 'webgpu-report.json'), JSON.stringify(report, null, 2)); // for reading, not asserted
  await recorded.context.close();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('WebGPU in Chromium (SwiftShader)', () => {
  it('finds the SwiftShader adapter and reports its limits', () => {
    expect(report.error).toBeUndefined();
    expect(pageErrors).toEqual([]);
    expect(offsite).toEqual([]);
    const info = report.info;
    expect(info?.adapter.vendor).toBe('google');
    expect(info?.adapter.architecture).toBe('swiftshader');
    expect(info?.limits.maxComputeWorkgroupsPerDimension).toBeGreaterThanOrEqual(65535);
    expect(info?.limits.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(128 * 2 ** 20);
    expect(info?.maxElements).toBe(Math.floor((info?.limits.maxStorageBufferBindingSize ?? 0) / 4));
    expect(info?.features).toEqual([...(info?.features ?? [])].sort());
  });

  it('runs every kernel within its stated tolerance of the cpu kernel, bit for bit where claimed', () => {
    const failures = report.cases
      .filter((c) => c.error !== undefined || c.mismatches > 0 || c.count === 0)
      .map(
        (c) =>
          `${c.name}: ${c.error ?? `${c.mismatches}/${c.count} off, max error ${c.maxError} (${c.exact ? 'exact' : `tolerance ${c.tolerance}`}), first ${c.first}`}`,
      );
    expect(failures).toEqual([]);
    const names = report.cases.map((c) => c.name).join('\n');
    for (const family of [
      'matmul',
      'batched matmul',
      'binary',
      'unary',
      'activation',
      'reduce',
      'softmax',
      'logSoftmax',
      'conv2d',
      'maxPool2d',
      'avgPool2d',
      'adam',
      'sgd',
      'rmsprop',
      'adagrad',
      'lion',
      'ademamix',
      'scheduleFree',
      'adan',
      'lamb',
      'cautiousAdamw',
      'prodigy',
      'soapAdam',
      'soapLerp',
      'soapApply',
      'gather',
      'scatterAdd',
      'indexSelect',
      'indexAdd',
      'dispatch over 2 dimensions',
    ])
      expect(names, family).toContain(family);
    expect(report.cases.length).toBeGreaterThan(250);
    // the exact comparisons really are exact, and the others are not vacuous
    for (const c of report.cases) {
      if (c.exact) expect(c.maxError, c.name).toBe(0);
      else expect(c.tolerance, c.name).toBeGreaterThan(0);
    }
    // each kernel variant compiled once: the pipeline cache holds one pipeline per variant, far fewer than the cases
    expect(report.pipelines).toBeGreaterThan(30);
    expect(report.pipelines).toBeLessThan(report.cases.length / 3);
  });

  it('rejects bad input and surfaces device errors with named errors', () => {
    expect(report.errors.upload).toMatch(/^DTypeError: WebGpuContext.upload: values must be a Float32Array/);
    expect(report.errors.tooLarge).toMatch(/^true:WebGpuLimitError: WebGpuContext.createArray: \d+ elements/);
    expect(report.errors.shape).toMatch(/^ShapeError: binaryWebGpu\(add\): bShape \[3\] does not broadcast/);
    expect(report.errors.device).toMatch(/^true:WebGpuDeviceError: WebGpuContext.settle: .*compiling kernel broken/);
  });
});

describe('Training on the webgpu backend in Chromium (SwiftShader)', () => {
  it('trains an MLP (Adam, Lion, AdEMAMix), a CNN (SGD, momentum) and a CNN with batch norm (SGD) with the losses, weights and running statistics of the cpu backend, within float32 tolerance', () => {
    expect(report.trainingError).toBeUndefined();
    const training = report.training;
    expect(training?.runs.length).toBe(5);
    for (const run of training?.runs ?? []) {
      expect(run.gpuLosses.length, run.name).toBe(run.cpuLosses.length);
      expect(run.cpuLosses.length, run.name).toBeGreaterThanOrEqual(6);
      run.cpuLosses.forEach((l, i) => {
        expect(Number.isFinite(run.gpuLosses[i]), `${run.name} step ${i}`).toBe(true);
        expect(Math.abs(run.gpuLosses[i] - l) / Math.max(1, Math.abs(l)), `${run.name} step ${i}`).toBeLessThan(1e-4);
      });
      // training moved: the last loss is below the first on both backends
      expect(run.cpuLosses.at(-1) as number, run.name).toBeLessThan(run.cpuLosses[0]);
      expect(run.weights, run.name).toBeGreaterThan(100);
      expect(run.weightError, run.name).toBeLessThan(1e-4);
    }
  });

  it('runs fit() with metrics and validation, with the history of the cpu backend, reading each batch back in one copy', () => {
    const f = report.training?.fit;
    expect(f?.cpu.length).toBe(4);
    expect(f?.gpu.length).toBe(4);
    f?.cpu.forEach((epoch, i) => {
      const keys = Object.keys(epoch).sort();
      expect(keys).toEqual(expect.arrayContaining(['accuracy', 'loss', 'valAccuracy', 'valLoss']));
      expect(Object.keys(f.gpu[i]).sort()).toEqual(keys);
      for (const k of keys) expect(Math.abs(f.gpu[i][k] - epoch[k]), `epoch ${i} ${k}`).toBeLessThan(1e-5);
    });
    expect(f?.cpu[3].loss).toBeLessThan(f?.cpu[0].loss as number);
    // one wait for the GPU per batch, training or validation: the loss and the outputs the metrics read come
    // back together (cross-entropy's gather and its gradient run on the GPU too)
    expect(f?.reads).toBe(f?.batches);
    expect(f?.downloads).toBe(2 * (f?.batches as number));
  });

  it('runs ops through the public API with the outputs and gradients of the cpu backend', () => {
    const cases = (report.parity ?? []).filter((c) => c.counts === undefined);
    expect(cases.length).toBeGreaterThanOrEqual(39);
    // the ops without a GPU kernel ran their cpu kernels, and some of those calls waited for their inputs to
    // come back from the GPU (the deferred path), e.g. concat and cast
    const counts = report.parity?.find((c) => c.counts !== undefined)?.counts;
    expect(counts?.deferred).toBeGreaterThan(0);
    expect(Object.keys(counts?.fallbacks ?? {})).toEqual(expect.arrayContaining(['concat', 'cast']));
    // where, layerNorm, variance, slice, pad, permute, the attention softmax and the in-place ops' store have GPU kernels
    for (const k of [
      'where',
      'variance',
      'layerNorm',
      'layerNormBackward',
      'slice',
      'sliceBackward',
      'pad',
      'permute',
      'attentionSoftmax',
      'copy',
    ])
      expect(counts?.fallbacks[k] ?? 0, k).toBe(0);
    const failures = cases
      .filter((c) => c.error !== undefined || !(c.outputError < 1e-4) || !(c.gradError < 1e-4))
      .map((c) => `${c.name}: ${c.error ?? `output ${c.outputError}, gradients ${c.gradError}`}`);
    expect(failures).toEqual([]);
  });

  it('refuses synchronous reads of GPU tensors, naming the async methods, and leaving the backend before a sync', () => {
    const t = report.training;
    expect(t?.syncRead).toMatch(/^true:HostReadError: Tensor\.values: .*GPU.*await t\.itemAsync\(\)/);
    expect(t?.syncValues).toMatch(/^true:HostReadError: Tensor\.values: /);
    expect(t?.asyncValue).toBe(2);
    expect(t?.leave).toMatch(/^false:ValueError: setBackend: \d+ arrays .* await syncWebGpuToHost\(\) first/);
    expect(t?.leftAfterSync).toBe('no error');
    // a write through a kept `data` array reaches the GPU (it is copied up at every use)
    expect(t?.keptWrite).toEqual([
      [1, 2, 3],
      [0, 5, 0],
    ]);
  });

  it('counts GPU kernels, cpu fallbacks by kernel and the copies', () => {
    const stats = report.training?.stats;
    expect(stats?.gpuKernels).toBeGreaterThan(100);
    // every kernel of the MLP and CNN steps (batch norm's variance too) runs on the GPU, and so do int32
    // copies (loadStateDict's copy of batch norm's batch counter); fit() picks its shuffled batches from host
    // tensors with indexSelect, on the cpu
    expect(Object.keys(stats?.fallbacks ?? {}).sort()).toEqual(['indexSelect']);
    expect(stats?.uploads).toBeGreaterThan(0);
    expect(stats?.downloads).toBeGreaterThan(0);
    expect(stats?.downloadBytes).toBeGreaterThanOrEqual(4 * (stats?.downloads ?? 0));
  });
});

describe('Every registered optimizer on the webgpu backend in Chromium (SwiftShader)', () => {
  // fused steps run as GPU kernels; SAM's stepAsync climbs, re-evaluates and returns with tensor ops, then
  // takes SGD's fused step; Lookahead takes Adam's fused step and its sync kernel; L-BFGS runs its whole step
  // on the host. Prodigy's fused step keeps its estimate of d on the GPU and copies it into the state with a
  // host task per step; SOAP's runs eigh on the host at a weight's first step (and QR every 10 steps, not
  // reached).
  const FUSED = [
    'adadelta',
    'adagrad',
    'adam',
    'adamax',
    'adamw',
    'adamwScheduleFree',
    'adan',
    'ademamix',
    'asgd',
    'cautiousAdamw',
    'lamb',
    'lion',
    'lookahead',
    'muon',
    'nadam',
    'prodigy',
    'radam',
    'rmsprop',
    'rprop',
    'sam',
    'sgd',
    'sgdScheduleFree',
    'soap',
  ];
  const CLOSURE = ['lbfgs'];

  it("trains the same MLP with every optimizer to the cpu backend's losses and weights, the learning rate changing between steps", () => {
    expect(report.optimizersError).toBeUndefined();
    const runs = report.optimizers ?? [];
    expect(runs.map((r) => r.name).sort()).toEqual([...FUSED, ...CLOSURE].sort());
    const failures: string[] = [];
    for (const r of runs) {
      if (r.error !== undefined) {
        failures.push(`${r.name}: ${r.error}`);
        continue;
      }
      if (r.gpuLosses.length !== 5 || r.cpuLosses.length !== 5) failures.push(`${r.name}: ${r.gpuLosses.length} steps`);
      r.cpuLosses.forEach((l, i) => {
        if (!(Math.abs(r.gpuLosses[i] - l) <= 1e-4 * Math.max(1, Math.abs(l))))
          failures.push(`${r.name} step ${i}: loss ${r.gpuLosses[i]} against ${l}`);
      });
      if (!((r.cpuLosses.at(-1) as number) < r.cpuLosses[0])) failures.push(`${r.name}: the loss did not go down`);
      // float32 differences in the gradients (GPU against cpu sums) move the weights no more than a one-rounding
      // change of the input does on the cpu: for SOAP, whose eigenbases amplify it, that is about 5e-3
      if (!(r.weightError <= Math.max(1e-6, 5 * r.spread)))
        failures.push(`${r.name}: weights ${r.weightError} off (a one-rounding input change moves them ${r.spread})`);
      if (Object.keys(r.fallbacks).length > 0) failures.push(`${r.name}: cpu fallbacks ${JSON.stringify(r.fallbacks)}`);
      // host tasks: Prodigy's copy of its statistics each step, SAM's of its norm, SOAP's eigh of each of the 3
      // weights' factors
      const tasks = r.name === 'prodigy' || r.name === 'sam' ? 5 : r.name === 'soap' ? 3 : 0;
      if (r.hostTasks !== tasks) failures.push(`${r.name}: ${r.hostTasks} host tasks, expected ${tasks}`);
      // what comes back during the steps: the loss (4 bytes a step), Prodigy's 10 statistics a step, SAM's norm
      // and its square, and for SOAP's eigh the factors and bases of the weights (2 · (16² + 12² + 8² + 16² + 4²
      // + 8²) floats); L-BFGS's closure step brings its parameters
      const extra = { prodigy: 5 * 40, sam: 5 * 8, soap: 2 * 4 * 800 }[r.name as 'prodigy' | 'sam' | 'soap'] ?? 0;
      const bytes = 5 * 4 + extra;
      if (!CLOSURE.includes(r.name) && r.stepDownloadBytes > bytes)
        failures.push(`${r.name}: ${r.stepDownloadBytes} bytes copied back during the steps (${bytes} expected)`);
    }
    expect(failures).toEqual([]);
    // the noise allowance is small except where the cpu itself shows it
    for (const r of runs) if (r.name !== 'soap') expect(r.spread, r.name).toBeLessThan(1e-6);
  });

  it('refuses the state dict of a step still waiting for the GPU, and a closure step over parameters on the GPU', () => {
    const w = report.waiting;
    expect(w?.stateDictWhileWaiting).toMatch(
      /^HostReadError: soap\.stateDict: 1 step\(s\) of this optimizer still wait for values on the GPU .*await/,
    );
    expect(w?.stateDictAfter).toBe('no error');
    expect(w?.fusedWhileWaiting).toMatch(
      /^HostReadError: prodigy\.stateDict: 1 step\(s\) of this optimizer still wait/,
    );
    expect(w?.fusedAfterSync).toBe('no error');
    expect(w?.prodigyK).toBe(1);
    expect(w?.closureOnGpu).toMatch(/^HostReadError: lbfgs\.step .*await bringToHost\(params\) first.*GPU/);
    expect(w?.closureAfterBring).toBe('no error');
    // a host task reads its array though a GPU op queued after it reads it too (that op runs after it)
    expect(w?.taskBeforeKernel).toEqual([3, 1, 7, 1]);
    // a rule step after fused ones reads the moments and slow weights the kernels left on the GPU
    expect(w?.fusedThenRule).toBeLessThan(1e-6);
  });

  it("runs fit() with the plugins that read values (clipping, NaN guard, gradient monitor, early stopping) to the cpu backend's history", () => {
    const f = report.waiting?.fitPlugins;
    expect(f?.cpu.length).toBe(12); // 4 epochs of 3 batches
    expect(f?.gpu.length).toBe(12);
    f?.cpu.forEach((batch, i) => {
      const keys = Object.keys(batch).sort();
      // the clipped norm and the per-layer gradient norms are logged, so the plugins really read the gradients
      expect(keys).toEqual(expect.arrayContaining(['gradNorm', 'grad_norm/total', 'loss']));
      expect(Object.keys(f.gpu[i]).sort()).toEqual(keys);
      for (const k of keys) expect(Math.abs(f.gpu[i][k] - batch[k]), `batch ${i} ${k}`).toBeLessThan(1e-5);
    });
    expect(f?.cpu[11].loss).toBeLessThan(f?.cpu[0].loss as number);
    expect(Number.isFinite(f?.restored)).toBe(true);
  });

  it("keeps an EMA of the weights during GPU training, equal to the cpu backend's", () => {
    const e = report.waiting?.ema;
    expect(e?.moved).toBeGreaterThan(1e-4); // the averages moved away from the initial weights
    expect(e?.error).toBeLessThan(1e-6);
  });

  it("runs fit() with SAM (on the GPU) and L-BFGS (on the host) to the cpu backend's history", () => {
    const runs = report.waiting?.fitClosure ?? [];
    expect(runs.map((r) => r.name)).toEqual(['sam', 'lbfgs']);
    for (const r of runs) {
      expect(r.cpu.length, r.name).toBe(3);
      expect(r.gpu.length, r.name).toBe(3);
      expect(r.cpu[2], r.name).toBeLessThan(r.cpu[0]);
      r.cpu.forEach((l, i) => {
        expect(Math.abs(r.gpu[i] - l), `${r.name} epoch ${i}`).toBeLessThan(1e-5);
      });
    }
    // SAM's 6 steps bring back only the losses (4 bytes, read by fit and by stepAsync) and SAM's norm (8 bytes)
    // each; L-BFGS's bring at least the model's 380 parameters each
    const [samRun, lbfgsRun] = runs;
    expect(samRun.gpuBytes).toBeGreaterThan(0);
    expect(samRun.gpuBytes).toBeLessThanOrEqual(6 * (4 + 4 + 8));
    expect(lbfgsRun.gpuBytes).toBeGreaterThan(6 * 380 * 4);
  });
});

describe('WebGPU in Node', () => {
  it('initWebGpuBackend rejects with WebGpuUnavailableError naming the function and the reason', async () => {
    expect((globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu).toBeUndefined();
    const pending = initWebGpuBackend();
    await expect(pending).rejects.toBeInstanceOf(WebGpuUnavailableError);
    await expect(pending).rejects.toThrow(/^initWebGpuBackend: WebGPU is not available: .*no navigator\.gpu/);
    // a second call tries again (nothing was cached) and fails the same way
    await expect(initWebGpuBackend()).rejects.toThrow(WebGpuUnavailableError);
  });
});
