// What the WebGPU test page runs: every WebGPU kernel against the cpu kernel it mirrors (imported from
// the core sources) on seeded random inputs and ragged shapes, and the optimizer updates against an
// emulation of their float32 formulas. Each case reports its largest error; the Node side asserts.

import type { GpuArray, WebGpuContext } from '../../../packages/core/src/backends/webgpu/context';
import { WebGpuDeviceError, WebGpuLimitError } from '../../../packages/core/src/backends/webgpu/errors';
import {
  getWebGpuContext,
  initWebGpuBackend,
  type WebGpuBackendInfo,
} from '../../../packages/core/src/backends/webgpu/init';
import { binaryWebGpu } from '../../../packages/core/src/backends/webgpu/kernels/binary';
import { WebGpuUnavailableError } from '../../../packages/core/src/errors';
import { runConvCases, runPoolCases } from './cases-conv';
import { runActivationCases, runBinaryCases, runUnaryCases } from './cases-elementwise';
import { runGatherCases } from './cases-gather';
import { runMatmulCases } from './cases-matmul';
import { runOptimCases } from './cases-optim';
import { runReduceCases } from './cases-reduce';
import { type CaseReport, Checker } from './checker';
import { type ParityCase, runOpParity } from './ops-parity';
import { runWaitingChecks, type WaitingReport } from './optimizer-loops';
import { type OptimizerRun, runOptimizerChecks } from './optimizers';
import { runTrainingChecks, type TrainingReport } from './training';

/** What the page found. */
export interface WebGpuReport {
  info?: WebGpuBackendInfo;
  cases: CaseReport[];
  /** The names of the errors the bad-input checks threw (expected: the named errors). */
  errors: Record<string, string>;
  pipelines: number;
  /** Training on the backend against the cpu backend (or the error it threw). */
  training?: TrainingReport;
  trainingError?: string;
  /** Ops through the public API on the webgpu backend against the cpu backend. */
  parity?: ParityCase[];
  /** Every registered optimizer on the webgpu backend against the cpu backend. */
  optimizers?: OptimizerRun[];
  waiting?: WaitingReport;
  optimizersError?: string;
  error?: string;
}

async function errorChecks(context: WebGpuContext): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const name = (e: unknown) => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));
  try {
    context.upload(new Float64Array(3) as unknown as Float32Array);
    out.upload = 'no error';
  } catch (e) {
    out.upload = name(e);
  }
  try {
    context.createArray(context.maxElements + 1);
    out.tooLarge = 'no error';
  } catch (e) {
    out.tooLarge = `${e instanceof WebGpuLimitError}:${name(e)}`;
  }
  try {
    const a = context.upload(new Float32Array(4));
    binaryWebGpu('add', a, [2, 2], context.upload(new Float32Array(3)), [3], context.createArray(4), [2, 2]);
    out.shape = 'no error';
  } catch (e) {
    out.shape = name(e);
  }
  try {
    context.pipeline('broken', () => 'this is not WGSL');
    await context.settle();
    out.device = 'no error';
  } catch (e) {
    out.device = `${e instanceof WebGpuDeviceError}:${name(e)}`;
  }
  return out;
}

/** A read of `size` elements of a 2-D dispatch: more workgroups than one dimension holds. */
async function twoDimensional(checker: Checker, context: WebGpuContext): Promise<void> {
  const { mapUnaryWebGpu } = await import('../../../packages/core/src/backends/webgpu/kernels/elementwise');
  const size = context.maxWorkgroupsPerDimension * 256 + 1000;
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = (i % 1013) - 500.5;
  const x = context.upload(values);
  const out = context.createArray(size);
  mapUnaryWebGpu('neg', x, out);
  const ref = values.map((v) => -v);
  await checker.compare('dispatch over 2 dimensions (neg)', [out], [ref], { exact: true });
  context.release(x);
  context.release(out);
}

/** Run every check. */
export async function runWebGpuChecks(): Promise<WebGpuReport> {
  const report: WebGpuReport = { cases: [], errors: {}, pipelines: 0 };
  try {
    report.info = await initWebGpuBackend();
  } catch (e) {
    report.error = e instanceof WebGpuUnavailableError ? e.message : String(e);
    return report;
  }
  const context = getWebGpuContext();
  const checker = new Checker(context, report.cases);
  const run = async (label: string, fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (e) {
      report.cases.push({
        name: `${label}: threw`,
        exact: false,
        tolerance: 0,
        maxError: Number.NaN,
        mismatches: 1,
        count: 0,
        error: String((e as Error)?.stack ?? e),
      });
    }
  };
  await run('matmul', () => runMatmulCases(checker));
  await run('binary', () => runBinaryCases(checker));
  await run('unary', () => runUnaryCases(checker));
  await run('activations', () => runActivationCases(checker));
  await run('reduce', () => runReduceCases(checker));
  await run('conv', () => runConvCases(checker));
  await run('pool', () => runPoolCases(checker));
  await run('optim', () => runOptimCases(checker));
  await run('gather', () => runGatherCases(checker));
  await run('2-d dispatch', () => twoDimensional(checker, context));
  report.errors = await errorChecks(context);
  report.pipelines = context.pipelineCount;
  try {
    report.training = await runTrainingChecks();
  } catch (e) {
    report.trainingError = String((e as Error)?.stack ?? e);
  }
  try {
    report.parity = await runOpParity();
  } catch (e) {
    report.parity = [{ name: 'runOpParity', outputError: Number.NaN, gradError: Number.NaN, error: String(e) }];
  }
  try {
    report.optimizers = await runOptimizerChecks();
    report.waiting = await runWaitingChecks();
  } catch (e) {
    report.optimizersError = String((e as Error)?.stack ?? e);
  }
  return report;
}

export type { GpuArray };
