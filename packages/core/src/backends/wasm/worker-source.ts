import {
  CONTROL_WORDS,
  JOB_WORD,
  MAX_SLICE_ARGS,
  SLICE_JOB,
  SLICE_PREFIXES,
  SLICE_WORD,
  SLOT_WORDS,
  SPIN_WORD,
  UPDATE_JOB,
} from './control-block';
import { CHUNK_BITS } from './product-split';

/**
 * The loop of a gemm worker thread, as source text shared by Node `worker_threads` and browser Web
 * Workers: `nablaGemmWorker(module, memory, slot, ready)` instantiates the kernels module on the shared
 * memory, calls `ready()`, then watches its slot of the control block. Each new sequence number there
 * means a product was published: it claims chunks of the job (see runtime.ts for the protocol), as
 * the caller does, until none is left (chunks of a product, of an optimizer update or of a sliced call),
 * counting the chunks it ran in its slot, and wakes the caller
 * when it finishes the last one. Between products it spins on `Atomics.load` for as many microseconds
 * as the control block's spin word says (so that the next product starts without a wake-up), then
 * sleeps in `Atomics.wait`, counting the times it had to be woken in its word of slot 0.
 */
export const WORKER_LOOP = `
function nablaGemmWorker(module, memory, slot, ready) {
  const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
  const gemm = exports.gemm;
  // The optimizer updates, in the order of their sorted names (the caller numbers them the same way).
  const updates = Object.keys(exports).filter((name) => name.startsWith('opt_')).sort().map((name) => exports[name]);
  // The kernels of sliced calls, likewise.
  const prefixes = ${JSON.stringify(SLICE_PREFIXES)};
  const slices = Object.keys(exports).filter((name) => prefixes.some((p) => name.startsWith(p))).sort().map((name) => exports[name]);
  const ctl = new Int32Array(memory.buffer, 0, ${CONTROL_WORDS});
  const ctlf = new Float32Array(memory.buffer, 0, ${CONTROL_WORDS});
  const base = slot * ${SLOT_WORDS};
  const job = ${JOB_WORD};
  const mask = ${(1 << CHUNK_BITS) - 1};
  let seen = Atomics.load(ctl, base);
  ready();
  for (;;) {
    let seq = Atomics.load(ctl, base);
    if (seq === seen) {
      const until = performance.now() + Atomics.load(ctl, ${SPIN_WORD}) / 1000;
      let i = 0;
      while ((seq = Atomics.load(ctl, base)) === seen) {
        // A spin word of 0 (the caller keeps its products to itself for a while) ends the spin at once.
        if ((++i & 255) === 0 && (performance.now() > until || Atomics.load(ctl, ${SPIN_WORD}) === 0)) break;
      }
      if (seq === seen) {
        if (Atomics.wait(ctl, base, seen) === 'ok') Atomics.add(ctl, slot, 1);
        continue;
      }
    }
    seen = seq;
    const packA = ctl[base + 13];
    const packB = ctl[base + 14];
    for (;;) {
      const claim = Atomics.load(ctl, job);
      const chunk = claim & mask;
      const chunks = Atomics.load(ctl, job + 16);
      if (chunk >= chunks) break;
      if (Atomics.compareExchange(ctl, job, claim, claim + 1) !== claim) continue;
      const a = ctl[job + 2], ars = ctl[job + 3], acs = ctl[job + 4], b = ctl[job + 5], brs = ctl[job + 6];
      const bcs = ctl[job + 7], c = ctl[job + 8], ldc = ctl[job + 9], m = ctl[job + 10], k = ctl[job + 11];
      const n = ctl[job + 12], ow = ctl[job + 13], size = ctl[job + 15], bias = ctl[job + 17], relu = ctl[job + 18];
      const at = chunk * size;
      if (ctl[job + 14] === ${UPDATE_JOB}) {
        // An optimizer update over elements [at, at + count): its pointers moved by at, then count, then the scalars.
        const pointers = ctl[job + 3];
        const scalars = ctl[job + 9];
        const args = [];
        for (let i = 0; i < pointers; i++) args.push(ctl[job + 4 + i] === 0 ? 0 : ctl[job + 4 + i] + at * 4);
        args.push(Math.min(size, ctl[job + 23] - at));
        for (let i = 0; i < scalars; i++) args.push(ctlf[i < 4 ? job + 10 + i : job + 13 + i]);
        updates[ctl[job + 2]](...args);
      } else if (ctl[job + 14] === ${SLICE_JOB}) {
        // Units [at, at + count) of a sliced call: its arguments moved by at times their strides (0 stays 0).
        const d = ${SLICE_WORD};
        const args = [];
        for (let i = 0; i < ctl[d + 1]; i++) {
          const v = ctl[d + 4 + i];
          args.push(v === 0 ? 0 : v + at * ctl[d + 4 + ${MAX_SLICE_ARGS} + i]);
        }
        args[ctl[d + 2]] = Math.min(size, ctl[d + 3] - at);
        slices[ctl[d]](...args);
      } else if (ctl[job + 14] === 1)
        gemm(a + at * ars * 4, ars, acs, b, brs, bcs, c + at * ldc * 4, ldc, Math.min(size, m - at), k, n, packA, packB, ow, bias, relu);
      else
        gemm(a, ars, acs, b + at * bcs * 4, brs, bcs, c + at * 4, ldc, m, k, Math.min(size, n - at), packA, packB, ow, bias === 0 ? 0 : bias + at * 4, relu);
      Atomics.add(ctl, base + 1, 1);
      if (Atomics.add(ctl, job + 1, 1) + 1 === chunks) Atomics.notify(ctl, job + 1);
    }
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
