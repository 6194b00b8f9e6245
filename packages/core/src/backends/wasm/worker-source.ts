import { MAX_WORKERS, SLOT_WORDS } from './runtime';

/**
 * The source of a gemm worker thread (Node `worker_threads`, run with `eval: true`). It instantiates
 * the kernels module on the shared memory, then sleeps on its slot of the control block; each new
 * sequence number there is one slice of a product to compute, after which it stores the sequence
 * number in the slot's `done` word and wakes the caller.
 */
export const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const { module, memory, slot } = workerData;
const gemm = new WebAssembly.Instance(module, { env: { memory } }).exports.gemm;
const ctl = new Int32Array(memory.buffer, 0, ${(MAX_WORKERS + 1) * SLOT_WORDS});
const base = slot * ${SLOT_WORDS};
let seen = Atomics.load(ctl, base);
parentPort.postMessage('ready');
for (;;) {
  Atomics.wait(ctl, base, seen);
  const seq = Atomics.load(ctl, base);
  if (seq === seen) continue;
  seen = seq;
  gemm(ctl[base + 2], ctl[base + 3], ctl[base + 4], ctl[base + 5], ctl[base + 6], ctl[base + 7], ctl[base + 8],
    ctl[base + 9], ctl[base + 10], ctl[base + 11], ctl[base + 12], ctl[base + 13], ctl[base + 14], ctl[base + 15]);
  Atomics.store(ctl, base + 1, seq);
  Atomics.notify(ctl, base + 1);
}
`;
