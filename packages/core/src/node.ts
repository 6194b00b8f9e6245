// @nablajs/core/node: what only works in Node.js, kept out of the browser entry.
import { Worker } from 'node:worker_threads';
import { setWasmWorkerStarter, type WasmWorkerData } from './backends/wasm/index';
import type { GemmWorker } from './backends/wasm/runtime';
import { WORKER_SOURCE } from './backends/wasm/worker-source';

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
