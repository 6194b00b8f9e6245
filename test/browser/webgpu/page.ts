// The test page: every WebGPU kernel against its cpu kernel; the report lands in `window.__webgpu`.
import { runWebGpuChecks, type WebGpuReport } from './check';

declare global {
  interface Window {
    __webgpu: WebGpuReport | undefined;
  }
}

const report = await runWebGpuChecks().catch(
  (e: unknown): WebGpuReport => ({ cases: [], errors: {}, pipelines: 0, error: String((e as Error)?.stack ?? e) }),
);
window.__webgpu = report;
(document.getElementById('out') as HTMLElement).textContent = JSON.stringify(report, null, 2);
