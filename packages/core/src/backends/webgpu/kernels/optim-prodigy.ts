import { PRODIGY_STATS as S } from '../../../kernels/cpu/optim-prodigy';
import { type GpuArray, type ParamSpec, paramsWgsl } from '../context';
import type { AdaptFn } from '../register';
import { checkArray, elementwise, groupsFor } from './common';
import { reduceWebGpu } from './reduce';

// Prodigy's step on the GPU, with the arguments and semantics of the cpu kernels in
// kernels/cpu/optim-prodigy.ts: the estimate of d stays in a float32 `stats` array on the GPU, so nothing
// comes back to JavaScript. A parameter's share is one elementwise dispatch (moments, s and the terms of its
// two sums), a tree reduction of the terms, and a one-thread dispatch that adds the sums to `stats`.

/** The WGSL of a one-thread kernel over `stats` (binding 1) and the read-only `extra` arrays. */
function single(spec: ParamSpec, extra: string[], body: string): string {
  const bindings = extra
    .map((name, i) => `@group(0) @binding(${i + 2}) var<storage, read> ${name}: array<f32>;`)
    .join('\n');
  return `${paramsWgsl(spec)}@group(0) @binding(1) var<storage, read_write> stats: array<f32>;
${bindings}
@compute @workgroup_size(1)
fn main() {
  let P = params;
  ${body}
}`;
}

const BEGIN_SPEC: ParamSpec = [
  ['corrected', 'u32'],
  ['maxLr', 'f32'],
  ['lnB1', 'f32'],
  ['lnB2', 'f32'],
];
// 1 - βᵏ as -expm1(k·ln β) (a series where exp would cancel), so that 1 - 0.999 keeps its digits in float32.
const BEGIN = single(
  BEGIN_SPEC,
  [],
  `var bc = 1.0;
  if (P.corrected != 0u) {
    let k1 = stats[${S.k}] + 1.0;
    bc = sqrt(one_minus_pow(P.lnB2, k1)) / one_minus_pow(P.lnB1, k1);
  }
  stats[${S.dlr}] = (stats[${S.d}] * P.maxLr) * bc;
  stats[${S.deltaNumerator}] = 0.0;
  stats[${S.stepDenom}] = 0.0;`,
).replace(
  '@compute',
  `fn one_minus_pow(lnB: f32, k: f32) -> f32 {
  let x = k * lnB;
  if (x < -0.3) { return 1.0 - exp(x); }
  return -(x * (1.0 + x * (0.5 + x * (1.0 / 6.0 + x * (1.0 / 24.0 + x * (1.0 / 120.0 + x / 720.0))))));
}
@compute`,
);

/** ln β for {@link BEGIN} (a large negative number for β = 0, whose powers are 0). */
function lnOf(beta: number): number {
  return beta > 0 ? Math.log(beta) : -1e30;
}

const ACCUMULATE_SPEC: ParamSpec = [
  ['n', 'u32'],
  ['nS', 'u32'],
  ['sliceP', 'u32'],
  ['first', 'u32'],
  ['accumulate', 'u32'],
  ['useM', 'u32'],
  ['safeguard', 'u32'],
  ['wd', 'f32'],
  ['b1', 'f32'],
  ['c1', 'f32'],
  ['b2', 'f32'],
  ['c2', 'f32'],
  ['b3', 'f32'],
  ['d0', 'f32'],
];
const ACCUMULATE = elementwise(
  ACCUMULATE_SPEC,
  [
    ['param', 'read'],
    ['grad', 'read'],
    ['p0', 'read_write'],
    ['s', 'read_write'],
    ['m', 'read_write'],
    ['v', 'read_write'],
    ['terms', 'read_write'],
    ['stats', 'read'],
  ],
  `let pj = param[i];
  let sliced = i % P.sliceP == 0u;
  let jj = i / P.sliceP;
  if (P.first != 0u && sliced) { p0[jj] = pj; }
  if (P.accumulate == 0u) { return; }
  var g = grad[i];
  if (P.wd != 0.0) { g = g + P.wd * pj; }
  let d = stats[${S.d}];
  if (P.useM != 0u) { m[i] = P.b1 * m[i] + (d * P.c1) * g; }
  v[i] = P.b2 * v[i] + (((d * d) * P.c2) * g) * g;
  if (!sliced) { return; }
  let ratio = d / P.d0;
  var alpha = ratio * stats[${S.dlr}];
  if (P.safeguard != 0u) { alpha = ratio * d; }
  let sj = P.b3 * s[jj] + alpha * g;
  s[jj] = sj;
  terms[jj] = g * (p0[jj] - pj);
  terms[P.nS + jj] = abs(sj);`,
);

const FINISH_SPEC: ParamSpec = [['d0', 'f32']];
const FINISH = single(
  FINISH_SPEC,
  ['sums'],
  `let scale = (stats[${S.d}] / P.d0) * stats[${S.dlr}];
  stats[${S.deltaNumerator}] = stats[${S.deltaNumerator}] + scale * sums[0];
  stats[${S.stepDenom}] = stats[${S.stepDenom}] + sums[1];`,
);

const UPDATE_D_SPEC: ParamSpec = [
  ['capped', 'u32'],
  ['b3', 'f32'],
  ['dCoef', 'f32'],
  ['growth', 'f32'],
  ['lastD0', 'f32'],
];
const UPDATE_D = single(
  UPDATE_D_SPEC,
  [],
  `let den = stats[${S.stepDenom}];
  if (den == 0.0) { stats[${S.skip}] = 1.0; return; }
  stats[${S.skip}] = 0.0;
  let numerator = stats[${S.dNumerator}] * P.b3 + stats[${S.deltaNumerator}];
  let dHat = (P.dCoef * numerator) / den;
  var d = stats[${S.d}];
  if (d == P.lastD0 && dHat > d) { d = dHat; }
  var dMax = stats[${S.dMax}];
  if (dHat > dMax) { dMax = dHat; }
  var next = dMax;
  if (P.capped != 0u) {
    let grown = d * P.growth;
    if (grown < dMax) { next = grown; }
  }
  stats[${S.d}] = next;
  stats[${S.dNumerator}] = numerator;
  stats[${S.dDenom}] = den;
  stats[${S.dMax}] = dMax;
  stats[${S.dHat}] = dHat;
  stats[${S.k}] = stats[${S.k}] + 1.0;`,
);

const STEP_SPEC: ParamSpec = [
  ['n', 'u32'],
  ['useM', 'u32'],
  ['wd', 'f32'],
  ['decoupled', 'f32'],
  ['eps', 'f32'],
];
const STEP = elementwise(
  STEP_SPEC,
  [
    ['param', 'read_write'],
    ['grad', 'read'],
    ['m', 'read'],
    ['v', 'read'],
    ['stats', 'read'],
  ],
  `if (stats[${S.skip}] != 0.0) { return; }
  let d = stats[${S.d}];
  let dlr = stats[${S.dlr}];
  let pj = param[i];
  var num: f32;
  var c = -dlr;
  if (P.useM != 0u) { num = m[i]; } else {
    num = grad[i];
    if (P.wd != 0.0) { num = num + P.wd * pj; }
    c = -dlr * d;
  }
  let step = (c * num) / (sqrt(v[i]) + d * P.eps);
  let a = -P.decoupled * dlr;
  if (a == 0.0) { param[i] = pj + step; } else { param[i] = (a * pj + pj) + step; }`,
);

/** A one-thread dispatch of `wgsl` over `stats` (written) and `extra` (read). */
function dispatchSingle(
  name: string,
  wgsl: string,
  spec: ParamSpec,
  stats: GpuArray,
  extra: GpuArray[],
  values: number[],
): void {
  const context = stats.context;
  context.dispatch(
    context.pipeline(name, () => wgsl),
    [[stats, 'write'], ...extra.map((a) => [a, 'read'] as [GpuArray, 'read'])],
    spec,
    values,
    1,
  );
}

/**
 * `prodigyBeginKernel` on the GPU, with its arguments: the step size `dlr` from `stats`' `d`, and the step's sums set to 0.
 *
 * @example
 * ```ts
 * prodigyBeginWebGpu(stats, 1, 0.9, 0.999, false);
 * ```
 */
export function prodigyBeginWebGpu(
  stats: GpuArray,
  maxLr: number,
  beta1: number,
  beta2: number,
  useBiasCorrection: boolean,
): void {
  checkArray('prodigyBeginWebGpu', 'stats', stats, S.size);
  dispatchSingle(
    'prodigyBegin',
    BEGIN,
    BEGIN_SPEC,
    stats,
    [],
    [useBiasCorrection ? 1 : 0, maxLr, lnOf(beta1), lnOf(beta2)],
  );
}

/**
 * `prodigyAccumulateKernel` on the GPU, with its arguments: one parameter's moments, `s`, and its share of
 * the estimate's sums (`x₀` copied at its first step), without leaving the GPU.
 *
 * @example
 * ```ts
 * prodigyAccumulateWebGpu(p, g, p0, s, m, v, terms, stats, 1, false, true, 0, 0.9, 0.999, Math.sqrt(0.999), 1e-6, false);
 * ```
 */
export function prodigyAccumulateWebGpu(
  param: GpuArray,
  grad: GpuArray,
  p0: GpuArray,
  s: GpuArray,
  m: GpuArray | null,
  v: GpuArray,
  terms: GpuArray,
  stats: GpuArray,
  sliceP: number,
  first: boolean,
  accumulate: boolean,
  coupledDecay: number,
  beta1: number,
  beta2: number,
  beta3: number,
  d0: number,
  safeguardWarmup: boolean,
): void {
  const fn = 'prodigyAccumulateWebGpu';
  const context = checkArray(fn, 'param', param);
  const n = param.size;
  const nS = Math.ceil(n / sliceP);
  checkArray(fn, 'grad', grad, n);
  checkArray(fn, 'p0', p0, nS);
  checkArray(fn, 's', s, nS);
  if (m !== null) checkArray(fn, 'm', m, n);
  checkArray(fn, 'v', v, n);
  checkArray(fn, 'terms', terms, 2 * nS);
  checkArray(fn, 'stats', stats, S.size);
  // NOTE: the stand-in for an absent m is never touched (useM is 0) and aliases nothing.
  const standIn = m === null ? context.createArray(1) : null;
  context.dispatch(
    context.pipeline('prodigyAccumulate', () => ACCUMULATE),
    [
      [param, 'read'],
      [grad, 'read'],
      [p0, 'write'],
      [s, 'write'],
      [m ?? (standIn as GpuArray), 'write'],
      [v, 'write'],
      [terms, 'write'],
      [stats, 'read'],
    ],
    ACCUMULATE_SPEC,
    [
      n,
      nS,
      sliceP,
      first ? 1 : 0,
      accumulate ? 1 : 0,
      m !== null ? 1 : 0,
      safeguardWarmup ? 1 : 0,
      coupledDecay,
      beta1,
      1 - beta1,
      beta2,
      1 - beta2,
      beta3,
      d0,
    ],
    groupsFor(n),
  );
  if (standIn !== null) context.release(standIn);
  if (!accumulate || nS === 0) return;
  const sums = context.createArray(2);
  reduceWebGpu('sum', terms, [2, nS], [1], sums);
  dispatchSingle('prodigyFinish', FINISH, FINISH_SPEC, stats, [sums], [d0]);
  context.release(sums);
}

/**
 * `prodigyUpdateDKernel` on the GPU, with its arguments: the update of the estimate `d` in `stats`.
 *
 * @example
 * ```ts
 * prodigyUpdateDWebGpu(stats, Math.sqrt(0.999), 1, Infinity, 1e-6);
 * ```
 */
export function prodigyUpdateDWebGpu(
  stats: GpuArray,
  beta3: number,
  dCoef: number,
  growthRate: number,
  lastD0: number,
): void {
  checkArray('prodigyUpdateDWebGpu', 'stats', stats, S.size);
  const capped = Number.isFinite(growthRate);
  dispatchSingle(
    'prodigyUpdateD',
    UPDATE_D,
    UPDATE_D_SPEC,
    stats,
    [],
    [capped ? 1 : 0, beta3, dCoef, capped ? growthRate : 0, lastD0],
  );
}

/**
 * `prodigyStepKernel` on the GPU, with its arguments: one parameter's move with the new `d`.
 *
 * @example
 * ```ts
 * prodigyStepWebGpu(p, g, m, v, stats, 0, 0.01, 1e-8);
 * ```
 */
export function prodigyStepWebGpu(
  param: GpuArray,
  grad: GpuArray,
  m: GpuArray | null,
  v: GpuArray,
  stats: GpuArray,
  coupledDecay: number,
  decoupledDecay: number,
  eps: number,
): void {
  const fn = 'prodigyStepWebGpu';
  const context = checkArray(fn, 'param', param);
  checkArray(fn, 'grad', grad, param.size);
  if (m !== null) checkArray(fn, 'm', m, param.size);
  checkArray(fn, 'v', v, param.size);
  checkArray(fn, 'stats', stats, S.size);
  const standIn = m === null ? context.createArray(1) : null;
  context.dispatch(
    context.pipeline('prodigyStep', () => STEP),
    [
      [param, 'write'],
      [grad, 'read'],
      [m ?? (standIn as GpuArray), 'read'],
      [v, 'read'],
      [stats, 'read'],
    ],
    STEP_SPEC,
    [param.size, m !== null ? 1 : 0, coupledDecay, decoupledDecay, eps],
    groupsFor(param.size),
  );
  if (standIn !== null) context.release(standIn);
}

/** Register Prodigy's kernels (the roles of the cpu kernels' arguments). */
export function adaptProdigy(adapt: AdaptFn): void {
  adapt('prodigyBegin', prodigyBeginWebGpu, ['rw', '-', '-', '-', '-']);
  adapt('prodigyAccumulate', prodigyAccumulateWebGpu, [
    'in',
    'in',
    'rw',
    'rw',
    'rw',
    'rw',
    'out',
    'rw',
    ...Array<'-'>(9).fill('-'),
  ]);
  adapt('prodigyUpdateD', prodigyUpdateDWebGpu, ['rw', '-', '-', '-', '-']);
  adapt('prodigyStep', prodigyStepWebGpu, ['rw', 'in', 'in', 'in', 'in', '-', '-', '-']);
}
