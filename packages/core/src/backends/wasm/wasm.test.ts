import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValueError } from '../../errors';
import { matmulKernel } from '../../kernels/cpu/matmul';
import { getBackend, resolveKernel, setBackend } from '../../kernels/registry';
import { matmul, matmulTransposed } from '../../ops/matmul';
import { sum } from '../../ops/sum';
import { Tensor } from '../../tensor';
import {
  getNumThreads,
  getWasmBackendInfo,
  initWasmBackend,
  isWasmRelaxedSimdSupported,
  isWasmSimdSupported,
  setNumThreads,
  setWasmWorkerStarter,
  wasmMemoryBytes,
} from './index';
import { lcgValues } from './test-utils';

/** op(A)·op(B) in doubles, the reference. */
function reference(a: Float32Array, b: Float32Array, m: number, k: number, n: number, ta: boolean, tb: boolean) {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[ta ? p * m + i : i * k + p] * b[tb ? j * k + p : p * n + j];
      c[i * n + j] = s;
    }
  return c;
}

/** The largest |x - y| over the product, relative to the largest |y|. */
function relError(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let err = 0;
  let scale = 0;
  for (let i = 0; i < y.length; i++) {
    err = Math.max(err, Math.abs(x[i] - y[i]));
    scale = Math.max(scale, Math.abs(y[i]));
  }
  return err / scale;
}

const wasmMatmul = () => {
  setBackend('wasm');
  const kernel = resolveKernel('matmul', matmulKernel);
  return kernel;
};

/** Whether this CPU has fused multiply-add (read from /proc/cpuinfo on x86-64 Linux; arm64 always has it). */
function cpuHasFma(): boolean {
  if (process.arch === 'arm64') return true;
  const flags = readFileSync('/proc/cpuinfo', 'utf8')
    .split('\n')
    .find((line) => line.startsWith('flags'));
  if (flags === undefined) throw new Error('wasm.test: /proc/cpuinfo has no flags line');
  return flags.split(/\s+/).includes('fma');
}

describe('wasm backend', () => {
  let previous = 'cpu';
  beforeAll(async () => {
    previous = getBackend();
    expect(isWasmSimdSupported()).toBe(true);
    expect(await initWasmBackend()).toBe(true);
  });
  afterAll(async () => {
    await setNumThreads(1);
    setBackend(previous);
  });

  it('registers a matmul kernel distinct from the cpu one', () => {
    expect(wasmMatmul()).not.toBe(matmulKernel);
    setBackend('cpu');
    expect(resolveKernel('matmul', matmulKernel)).toBe(matmulKernel);
  });

  // Edge tiles in both dimensions (m, n not multiples of the register tile, 5 x 8 or 6 x 8 with
  // relaxed SIMD), k across a 256-block boundary.
  const shapes: [number, number, number][] = [
    [7, 13, 29],
    [5, 8, 64],
    [33, 300, 17],
    [64, 600, 130],
    [250, 40, 9],
  ];
  for (const [m, k, n] of shapes)
    for (const ta of [false, true])
      for (const tb of [false, true])
        it(`computes op(A)·op(B) for m=${m} k=${k} n=${n} transA=${ta} transB=${tb}, at offsets, with accumulate`, () => {
          const kernel = wasmMatmul();
          const a = lcgValues(m * k + 3, 1 + m);
          const b = lcgValues(k * n + 5, 2 + n);
          const aCopy = a.slice();
          const bCopy = b.slice();
          const ref = reference(a.subarray(3), b.subarray(5), m, k, n, ta, tb);
          const out = new Float32Array(m * n + 4).fill(7);
          kernel(a, 3, b, 5, out, 2, m, k, n, ta, tb, false);
          expect(relError(out.subarray(2, 2 + m * n), ref)).toBeLessThan(1e-5);
          expect([out[0], out[1], out[2 + m * n], out[3 + m * n]]).toEqual([7, 7, 7, 7]);
          kernel(a, 3, b, 5, out, 2, m, k, n, ta, tb, true);
          expect(
            relError(
              out.subarray(2, 2 + m * n),
              ref.map((v) => 2 * v),
            ),
          ).toBeLessThan(1e-5);
          expect(a).toEqual(aCopy);
          expect(b).toEqual(bCopy);
        });

  it('hands float64 and int32 products to the cpu kernel, exactly', () => {
    const kernel = wasmMatmul();
    const a = Float64Array.from(lcgValues(40 * 50, 3), (v) => v + 1e-12);
    const b = Float64Array.from(lcgValues(50 * 60, 4));
    const x = new Float64Array(40 * 60);
    const y = new Float64Array(40 * 60);
    kernel(a, 0, b, 0, x, 0, 40, 50, 60, false, true, false);
    matmulKernel(a, 0, b, 0, y, 0, 40, 50, 60, false, true, false);
    expect(x).toEqual(y);
    const ai = Int32Array.from({ length: 30 * 30 }, (_, i) => (i % 7) - 3);
    const ci = new Int32Array(30 * 30);
    kernel(ai, 0, ai, 0, ci, 0, 30, 30, 30, false, false, false);
    const ref = reference(Float32Array.from(ai), Float32Array.from(ai), 30, 30, 30, false, false);
    expect(Array.from(ci)).toEqual(Array.from(ref));
  });

  it('runs matmul and its gradients through the wasm kernel', () => {
    setBackend('wasm');
    const a = new Tensor(lcgValues(48 * 70, 5), [2, 24, 70], 'float32').requiresGrad_();
    const w = new Tensor(lcgValues(40 * 70, 6), [40, 70], 'float32').requiresGrad_();
    const y = matmulTransposed(a, w, { transB: true });
    sum(y).backward();
    setBackend('cpu');
    const a2 = new Tensor(a.data.slice(), a.shape, 'float32').requiresGrad_();
    const w2 = new Tensor(w.data.slice(), w.shape, 'float32').requiresGrad_();
    const y2 = matmul(a2, w2.transpose(0, 1));
    sum(y2).backward();
    expect(relError(y.data, y2.data)).toBeLessThan(1e-5);
    expect(relError(a.grad?.data ?? [], a2.grad?.data ?? [])).toBeLessThan(1e-5);
    expect(relError(w.grad?.data ?? [], w2.grad?.data ?? [])).toBeLessThan(1e-5);
  });

  it('propagates NaN and infinity like IEEE float32 sums', () => {
    const kernel = wasmMatmul();
    const a = lcgValues(20 * 30, 7);
    const b = lcgValues(30 * 20, 8);
    a[3] = Number.NaN; // row 0
    a[30 * 5] = Number.POSITIVE_INFINITY; // row 5, column 0
    b.fill(1, 0, 20); // row 0 of B: all positive
    const out = new Float32Array(20 * 20);
    kernel(a, 0, b, 0, out, 0, 20, 30, 20, false, false, false);
    expect(out.subarray(0, 20).every(Number.isNaN)).toBe(true);
    expect(out.subarray(100, 120).every((v) => v === Number.POSITIVE_INFINITY)).toBe(true);
    expect(Number.isFinite(out[40])).toBe(true);
  });

  it('reuses its memory: a long run of products does not grow it beyond the largest one', () => {
    const kernel = wasmMatmul();
    const big = lcgValues(300 * 300, 9);
    const out = new Float32Array(300 * 300);
    kernel(big, 0, big, 0, out, 0, 300, 300, 300, false, false, false);
    const after = wasmMemoryBytes();
    expect(after).toBeGreaterThan(300 * 300 * 12);
    for (let i = 0; i < 300; i++) {
      const m = 20 + (i % 17) * 10;
      const n = 30 + (i % 13) * 20;
      kernel(big, 0, big, 0, out, 0, m, 150, n, i % 2 === 0, i % 3 === 0, false);
    }
    expect(wasmMemoryBytes()).toBe(after);
  });

  it('runs on the calling thread when no way to start workers was installed', async () => {
    setWasmWorkerStarter(null);
    expect(await setNumThreads(2)).toBe(1);
    expect(getNumThreads()).toBe(1);
  });

  it('uses the fused multiply-add gemm exactly when relaxed SIMD is on', () => {
    // Each entry of C is a1·b1 + a2·b2 with a1·b1 = -(1 + 2^-11) (exact in float32) and
    // a2·b2 = 1 + 2^-11 + 2^-24, which float32 rounds (a tie, to even) to 1 + 2^-11. A multiply then
    // an add gives 0; a fused multiply-add rounds once and gives 2^-24.
    const info = getWasmBackendInfo();
    expect(info.simd).toBe(true);
    expect(info.relaxedSimd).toBe(isWasmRelaxedSimdSupported());
    const [m, k, n] = [32, 2, 32];
    const a = new Float32Array(m * k);
    const b = new Float32Array(k * n);
    for (let i = 0; i < m; i++) a.set([-(1 + 2 ** -11), 1 + 2 ** -12], i * k);
    b.fill(1, 0, n).fill(1 + 2 ** -12, n);
    const out = new Float32Array(m * n).fill(7);
    wasmMatmul()(a, 0, b, 0, out, 0, m, k, n, false, false, false);
    // relaxed_madd is fused where the CPU has FMA (x86-64 FMA3, every arm64), else a multiply and an add.
    const fused = info.relaxedSimd && cpuHasFma();
    expect(new Set(out)).toEqual(new Set([fused ? 2 ** -24 : 0]));
  });

  it('rejects bad or conflicting initWasmBackend options', () => {
    expect(() => initWasmBackend(null as unknown as object)).toThrow(
      /initWasmBackend: options must be an object, got null/,
    );
    expect(() => initWasmBackend({ relaxedSimd: 'yes' as unknown as boolean })).toThrow(
      /initWasmBackend: options.relaxedSimd must be a boolean, got yes/,
    );
    // The setup initialised the backend with the default (relaxed SIMD wherever available).
    expect(() => initWasmBackend({ relaxedSimd: false })).toThrow(
      /initWasmBackend: the backend was already initialized with relaxedSimd: true/,
    );
    expect(getWasmBackendInfo().relaxedSimd).toBe(isWasmRelaxedSimdSupported());
  });

  it('rejects a bad thread count', async () => {
    await expect(setNumThreads(0)).rejects.toThrow(ValueError);
    await expect(setNumThreads(1.5)).rejects.toThrow(/setNumThreads: n must be an integer from 1 to 16, got 1.5/);
  });
});
