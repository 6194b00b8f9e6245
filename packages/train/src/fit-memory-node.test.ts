// The memory bound of fit-memory.test.ts with the Node-only checkpoint plugin on too (a checkpoint every 10
// epochs into a temporary directory): saving the whole training state keeps nothing alive in wasm memory.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getBackend, initWasmBackend, setBackend, wasmTensorBytes } from '@nablajs/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkpoint } from './node-checkpoint';
import { fitLoop, handTidyLoop } from './test-utils';

describe('fit() memory on the wasm backend, with checkpoints (Node)', () => {
  let previous = 'cpu';
  let dir = '';
  beforeAll(async () => {
    previous = getBackend();
    expect(await initWasmBackend()).toBe(true);
    setBackend('wasm');
    dir = mkdtempSync(join(tmpdir(), 'nabla-soak-'));
  });
  afterAll(() => {
    setBackend(previous);
    rmSync(dir, { recursive: true, force: true });
  });

  it('stays within 2x of a hand-written tidy loop over 1500 steps, saving a checkpoint every 10 epochs', async () => {
    const base = wasmTensorBytes();
    const hand = handTidyLoop(1500, 500);
    const fitted = await fitLoop(1500, 500, [checkpoint({ dir, every: 10, keepLast: 1 })]);
    expect(readdirSync(dir).filter((f) => f.endsWith('.safetensors'))).toHaveLength(1);
    expect(fitted.lateLoss).toBeLessThan(fitted.earlyLoss * 0.8);
    expect(fitted.peakTensorBytes - base).toBeLessThanOrEqual(2 * (hand.peakTensorBytes - base));
    expect(new Set(fitted.samples.map(([, bytes]) => bytes)).size).toBe(1);
  });
});
