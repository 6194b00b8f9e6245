// The test page: the check on the page's main thread (which may only spin), then in a dedicated
// worker; both reports land in `window.__threads` for Playwright.
import { runThreadsCheck, type ThreadsReport } from './check';

declare global {
  interface Window {
    __threads: { page: ThreadsReport; worker: ThreadsReport } | undefined;
  }
}

const page = await runThreadsCheck('page');
const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
const fromWorker = await new Promise<ThreadsReport>((resolve) => {
  worker.onmessage = (event: MessageEvent<ThreadsReport>) => resolve(event.data);
  worker.onerror = (event) => resolve({ ...page, where: 'worker', error: `worker failed: ${event.message}` });
  worker.postMessage('run');
});
worker.terminate();
window.__threads = { page, worker: fromWorker };
(document.getElementById('out') as HTMLElement).textContent = JSON.stringify(window.__threads, null, 2);
