// The wasm backend's `linearForward`, whose gemm adds a linear layer's bias and applies its ReLU to each tile of
// the output as the product finishes it: its values must be those of the wasm matmul, add and relu kernels one
// after the other, to the bit (in Node and in the browser; split between threads: linear-epilogue-threads.test.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linearForwardKernel } from '../../kernels/cpu/linear';
import { hasKernel, resolveKernel, setBackend } from '../../kernels/registry';
import { initWasmBackend } from './index';
import { CASES, inWasm, outside, runBoth, sameBits } from './linear-epilogue-cases';

describe('the wasm linearForward kernel', () => {
  beforeAll(async () => {
    expect(await initWasmBackend()).toBe(true);
  });
  afterAll(() => setBackend('cpu'));

  it('is the wasm backend’s own (the cpu backend has none)', () => {
    setBackend('wasm');
    expect(hasKernel('linearForward')).toBe(true);
    expect(resolveKernel('linearForward', linearForwardKernel)).not.toBe(linearForwardKernel);
    setBackend('cpu');
    expect(hasKernel('linearForward')).toBe(false);
  });

  for (const [where, home] of [
    ['in wasm memory', inWasm],
    ['copied in from JavaScript arrays', outside],
  ] as const)
    it(`gives the bits of matmul, add and relu for ragged shapes, several k blocks and special values (operands ${where})`, () => {
      const { fused, unfused } = runBoth(home);
      CASES.forEach((c, i) => {
        expect(sameBits(fused[i], unfused[i]), JSON.stringify(c)).toBe(true);
        // the epilogue did something: the bias moved the values, and ReLU left no negative one
        if (c.relu) expect(fused[i].some((v) => v < 0)).toBe(false);
      });
      const mlp = CASES.findIndex((c) => c.rows === 128 && c.bias && c.relu);
      expect(fused[mlp].some((v) => v === 0)).toBe(true);
      expect(fused[mlp].some((v) => v > 0)).toBe(true);
    });
});
