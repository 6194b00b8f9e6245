import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getBackend, gradients, initWasmBackend, setBackend, slice, type Tensor, tensor, tidy } from '../index';

// Slice's VJP zeroes only the elements around a one-axis, step-1 slice; the wasm backend hands out
// reused blocks holding earlier tensors' values, so anything left unzeroed would show up there.
describe('slice backward writes exact zeros outside the slice, on reused memory', () => {
  let previous = 'cpu';
  beforeAll(async () => {
    previous = getBackend();
    await initWasmBackend();
  });
  afterAll(() => setBackend(previous));

  for (const backend of ['cpu', 'wasm'])
    it(`a one-axis slice along each axis, and a strided slice (${backend})`, () => {
      setBackend(backend);
      const shape = [3, 40, 7];
      const size = 3 * 40 * 7;
      for (let axis = 0; axis < 3; axis++) {
        // Fill the pool with NaN blocks of this size, then free them for reuse.
        tidy(() => {
          for (let i = 0; i < 4; i++) tensor(new Float32Array(size).fill(Number.NaN)).reshape(shape).mul(1);
        });
        const x = tensor(new Float32Array(size).fill(1)).reshape(shape);
        x.requiresGrad = true;
        const start = 1;
        const stop = shape[axis] - 1;
        const y = slice(
          x,
          shape.map((_, d) => (d === axis ? ([start, stop] as const) : null)),
        );
        const [g] = gradients([y], [x], [y.mul(0).add(2)]);
        const want = expected(shape, (idx) => idx[axis] >= start && idx[axis] < stop);
        expect(Array.from((g as Tensor).values)).toEqual(want);
      }
      const x = tensor(new Float32Array(size).fill(1)).reshape(shape);
      x.requiresGrad = true;
      const y = slice(x, [null, [0, 40, 3], [1, 5]]);
      const [g] = gradients([y], [x], [y.mul(0).add(2)]);
      expect(Array.from((g as Tensor).values)).toEqual(
        expected(shape, (idx) => idx[1] % 3 === 0 && idx[2] >= 1 && idx[2] < 5),
      );
    });
});

/** 2 where `inside(index)` holds, 0 elsewhere, over a row-major array of `shape`. */
function expected(shape: number[], inside: (idx: number[]) => boolean): number[] {
  const out: number[] = [];
  const idx = shape.map(() => 0);
  const total = shape.reduce((a, b) => a * b, 1);
  for (let i = 0; i < total; i++) {
    out.push(inside(idx) ? 2 : 0);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}
