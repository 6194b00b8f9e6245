// The training worker: registers every optimizer plugin, builds races and runs them in time slices, so
// that the page stays responsive and pause/step messages are handled between slices. The models train on
// WebGPU where the browser has it (their values are then read asynchronously, a race step at a time); the
// 2-D functions, in float64, on WebAssembly (or the cpu kernels).
import {
  getBackend,
  initWasmBackend,
  initWebGpuBackend,
  listBackends,
  setBackend,
  syncWebGpuToHost,
  tensor,
} from '@nablajs/core';
import { createOptimizer, type HyperValue, listOptimizers, pluginOf, usePlugin } from '@nablajs/optim';
import adadelta from '@nablajs/optim-adadelta';
import adagrad from '@nablajs/optim-adagrad';
import adam from '@nablajs/optim-adam';
import lamb from '@nablajs/optim-lamb';
import lbfgs from '@nablajs/optim-lbfgs';
import lion from '@nablajs/optim-lion';
import rmsprop from '@nablajs/optim-rmsprop';
import rprop from '@nablajs/optim-rprop';
import sgd from '@nablajs/optim-sgd';
import { defineCustomOptimizer } from './custom';
import type { FromWorker, OptimizerInfo, TaskName, ToWorker } from './protocol';
import { FUNCTION_TASKS, functionGrid, isFunctionTask, Race } from './race';

const scope = self as unknown as {
  postMessage(message: FromWorker): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
};

for (const plugin of [sgd, adam, rmsprop, adagrad, adadelta, rprop, lbfgs, lion, lamb]) usePlugin(plugin);
// The wasm backend (WebAssembly SIMD matmul) where the browser has SIMD, the cpu kernels otherwise; and
// WebGPU where there is an adapter. NOTE: not a top-level await: the message handler below must exist
// from the start, and each message waits for this instead.
let hostBackend = 'cpu';
/** The WebGPU adapter (`vendor / architecture`), or why there is none. */
let gpu: { adapter: string } | { unavailable: string } = { unavailable: 'not looked for yet' };
const backendReady = (async () => {
  if (await initWasmBackend()) hostBackend = 'wasm';
  setBackend(hostBackend);
  try {
    const info = await initWebGpuBackend();
    gpu = { adapter: `${info.adapter.vendor} / ${info.adapter.architecture}`.trim() };
  } catch (e) {
    gpu = { unavailable: e instanceof Error ? e.message : String(e) };
  }
})();

/** The backend a task runs on: WebGPU for the models when there is an adapter (float32); else the host's. */
function backendFor(task: TaskName): string {
  return 'adapter' in gpu && !isFunctionTask(task) ? 'webgpu' : hostBackend;
}

/** Why the race runs where it does, for the page. */
function backendWhy(): string {
  if (getBackend() === 'webgpu' && 'adapter' in gpu) return `WebGPU adapter ${gpu.adapter}`;
  if ('adapter' in gpu) return 'the 2-D functions run in float64, which WebGPU does not have';
  return `no WebGPU: ${gpu.unavailable}`;
}

async function useBackendFor(task: TaskName): Promise<void> {
  const next = backendFor(task);
  if (getBackend() === next) return;
  // NOTE: the old race's values come back from the GPU before the backend changes
  if (getBackend() === 'webgpu') await syncWebGpuToHost();
  setBackend(next);
}

const SLICE_MS = 40;
const GRID = 120;
const BOUNDARY = 48;

let race: Race | null = null;
let running = false;
let maxSteps = 1000;
let timer: ReturnType<typeof setTimeout> | null = null;
let lastBoundary = 0;
let generation = 0;
/** The pace (race steps per second, 0: unlimited), and the steps taken since the pace's clock started. */
let pace = { stepsPerSecond: 0, since: 0, steps: 0 };

function info(name: string): OptimizerInfo {
  // NOTE: the defaults are PyTorch's, read from an instance rather than copied into the page.
  const probe = createOptimizer(name, [tensor([0], { dtype: 'float64', requiresGrad: true })]);
  return { name, plugin: pluginOf(name) ?? '', defaults: { ...probe.defaults } as Record<string, HyperValue> };
}

function gridMessage(task: TaskName) {
  const fn = FUNCTION_TASKS[task];
  return {
    size: GRID,
    values: Array.from(functionGrid(task, GRID)),
    bounds: fn.bounds,
    minima: [...fn.minima],
    start: fn.start,
    formula: fn.formula,
  };
}

async function boundaries(force: boolean) {
  if (race === null || race.task !== 'spirals') return [];
  const now = performance.now();
  if (!force && now - lastBoundary < 250) return [];
  lastBoundary = now;
  const current = race;
  const out = [];
  for (const r of current.racers) {
    const seed = current.mapSeed(r.spec.id) ?? 0;
    const values = await current.boundaryAsync(r.spec.id, BOUNDARY, seed);
    if (values !== null && values.length > 0)
      out.push({ id: r.spec.id, size: BOUNDARY, seed, seeds: current.seeds, values: Array.from(values) });
  }
  return out;
}

async function post(stepsTaken: number, elapsed: number, force = false) {
  if (race === null) return;
  const maps = await boundaries(force || !running);
  scope.postMessage({
    type: 'progress',
    generation,
    finished: race.finished,
    reports: race.report(),
    boundaries: maps,
    stepsPerSecond: elapsed > 0 ? (stepsTaken * 1000) / elapsed : 0,
  });
}

/** One race step: on WebGPU, with one wait for the GPU for the losses of every racer. */
function stepRace(current: Race, limit: number): boolean | Promise<boolean> {
  return getBackend() === 'webgpu' ? current.stepAllAsync(limit) : current.stepAll(limit);
}

async function slice() {
  timer = null;
  if (race === null || !running) return;
  const current = race;
  const start = performance.now();
  // NOTE: at a set pace, a slice takes the steps due since the pace's clock started, then waits a frame
  const allowed =
    pace.stepsPerSecond > 0 ? Math.floor(((start - pace.since) * pace.stepsPerSecond) / 1000) - pace.steps : Infinity;
  let steps = 0;
  while (steps < allowed && performance.now() - start < SLICE_MS && (await stepRace(current, maxSteps))) steps++;
  pace.steps += steps;
  if (current.finished) running = false;
  if (steps > 0 || !running) await post(steps, performance.now() - start);
  if (running) timer = setTimeout(() => enqueue(slice), pace.stepsPerSecond > 0 ? 16 : 0);
}

async function handle(message: ToWorker): Promise<void> {
  switch (message.type) {
    case 'hello':
      scope.postMessage({
        type: 'ready',
        optimizers: listOptimizers().map(info),
        backend: getBackend(),
        backends: listBackends(),
        gpu: 'adapter' in gpu ? gpu.adapter : null,
      });
      return;
    case 'setup': {
      running = false;
      if (timer !== null) clearTimeout(timer);
      race = null;
      await useBackendFor(message.setup.task);
      race = new Race(message.setup);
      generation = message.generation;
      const task = message.setup.task;
      scope.postMessage({
        type: 'setup',
        generation,
        task,
        backend: getBackend(),
        backendWhy: backendWhy(),
        grid: isFunctionTask(task) ? gridMessage(task) : null,
        spirals: race.spiralPoints(),
        reports: race.report(),
      });
      await post(0, 0, true);
      return;
    }
    case 'run':
      maxSteps = message.maxSteps;
      pace = { stepsPerSecond: message.stepsPerSecond, since: performance.now(), steps: 0 };
      if (race !== null && !running) {
        running = true;
        timer = setTimeout(() => enqueue(slice), 0);
      }
      return;
    case 'pause':
      running = false;
      if (timer !== null) clearTimeout(timer);
      timer = null;
      await post(0, 0, true);
      return;
    case 'step': {
      if (race === null) return;
      running = false;
      maxSteps = message.maxSteps;
      const start = performance.now();
      for (let i = 0; i < message.count; i++) await stepRace(race, Number.POSITIVE_INFINITY);
      await post(message.count, performance.now() - start, true);
      return;
    }
    case 'defineCustom':
      try {
        const { name } = defineCustomOptimizer(message.code);
        scope.postMessage({ type: 'custom', ok: true, optimizer: info(name) });
      } catch (e) {
        scope.postMessage({ type: 'custom', ok: false, error: e instanceof Error ? e.message : String(e) });
      }
      return;
  }
}

// Messages and slices run one at a time, in order: a slice that waits for the GPU is never overtaken by a
// message that replaces the race or the backend.
let queue: Promise<void> = backendReady;

function enqueue(task: () => void | Promise<void>): void {
  queue = queue.then(task).catch((e: unknown) => {
    scope.postMessage({ type: 'error', error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
  });
}

scope.onmessage = (event) => {
  enqueue(() => handle(event.data));
};
