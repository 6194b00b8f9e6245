// Elementwise kernels. Exact (bit for bit): one correctly rounded float32 operation of float32 inputs
// gives what the cpu's double operation rounded to float32 gives (add, sub, mul, div, neg, abs, square,
// sqrt, reciprocal, sign), leakyRelu with a slope that is a float32 value, selections (maximum, minimum, comparisons, the max/min gradient shares, relu,
// leakyRelu, clamp and the masking gradients); measured on SwiftShader, whose division and sqrt are
// correctly rounded and which does not contract a * b + c into an fma. Within a tolerance: WGSL's exp,
// log, pow, sin, cos and tanh are not correctly rounded (WGSL allows several ulps; sin and cos an
// absolute 2^-11 in theory), and the formulas of several operations (rsqrt as 1/sqrt, g·y·(1-y), erfc)
// round at every step where the cpu rounds once: 2e-6 relative to max(1, |ref|) unless said.
import { type BinaryOp, binaryWebGpu, whereWebGpu } from '../../../packages/core/src/backends/webgpu/kernels/binary';
import * as gpu from '../../../packages/core/src/backends/webgpu/kernels/elementwise';
import type { TypedArray } from '../../../packages/core/src/dtype';
import * as act from '../../../packages/core/src/kernels/cpu/activations';
import {
  addKernel,
  clampBackwardKernel,
  clampKernel,
  compareKernel,
  divKernel,
  extremumShareKernel,
  maximumKernel,
  minimumKernel,
  mulKernel,
  powKernel,
  powScalarKernel,
  subKernel,
  whereKernel,
} from '../../../packages/core/src/kernels/cpu/elementwise';
import { mapUnary } from '../../../packages/core/src/kernels/cpu/unary';
import type { Checker } from './checker';

type Cpu2 = (
  a: TypedArray,
  aS: readonly number[],
  b: TypedArray,
  bS: readonly number[],
  o: TypedArray,
  oS: readonly number[],
) => void;

const BINARY: [BinaryOp, Cpu2, boolean][] = [
  ['add', addKernel, true],
  ['sub', subKernel, true],
  ['mul', mulKernel, true],
  ['div', divKernel, true],
  ['maximum', maximumKernel, true],
  ['minimum', minimumKernel, true],
  ['pow', powKernel, false],
  ...(['eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const).map(
    (op) => [op, (a, aS, b, bS, o, oS) => compareKernel(a, aS, b, bS, o, oS, op), true] as [BinaryOp, Cpu2, boolean],
  ),
  ['shareMax', (a, aS, b, bS, o, oS) => extremumShareKernel(a, aS, b, bS, o, oS, true), true],
  ['shareMin', (a, aS, b, bS, o, oS) => extremumShareKernel(a, aS, b, bS, o, oS, false), true],
];

const size = (s: number[]) => s.reduce((p, d) => p * d, 1);

export async function runBinaryCases(c: Checker): Promise<void> {
  const shapes: [number[], number[], number[]][] = [
    [
      [7, 33],
      [7, 33],
      [7, 33],
    ],
    [[7, 33], [33], [7, 33]],
    [
      [1, 5, 1],
      [4, 1, 6],
      [4, 5, 6],
    ],
    [[], [3, 4], [3, 4]],
    [[65, 3], [1], [65, 3]],
    [
      [2, 1, 3, 1],
      [5, 1, 7],
      [2, 5, 3, 7],
    ],
  ];
  for (const [op, cpu, exact] of BINARY) {
    for (const [aS, bS, oS] of shapes) {
      const ties = op !== 'pow' && op !== 'div';
      const a =
        op === 'pow'
          ? c.rng.floats(size(aS), 0.1, 3)
          : ties
            ? c.rng.ints(size(aS), -2, 2)
            : c.rng.floats(size(aS), -2, 2);
      const b =
        op === 'pow'
          ? c.rng.floats(size(bS), -2, 2)
          : ties
            ? c.rng.ints(size(bS), -2, 2)
            : c.rng.floats(size(bS), 0.5, 2);
      if (ties && op !== 'maximum' && op !== 'minimum' && !op.startsWith('share')) {
        // arithmetic on fractional values too
        for (let i = 0; i < a.length; i++) a[i] += c.rng.next() < 0.5 ? 0 : c.rng.next();
      }
      const ref = new Float32Array(size(oS));
      cpu(a, aS, b, bS, ref, oS);
      const out = c.array(size(oS));
      binaryWebGpu(op, c.upload(a), aS, c.upload(b), bS, out, oS);
      await c.compare(`binary ${op} [${aS}] [${bS}]`, [out], [ref], { exact, tolerance: 1e-5 });
    }
  }
  // where, float32 and int32 conditions, every broadcast pattern above (the condition shaped as a, as b,
  // or as the output); the value not chosen holds Inf and NaN, which must not reach the result
  for (const [aS, bS, oS] of shapes) {
    for (const [condShape, condType] of [
      [aS, 'float32'],
      [oS, 'int32'],
      [bS, 'int32'],
    ] as const) {
      const raw = c.rng.ints(size(condShape), -1, 1);
      const cond = condType === 'int32' ? Int32Array.from(raw) : raw;
      const a = c.rng.floats(size(aS), -2, 2);
      const b = c.rng.floats(size(bS), -2, 2);
      for (let i = 0; i < a.length; i += 3) a[i] = i % 2 === 0 ? Number.POSITIVE_INFINITY : Number.NaN;
      for (let i = 1; i < b.length; i += 4) b[i] = Number.NEGATIVE_INFINITY;
      const ref = new Float32Array(size(oS));
      whereKernel(cond, condShape, a, aS, b, bS, ref, oS);
      const out = c.array(size(oS));
      whereWebGpu(c.upload(cond), condShape, c.upload(a), aS, c.upload(b), bS, out, oS);
      await c.compare(`where ${condType} [${condShape}] [${aS}] [${bS}]`, [out], [ref], { exact: true });
    }
  }
  // pow of negative bases with integer exponents (signs), and of zero
  const a = Float32Array.from([-2, -2, -1.5, -3, 0, 0, 2, -0.5]);
  const b = Float32Array.from([3, 2, -1, 0, 2, -1, 0.5, 4]);
  const ref = new Float32Array(8);
  powKernel(a, [8], b, [8], ref, [8]);
  const out = c.array(8);
  binaryWebGpu('pow', c.upload(a), [8], c.upload(b), [8], out, [8]);
  await c.compare('binary pow negative bases, zero', [out], [ref], { tolerance: 1e-6 });
}

const UNARY: [gpu.MapUnaryOp, (x: number) => number, [number, number], boolean, number][] = [
  ['neg', (x) => -x, [-4, 4], true, 0],
  ['abs', Math.abs, [-4, 4], true, 0],
  ['square', (x) => x * x, [-4, 4], true, 0],
  ['sqrt', Math.sqrt, [0, 10], true, 0],
  ['reciprocal', (x) => 1 / x, [0.1, 4], true, 0],
  ['sign', (x) => (x > 0 ? 1 : 0) - (x < 0 ? 1 : 0), [-2, 2], true, 0],
  ['rsqrt', (x) => 1 / Math.sqrt(x), [0.1, 10], false, 1e-6],
  ['exp', Math.exp, [-10, 10], false, 2e-6],
  ['expm1', Math.expm1, [-2, 2], false, 2e-6],
  ['log', Math.log, [0.01, 100], false, 2e-6],
  ['log1p', Math.log1p, [-0.9, 5], false, 2e-6],
  ['sin', Math.sin, [-4, 4], false, 2e-6],
  ['cos', Math.cos, [-4, 4], false, 2e-6],
  ['tanh', Math.tanh, [-12, 12], false, 2e-6],
];

export async function runUnaryCases(c: Checker): Promise<void> {
  for (const [op, fn, [lo, hi], exact, tolerance] of UNARY) {
    const x = c.rng.floats(1031, lo, hi);
    if (op === 'expm1' || op === 'log1p') for (let i = 0; i < 40; i++) x[i] = (i - 20) * 1e-6; // near 0
    const ref = new Float32Array(x.length);
    mapUnary(x, ref, fn);
    const out = c.array(x.length);
    gpu.mapUnaryWebGpu(op, c.upload(x), out);
    // NOTE: expm1 and log1p near 0 are compared relative to |ref| itself (floor 1e-30): no cancellation.
    const floor = op === 'expm1' || op === 'log1p' ? 1e-30 : 1;
    await c.compare(`unary ${op}`, [out], [ref], { exact, tolerance: floor === 1 ? tolerance : 1e-5, floor });
  }
  for (const exponent of [2, 3, -1, 1, 0.5, 2.5, -1.5]) {
    const x = c.rng.floats(517, 0.1, 4);
    const ref = new Float32Array(x.length);
    powScalarKernel(x, ref, exponent);
    const out = c.array(x.length);
    gpu.powScalarWebGpu(c.upload(x), out, exponent);
    const exact = exponent === 2 || exponent === -1 || exponent === 1;
    await c.compare(`powScalar ${exponent}`, [out], [ref], { exact, tolerance: 1e-5 });
  }
}

type Fwd = [
  string,
  (x: TypedArray, o: TypedArray) => void,
  (x: ReturnType<Checker['upload']>, o: ReturnType<Checker['upload']>) => void,
  boolean,
  number,
];
type Bwd = [
  string,
  (g: TypedArray, x: TypedArray, o: TypedArray) => void,
  (g: ReturnType<Checker['upload']>, x: ReturnType<Checker['upload']>, o: ReturnType<Checker['upload']>) => void,
  boolean,
  number,
  /** the second input is the forward output (sigmoid, tanh) */
  ((x: TypedArray, o: TypedArray) => void)?,
];

export async function runActivationCases(c: Checker): Promise<void> {
  const forward: Fwd[] = [
    ['relu', act.reluKernel, gpu.reluWebGpu, true, 0],
    ['leakyRelu', (x, o) => act.leakyReluKernel(x, o, 0.125), (x, o) => gpu.leakyReluWebGpu(x, o, 0.125), true, 0],
    ['clamp', (x, o) => clampKernel(x, o, -0.5, 1.5), (x, o) => gpu.clampWebGpu(x, o, -0.5, 1.5), true, 0],
    ['sigmoid', act.sigmoidKernel, gpu.sigmoidWebGpu, false, 2e-6],
    ['tanh', act.tanhKernel, gpu.tanhWebGpu, false, 2e-6],
    ['gelu (tanh)', (x, o) => act.geluKernel(x, o, true), (x, o) => gpu.geluWebGpu(x, o, true), false, 2e-6],
    ['gelu (erf)', (x, o) => act.geluKernel(x, o, false), (x, o) => gpu.geluWebGpu(x, o, false), false, 2e-6],
    ['silu', act.siluKernel, gpu.siluWebGpu, false, 2e-6],
    ['elu', (x, o) => act.eluKernel(x, o, 0.7), (x, o) => gpu.eluWebGpu(x, o, 0.7), false, 2e-6],
    ['softplus', (x, o) => act.softplusKernel(x, o, 1.5, 10), (x, o) => gpu.softplusWebGpu(x, o, 1.5, 10), false, 2e-6],
    ['logSigmoid', act.logSigmoidKernel, gpu.logSigmoidWebGpu, false, 2e-6],
  ];
  for (const [name, cpu, run, exact, tolerance] of forward) {
    const x = c.rng.floats(1031, -12, 12);
    const ref = new Float32Array(x.length);
    cpu(x, ref);
    const out = c.array(x.length);
    run(c.upload(x), out);
    await c.compare(`activation ${name}`, [out], [ref], { exact, tolerance });
  }
  const backward: Bwd[] = [
    [
      'thresholdBackward',
      (g, x, o) => act.thresholdBackwardKernel(g, x, o, 0.25),
      (g, x, o) => gpu.thresholdBackwardWebGpu(g, x, o, 0.25),
      true,
      0,
    ],
    [
      'leakyReluBackward',
      (g, x, o) => act.leakyReluBackwardKernel(g, x, o, 0.125),
      (g, x, o) => gpu.leakyReluBackwardWebGpu(g, x, o, 0.125),
      true,
      0,
    ],
    [
      'clampBackward',
      (g, x, o) => clampBackwardKernel(g, x, o, -0.5, 1.5),
      (g, x, o) => gpu.clampBackwardWebGpu(g, x, o, -0.5, 1.5),
      true,
      0,
    ],
    ['sigmoidBackward', act.sigmoidBackwardKernel, gpu.sigmoidBackwardWebGpu, false, 5e-7, act.sigmoidKernel],
    ['tanhBackward', act.tanhBackwardKernel, gpu.tanhBackwardWebGpu, false, 5e-7, act.tanhKernel],
    [
      'geluBackward (tanh)',
      (g, x, o) => act.geluBackwardKernel(g, x, o, true),
      (g, x, o) => gpu.geluBackwardWebGpu(g, x, o, true),
      false,
      2e-6,
    ],
    [
      'geluBackward (erf)',
      (g, x, o) => act.geluBackwardKernel(g, x, o, false),
      (g, x, o) => gpu.geluBackwardWebGpu(g, x, o, false),
      false,
      2e-6,
    ],
    ['siluBackward', act.siluBackwardKernel, gpu.siluBackwardWebGpu, false, 2e-6],
    [
      'eluBackward',
      (g, x, o) => act.eluBackwardKernel(g, x, o, 0.7),
      (g, x, o) => gpu.eluBackwardWebGpu(g, x, o, 0.7),
      false,
      2e-6,
    ],
    [
      'softplusBackward',
      (g, x, o) => act.softplusBackwardKernel(g, x, o, 1.5, 10),
      (g, x, o) => gpu.softplusBackwardWebGpu(g, x, o, 1.5, 10),
      false,
      2e-6,
    ],
    ['logSigmoidBackward', act.logSigmoidBackwardKernel, gpu.logSigmoidBackwardWebGpu, false, 2e-6],
  ];
  for (const [name, cpu, run, exact, tolerance, fromOutput] of backward) {
    let x = c.rng.floats(1031, -8, 8);
    if (fromOutput) {
      const y = new Float32Array(x.length);
      fromOutput(x, y);
      x = y;
    }
    const g = c.rng.floats(x.length, -2, 2);
    const ref = new Float32Array(x.length);
    cpu(g, x, ref);
    const out = c.array(x.length);
    run(c.upload(g), c.upload(x), out);
    await c.compare(`activation ${name}`, [out], [ref], { exact, tolerance });
  }
}
