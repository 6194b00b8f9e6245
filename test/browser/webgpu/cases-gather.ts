// gather and scatterAdd along each axis of ragged 2-d and 3-d shapes, with index arrays no larger than the
// input in the other dimensions (as torch.gather requires) and repeated indices. gather copies, so it is exact; scatterAdd adds a
// position's sources in the cpu kernel's order, one float32 addition at a time, so it is exact too.
import {
  gatherWebGpu,
  indexAddWebGpu,
  indexSelectWebGpu,
  scatterAddWebGpu,
} from '../../../packages/core/src/backends/webgpu/kernels/gather';
import { gatherKernel, scatterAddKernel } from '../../../packages/core/src/kernels/cpu/gather';
import { indexAddKernel, indexSelectKernel } from '../../../packages/core/src/kernels/cpu/index-select';
import type { Checker } from './checker';

const size = (s: readonly number[]) => s.reduce((p, d) => p * d, 1);

export async function runGatherCases(c: Checker): Promise<void> {
  const cases: [number[], number[], number][] = [
    [[20, 10], [20, 1], 1], // cross-entropy's pick of one class per row
    [[7, 33], [5, 40], 1],
    [[7, 33], [9, 20], 0],
    [[3, 5, 65], [2, 4, 33], 2],
    [[3, 5, 65], [3, 9, 10], 1],
    [[3, 5, 65], [6, 4, 65], 0],
  ];
  for (const [xShape, indexShape, axis] of cases) {
    const n = size(indexShape);
    const index = new Int32Array(n);
    for (let i = 0; i < n; i++) index[i] = Math.floor(c.rng.next() * xShape[axis]);
    const x = c.rng.floats(size(xShape));
    const ref = new Float32Array(n);
    gatherKernel(x, xShape, index, indexShape, axis, ref);
    const out = c.array(n);
    gatherWebGpu(c.upload(x), xShape, c.upload(index), indexShape, axis, out);
    await c.compare(`gather [${xShape}] index [${indexShape}] axis ${axis}`, [out], [ref], { exact: true });

    // scatterAdd into an output of x's shape, from a source as large as the index (or larger along the last axis)
    const srcShape = indexShape.map((d, i) => (i === indexShape.length - 1 ? d + 2 : d));
    const src = c.rng.floats(size(srcShape));
    const base = c.rng.floats(size(xShape));
    const expected = base.slice();
    scatterAddKernel(expected, xShape, index, indexShape, src, srcShape, axis);
    const target = c.upload(base);
    scatterAddWebGpu(target, xShape, c.upload(index), indexShape, c.upload(src), srcShape, axis);
    await c.compare(
      `scatterAdd [${xShape}] index [${indexShape}] src [${srcShape}] axis ${axis}`,
      [target],
      [expected],
      {
        exact: true,
      },
    );
  }
  // indexSelect and its gradient (indexAdd), with repeated indices: copies and in-order sums, so exact
  for (const [outer, size, inner, n] of [
    [1, 65, 64, 40],
    [3, 7, 5, 11],
    [2, 9, 1, 20],
  ] as [number, number, number, number][]) {
    const index = new Int32Array(n);
    for (let i = 0; i < n; i++) index[i] = Math.floor(c.rng.next() * size);
    const x = c.rng.floats(outer * size * inner);
    const ref = new Float32Array(outer * n * inner);
    indexSelectKernel(x, outer, size, inner, index, ref);
    const out = c.array(outer * n * inner);
    indexSelectWebGpu(c.upload(x), outer, size, inner, c.upload(index), out);
    await c.compare(`indexSelect [${outer}, ${size}, ${inner}] by ${n}`, [out], [ref], { exact: true });
    const src = c.rng.floats(outer * n * inner);
    const base = c.rng.floats(outer * size * inner);
    const expected = base.slice();
    indexAddKernel(src, outer, size, inner, index, expected);
    const target = c.upload(base);
    indexAddWebGpu(c.upload(src), outer, size, inner, c.upload(index), target);
    await c.compare(`indexAdd [${outer}, ${size}, ${inner}] by ${n}`, [target], [expected], { exact: true });
  }
}
