import { MAX_WORKERS, SLOT_WORDS, SPIN_WORD } from './runtime';

/**
 * The loop of a gemm worker thread, as source text shared by Node `worker_threads` and browser Web
 * Workers: `nablaGemmWorker(module, memory, slot, ready)` instantiates the kernels module on the shared
 * memory, calls `ready()`, then watches its slot of the control block. Each new sequence number there
 * is one part of a product to compute, after which it stores the sequence number in the slot's `done`
 * word and wakes the caller. Between parts it spins on `Atomics.load` for as many microseconds as
 * the control block's spin word says (so that the next product starts without a wake-up), then sleeps
 * in `Atomics.wait`, counting the times it had to be woken in its word of slot 0.
 */
export const WORKER_LOOP = `
function nablaGemmWorker(module, memory, slot, ready) {
  const gemm = new WebAssembly.Instance(module, { env: { memory } }).exports.gemm;
  const ctl = new Int32Array(memory.buffer, 0, ${(MAX_WORKERS + 1) * SLOT_WORDS});
  const base = slot * ${SLOT_WORDS};
  let seen = Atomics.load(ctl, base);
  ready();
  for (;;) {
    let seq = Atomics.load(ctl, base);
    if (seq === seen) {
      const until = performance.now() + Atomics.load(ctl, ${SPIN_WORD}) / 1000;
      let i = 0;
      while ((seq = Atomics.load(ctl, base)) === seen) {
        if ((++i & 255) === 0 && performance.now() > until) break;
      }
      if (seq === seen) {
        if (Atomics.wait(ctl, base, seen) === 'ok') Atomics.add(ctl, slot, 1);
        continue;
      }
    }
    seen = seq;
    gemm(ctl[base + 2], ctl[base + 3], ctl[base + 4], ctl[base + 5], ctl[base + 6], ctl[base + 7], ctl[base + 8],
      ctl[base + 9], ctl[base + 10], ctl[base + 11], ctl[base + 12], ctl[base + 13], ctl[base + 14], ctl[base + 15]);
    Atomics.store(ctl, base + 1, seq);
    Atomics.notify(ctl, base + 1);
  }
}
`;

/**
 * The source of a gemm worker for a browser (classic) Web Worker, started from a Blob URL: its first
 * message is {module, memory, slot}; it answers 'ready', or the error text when it cannot start.
 */
export const WEB_WORKER_SOURCE = `${WORKER_LOOP}
self.onmessageerror = () => {
  self.postMessage({ error: 'the module or the shared memory could not be received (is the page cross-origin isolated?)' });
};
self.onmessage = (event) => {
  self.onmessage = null;
  const { module, memory, slot } = event.data;
  try {
    nablaGemmWorker(module, memory, slot, () => self.postMessage('ready'));
  } catch (error) {
    self.postMessage({ error: String(error) });
  }
};
`;
