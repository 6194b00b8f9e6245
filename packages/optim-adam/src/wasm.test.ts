import { allocate, initWasmBackend, setBackend, Tensor } from '@nablajs/core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { adam } from './adam';
import { adamw } from './adamw';

// Adam and AdamW end to end on the wasm backend: parameters, gradients and state made by allocate()
// while the backend is active live in WebAssembly memory, so the fused step runs the SIMD kernel in
// place. Its float32 results must agree with the cpu backend's (the JavaScript kernel) within float32
// rounding, and must not be identical to them bit for bit (they would be if the SIMD kernel had not run).

const SIZES = [1003, 300, 257];

/** `allocate()`d float32 values in [-scale, scale) from a small LCG. */
function filled(n: number, seed: number, scale: number): Float32Array {
  const out = allocate('float32', n) as Float32Array;
  let s = seed >>> 0;
  for (let j = 0; j < n; j++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[j] = (s / 2 ** 31 - 1) * scale;
  }
  return out;
}

function run(backend: 'cpu' | 'wasm', factory: typeof adam): number[] {
  setBackend(backend);
  const params = SIZES.map((n, i) => {
    const p = new Tensor(filled(n, 10 + i, 1), [n], 'float32');
    p.requiresGrad = true;
    return p;
  });
  const opt = factory(params, { lr: 0.01, betas: [0.8, 0.9], eps: 1e-3, weightDecay: 0.1 });
  for (let k = 1; k <= 10; k++) {
    if (k === 5) opt.paramGroups[0].amsgrad = true;
    if (k === 8) opt.paramGroups[0].maximize = true;
    params.forEach((p, i) => {
      p.grad = (k + i) % 4 === 0 ? null : new Tensor(filled(p.size, 100 * k + i, 0.5), [p.size], 'float32');
    });
    opt.step();
  }
  const numbers = params.flatMap((p) => Array.from(p.data));
  collectNumbers(opt.stateDict().state, numbers);
  return numbers;
}

/** Every number in an encoded state (step counts, and the elements of m, v and vmax), in order. */
function collectNumbers(value: unknown, out: number[]): void {
  if (typeof value === 'number') out.push(value);
  else if (Array.isArray(value)) for (const v of value) collectNumbers(v, out);
  else if (value !== null && typeof value === 'object') for (const v of Object.values(value)) collectNumbers(v, out);
}

describe('adam on the wasm backend', () => {
  beforeAll(async () => {
    expect(await initWasmBackend()).toBe(true);
  });
  afterEach(() => setBackend('cpu'));

  for (const [name, factory] of [
    ['adam', adam],
    ['adamw', adamw],
  ] as const)
    it(`${name}: the SIMD kernel in place agrees with the JavaScript kernel within float32 rounding`, () => {
      const wasm = run('wasm', factory);
      const cpu = run('cpu', factory);
      // Parameters, 3 step counts, m and v, and vmax (AMSGrad switched on at step 5).
      expect(cpu.length).toBe(1560 + 3 + 3 * 1560);
      expect(wasm.length).toBe(cpu.length);
      let worst = 0;
      let differ = 0;
      for (let i = 0; i < cpu.length; i++) {
        worst = Math.max(worst, Math.abs(wasm[i] - cpu[i]) / Math.max(1, Math.abs(cpu[i])));
        if (wasm[i] !== cpu[i]) differ++;
      }
      expect(worst).toBeLessThan(1e-5);
      expect(differ).toBeGreaterThan(0);
    });
});
