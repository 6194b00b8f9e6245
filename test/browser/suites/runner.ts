// Runs one test file of the packages in this page (`?file=<index>`), so that every file gets fresh
// module instances, as under vitest; the result lands in `window.__suiteResult` for Playwright.
import { files } from 'virtual:suite-files';
import { type FileResult, runCollected } from './shim';

declare global {
  interface Window {
    __suiteFiles: string[];
    __suiteResult: (FileResult & { file: string; ms: number }) | undefined;
  }
}

window.__suiteFiles = files.map(([name]) => name);
const index = Number(new URLSearchParams(location.search).get('file') ?? '-1');
if (index >= 0 && index < files.length) {
  const [file, load] = files[index];
  const start = performance.now();
  try {
    await load();
    const result = await runCollected();
    window.__suiteResult = { file, ms: performance.now() - start, ...result };
  } catch (e) {
    const error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    window.__suiteResult = {
      file,
      ms: 0,
      passed: 0,
      failed: 1,
      skipped: 0,
      failures: [{ name: '(loading the file)', error }],
    };
  }
  document.body.textContent = JSON.stringify(window.__suiteResult, null, 2);
}
