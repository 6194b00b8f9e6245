import { ValueError } from '../../../errors';
import { type GpuArray, LINEAR_INDEX, MAIN_ARGS, type ParamSpec, paramsWgsl } from '../context';
import { checkArray, groupsFor } from './common';
import { WGSL_MATH } from './wgsl-math';

// Elementwise kernels of one input (x, or the output y for a gradient read from it) or two (an upstream
// gradient g and x or y), each with the semantics and the arguments of its cpu kernel in
// kernels/cpu/activations.ts, elementwise.ts and unary.ts, GPU arrays in place of typed arrays. The
// scalar arguments (a slope, bounds, beta and threshold) reach the shader as float32 `a` and `b`.

/** The unary ops that the cpu backend runs through `mapUnary` with a scalar function, by op name. */
export type MapUnaryOp =
  | 'neg'
  | 'abs'
  | 'square'
  | 'sqrt'
  | 'reciprocal'
  | 'rsqrt'
  | 'exp'
  | 'expm1'
  | 'log'
  | 'log1p'
  | 'sin'
  | 'cos'
  | 'sign'
  | 'tanh';

const UNARY: Record<MapUnaryOp, string> = {
  neg: '-x',
  abs: 'abs(x)',
  square: 'x * x',
  sqrt: 'sqrt(x)',
  reciprocal: '1.0 / x',
  rsqrt: '1.0 / sqrt(x)',
  exp: 'exp(x)',
  expm1: 'expm1_f(x)',
  log: 'log(x)',
  log1p: 'log1p_f(x)',
  sin: 'sin_f(x)',
  cos: 'cos_f(x)',
  sign: 'select(0.0, 1.0, x > 0.0) - select(0.0, 1.0, x < 0.0) + select(0.0, x, is_nan(x))',
  tanh: 'tanh_f(x)',
};

/** The bodies of the kernels of one input `x` (scalars `a`, `b`): each sets `r`. */
const MAPS: Record<string, string> = {
  relu: 'r = select(0.0, x, x > 0.0 || is_nan(x));',
  leakyRelu: 'r = select(x * a, x, x > 0.0);',
  sigmoid: 'r = sigmoid_f(x);',
  tanh: 'r = tanh_f(x);',
  geluTanh: 'r = 0.5 * x * one_plus_tanh(0.7978845608028654 * (x + 0.044715 * x * x * x));',
  geluExact: 'r = 0.5 * x * erfc_f(-x * 0.7071067811865476);',
  silu: 'if (x >= 0.0) { r = x / (1.0 + exp(-x)); } else { let e = exp(x); r = x * e / (1.0 + e); }',
  elu: 'r = select(a * expm1_f(x), x, x > 0.0);',
  softplus: 'let bx = x * a; if (bx > b) { r = x; } else { r = log1p_f(exp(bx)) / a; }',
  logSigmoid: 'if (x < 0.0) { r = x - log1p_f(exp(x)); } else { r = -log1p_f(exp(-x)); }',
  clamp: 'r = min(max(x, a), b);',
  powScalar:
    'if (a == 2.0) { r = x * x; } else if (a == 1.0) { r = x; } else if (a == 3.0) { r = x * x * x; } else if (a == -1.0) { r = 1.0 / x; } else { r = pow_f(x, a); }',
  ...Object.fromEntries(Object.entries(UNARY).map(([name, expr]) => [`unary_${name}`, `r = ${expr};`])),
};

/** The bodies of the kernels of two inputs: the upstream gradient `g` and `x` (or the output, also `x` here). */
const MAPS2: Record<string, string> = {
  thresholdBackward: 'r = select(0.0, g, x > a || is_nan(x));',
  leakyReluBackward: 'r = select(g * a, g, x > 0.0);',
  sigmoidBackward: 'r = g * x * (1.0 - x);',
  tanhBackward: 'r = g * (1.0 - x * x);',
  geluTanhBackward:
    'let k = 0.7978845608028654; let c = 0.044715; let x2 = x * x; let u = k * (x + c * x2 * x); let p = one_plus_tanh(u); r = g * (0.5 * p + 0.5 * x * (p * one_minus_tanh(u)) * k * (1.0 + 3.0 * c * x2));',
  geluExactBackward:
    'let cdf = 0.5 * erfc_f(-x * 0.7071067811865476); let pdf = 0.3989422804014327 * exp(-0.5 * x * x); r = g * (cdf + x * pdf);',
  siluBackward: 'let s = sigmoid_f(x); r = g * s * (1.0 + x * (1.0 - s));',
  eluBackward: 'r = select(g * a * exp(x), g, x > 0.0 || is_nan(x));',
  softplusBackward: 'let bx = x * a; r = select(g * sigmoid_f(bx), g, bx > b);',
  logSigmoidBackward: 'r = g * sigmoid_f(-x);',
  clampBackward: 'r = select(0.0, g, x >= a && x <= b);',
};

const SPEC: ParamSpec = [
  ['n', 'u32'],
  ['a', 'f32'],
  ['b', 'f32'],
];

function mapSource(body: string, two: boolean): string {
  const inputs = two
    ? '@group(0) @binding(1) var<storage, read> gIn: array<f32>;\n@group(0) @binding(2) var<storage, read> xIn: array<f32>;\n@group(0) @binding(3) var<storage, read_write> out: array<f32>;'
    : '@group(0) @binding(1) var<storage, read> xIn: array<f32>;\n@group(0) @binding(2) var<storage, read_write> out: array<f32>;';
  return `${paramsWgsl(SPEC)}${inputs}
${WGSL_MATH}
@compute @workgroup_size(256)
fn main(${MAIN_ARGS}) {
  ${LINEAR_INDEX}
  if (i >= params.n) { return; }
  let a = params.a;
  let b = params.b;
  let x = xIn[i];
  ${two ? 'let g = gIn[i];' : ''}
  var r: f32;
  ${body}
  out[i] = r;
}`;
}

function runMap(fn: string, variant: string, x: GpuArray, out: GpuArray, a = 0, b = 0): void {
  const context = checkArray(fn, 'x', x);
  checkArray(fn, 'out', out, x.size);
  const body = MAPS[variant];
  const pipeline = context.pipeline(`map:${variant}`, () => mapSource(body, false));
  context.dispatch(
    pipeline,
    [
      [x, 'read'],
      [out, 'write'],
    ],
    SPEC,
    [x.size, a, b],
    groupsFor(x.size),
  );
}

function runMap2(fn: string, variant: string, g: GpuArray, x: GpuArray, out: GpuArray, a = 0, b = 0): void {
  const context = checkArray(fn, 'g', g);
  checkArray(fn, 'x', x, g.size);
  checkArray(fn, 'out', out, g.size);
  const body = MAPS2[variant];
  const pipeline = context.pipeline(`map2:${variant}`, () => mapSource(body, true));
  context.dispatch(
    pipeline,
    [
      [g, 'read'],
      [x, 'read'],
      [out, 'write'],
    ],
    SPEC,
    [g.size, a, b],
    groupsFor(g.size),
  );
}

/**
 * The WebGPU form of `mapUnary` for the unary ops that the cpu backend runs with a scalar function
 * (`exp`, `log`, `sqrt`, ...): the op is named instead of passed as a function.
 *
 * @example
 * ```ts
 * mapUnaryWebGpu('exp', x, out); // out[i] = exp(x[i])
 * ```
 */
export function mapUnaryWebGpu(op: MapUnaryOp, x: GpuArray, out: GpuArray): void {
  if (!Object.hasOwn(UNARY, op))
    throw new ValueError(`mapUnaryWebGpu: op must be one of ${Object.keys(UNARY).join(', ')}, got ${String(op)}`);
  runMap('mapUnaryWebGpu', `unary_${op}`, x, out);
}

/** `reluKernel` on the GPU: `max(x, 0)`, NaN stays NaN. @example reluWebGpu(x, out); */
export function reluWebGpu(x: GpuArray, out: GpuArray): void {
  runMap('reluWebGpu', 'relu', x, out);
}
/** `leakyReluKernel` on the GPU. @example leakyReluWebGpu(x, out, 0.01); */
export function leakyReluWebGpu(x: GpuArray, out: GpuArray, slope: number): void {
  runMap('leakyReluWebGpu', 'leakyRelu', x, out, slope);
}
/** `sigmoidKernel` on the GPU, stable for any `x`. @example sigmoidWebGpu(x, out); */
export function sigmoidWebGpu(x: GpuArray, out: GpuArray): void {
  runMap('sigmoidWebGpu', 'sigmoid', x, out);
}
/** `tanhKernel` on the GPU. @example tanhWebGpu(x, out); */
export function tanhWebGpu(x: GpuArray, out: GpuArray): void {
  runMap('tanhWebGpu', 'tanh', x, out);
}
/** `geluKernel` on the GPU, exact (erfc) or the tanh approximation. @example geluWebGpu(x, out, false); */
export function geluWebGpu(x: GpuArray, out: GpuArray, tanhApproximation: boolean): void {
  runMap('geluWebGpu', tanhApproximation ? 'geluTanh' : 'geluExact', x, out);
}
/** `siluKernel` on the GPU. @example siluWebGpu(x, out); */
export function siluWebGpu(x: GpuArray, out: GpuArray): void {
  runMap('siluWebGpu', 'silu', x, out);
}
/** `eluKernel` on the GPU. @example eluWebGpu(x, out, 1); */
export function eluWebGpu(x: GpuArray, out: GpuArray, alpha: number): void {
  runMap('eluWebGpu', 'elu', x, out, alpha);
}
/** `softplusKernel` on the GPU. @example softplusWebGpu(x, out, 1, 20); */
export function softplusWebGpu(x: GpuArray, out: GpuArray, beta: number, threshold: number): void {
  runMap('softplusWebGpu', 'softplus', x, out, beta, threshold);
}
/** `logSigmoidKernel` on the GPU. @example logSigmoidWebGpu(x, out); */
export function logSigmoidWebGpu(x: GpuArray, out: GpuArray): void {
  runMap('logSigmoidWebGpu', 'logSigmoid', x, out);
}
/** `clampKernel` on the GPU: `min(max(x, lo), hi)`. @example clampWebGpu(x, out, -1, 1); */
export function clampWebGpu(x: GpuArray, out: GpuArray, lo: number, hi: number): void {
  runMap('clampWebGpu', 'clamp', x, out, lo, hi);
}
/** `powScalarKernel` on the GPU: `x ** exponent`, squares, cubes and reciprocals exact. @example powScalarWebGpu(x, out, 0.5); */
export function powScalarWebGpu(x: GpuArray, out: GpuArray, exponent: number): void {
  runMap('powScalarWebGpu', 'powScalar', x, out, exponent);
}

/** `thresholdBackwardKernel` on the GPU (relu's gradient). @example thresholdBackwardWebGpu(g, x, out, 0); */
export function thresholdBackwardWebGpu(g: GpuArray, x: GpuArray, out: GpuArray, threshold: number): void {
  runMap2('thresholdBackwardWebGpu', 'thresholdBackward', g, x, out, threshold);
}
/** `leakyReluBackwardKernel` on the GPU. @example leakyReluBackwardWebGpu(g, x, out, 0.01); */
export function leakyReluBackwardWebGpu(g: GpuArray, x: GpuArray, out: GpuArray, slope: number): void {
  runMap2('leakyReluBackwardWebGpu', 'leakyReluBackward', g, x, out, slope);
}
/** `sigmoidBackwardKernel` on the GPU, from the output `y`. @example sigmoidBackwardWebGpu(g, y, out); */
export function sigmoidBackwardWebGpu(g: GpuArray, y: GpuArray, out: GpuArray): void {
  runMap2('sigmoidBackwardWebGpu', 'sigmoidBackward', g, y, out);
}
/** `tanhBackwardKernel` on the GPU, from the output `y`. @example tanhBackwardWebGpu(g, y, out); */
export function tanhBackwardWebGpu(g: GpuArray, y: GpuArray, out: GpuArray): void {
  runMap2('tanhBackwardWebGpu', 'tanhBackward', g, y, out);
}
/** `geluBackwardKernel` on the GPU. @example geluBackwardWebGpu(g, x, out, true); */
export function geluBackwardWebGpu(g: GpuArray, x: GpuArray, out: GpuArray, tanhApproximation: boolean): void {
  runMap2('geluBackwardWebGpu', tanhApproximation ? 'geluTanhBackward' : 'geluExactBackward', g, x, out);
}
/** `siluBackwardKernel` on the GPU. @example siluBackwardWebGpu(g, x, out); */
export function siluBackwardWebGpu(g: GpuArray, x: GpuArray, out: GpuArray): void {
  runMap2('siluBackwardWebGpu', 'siluBackward', g, x, out);
}
/** `eluBackwardKernel` on the GPU. @example eluBackwardWebGpu(g, x, out, 1); */
export function eluBackwardWebGpu(g: GpuArray, x: GpuArray, out: GpuArray, alpha: number): void {
  runMap2('eluBackwardWebGpu', 'eluBackward', g, x, out, alpha);
}
/** `softplusBackwardKernel` on the GPU. @example softplusBackwardWebGpu(g, x, out, 1, 20); */
export function softplusBackwardWebGpu(g: GpuArray, x: GpuArray, out: GpuArray, beta: number, threshold: number): void {
  runMap2('softplusBackwardWebGpu', 'softplusBackward', g, x, out, beta, threshold);
}
/** `logSigmoidBackwardKernel` on the GPU. @example logSigmoidBackwardWebGpu(g, x, out); */
export function logSigmoidBackwardWebGpu(g: GpuArray, x: GpuArray, out: GpuArray): void {
  runMap2('logSigmoidBackwardWebGpu', 'logSigmoidBackward', g, x, out);
}
/** `clampBackwardKernel` on the GPU: `g` where `lo <= x <= hi`. @example clampBackwardWebGpu(g, x, out, -1, 1); */
export function clampBackwardWebGpu(g: GpuArray, x: GpuArray, out: GpuArray, lo: number, hi: number): void {
  runMap2('clampBackwardWebGpu', 'clampBackward', g, x, out, lo, hi);
}
