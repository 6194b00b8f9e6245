// fit() on the wasm backend keeps wasm memory at the working set of a hand-written tidy loop, with every
// built-in plugin on (issue 18: it once kept each batch for the garbage collector, about 20x the working
// set over 20,000 steps). Bytes, not time: the bound holds on any machine. bench/memory.bench.ts runs the
// long soak.
import { getBackend, initWasmBackend, setBackend, wasmTensorBytes } from '@nablajs/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fitLoop, handTidyLoop, SOAK } from './test-utils';

describe('fit() memory on the wasm backend', () => {
  let previous = 'cpu';
  beforeAll(async () => {
    previous = getBackend();
    expect(await initWasmBackend()).toBe(true);
    setBackend('wasm');
  });
  afterAll(() => setBackend(previous));

  it('stays within 2x of a hand-written tidy loop over 1500 steps, with every built-in plugin on', async () => {
    const steps = 1500;
    const base = wasmTensorBytes();
    const hand = handTidyLoop(steps, 500);
    const handWorkingSet = hand.peakTensorBytes - base;
    const fitted = await fitLoop(steps, 500);
    const fitWorkingSet = fitted.peakTensorBytes - base;
    // Both trained.
    expect(hand.lateLoss).toBeLessThan(hand.earlyLoss * 0.8);
    expect(fitted.lateLoss).toBeLessThan(fitted.earlyLoss * 0.8);
    // The hand loop's working set holds at least the data set (2048 x 64 floats) and a batch.
    expect(handWorkingSet).toBeGreaterThan(SOAK.samples * SOAK.features * 4);
    expect(fitWorkingSet).toBeLessThanOrEqual(2 * handWorkingSet);
    // Flat: what is live after 500 steps is what is live after 1500 (a batch kept per step would add 16 KB each).
    expect(fitted.samples.map(([, bytes]) => bytes)).toEqual([
      fitted.samples[0][1],
      fitted.samples[0][1],
      fitted.samples[0][1],
    ]);
  });
});
