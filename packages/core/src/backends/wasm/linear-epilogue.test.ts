// Node only (worker threads): the wasm backend's `linearForward`, whose gemm adds a linear layer's bias and
// applies its ReLU to each tile of the output as the product finishes it. Its values must be those of the wasm
// matmul, add and relu kernels one after the other, to the bit, on one thread and split between threads.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { zeros } from '../../creation';
import { reluKernel } from '../../kernels/cpu/activations';
import { addKernel } from '../../kernels/cpu/elementwise';
import { linearForwardKernel } from '../../kernels/cpu/linear';
import { matmulKernel } from '../../kernels/cpu/matmul';
import { hasKernel, resolveKernel, setBackend } from '../../kernels/registry';
import { enableNodeThreads } from '../../node';
import { tidy } from '../../tidy';
import { getWasmRuntime, initWasmBackend, setNumThreads, setWasmWorkerStarter } from './index';
import { MATMUL_PARAMS } from './module.generated';
import { splitProduct } from './product-split';
import { lcgValues } from './test-utils';

const { MR, NR } = MATMUL_PARAMS;

interface Case {
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
const CASES: Case[] = SHAPES.flatMap(([rows, k, n]) =>
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

const sameBits = (a: Float32Array, b: Float32Array) =>
  a.length === b.length && a.every((v, i) => Object.is(v, b[i]) || (Number.isNaN(v) && Number.isNaN(b[i])));

/**
 * Each case through `linearForward` and through the unfused wasm kernels, its arrays made by `home`; in a
 * tidy, which gives the blocks of wasm memory back to the pool (copies of the results are returned).
 */
function runBoth(home: (size: number) => Float32Array): { fused: Float32Array[]; unfused: Float32Array[] } {
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
const inWasm = (size: number) => {
  const array = zeros([size])._array as Float32Array;
  if (size >= 4096) expect(getWasmRuntime()?.heap.pointerOf(array)).toBeGreaterThanOrEqual(0);
  return array;
};
const outside = (size: number) => new Float32Array(size);

describe('the wasm linearForward kernel', () => {
  beforeAll(async () => {
    expect(await initWasmBackend()).toBe(true);
    enableNodeThreads();
  });
  afterAll(async () => {
    await setNumThreads(1);
    setWasmWorkerStarter(null);
    setBackend('cpu');
  });

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

  it('gives the same bits split between threads by rows and by columns, the workers adding the bias at their columns', async () => {
    const one = runBoth(inWasm).fused;
    expect(await setNumThreads(2)).toBe(2);
    const splits = CASES.map(({ rows, k, n }) => splitProduct(rows, k, n, 2));
    expect(splits.some((s) => s.parts > 1 && s.byRows)).toBe(true);
    expect(splits.some((s) => s.parts > 1 && !s.byRows)).toBe(true);
    const two = runBoth(inWasm).fused;
    const runtime = getWasmRuntime() as NonNullable<ReturnType<typeof getWasmRuntime>>;
    runtime.callerTakesChunks = false;
    const before = runtime.chunksRun(1);
    let workers: Float32Array[];
    try {
      workers = runBoth(inWasm).fused;
    } finally {
      runtime.callerTakesChunks = true;
    }
    // every split product's chunks ran on the worker (twice: the fused kernel and the unfused matmul)
    const parts = splits.reduce((sum, s) => sum + (s.parts > 1 ? s.parts : 0), 0);
    expect(runtime.chunksRun(1) - before).toBe(2 * parts);
    CASES.forEach((c, i) => {
      expect(sameBits(two[i], one[i]), JSON.stringify(c)).toBe(true);
      expect(sameBits(workers[i], one[i]), JSON.stringify(c)).toBe(true);
    });
    await setNumThreads(1);
  });
});
