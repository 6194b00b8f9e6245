import type { GpuArray, ParamSpec } from '../context';
import type { AdaptFn } from '../register';
import { dispatchUpdate, source } from './optim';

// The fused steps of RAdam and Adadelta on the GPU, with the arguments and semantics of their cpu kernels in
// kernels/cpu/optim-radam-adadelta.ts, written like the classic ones in ./optim.ts: the scalars (RAdam's bias
// correction and rectification, which depend only on the step) are computed on the host in doubles and
// rounded to float32 once, then every operation is one float32 operation in the order of the cpu kernel's
// formula.

const RADAM_SPEC: ParamSpec = [
  ['n', 'u32'],
  ['decay', 'u32'],
  ['rectified', 'u32'],
  ['sign', 'f32'],
  ['wd', 'f32'],
  ['b1', 'f32'],
  ['c1', 'f32'],
  ['b2', 'f32'],
  ['c2', 'f32'],
  ['bc1', 'f32'],
  ['scale', 'f32'],
  ['eps', 'f32'],
  ['nlr', 'f32'],
];
const RADAM = source(
  RADAM_SPEC,
  ['param', 'grad', 'm', 'v'],
  `if (P.decay != 0u) { g = g + P.wd * pj; }
  let mj = P.b1 * m[i] + P.c1 * g;
  let vj = P.b2 * v[i] + (P.c2 * g) * g;
  m[i] = mj;
  v[i] = vj;
  var u = mj / P.bc1;
  if (P.rectified != 0u) { u = (u * P.scale) / (sqrt(vj) + P.eps); }
  param[i] = pj + u * P.nlr;`,
);

/**
 * `radamUpdateKernel` on the GPU, with its arguments: RAdam's whole step in place for step `step` (from 1):
 * L2 weight decay, the two moments, then the rectified adaptive step once `ρ_t > 5`, a momentum step before.
 *
 * @example
 * ```ts
 * radamUpdateWebGpu(p, g, m, v, step, 1e-3, 0.9, 0.999, 1e-8, 0);
 * ```
 */
export function radamUpdateWebGpu(
  param: GpuArray,
  grad: GpuArray,
  m: GpuArray,
  v: GpuArray,
  step: number,
  lr: number,
  beta1: number,
  beta2: number,
  eps: number,
  weightDecay: number,
): void {
  const fn = 'radamUpdateWebGpu';
  // The step's scalars, in doubles, exactly as radamUpdateKernel computes them.
  const bc2 = 1 - beta2 ** step;
  const rhoInf = 2 / (1 - beta2) - 1;
  const rhoT = rhoInf - (2 * step * beta2 ** step) / bc2;
  const rectified = rhoT > 5;
  const scale = rectified
    ? Math.sqrt(((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT)) * Math.sqrt(bc2)
    : 1;
  dispatchUpdate(fn, 'radamUpdate', RADAM, RADAM_SPEC, param, grad, { m, v }, [
    param.size,
    weightDecay !== 0 ? 1 : 0,
    rectified ? 1 : 0,
    1,
    weightDecay,
    beta1,
    1 - beta1,
    beta2,
    1 - beta2,
    1 - beta1 ** step,
    scale,
    eps,
    -lr,
  ]);
}

const ADADELTA_SPEC: ParamSpec = [
  ['n', 'u32'],
  ['decay', 'u32'],
  ['sign', 'f32'],
  ['wd', 'f32'],
  ['rho', 'f32'],
  ['c', 'f32'],
  ['eps', 'f32'],
  ['nlr', 'f32'],
];
const ADADELTA = source(
  ADADELTA_SPEC,
  ['param', 'grad', 'sq', 'acc'],
  `if (P.decay != 0u) { g = g + P.wd * pj; }
  let vj = P.rho * sq[i] + (P.c * g) * g;
  sq[i] = vj;
  let aj = acc[i];
  let d = (sqrt(aj + P.eps) / sqrt(vj + P.eps)) * g;
  acc[i] = P.rho * aj + (P.c * d) * d;
  param[i] = pj + d * P.nlr;`,
);

/**
 * `adadeltaUpdateKernel` on the GPU, with its arguments: Adadelta's whole step in place (the flip for
 * `maximize`, L2 weight decay, the running averages of `g²` and of the squared updates, the update).
 *
 * @example
 * ```ts
 * adadeltaUpdateWebGpu(p, g, squareAvg, accDelta, 1, 0.9, 1e-6, 0, false);
 * ```
 */
export function adadeltaUpdateWebGpu(
  param: GpuArray,
  grad: GpuArray,
  squareAvg: GpuArray,
  accDelta: GpuArray,
  lr: number,
  rho: number,
  eps: number,
  weightDecay: number,
  maximize: boolean,
): void {
  const fn = 'adadeltaUpdateWebGpu';
  dispatchUpdate(fn, 'adadeltaUpdate', ADADELTA, ADADELTA_SPEC, param, grad, { squareAvg, accDelta }, [
    param.size,
    weightDecay !== 0 ? 1 : 0,
    maximize ? -1 : 1,
    weightDecay,
    rho,
    1 - rho,
    eps,
    -lr,
  ]);
}

/** Register the GPU kernels of RAdam and Adadelta with `adapt` (see webGpuAdapters). */
export function adaptRadamAdadelta(adapt: AdaptFn): void {
  adapt('radamUpdate', radamUpdateWebGpu, ['rw', 'in', 'rw', 'rw', '-', '-', '-', '-', '-', '-']);
  adapt('adadeltaUpdate', adadeltaUpdateWebGpu, ['rw', 'in', 'rw', 'rw', '-', '-', '-', '-', '-']);
}
