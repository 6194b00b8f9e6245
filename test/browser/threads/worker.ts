// A dedicated (module) worker of the test page: runs the check here, where Atomics.wait is allowed.
import { runThreadsCheck } from './check';

self.onmessage = async () => {
  self.postMessage(await runThreadsCheck('worker'));
};
