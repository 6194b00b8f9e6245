// Runs before every test file of the projects whose files share a worker process (`sharedWorker` in
// vitest.shared.ts). The packages' modules stay loaded from one file to the next there, so the state they
// keep for the whole process is put back here to what a fresh process has, and a file that leaves behind
// state that cannot be put back from outside fails, naming it, instead of changing what later files test.
import {
  getBackend,
  getNumThreads,
  isAnomalyEnabled,
  isGradEnabled,
  manualSeed,
  setBackend,
  setGradEnabled,
} from '@nablajs/core';
import { fusedUpdatesEnabled, listPlugins, resetRegistry, setFusedUpdates } from '@nablajs/optim';
import { afterAll } from 'vitest';

/** What a fresh process has, and what a test file may leave behind. */
function leftovers(): string[] {
  const left: string[] = [];
  if (isAnomalyEnabled()) left.push('anomaly detection on');
  if (getNumThreads() !== 1) left.push(`${getNumThreads()} wasm threads`);
  return left;
}

const inherited = leftovers();
if (inherited.length > 0)
  throw new Error(`vitest.setup.ts: this worker starts the file with ${inherited.join(' and ')}`);
// The default generator of a fresh process is `new Generator(0)`, which manualSeed(0) makes again.
manualSeed(0);
setBackend('cpu');
setGradEnabled(true);
resetRegistry();
setFusedUpdates(true);
if (getBackend() !== 'cpu' || !isGradEnabled() || listPlugins().length > 0 || !fusedUpdatesEnabled())
  throw new Error('vitest.setup.ts: could not put the global state back');

// Registered first, so (with vitest's default `sequence.hooks: 'stack'`) it runs after the file's own afterAll.
afterAll(() => {
  const left = leftovers();
  if (left.length > 0)
    throw new Error(
      `this test file leaves ${left.join(' and ')} for the next file in its worker (isolate: false): restore it in an afterAll hook`,
    );
});
