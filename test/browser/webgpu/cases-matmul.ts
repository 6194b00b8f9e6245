// matmul: ragged sizes, all four transpose combinations, offsets into larger arrays, accumulation, and
// batched products with broadcast batch dimensions. The GPU sums in float32 and the cpu kernel in
// doubles, so the results agree to float32 rounding of sums of up to 129 products: 1e-5 relative to
// max(1, |ref|) (inputs in [-1, 1]).
import { batchedMatmulWebGpu, matmulWebGpu } from '../../../packages/core/src/backends/webgpu/kernels/matmul';
import { matmulKernel } from '../../../packages/core/src/kernels/cpu/matmul';
import { broadcastShapes, shapeSize } from '../../../packages/core/src/shape';
import type { Checker } from './checker';

const TOL = 1e-5;

export async function runMatmulCases(c: Checker): Promise<void> {
  const sizes: [number, number, number][] = [
    [1, 1, 1],
    [7, 33, 5],
    [33, 65, 17],
    [65, 7, 129],
    [129, 40, 33],
    [16, 16, 16],
  ];
  for (const [m, k, n] of sizes) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        const a = c.rng.floats(m * k);
        const b = c.rng.floats(k * n);
        const ref = new Float32Array(m * n);
        matmulKernel(a, 0, b, 0, ref, 0, m, k, n, transA, transB, false);
        const out = c.array(m * n);
        matmulWebGpu(c.upload(a), 0, c.upload(b), 0, out, 0, m, k, n, transA, transB, false);
        await c.compare(`matmul ${m}x${k}x${n} transA=${transA} transB=${transB}`, [out], [ref], { tolerance: TOL });
      }
    }
  }
  // offsets inside larger arrays, and accumulation into what out holds
  {
    const [m, k, n] = [9, 17, 11];
    const a = c.rng.floats(m * k + 5);
    const b = c.rng.floats(k * n + 3);
    const start = c.rng.floats(m * n + 7);
    const ref = Float32Array.from(start);
    matmulKernel(a, 5, b, 3, ref, 7, m, k, n, true, false, true);
    const out = c.upload(start);
    matmulWebGpu(c.upload(a), 5, c.upload(b), 3, out, 7, m, k, n, true, false, true);
    await c.compare('matmul offsets 5/3/7, accumulate, transA', [out], [ref], { tolerance: TOL });
  }
  const batches: [number[], number[], number, number, number, boolean, boolean][] = [
    [[3], [3], 7, 9, 5, false, false],
    [[3, 1], [4], 7, 33, 5, false, true],
    [[1], [2, 5], 17, 3, 65, true, false],
    [[2, 3], [2, 3], 1, 20, 1, true, true],
  ];
  for (const [aBatch, bBatch, m, k, n, transA, transB] of batches) {
    const batch = broadcastShapes(aBatch, bBatch);
    const count = shapeSize(batch);
    const a = c.rng.floats(shapeSize(aBatch) * m * k);
    const b = c.rng.floats(shapeSize(bBatch) * k * n);
    const ref = new Float32Array(count * m * n);
    // the reference: one cpu product per output matrix, at the broadcast offsets
    const index = new Array<number>(batch.length).fill(0);
    for (let i = 0; i < count; i++) {
      const offset = (shape: number[], mat: number) => {
        let off = 0;
        let stride = mat;
        for (let d = shape.length - 1; d >= 0; d--) {
          const od = d + batch.length - shape.length;
          if (shape[d] !== 1) off += index[od] * stride;
          stride *= shape[d];
        }
        return off;
      };
      matmulKernel(a, offset(aBatch, m * k), b, offset(bBatch, k * n), ref, i * m * n, m, k, n, transA, transB, false);
      for (let d = batch.length - 1; d >= 0; d--) {
        if (++index[d] < batch[d]) break;
        index[d] = 0;
      }
    }
    const out = c.array(count * m * n);
    batchedMatmulWebGpu(c.upload(a), aBatch, c.upload(b), bBatch, out, m, k, n, transA, transB);
    await c.compare(
      `batched matmul [${aBatch}] x [${bBatch}] ${m}x${k}x${n} transA=${transA} transB=${transB}`,
      [out],
      [ref],
      { tolerance: TOL },
    );
  }
}
