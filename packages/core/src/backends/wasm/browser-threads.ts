// The wasm backend's worker threads in browsers (and other runtimes with Web Workers): dedicated
// workers started from a Blob URL of WEB_WORKER_SOURCE, so no separate file and no network request.
import type { GemmWorker } from './runtime';
import { WEB_WORKER_SOURCE } from './worker-source';

/** What a worker thread is started with (the same as `WasmWorkerData` of the backend's index). */
interface WorkerData {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  slot: number;
}

let workerUrl: string | null = null;

/** Whether this runtime can start Web Workers from a Blob URL (browsers, in a page or a worker). */
export function webWorkersAvailable(): boolean {
  return (
    typeof Worker === 'function' &&
    typeof Blob === 'function' &&
    typeof URL === 'function' &&
    typeof URL.createObjectURL === 'function'
  );
}

/**
 * Start one gemm worker as a Web Worker: post it `{module, memory, slot}` and resolve once it answers
 * that it runs. Rejects with the worker's error when it cannot start (for instance when the page is not
 * cross-origin isolated and the shared memory cannot be posted).
 */
export function startWebWorker(data: WorkerData): Promise<GemmWorker> {
  if (workerUrl === null) workerUrl = URL.createObjectURL(new Blob([WEB_WORKER_SOURCE], { type: 'text/javascript' }));
  const worker = new Worker(workerUrl, { name: `nabla-wasm-${data.slot}` });
  return new Promise<GemmWorker>((resolve, reject) => {
    const fail = (why: string) => {
      worker.terminate();
      reject(new Error(`worker thread ${data.slot} did not start: ${why}`));
    };
    worker.onmessage = (event: MessageEvent) => {
      worker.onmessage = null;
      worker.onerror = null;
      if (event.data === 'ready') resolve(worker);
      else fail(String((event.data as { error?: unknown })?.error ?? event.data));
    };
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      fail(event.message || 'error while loading the worker');
    };
    try {
      worker.postMessage({ module: data.module, memory: data.memory, slot: data.slot });
    } catch (error) {
      fail(String(error));
    }
  });
}
