import { allocate, initWasmBackend, setBackend, Tensor, tidy } from '@nablajs/core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { muon } from './muon';

// Muon on the wasm backend: float32 matrices of 256 elements or more made by allocate() live in
// WebAssembly memory, and the Newton-Schulz products run on the wasm matmul. Steps run inside tidy(),
// which gives every temporary (and, were the update view not kept, the update buffer) back to the pool.
// The results must agree with the cpu backend's within float32 rounding, and differ from them (the cpu
// matmul sums in doubles, the wasm one in float32).

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

const SHAPES = [[32, 24], [24, 40], [300]];

function run(backend: 'cpu' | 'wasm'): number[] {
  setBackend(backend);
  const params = SHAPES.map((shape, i) => {
    const p = new Tensor(
      filled(
        shape.reduce((a, b) => a * b, 1),
        10 + i,
        1,
      ),
      shape,
      'float32',
    );
    p.requiresGrad = true;
    return p;
  });
  const opt = muon(params, { lr: 0.02, weightDecay: 0.1, adamwLr: 0.01 });
  for (let k = 1; k <= 6; k++) {
    tidy(() => {
      params.forEach((p, i) => {
        p.grad = new Tensor(filled(p.size, 100 * k + i, 0.5), p.shape, 'float32');
      });
      opt.step();
    });
  }
  return params.flatMap((p) => Array.from(p.data));
}

describe('muon on the wasm backend', () => {
  let available = false;
  beforeAll(async () => {
    available = await initWasmBackend();
  });
  afterEach(() => setBackend('cpu'));

  it('matches the cpu backend within float32 rounding, stepping inside tidy()', () => {
    expect(available).toBe(true);
    const cpu = run('cpu');
    const wasm = run('wasm');
    expect(wasm.length).toBe(cpu.length);
    let worst = 0;
    for (let j = 0; j < cpu.length; j++)
      worst = Math.max(worst, Math.abs(wasm[j] - cpu[j]) / Math.max(1, Math.abs(cpu[j])));
    expect(worst).toBeLessThan(1e-5);
    expect(cpu.every(Number.isFinite)).toBe(true);
    // Not bit for bit: the wasm matmul (float32 SIMD) really ran the products.
    expect(cpu.some((v, j) => v !== wasm[j])).toBe(true);
  });
});
