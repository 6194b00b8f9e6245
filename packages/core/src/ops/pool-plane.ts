// Internal ops shared by the pooling ops that work with flat per-plane indices (max pooling with
// indices, adaptive max pooling, max unpooling): a gather from each plane at saved indices, and its
// adjoint, a scatter-add into each plane. Each is the other's gradient, so gradients of any order
// follow the saved indices. Also the copy of such indices that an op keeps. Not exported from the package.

import { allocate, type TypedArray } from '../dtype';
import { copyKernel } from '../kernels/cpu/elementwise';
import { resolveKernel } from '../kernels/registry';
import { registerOp } from '../op';
import { Tensor } from '../tensor';

/**
 * A copy of plane indices that a pooling op keeps or hands out, made by the backend's `copy` kernel: where
 * the kernel that wrote them ran on the GPU (or waits for its input), a JavaScript copy would take the
 * stale or unwritten host array.
 */
export function copyIndices(indices: Int32Array): Int32Array {
  const own = new Int32Array(indices.length);
  resolveKernel('copy', copyKernel)(indices, own);
  return own;
}

/** The indices and shapes of a per-plane gather or scatter: `planes` planes, each of `plane` source values. */
export interface PlaneIndexAttrs {
  /** `indices.length / planes` flat indices per plane, into a plane of `plane` values; -1 means none. */
  readonly indices: Int32Array;
  /** The number of planes (`N·C`). */
  readonly planes: number;
  /** The size of one plane of the larger tensor (the gather's source, the scatter's output). */
  readonly plane: number;
  /** The shape of the larger tensor (the gather's input, the scatter's output). */
  readonly planeShape: readonly number[];
  /** The shape of the indexed tensor (the gather's output, the scatter's input). */
  readonly indexShape: readonly number[];
  /** The gather's value where the index is -1 (-Infinity for a max over an empty window, 0 for gradients). */
  readonly fill: number;
}

/**
 * `out[p, i] = x[p, indices[p, i]]` (`fill` where the index is -1).
 *
 * @example
 * ```ts
 * planeGatherKernel(x.values, indices, out, planes, plane, 0);
 * ```
 */
export function planeGatherKernel(
  x: TypedArray,
  indices: Int32Array,
  out: TypedArray,
  planes: number,
  plane: number,
  fill: number,
): void {
  const n = indices.length / planes;
  for (let p = 0; p < planes; p++) {
    const src = p * plane;
    for (let i = 0; i < n; i++) {
      const index = indices[p * n + i];
      out[p * n + i] = index >= 0 ? x[src + index] : fill;
    }
  }
}

/**
 * `out[p, indices[p, i]] += src[p, i]` over a zero-filled `out` (indices of -1 are skipped).
 *
 * @example
 * ```ts
 * planeScatterAddKernel(grad.values, indices, out, planes, plane);
 * ```
 */
export function planeScatterAddKernel(
  src: TypedArray,
  indices: Int32Array,
  out: TypedArray,
  planes: number,
  plane: number,
): void {
  const n = indices.length / planes;
  for (let p = 0; p < planes; p++) {
    const dst = p * plane;
    for (let i = 0; i < n; i++) {
      const index = indices[p * n + i];
      if (index >= 0) out[dst + index] += src[p * n + i];
    }
  }
}

/** Gather each plane of `x` (shape `planeShape`) at the saved indices; the result has `indexShape`. */
export const planeGatherOp: (inputs: readonly Tensor[], attrs: PlaneIndexAttrs) => Tensor = registerOp<PlaneIndexAttrs>(
  {
    name: 'poolPlaneGather',
    saves: { inputs: [], output: false },
    forward: ([x], a) => {
      const out = allocate(x.dtype, a.indices.length);
      resolveKernel('poolPlaneGather', planeGatherKernel)(x._array, a.indices, out, a.planes, a.plane, a.fill);
      return new Tensor(out, a.indexShape, x.dtype);
    },
    backward: (g, { attrs }) => [planeScatterAddOp([g], { ...attrs, fill: 0 })],
  },
);

/**
 * A scatter op into zero planes of shape `planeShape` at the saved indices, computed by `kernel`
 * (`out[p, indices[p, i]] (+)= src[p, i]`), whose gradient is the gather at the same indices.
 */
export function planeScatterOp(
  name: string,
  kernel: (src: TypedArray, indices: Int32Array, out: TypedArray, planes: number, plane: number) => void,
): (inputs: readonly Tensor[], attrs: PlaneIndexAttrs) => Tensor {
  return registerOp<PlaneIndexAttrs>({
    name,
    saves: { inputs: [], output: false },
    forward: ([src], a) => {
      const out = allocate(src.dtype, a.planes * a.plane);
      resolveKernel(name, kernel)(src._array, a.indices, out, a.planes, a.plane);
      return new Tensor(out, a.planeShape, src.dtype);
    },
    backward: (g, { attrs }) => [planeGatherOp([g], { ...attrs, fill: 0 })],
  });
}

/** Scatter-add `src` (shape `indexShape`) into zero planes of shape `planeShape` at the saved indices. */
export const planeScatterAddOp: (inputs: readonly Tensor[], attrs: PlaneIndexAttrs) => Tensor = planeScatterOp(
  'poolPlaneScatterAdd',
  planeScatterAddKernel,
);
