// The training worker: registers every optimizer plugin, builds races and runs them in time slices, so
// that the page stays responsive and pause/step messages are handled between slices.
import { getBackend, initWasmBackend, listBackends, setBackend, tensor } from '@nablajs/core';
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
// The wasm backend (WebAssembly SIMD matmul) where the browser has SIMD; the cpu kernels otherwise.
// NOTE: not a top-level await: the message handler below must exist from the start, and each message
// waits for this instead.
const backendReady = initWasmBackend().then((ok) => {
  if (ok) setBackend('wasm');
});

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

function boundaries(force: boolean) {
  if (race === null || race.task !== 'spirals') return [];
  const now = performance.now();
  if (!force && now - lastBoundary < 250) return [];
  lastBoundary = now;
  return race.racers
    .map((r) => {
      const seed = race!.mapSeed(r.spec.id) ?? 0;
      return {
        id: r.spec.id,
        size: BOUNDARY,
        seed,
        seeds: race!.seeds,
        values: Array.from(race!.boundary(r.spec.id, BOUNDARY, seed) ?? []),
      };
    })
    .filter((b) => b.values.length > 0);
}

function post(stepsTaken: number, elapsed: number, force = false) {
  if (race === null) return;
  scope.postMessage({
    type: 'progress',
    generation,
    finished: race.finished,
    reports: race.report(),
    boundaries: boundaries(force || !running),
    stepsPerSecond: elapsed > 0 ? (stepsTaken * 1000) / elapsed : 0,
  });
}

function slice() {
  timer = null;
  if (race === null || !running) return;
  const start = performance.now();
  // NOTE: at a set pace, a slice takes the steps due since the pace's clock started, then waits a frame
  const allowed =
    pace.stepsPerSecond > 0 ? Math.floor(((start - pace.since) * pace.stepsPerSecond) / 1000) - pace.steps : Infinity;
  let steps = 0;
  while (steps < allowed && performance.now() - start < SLICE_MS && race.stepAll(maxSteps)) steps++;
  pace.steps += steps;
  if (race.finished) running = false;
  if (steps > 0 || !running) post(steps, performance.now() - start);
  if (running) timer = setTimeout(slice, pace.stepsPerSecond > 0 ? 16 : 0);
}

function handle(message: ToWorker) {
  switch (message.type) {
    case 'hello':
      scope.postMessage({
        type: 'ready',
        optimizers: listOptimizers().map(info),
        backend: getBackend(),
        backends: listBackends(),
      });
      return;
    case 'setup': {
      running = false;
      if (timer !== null) clearTimeout(timer);
      race = new Race(message.setup);
      generation = message.generation;
      const task = message.setup.task;
      scope.postMessage({
        type: 'setup',
        generation,
        task,
        grid: isFunctionTask(task) ? gridMessage(task) : null,
        spirals: race.spiralPoints(),
        reports: race.report(),
      });
      post(0, 0, true);
      return;
    }
    case 'run':
      maxSteps = message.maxSteps;
      pace = { stepsPerSecond: message.stepsPerSecond, since: performance.now(), steps: 0 };
      if (race !== null && !running) {
        running = true;
        timer = setTimeout(slice, 0);
      }
      return;
    case 'pause':
      running = false;
      if (timer !== null) clearTimeout(timer);
      timer = null;
      post(0, 0, true);
      return;
    case 'step': {
      if (race === null) return;
      running = false;
      maxSteps = message.maxSteps;
      const start = performance.now();
      for (let i = 0; i < message.count; i++) race.stepAll(Number.POSITIVE_INFINITY);
      post(message.count, performance.now() - start, true);
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

scope.onmessage = (event) => {
  backendReady.then(() => {
    try {
      handle(event.data);
    } catch (e) {
      scope.postMessage({ type: 'error', error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
    }
  });
};
