/**
 * `@nablajs/core/node`: what only works in Node.js, kept out of the browser entry: `enableNodeThreads`
 * lets the wasm backend run its kernels on `worker_threads`.
 *
 * @packageDocumentation
 * @module @nablajs/core/node
 */
import { Worker } from 'node:worker_threads';
import { setWasmWorkerStarter, type WasmWorkerData } from './backends/wasm/index';
import type { GemmWorker } from './backends/wasm/runtime';
import { WORKER_LOOP } from './backends/wasm/worker-source';

// The Node worker's source lives here, in the /node entry, so that the browser entry never contains a
// require of a Node built-in (the browser bundle test checks every chunk).
const WORKER_SOURCE = `${WORKER_LOOP}
const { workerData, parentPort } = require('node:worker_threads');
nablaGemmWorker(workerData.module, workerData.memory, workerData.slot, () => parentPort.postMessage('ready'));
`;

function startNodeWorker(data: WasmWorkerData): Promise<GemmWorker> {
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: data });
  worker.unref();
  return new Promise((resolve, reject) => {
    worker.once('message', () => resolve(worker));
    worker.once('error', reject);
  });
}

/**
 * Let the wasm backend split large kernels across Node `worker_threads` (see `setNumThreads`). Call it
 * once before `setNumThreads(n)` with `n > 1`.
 *
 * @example
 * ```ts
 * import { initWasmBackend, setNumThreads } from '@nablajs/core';
 * import { enableNodeThreads } from '@nablajs/core/node';
 *
 * enableNodeThreads();
 * await initWasmBackend();
 * await setNumThreads(2);
 * ```
 */
export function enableNodeThreads(): void {
  setWasmWorkerStarter(startNodeWorker);
}
