// The pool's last resort, in Node (it needs the garbage collector at hand): a block whose array outlived its
// scope and was then dropped without dispose() goes back once the collector has taken the array.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getBackend, setBackend } from '../../kernels/registry';
import { getBufferPool } from '../../lifetime';
import { randn } from '../../random';
import { tidy } from '../../tidy';
import { initWasmBackend } from './index';
import type { WasmBufferPool } from './pool';

/** The garbage collector: `global.gc` under `--expose-gc`, else exposed at run time through a fresh V8 context. */
function collector(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (typeof exposed === 'function') return exposed;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

describe('wasm tensor memory and the garbage collector', () => {
  let previous = 'cpu';
  let pool: WasmBufferPool;
  beforeAll(async () => {
    previous = getBackend();
    expect(await initWasmBackend()).toBe(true);
    pool = getBufferPool() as WasmBufferPool;
    setBackend('wasm');
  });
  afterAll(() => setBackend(previous));

  it('gives back, once the garbage collector took its array, a block that outlived its scope', async () => {
    const gc = collector();
    const collect = async () => {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 1)); // the finalizer runs in a task of its own
    };
    // first the garbage of the tests before: blocks whose arrays nothing reaches any more
    for (let i = 0; i < 5; i++) await collect();
    const before = pool.liveBlocks;
    (() => {
      tidy(() => randn([80, 80]).mul(3)); // returned, then dropped without dispose()
    })();
    expect(pool.liveBlocks).toBe(before + 1);
    for (let i = 0; i < 50 && pool.liveBlocks > before; i++) await collect();
    expect(pool.liveBlocks).toBe(before);
  });
});
