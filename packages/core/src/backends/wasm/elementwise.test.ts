import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TypedArray } from '../../dtype';
import * as activations from '../../kernels/cpu/activations';
import * as elementwise from '../../kernels/cpu/elementwise';
import { maxKernel, meanKernel, minKernel, sumKernel } from '../../kernels/cpu/reduce';
import { softmaxBackwardKernel, softmaxKernel } from '../../kernels/cpu/softmax';
import { mapUnary } from '../../kernels/cpu/unary';
import { getBackend, type Kernel, resolveKernel, setBackend } from '../../kernels/registry';
import { broadcastShapes, shapeSize } from '../../shape';
import { ELEMENTWISE_LIMITS } from './elementwise';
import { getWasmRuntime, initWasmBackend } from './index';
import { maxUlps, placeOperand } from './test-utils';

const SPECIALS = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, -0, 1e-45, -3e38, 3.4e38, 1, -1];

/** Deterministic values in [-scale, scale) from a small LCG, with every `every`-th one a special value. */
function values(size: number, seed: number, scale = 4, every = 0): Float32Array {
  const out = new Float32Array(size);
  let s = seed >>> 0;
  for (let i = 0; i < size; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 31 - 1) * scale;
    if (every > 0 && i % every === every - 1) out[i] = SPECIALS[(s >>> 8) % SPECIALS.length];
  }
  return out;
}

/** The indices where two arrays differ bit for bit (any NaN matches any NaN). */
function mismatches(x: ArrayLike<number>, y: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let i = 0; i < y.length; i++) if (!Object.is(x[i], y[i])) out.push(i);
  return out;
}

const LENGTHS = [1, 3, 5, 17, 64, 67, 1023, 4099];

// Each case runs twice: with every operand living in wasm memory (used in place) and with plain
// JavaScript arrays (copied through the arena). The size limits are lowered so that even one element
// goes through the wasm kernel.
type Mode = 'resident' | 'copy';
const MODES: Mode[] = ['resident', 'copy'];

describe('wasm elementwise kernels', () => {
  const saved = { minElements: ELEMENTWISE_LIMITS.minElements, copy: { ...ELEMENTWISE_LIMITS.copy } };
  const blocks: [number, number][] = [];
  let previous = 'cpu';

  beforeAll(async () => {
    previous = getBackend();
    expect(await initWasmBackend()).toBe(true);
    ELEMENTWISE_LIMITS.minElements = 1;
    for (const family of Object.keys(ELEMENTWISE_LIMITS.copy) as (keyof typeof ELEMENTWISE_LIMITS.copy)[])
      ELEMENTWISE_LIMITS.copy[family] = 0;
  });
  afterEach(() => {
    const heap = getWasmRuntime()?.heap;
    for (const [ptr, bytes] of blocks.splice(0)) heap?.release(ptr, bytes);
  });
  afterAll(() => {
    ELEMENTWISE_LIMITS.minElements = saved.minElements;
    Object.assign(ELEMENTWISE_LIMITS.copy, saved.copy);
    setBackend(previous);
  });

  /** A float32 array holding `data`, in wasm memory for the resident mode. */
  function place(data: Float32Array, mode: Mode): Float32Array {
    const heap = getWasmRuntime()?.heap;
    if (!heap) throw new Error('no wasm runtime');
    const arr = placeOperand(heap, data, mode, blocks);
    if (mode === 'resident') expect(heap.pointerOf(arr)).toBe(blocks[blocks.length - 1][0]);
    return arr;
  }

  /** The wasm backend's kernel `name` (failing if it is the cpu one). */
  function wasm<K extends Kernel>(name: string, cpu: K): K {
    setBackend('wasm');
    const kernel = resolveKernel(name, cpu);
    expect(kernel).not.toBe(cpu);
    return kernel;
  }

  /**
   * The same `n` values (every third one a NaN, ±Infinity or ±0) through the cpu kernel and the wasm
   * `kernel`, its operands placed per `mode`: the input and both outputs.
   */
  function unaryPair(kernel: Kernel, cpu: Kernel, n: number, mode: Mode, extra: unknown[]) {
    const x = values(n, n, 30, 3);
    const expected = new Float32Array(n);
    cpu(x, expected, ...extra);
    const out = place(new Float32Array(n).fill(99), mode);
    kernel(place(x, mode), out, ...extra);
    return { x, out, expected };
  }

  const binaries: [string, Kernel][] = [
    ['add', elementwise.addKernel],
    ['sub', elementwise.subKernel],
    ['mul', elementwise.mulKernel],
    ['div', elementwise.divKernel],
    ['maximum', elementwise.maximumKernel],
    ['minimum', elementwise.minimumKernel],
  ];
  const broadcasts: [number[], number[]][] = [
    [[37], [37]],
    [[1023], [1]],
    [[1], [1023]],
    [[33, 67], [67]],
    [[67], [33, 67]],
    [
      [33, 67],
      [33, 1],
    ],
    [
      [33, 1],
      [33, 67],
    ],
    [[2, 3, 5], [5]],
    [
      [4, 1, 6],
      [4, 6, 1],
    ],
    [
      [2, 9, 7],
      [1, 9, 7],
    ],
    [
      [5, 1, 33],
      [1, 7, 33],
    ], // three blocks: the cpu kernel
  ];

  for (const mode of MODES)
    for (const [name, cpu] of binaries)
      it(`${name} (${mode}): bit-identical to the cpu kernel for same shapes, scalars and broadcasts, NaN, ±Infinity and ±0 included`, () => {
        const kernel = wasm(name, cpu);
        for (const [aShape, bShape] of broadcasts) {
          const shape = broadcastShapes(aShape, bShape, name);
          const a = values(shapeSize(aShape), 1 + aShape.length, 4, 7);
          const b = values(shapeSize(bShape), 2 + bShape[0], 4, 5);
          b[0] = a[0]; // a tie
          const expected = new Float32Array(shapeSize(shape));
          cpu(a, aShape, b, bShape, expected, shape);
          const out = place(new Float32Array(expected.length).fill(99), mode);
          kernel(place(a, mode), aShape, place(b, mode), bShape, out, shape);
          expect(mismatches(out, expected), `${name} ${aShape} ${bShape}`).toEqual([]);
        }
      });

  it('mixes operands in wasm memory with JavaScript arrays (only the latter are copied)', () => {
    const a = values(33 * 67, 11, 4, 9);
    const b = values(67, 12);
    const expected = new Float32Array(33 * 67);
    elementwise.addKernel(a, [33, 67], b, [67], expected, [33, 67]);
    const out = new Float32Array(33 * 67);
    wasm('add', elementwise.addKernel)(place(a, 'resident'), [33, 67], b, [67], out, [33, 67]);
    expect(mismatches(out, expected)).toEqual([]);
    const residentOut = place(new Float32Array(33 * 67), 'resident');
    wasm('add', elementwise.addKernel)(a, [33, 67], place(b, 'resident'), [67], residentOut, [33, 67]);
    expect(mismatches(residentOut, expected)).toEqual([]);
  });

  it('maximum and minimum follow the cpu kernel on NaN and signed zeros', () => {
    const a = new Float32Array([Number.NaN, 1, 0, -0, 0, Number.NEGATIVE_INFINITY, 2, Number.NaN]);
    const b = new Float32Array([
      1,
      Number.NaN,
      -0,
      0,
      0,
      Number.NEGATIVE_INFINITY,
      Number.POSITIVE_INFINITY,
      Number.NaN,
    ]);
    for (const [name, cpu] of binaries.slice(4)) {
      const expected = new Float32Array(8);
      const out = new Float32Array(8);
      cpu(a, [8], b, [8], expected, [8]);
      wasm(name, cpu)(a, [8], b, [8], out, [8]);
      expect(mismatches(out, expected)).toEqual([]);
      expect(Object.is(out[2], -0)).toBe(true); // the second operand wins a tie, as in the cpu kernel
    }
  });

  const expCpu = (x: TypedArray, out: TypedArray) => {
    for (let i = 0; i < x.length; i++) out[i] = Math.exp(x[i]);
  };
  const unaries: [string, Kernel, unknown[]][] = [
    ['relu', activations.reluKernel, []],
    ['leakyRelu', activations.leakyReluKernel, [0.01]],
    ['leakyRelu', activations.leakyReluKernel, [-1.5]],
    ['clamp', elementwise.clampKernel, [-0.3, 0.7]],
    ['clamp', elementwise.clampKernel, [0.1, Number.POSITIVE_INFINITY]],
    ['neg', mapUnary, [(x: number) => -x]],
    ['abs', mapUnary, [Math.abs]],
    ['square', mapUnary, [(x: number) => x * x]],
    ['sqrt', mapUnary, [Math.sqrt]],
    ['reciprocal', mapUnary, [(x: number) => 1 / x]],
    ['rsqrt', mapUnary, [(x: number) => 1 / Math.sqrt(x)]],
    ['exp', expCpu, []],
    ['sigmoid', activations.sigmoidKernel, []],
    ['silu', activations.siluKernel, []],
    ['powScalar', elementwise.powScalarKernel, [2]],
    ['powScalar', elementwise.powScalarKernel, [-1]],
    ['powScalar', elementwise.powScalarKernel, [3]], // the cpu kernel
  ];
  for (const mode of MODES)
    for (const [name, cpu, extra] of unaries)
      it(`${name}(${extra.filter((e) => typeof e === 'number')}) (${mode}): the cpu kernel's results, bit for bit, at every length`, () => {
        const kernel = wasm(name, cpu);
        for (const n of LENGTHS) {
          const { out, expected } = unaryPair(kernel, cpu, n, mode, extra);
          expect(mismatches(out, expected), `${name} n=${n}`).toEqual([]);
        }
      });

  it('relu keeps NaN, turns -0 and -Infinity into 0, like the cpu kernel and PyTorch', () => {
    const x = new Float32Array([Number.NaN, -0, 0, -1, 2, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 3.4e38]);
    const out = new Float32Array(8);
    wasm('relu', activations.reluKernel)(x, out);
    expect(Array.from(out)).toEqual([Number.NaN, 0, 0, 0, 2, Number.POSITIVE_INFINITY, 0, x[7]]);
    const cpu = new Float32Array(8);
    activations.reluKernel(x, cpu);
    expect(Array.from(cpu)).toEqual(Array.from(out));
    expect(Object.is(out[1], 0)).toBe(true);
  });

  const gradients: [string, Kernel, unknown[]][] = [
    ['thresholdBackward', activations.thresholdBackwardKernel, [0]],
    ['thresholdBackward', activations.thresholdBackwardKernel, [0.1]], // not a float32 value: the cpu kernel
    ['leakyReluBackward', activations.leakyReluBackwardKernel, [0.01]],
    ['clampBackward', elementwise.clampBackwardKernel, [-0.5, 0.5]],
    ['clampBackward', elementwise.clampBackwardKernel, [Number.NEGATIVE_INFINITY, 0.3]],
    ['sigmoidBackward', activations.sigmoidBackwardKernel, []],
    ['tanhBackward', activations.tanhBackwardKernel, []],
    ['siluBackward', activations.siluBackwardKernel, []],
  ];
  for (const mode of MODES)
    for (const [name, cpu, extra] of gradients)
      it(`${name}(${extra}) (${mode}): the cpu kernel's results, bit for bit, at every length`, () => {
        const kernel = wasm(name, cpu);
        for (const n of LENGTHS) {
          const g = values(n, 3 * n + 1, 2, 5);
          const x = values(n, n + 7, 1, 4);
          if (n > 2) x[1] = Math.fround(0.1); // above 0.1 only in float32
          const expected = new Float32Array(n);
          cpu(g, x, expected, ...extra);
          const out = place(new Float32Array(n).fill(99), mode);
          kernel(place(g, mode), place(x, mode), out, ...extra);
          expect(mismatches(out, expected), `${name} n=${n}`).toEqual([]);
        }
      });

  it('exp is within 1 ulp of Math.exp from -110 to 90 and exact at the edges of float32', () => {
    const n = 200_000;
    const x = new Float32Array(n);
    for (let i = 0; i < n; i++) x[i] = -110 + (200 * i) / n + ((i * 7919) % 1000) * 1e-6;
    const edges = [
      0,
      -0,
      1,
      -1,
      1e-30,
      -1e-30,
      88.72283,
      88.72284,
      88.7229,
      89,
      100,
      1e30,
      -87.33655,
      -87.3366,
      -103.27892,
      -103.972,
      -103.973,
      -104,
      -150,
      -1e30,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
    ];
    x.set(edges);
    const expected = Float32Array.from(x, Math.exp);
    const out = new Float32Array(n);
    wasm('exp', expCpu)(x, out);
    expect(maxUlps(out, expected)).toBeLessThanOrEqual(1);
    expect(mismatches(out, expected).length).toBeLessThanOrEqual(n * 1e-4);
    expect(Array.from(out.subarray(0, edges.length))).toEqual(Array.from(expected.subarray(0, edges.length)));
    expect(out[0]).toBe(1);
    expect(out[edges.length - 1]).toBe(0);
    expect(out[edges.length - 2]).toBe(Number.POSITIVE_INFINITY);
  });

  // tanh, elu and softplus compute their own expm1 and log1p in float64 where the cpu kernels call
  // Math.tanh, Math.expm1 and Math.log1p: equal but near float32 rounding boundaries, there 1 ulp away.
  const accurate: [string, Kernel, unknown[]][] = [
    ['tanh', activations.tanhKernel, []],
    ['elu', activations.eluKernel, [1]],
    ['elu', activations.eluKernel, [0.3]],
    ['elu', activations.eluKernel, [-2.5]],
    ['softplus', activations.softplusKernel, [1, 20]],
    ['softplus', activations.softplusKernel, [2, 5]],
    ['softplus', activations.softplusKernel, [-0.7, 20]],
    // Never linear: past e^709.78 the cpu kernel's log1p(e^βx) is Infinity.
    ['softplus', activations.softplusKernel, [0.5, Number.POSITIVE_INFINITY]],
  ];
  // Inputs where a formula goes wrong: signed zeros, NaN, infinities, subnormals, tiny |x| (cancellation
  // in e^x - 1 or log(1 + e^x)), the switch of exp's reduction (±ln2/2), tanh's saturation, the
  // linear regime's threshold (2.5 for β = 2, threshold = 5) and e^(0.5 x) overflowing near 1419.57.
  const EDGES = [
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    0,
    -0,
    1e-45,
    -1e-45,
    1e-40,
    -1e-38,
    1e-30,
    -1e-20,
    1e-10,
    -1e-10,
    3e-8,
    -1e-5,
    4e-4,
    -0.1733,
    0.17329,
    0.34657,
    -0.34658,
    0.5,
    -0.5,
    1,
    -1,
    2.5,
    5,
    -5,
    9,
    9.1,
    -9.01,
    19,
    -20,
    20,
    20.5,
    22,
    -22.5,
    30,
    -30,
    -87,
    -88.8,
    -104,
    1000,
    -1000,
    1419.5,
    1419.6,
    -1e10,
    3.4e38,
    -3.4e38,
  ];

  /** 120000 float32 values: both signs across every binade from 1e-45 to 3e38, a grid over [-30, 30], EDGES first. */
  function sweep(): Float32Array {
    const half = 60_000;
    const x = new Float32Array(2 * half);
    for (let i = 0; i < half; i++) {
      x[i] = (i % 2 === 0 ? 1 : -1) * 2 ** (-149 + (277 * i) / half);
      x[half + i] = -30 + (60 * i) / half + ((i * 7919) % 1000) * 1e-7;
    }
    x.set(EDGES);
    return x;
  }

  for (const mode of MODES)
    for (const [name, cpu, extra] of accurate)
      it(`${name}(${extra}) (${mode}): within 1 ulp of the cpu kernel at every length, NaN, ±Infinity and ±0 exact`, () => {
        const kernel = wasm(name, cpu);
        for (const n of LENGTHS) {
          const { x, out, expected } = unaryPair(kernel, cpu, n, mode, extra);
          expect(maxUlps(out, expected), `${name} n=${n}`).toBeLessThanOrEqual(1);
          const specials = Array.from(x.keys()).filter((i) => i % 3 === 2);
          expect(
            specials.filter((i) => !Object.is(out[i], expected[i])),
            `${name} n=${n}`,
          ).toEqual([]);
        }
      });

  for (const mode of MODES)
    for (const [name, cpu, extra] of accurate)
      it(`${name}(${extra}) (${mode}): within 1 ulp of the cpu kernel from 1e-45 to 3e38, exact at the edges`, () => {
        const x = sweep();
        const n = x.length;
        const expected = new Float32Array(n);
        cpu(x, expected, ...extra);
        const out = place(new Float32Array(n).fill(99), mode);
        wasm(name, cpu)(place(x, mode), out, ...extra);
        expect(maxUlps(out, expected)).toBeLessThanOrEqual(1);
        expect(mismatches(out, expected).length).toBeLessThanOrEqual(n * 1e-4);
        expect(mismatches(out.subarray(0, EDGES.length), expected.subarray(0, EDGES.length))).toEqual([]);
      });

  it("tanh, elu and softplus keep the cpu kernels' values where they are known exactly", () => {
    const tiny = [1e-45, -1e-40, 1e-30, -1e-20, 1e-10, -1e-10, 3e-8, -1e-5];
    const x = new Float32Array([
      ...tiny,
      0,
      -0,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      9.1,
      -30,
      1000,
    ]);
    const at = (i: number) => tiny.length + i;
    const out = new Float32Array(x.length);
    wasm('tanh', activations.tanhKernel)(x, out);
    // tanh x = x (1 - x²/3 ...): x itself in float32 for |x| < 4e-4, which cancelling formulas miss.
    expect(Array.from(out.subarray(0, tiny.length))).toEqual(Array.from(x.subarray(0, tiny.length)));
    expect([Object.is(out[at(0)], 0), Object.is(out[at(1)], -0), Number.isNaN(out[at(2)])]).toEqual([true, true, true]);
    expect(Array.from(out.subarray(at(3)))).toEqual([1, -1, 1, -1, 1]);
    wasm('elu', activations.eluKernel)(x, out, 0.5);
    // elu x = 0.5 (x + x²/2 ...): 0.5 x in float32 for negative |x| <= 1e-10, x itself for positive x.
    expect(Array.from(out.subarray(0, 6))).toEqual(
      Array.from(x.subarray(0, 6), (v) => (v > 0 ? v : Math.fround(0.5 * v))),
    );
    expect([Object.is(out[at(0)], 0), Object.is(out[at(1)], -0), Number.isNaN(out[at(2)])]).toEqual([true, true, true]);
    expect(Array.from(out.subarray(at(3)))).toEqual([Number.POSITIVE_INFINITY, -0.5, x[at(5)], -0.5, 1000]);
    wasm('softplus', activations.softplusKernel)(x, out, 1, 20);
    // log(1 + e^x) for x = -30 is e^-30 to float32 precision, which log of a rounded 1 + e^x loses.
    expect(out[at(6)]).toBe(Math.fround(Math.exp(-30)));
    expect(out[at(7)]).toBe(1000);
    expect(out[at(0)]).toBe(Math.fround(Math.LN2));
    expect([Number.isNaN(out[at(2)]), out[at(3)], out[at(4)]]).toEqual([true, Number.POSITIVE_INFINITY, 0]);
  });

  const reductions: [number[], number[]][] = [
    [[128, 256], [0]], // a bias gradient: 16-column blocks
    [[128, 256], [1]],
    [[37, 21], [0]], // 16 + 4 + 1 columns
    [[37, 21], [1]],
    [[1023], [0]],
    [[5], [0]],
    [
      [3, 5, 67],
      [0, 1],
    ],
    [
      [67, 3, 5],
      [1, 2],
    ],
    [[7, 13, 9], [1]], // a middle axis: outer x n x inner
    [[6, 1, 10], [1]], // size-1 axis only: a copy
    [
      [4, 6, 8],
      [0, 2],
    ], // two blocks: the cpu kernel
  ];
  for (const mode of MODES)
    it(`sum and mean (${mode}): the cpu kernel's float32 results over contiguous axes`, () => {
      const sum = wasm('sum', sumKernel);
      const mean = wasm('mean', meanKernel);
      for (const [shape, axes] of reductions) {
        const x = values(shapeSize(shape), shape[0] + 13, 10, 0);
        const outShape = shape.filter((_, d) => !axes.includes(d));
        const size = shapeSize(outShape);
        const count = shapeSize(shape) / size;
        for (const [kernel, cpu, extra] of [
          [sum, sumKernel, []],
          [mean, meanKernel, [count]],
        ] as const) {
          const expected = new Float32Array(size);
          cpu(x, shape, axes, expected, ...(extra as [number]));
          const out = place(new Float32Array(size).fill(99), mode);
          kernel(place(x, mode), shape, axes, out, ...(extra as [number]));
          // Sums along a row run in four lanes (another order than the cpu's) but in float64: at most 1 ulp.
          expect(maxUlps(out, expected), `${shape} ${axes}`).toBeLessThanOrEqual(1);
        }
      }
    });

  it('sum propagates NaN and infinities; column sums are bit-identical (same order as the cpu kernel)', () => {
    const x = values(64 * 40, 5, 3, 0);
    x[3] = Number.NaN;
    x[40 + 5] = Number.POSITIVE_INFINITY;
    x[80 + 5] = Number.NEGATIVE_INFINITY;
    x[80 + 6] = Number.POSITIVE_INFINITY;
    const expected = new Float32Array(40);
    const out = new Float32Array(40);
    sumKernel(x, [64, 40], [0], expected);
    wasm('sum', sumKernel)(x, [64, 40], [0], out);
    expect(mismatches(out, expected)).toEqual([]);
    expect([Number.isNaN(out[3]), Number.isNaN(out[5]), out[6]]).toEqual([true, true, Number.POSITIVE_INFINITY]);
  });

  // Groups whose extremum is NaN, ±0 (ties of -0 and 0 in different lanes), ±Infinity or an ordinary
  // value, at odd lengths, for every layout the wasm kernels take (and two they hand to the cpu kernel).
  const extremumLayouts: [number[], number[]][] = [
    ...reductions,
    [[128, 1000], [1]],
    [[128, 1000], [0]],
    [[9, 1], [0]], // one column: the partial vector only
    [[3, 19], [1]], // 16 + 3 per row
    [
      [11, 5, 3],
      [0, 1, 2],
    ], // all axes: one row
    [[2, 33, 17], [1]], // a middle axis, 16 + 1 columns
    [[5, 7, 6], [2]],
  ];
  /** x with sparse NaN (`nan` false: none), zeros of both signs, infinities and duplicated values. */
  function extremumInput(size: number, seed: number, nan: boolean): Float32Array {
    const x = values(size, seed, 3, 0);
    let s = seed;
    for (let i = 0; i < size; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      const pick = s >>> 24;
      if (pick < 40) x[i] = pick % 2 === 0 ? 0 : -0;
      else if (pick < 44) x[i] = pick % 2 === 0 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
      else if (pick < 46 && nan) x[i] = Number.NaN;
      else if (pick < 60 && i > 0) x[i] = x[i - 1];
      else if (pick < 130) x[i] = -Math.abs(x[i]); // many groups with a max of ±0
    }
    return x;
  }
  // As they come, negated, and with one sign only (zeros keep theirs): then most maxima (minima) are ±0.
  const signs: [string, (v: number) => number][] = [
    ['mixed', (v) => v],
    ['negated', (v) => -v],
    ['non-positive', (v) => (v === 0 ? v : -Math.abs(v))],
    ['non-negative', (v) => (v === 0 ? v : Math.abs(v))],
  ];
  const extrema: [string, Kernel][] = [
    ['max', maxKernel],
    ['min', minKernel],
  ];
  for (const mode of MODES)
    for (const [name, cpu] of extrema)
      it(`${name} (${mode}): bit-identical to the cpu kernel over contiguous axes, NaN, ±Infinity and ±0 included`, () => {
        const kernel = wasm(name, cpu);
        for (const [shape, axes] of extremumLayouts)
          for (const nan of [false, true])
            for (const [how, f] of signs) {
              const x = extremumInput(shapeSize(shape), shape[0] + shape.length, nan).map(f);
              const size = shapeSize(shape.filter((_, d) => !axes.includes(d)));
              const expected = new Float32Array(size);
              cpu(x, shape, axes, expected);
              const out = place(new Float32Array(size).fill(99), mode);
              kernel(place(x, mode), shape, axes, out);
              expect(mismatches(out, expected), `${name} ${shape} ${axes} nan=${nan} ${how}`).toEqual([]);
            }
      });

  it('max and min keep the cpu kernel’s first zero in a row, whichever lane holds it', () => {
    // Row 0: -0 (lane 1) before 0 (lane 0 of the next vector); row 1: the other way round; 9 columns.
    const x = new Float32Array([
      ...[-1, -0, -2, -3, 0, -4, -5, -6, -7],
      ...[-1, -2, 0, -3, -0, -4, -0, -6, -7],
      ...[-0, -0, -0, 0, 0, 0, -0, -0, 0],
      ...[0, -0, 0, -0, 0, -0, 0, -0, 0],
    ]);
    const out = new Float32Array(4);
    wasm('max', maxKernel)(x, [4, 9], [1], out);
    expect(Array.from(out, (v) => Object.is(v, -0))).toEqual([true, false, true, false]);
    const negated = x.map((v) => -v);
    wasm('min', minKernel)(negated, [4, 9], [1], out);
    expect(Array.from(out, (v) => Object.is(v, -0))).toEqual([false, true, false, true]);
    // Down the columns the cpu kernel keeps the earlier of tied rows too.
    const cols = new Float32Array(9);
    const expected = new Float32Array(9);
    wasm('max', maxKernel)(x, [4, 9], [0], cols);
    maxKernel(x, [4, 9], [0], expected);
    expect(mismatches(cols, expected)).toEqual([]);
    expect(Array.from(cols, (v) => Object.is(v, -0))).toEqual([
      true,
      true,
      false,
      false,
      false,
      false,
      true,
      true,
      false,
    ]);
  });

  it('max and min return the NaN the cpu kernel returns, payload included (the first in a row, the last down a column)', () => {
    const x = values(6 * 21, 9, 2, 0);
    const u = new Uint32Array(x.buffer);
    // Quiet NaNs with payloads, and a signalling one (the cpu kernel's double round trip quiets it).
    u[5] = 0x7fc00001;
    u[17] = 0xffc12345;
    u[21 + 20] = 0x7fa00000;
    u[2 * 21 + 1] = 0xffc00abc;
    u[2 * 21 + 2] = 0x7fc00002;
    u[4 * 21 + 1] = 0x7fc00003;
    x[5 * 21 + 3] = Number.POSITIVE_INFINITY;
    x[5 * 21 + 4] = Number.NEGATIVE_INFINITY;
    for (const [name, cpu] of extrema)
      for (const [shape, axes] of [
        [[6, 21], [1]],
        [[6, 21], [0]],
        [[2, 3, 21], [1]],
        [[126], [0]],
      ] as [number[], number[]][]) {
        const size = shapeSize(shape.filter((_, d) => !axes.includes(d)));
        const expected = new Float32Array(size);
        const out = new Float32Array(size);
        cpu(x, shape, axes, expected);
        wasm(name, cpu)(x, shape, axes, out);
        expect(Array.from(new Uint32Array(out.buffer)), `${name} ${shape} ${axes}`).toEqual(
          Array.from(new Uint32Array(expected.buffer)),
        );
      }
    const rows = new Float32Array(6);
    wasm('max', maxKernel)(x, [6, 21], [1], rows);
    expect(Array.from(new Uint32Array(rows.buffer).subarray(0, 3))).toEqual([0x7fc00001, 0x7fe00000, 0xffc00abc]);
    expect(rows[5]).toBe(Number.POSITIVE_INFINITY);
  });

  it('max and min of an empty input, float64 and int32 arrays, and two reduced blocks run the cpu kernel', () => {
    for (const [name, cpu] of extrema) {
      const kernel = wasm(name, cpu);
      const empty = new Float32Array(3).fill(99);
      kernel(new Float32Array(0), [3, 0], [1], empty);
      const emptyRef = new Float32Array(3);
      cpu(new Float32Array(0), [3, 0], [1], emptyRef);
      expect(mismatches(empty, emptyRef)).toEqual([]);
      for (const x of [
        Float64Array.from(values(300, 4, 3, 3), (v) => v + 1e-12),
        Int32Array.from({ length: 300 }, (_, i) => (i * 37) % 101),
      ]) {
        const out = new (x.constructor as Float64ArrayConstructor)(20);
        const ref = new (x.constructor as Float64ArrayConstructor)(20);
        kernel(x, [20, 15], [1], out);
        cpu(x, [20, 15], [1], ref);
        expect(mismatches(out, ref)).toEqual([]);
      }
    }
  });

  /** Rows of softmax inputs: random, large, with NaN, with +Infinity, all -Infinity, with some -Infinity. */
  function softmaxInput(rows: number, n: number, seed: number): Float32Array {
    const x = values(rows * n, seed, 8, 0);
    const row = (r: number) => x.subarray((r % rows) * n, (r % rows) * n + n);
    row(1).forEach((v, i, a) => {
      a[i] = v * 200;
    });
    row(2)[n - 1] = Number.NaN;
    row(3)[0] = Number.POSITIVE_INFINITY;
    row(4).fill(Number.NEGATIVE_INFINITY);
    row(5)[n >> 1] = Number.NEGATIVE_INFINITY;
    return x;
  }

  for (const mode of MODES)
    for (const log of [false, true])
      it(`${log ? 'logSoftmax' : 'softmax'} forward and backward (${mode}): the cpu kernel's results within 1 ulp`, () => {
        const forward = wasm(log ? 'logSoftmax' : 'softmax', softmaxKernel);
        const backward = wasm(log ? 'logSoftmaxBackward' : 'softmaxBackward', softmaxBackwardKernel);
        for (const n of [1, 3, 5, 10, 17, 1000]) {
          const rows = 7;
          const x = softmaxInput(rows, n, n);
          const expected = new Float32Array(rows * n);
          softmaxKernel(x, rows, n, 1, expected, log);
          const y = place(new Float32Array(rows * n).fill(99), mode);
          forward(place(x, mode), rows, n, 1, y, log);
          expect(maxUlps(y, expected), `forward n=${n}`).toBeLessThanOrEqual(1);
          const g = values(rows * n, 2 * n, 1, 0);
          const expectedGrad = new Float32Array(rows * n);
          softmaxBackwardKernel(g, expected, rows, n, 1, expectedGrad, log);
          const grad = place(new Float32Array(rows * n).fill(99), mode);
          backward(place(g, mode), place(expected, mode), rows, n, 1, grad, log);
          expect(maxUlps(grad, expectedGrad), `backward n=${n}`).toBeLessThanOrEqual(1);
        }
      });

  it('softmax along a middle axis runs the cpu kernel', () => {
    const x = values(4 * 5 * 6, 3, 5, 0);
    const expected = new Float32Array(120);
    const out = new Float32Array(120);
    softmaxKernel(x, 4, 5, 6, expected, false);
    wasm('softmax', softmaxKernel)(x, 4, 5, 6, out, false);
    expect(out).toEqual(expected);
  });

  it('hands float64 and int32 arrays to the cpu kernels unchanged', () => {
    const a = Float64Array.from(values(300, 1), (v) => v + 1e-12);
    const b = Float64Array.from(values(300, 2));
    const expected = new Float64Array(300);
    const out = new Float64Array(300);
    elementwise.addKernel(a, [300], b, [300], expected, [300]);
    wasm('add', elementwise.addKernel)(a, [300], b, [300], out, [300]);
    expect(out).toEqual(expected);
    const ai = Int32Array.from({ length: 300 }, (_, i) => i - 150);
    const outI = new Int32Array(300);
    wasm('relu', activations.reluKernel)(ai, outI);
    expect(Array.from(outI)).toEqual(Array.from(ai, (v) => Math.max(v, 0)));
    const sumOut = new Float64Array(1);
    wasm('sum', sumKernel)(a, [300], [0], sumOut);
    const sumRef = new Float64Array(1);
    sumKernel(a, [300], [0], sumRef);
    expect(sumOut).toEqual(sumRef);
  });

  it('below the size limit and without copies allowed, runs the cpu kernel on JavaScript arrays', () => {
    ELEMENTWISE_LIMITS.minElements = 64;
    ELEMENTWISE_LIMITS.copy.binary = Number.POSITIVE_INFINITY;
    try {
      const a = values(100, 4);
      const expected = new Float32Array(100);
      const out = new Float32Array(100);
      elementwise.addKernel(a, [100], a, [100], expected, [100]);
      wasm('add', elementwise.addKernel)(a, [100], a, [100], out, [100]);
      expect(out).toEqual(expected);
      const resident = place(a, 'resident');
      const residentOut = place(new Float32Array(100), 'resident');
      wasm('add', elementwise.addKernel)(resident, [100], resident, [100], residentOut, [100]);
      expect(residentOut).toEqual(expected);
    } finally {
      ELEMENTWISE_LIMITS.minElements = 1;
      ELEMENTWISE_LIMITS.copy.binary = 0;
    }
  });
});
