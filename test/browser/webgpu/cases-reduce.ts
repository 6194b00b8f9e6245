// Reductions over every axis, pairs of axes and all axes of a ragged 3-d shape, a long 1-d sum, and
// softmax / log-softmax forward and backward. max, min, maxAbs and minAbs pick an input, so they are
// exact; sums and products are float32 tree sums against the cpu's double sums in index order:
// 1e-5 relative to max(1, |ref|). Variance: the same (two float32 tree passes against doubles). Softmax:
// 1e-5 (float32 exp and log against doubles).
import { normWebGpu, reduceWebGpu, varianceWebGpu } from '../../../packages/core/src/backends/webgpu/kernels/reduce';
import { softmaxBackwardWebGpu, softmaxWebGpu } from '../../../packages/core/src/backends/webgpu/kernels/softmax';
import {
  normKernel,
  type ReduceKind,
  reduceKernel,
  varianceKernel,
} from '../../../packages/core/src/kernels/cpu/reduce';
import { softmaxBackwardKernel, softmaxKernel } from '../../../packages/core/src/kernels/cpu/softmax';
import type { Checker } from './checker';

export async function runReduceCases(c: Checker): Promise<void> {
  const shape = [7, 33, 5];
  const axesList = [[0], [1], [2], [0, 1], [0, 2], [1, 2], [0, 1, 2]];
  const kinds: ReduceKind[] = ['sum', 'prod', 'max', 'min', 'sumAbs', 'sumSquares', 'maxAbs', 'minAbs'];
  for (const kind of kinds) {
    for (const axes of axesList) {
      // products of values near 1 stay near 1
      const x = kind === 'prod' ? c.rng.floats(7 * 33 * 5, 0.97, 1.03) : c.rng.floats(7 * 33 * 5, -2, 2);
      let outCount = 1;
      shape.forEach((s, d) => {
        if (!axes.includes(d)) outCount *= s;
      });
      const divisor = kind === 'sum' && axes.length === 1 ? shape[axes[0]] : 1; // a mean
      const ref = new Float32Array(outCount);
      reduceKernel(kind, x, shape, axes, ref, divisor);
      const out = c.array(outCount);
      reduceWebGpu(kind, c.upload(x), shape, axes, out, divisor);
      const exact = kind === 'max' || kind === 'min' || kind === 'maxAbs' || kind === 'minAbs';
      await c.compare(`reduce ${kind}${divisor !== 1 ? ' (mean)' : ''} [${shape}] axes [${axes}]`, [out], [ref], {
        exact,
        tolerance: 1e-5,
      });
    }
  }
  for (const [s, axes] of [
    [[70001], [0]],
    [[3, 1, 129, 1], [2]],
    [[2, 0, 3], [1]],
  ] as [number[], number[]][]) {
    const size = s.reduce((p, d) => p * d, 1);
    const x = c.rng.floats(size);
    const outCount = s.filter((_, d) => !axes.includes(d)).reduce((p, d) => p * d, 1);
    const ref = new Float32Array(outCount);
    reduceKernel('sum', x, s, axes, ref);
    const out = c.array(outCount);
    reduceWebGpu('sum', c.upload(x), s, axes, out);
    await c.compare(`reduce sum [${s}] axes [${axes}]`, [out], [ref], { tolerance: 1e-5 });
  }
  // variance, biased and unbiased, with a mean far from 0 (the two passes matter), and batch norm's layout
  for (const [s, axes] of [
    [[7, 33, 5], [1]],
    [
      [7, 33, 5],
      [0, 2],
    ],
    [
      [7, 33, 5],
      [0, 1, 2],
    ],
    [
      [6, 4, 10, 10],
      [0, 2, 3],
    ],
    [[2, 0, 3], [1]],
  ] as [number[], number[]][]) {
    for (const correction of [0, 1]) {
      const size = s.reduce((p, d) => p * d, 1);
      const x = c.rng.floats(size, 2, 6);
      const outCount = s.filter((_, d) => !axes.includes(d)).reduce((p, d) => p * d, 1);
      const divisor = size / Math.max(outCount, 1) - correction;
      const ref = new Float32Array(outCount);
      varianceKernel(x, s, axes, ref, divisor);
      const out = c.array(outCount);
      varianceWebGpu(c.upload(x), s, axes, out, divisor);
      await c.compare(`variance (correction ${correction}) [${s}] axes [${axes}]`, [out], [ref], { tolerance: 1e-5 });
    }
  }
  // norms of order 1, 2 and ±inf (2: the square root of a float32 tree sum of squares)
  for (const p of [1, 2, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])
    for (const axes of [[1], [0, 2], [0, 1, 2]]) {
      const x = c.rng.floats(7 * 33 * 5, -2, 2);
      const outCount = [7, 33, 5].filter((_, d) => !axes.includes(d)).reduce((q, d) => q * d, 1);
      const ref = new Float32Array(outCount);
      normKernel(x, [7, 33, 5], axes, p, ref);
      const out = c.array(outCount);
      normWebGpu(c.upload(x), [7, 33, 5], axes, p, out);
      await c.compare(`norm p=${p} [7,33,5] axes [${axes}]`, [out], [ref], {
        exact: !Number.isFinite(p),
        tolerance: 1e-5,
      });
    }
  const layouts: [number, number, number][] = [
    [7, 33, 1],
    [3, 65, 5],
    [1, 1000, 1],
    [4, 1, 3],
  ];
  for (const [outer, n, inner] of layouts) {
    for (const log of [false, true]) {
      const size = outer * n * inner;
      const x = c.rng.floats(size, -30, 30); // large logits: the max subtraction matters
      const y = new Float32Array(size);
      softmaxKernel(x, outer, n, inner, y, log);
      const out = c.array(size);
      softmaxWebGpu(c.upload(x), outer, n, inner, out, log);
      await c.compare(`${log ? 'logSoftmax' : 'softmax'} ${outer}x${n}x${inner}`, [out], [y], { tolerance: 1e-5 });
      const g = c.rng.floats(size);
      const ref = new Float32Array(size);
      softmaxBackwardKernel(g, y, outer, n, inner, ref, log);
      const gradOut = c.array(size);
      softmaxBackwardWebGpu(c.upload(g), c.upload(y), outer, n, inner, gradOut, log);
      await c.compare(`${log ? 'logSoftmax' : 'softmax'} backward ${outer}x${n}x${inner}`, [gradOut], [ref], {
        tolerance: 1e-5,
      });
    }
  }
}
