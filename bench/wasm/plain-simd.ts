/**
 * Run by bench/wasm.bench.ts in a child process (the choice of gemm is fixed when the backend is
 * compiled): nabla-wasm with `initWasmBackend({ relaxedSimd: false })`, the plain WebAssembly SIMD
 * kernels that browsers without relaxed SIMD (Safari, Firefox) run. Measures matmul 1024³ A·B and the
 * MLP train step on 1 and 2 threads, in as many rounds as the parent (`BENCH_ROUNDS`), and prints
 * one JSON line: `{ "1": { matmul: number[], mlp: number[] }, "2": { ... } }`.
 */
import { getWasmBackendInfo, initWasmBackend, setBackend, setNumThreads } from '@nablajs/core';
import { enableNodeThreads } from '@nablajs/core/node';
import { setBudgetScale } from './common';
import { nablaMatmulGflops, nablaMlpStepsPerSecond } from './nabla';

const rounds = Math.max(1, Math.floor(Number(process.env.BENCH_ROUNDS ?? 3)));
enableNodeThreads();
if (!(await initWasmBackend({ relaxedSimd: false }))) throw new Error('plain-simd: no WebAssembly SIMD');
if (getWasmBackendInfo().relaxedSimd) throw new Error('plain-simd: relaxed SIMD is still in use');
setBackend('wasm');
setBudgetScale(rounds === 1 ? 1 : 0.5);
const out: Record<string, { matmul: number[]; mlp: number[] }> = {
  1: { matmul: [], mlp: [] },
  2: { matmul: [], mlp: [] },
};
for (let round = 0; round < rounds; round++)
  for (const threads of [1, 2]) {
    const got = await setNumThreads(threads);
    if (got !== threads) throw new Error(`plain-simd: setNumThreads(${threads}) gave ${got}`);
    out[threads].matmul.push(nablaMatmulGflops(1024, 1024, 1024, false, false));
    out[threads].mlp.push(nablaMlpStepsPerSecond(`nabla-wasm ${threads}T plain SIMD MLP`));
  }
console.log(JSON.stringify(out));
process.exit(0);
