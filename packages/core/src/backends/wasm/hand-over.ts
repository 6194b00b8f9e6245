// The calling thread's side of the hand-over of a job to the worker threads: closing the job that is over,
// publishing the next, claiming chunks as the workers do, and waiting for the chunks others claimed. The layout
// of the control block is in control-block.ts, the workers' side in worker-source.ts, and the runtime that
// writes the jobs (products, optimizer updates, sliced calls) in runtime.ts.

import { JOB_WORD, SLOT_WORDS } from './control-block';
import { CHUNK_BITS } from './product-split';

/**
 * Close the claim word of the job that is over (its next chunk the largest there can be, under its
 * `generation`) before any word of the next job is written. A worker still in its claim loop may have read
 * the old claim word and then read the next job's chunk count: its compare-and-swap on the old word then
 * fails, where it would otherwise take a chunk of a job not yet published and count it finished in
 * that job, which would then wait forever for a count it had passed.
 *
 * @example
 * ```ts
 * closeJob(ctl, generation); // then write the next job's words
 * ```
 */
export function closeJob(ctl: Int32Array, generation: number): void {
  Atomics.store(ctl, JOB_WORD, (generation << CHUNK_BITS) | ((1 << CHUNK_BITS) - 1));
}

/**
 * Publish the job whose words are written: its finished count reset, the new `generation` in the claim word
 * (which makes the other words visible to whoever claims a chunk), then the new `sequence` number in the slots
 * of `helpers` workers, each woken.
 *
 * @example
 * ```ts
 * publishJob(ctl, generation, sequence, 1); // worker 1 wakes and claims chunks
 * ```
 */
export function publishJob(ctl: Int32Array, generation: number, sequence: number, helpers: number): void {
  const job = JOB_WORD;
  Atomics.store(ctl, job + 1, 0);
  Atomics.store(ctl, job, generation << CHUNK_BITS);
  for (let t = 1; t <= helpers; t++) {
    Atomics.store(ctl, t * SLOT_WORDS, sequence);
    Atomics.notify(ctl, t * SLOT_WORDS);
  }
}

/**
 * Claim chunks of the published job of `chunks` chunks, as the workers do, and `run` each (counting it
 * finished) until none is left. Returns how many this thread ran.
 *
 * @example
 * ```ts
 * const own = claimChunks(ctl, parts, (i) => runChunk(i));
 * ```
 */
export function claimChunks(ctl: Int32Array, chunks: number, run: (chunk: number) => void): number {
  const job = JOB_WORD;
  let own = 0;
  for (;;) {
    const claim = Atomics.load(ctl, job);
    const i = claim & ((1 << CHUNK_BITS) - 1);
    if (i >= chunks) break;
    if (Atomics.compareExchange(ctl, job, claim, claim + 1) !== claim) continue;
    run(i);
    Atomics.add(ctl, job + 1, 1);
    own++;
  }
  return own;
}

/**
 * Spin until `ctl[at]` (the job's finished chunks) is `parts`: the chunks still running were claimed by
 * threads that run, so this is short; past `spinUs` microseconds, sleep in `Atomics.wait` when `blocking`
 * (this thread may). A count past `parts` (a broken hand-over, which would otherwise wait forever) throws.
 *
 * @example
 * ```ts
 * awaitFinished(ctl, JOB_WORD + 1, parts, canBlock(), DEFAULT_SPIN_US);
 * ```
 */
export function awaitFinished(ctl: Int32Array, at: number, parts: number, blocking: boolean, spinUs: number): void {
  if (Atomics.load(ctl, at) === parts) return;
  const until = performance.now() + spinUs / 1000;
  let i = 0;
  for (;;) {
    const done = Atomics.load(ctl, at);
    if (done === parts) return;
    if (done > parts) throw new Error(`wasm threads: ${done} chunks finished of a job of ${parts}`);
    if (blocking && (++i & 255) === 0 && performance.now() > until) Atomics.wait(ctl, at, done, 1);
  }
}
