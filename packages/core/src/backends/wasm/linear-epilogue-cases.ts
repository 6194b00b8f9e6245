// The cases of the wasm `linearForward` kernel's tests (linear-epilogue.test.ts on one thread, in Node and the
// browser; linear-epilogue-threads.test.ts split between Node worker threads): not part of the public API.
import { expect } from 'vitest';
import { zeros } from '../../creation';
import { reluKernel } from '../../kernels/cpu/activations';
import { addKernel } from '../../kernels/cpu/elementwise';
import { linearForwardKernel } from '../../kernels/cpu/linear';
import { matmulKernel } from '../../kernels/cpu/matmul';
import { resolveKernel, setBackend } from '../../kernels/registry';
import { tidy } from '../../tidy';
import { getWasmRuntime } from './index';
import { MATMUL_PARAMS } from './module.generated';
import { lcgValues } from './test-utils';

const { MR, NR } = MATMUL_PARAMS;

/** One product of the checks: x `[rows, k]` times wᵀ (w `[n, k]`), with or without the bias and the ReLU. */
export interface Case {
  rows: number;
  k: number;
  n: number;
  bias: boolean;
  relu: boolean;
}

// Full and edge tiles in both dimensions, one k block and several (KC = 256), a product under the wasm
// kernel's threshold (the cpu path), and the MLP bench's layers.
const SHAPES = [
  [1, 3, 2],
  [2 * MR, 64, 2 * NR],
  [7, 13, 9],
  [33, 300, 17],
  [128, 784, 256],
  [201, 600, 130],
  [40, 700, 300],
  [300, 520, 12],
];
export const CASES: Case[] = SHAPES.flatMap(([rows, k, n]) =>
  [0, 1, 2, 3].map((f) => ({ rows, k, n, bias: (f & 1) === 1, relu: (f & 2) === 2 })),
);

/** The operands of case `i`: x and w in [-1, 1) with NaN, ±Infinity in x's rows 1 and 2, a bias with -Infinity and -0. */
function operands({ rows, k, n }: Case, i: number, home: (size: number) => Float32Array) {
  const x = home(rows * k);
  x.set(lcgValues(rows * k, 3 * i + 1));
  if (rows > 2 && k > 2) {
    x[k] = Number.NaN;
    x[2 * k + 1] = Number.POSITIVE_INFINITY;
  }
  const w = home(n * k);
  w.set(lcgValues(n * k, 3 * i + 2));
  const bias = home(n);
  bias.set(lcgValues(n, 3 * i + 3, -0.5, 0.5));
  bias[0] = Number.NEGATIVE_INFINITY;
  if (n > 1) bias[1] = -0;
  return { x, w, bias };
}

/** Whether `a` and `b` hold the same floats, bit for bit (any NaN matching any NaN). */
export const sameBits = (a: Float32Array, b: Float32Array) =>
  a.length === b.length && a.every((v, i) => Object.is(v, b[i]) || (Number.isNaN(v) && Number.isNaN(b[i])));

/**
 * Each case through `linearForward` and through the unfused wasm kernels, its arrays made by `home`; in a
 * tidy, which gives the blocks of wasm memory back to the pool (copies of the results are returned).
 */
export function runBoth(home: (size: number) => Float32Array): { fused: Float32Array[]; unfused: Float32Array[] } {
  setBackend('wasm');
  try {
    return tidy(() => runCases(home));
  } finally {
    setBackend('cpu');
  }
}

function runCases(home: (size: number) => Float32Array): { fused: Float32Array[]; unfused: Float32Array[] } {
  const linear = resolveKernel('linearForward', linearForwardKernel);
  const matmul = resolveKernel('matmul', matmulKernel);
  const add = resolveKernel('add', addKernel);
  const relu = resolveKernel('relu', reluKernel);
  const fused: Float32Array[] = [];
  const unfused: Float32Array[] = [];
  CASES.forEach((c, i) => {
    const { x, w, bias } = operands(c, i, home);
    const { rows, k, n } = c;
    const out = home(rows * n);
    linear(x, w, c.bias ? bias : null, out, rows, k, n, c.relu);
    fused.push(Float32Array.from(out));
    const ref = home(rows * n);
    matmul(x, 0, w, 0, ref, 0, rows, k, n, false, true, false);
    if (c.bias) add(ref, [rows, n], bias, [n], ref, [rows, n]);
    if (c.relu) relu(ref, ref);
    unfused.push(Float32Array.from(ref));
  });
  return { fused, unfused };
}

/** A tensor's array, which the enclosing tidy disposes: in the pool's wasm memory unless it is small. */
export const inWasm = (size: number) => {
  const array = zeros([size])._array as Float32Array;
  if (size >= 4096) expect(getWasmRuntime()?.heap.pointerOf(array)).toBeGreaterThanOrEqual(0);
  return array;
};
/** An array in JavaScript memory, which the kernels copy into the arena. */
export const outside = (size: number) => new Float32Array(size);
