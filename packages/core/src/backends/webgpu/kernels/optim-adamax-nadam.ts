import type { GpuArray, ParamSpec } from '../context';
import type { AdaptFn } from '../register';
import { dispatchUpdate, source } from './optim';

// The fused steps of Adamax and NAdam on the GPU, with the arguments and semantics of their cpu kernels in
// kernels/cpu/optim-adamax-nadam.ts, written like the classic ones in ./optim.ts: the scalars are computed
// on the host in doubles and rounded to float32 once, then every operation is one float32 operation in the
// order of the cpu kernel's formula.

const ADAMAX_SPEC: ParamSpec = [
  ['n', 'u32'],
  ['decay', 'u32'],
  ['sign', 'f32'],
  ['wd', 'f32'],
  ['b1', 'f32'],
  ['c1', 'f32'],
  ['b2', 'f32'],
  ['eps', 'f32'],
  ['bc1', 'f32'],
  ['nlr', 'f32'],
];
const ADAMAX = source(
  ADAMAX_SPEC,
  ['param', 'grad', 'm', 'u'],
  `if (P.decay != 0u) { g = g + P.wd * pj; }
  let mj = P.b1 * m[i] + P.c1 * g;
  m[i] = mj;
  let uj = max(P.b2 * u[i], abs(g) + P.eps);
  u[i] = uj;
  let d = mj / uj / P.bc1;
  param[i] = pj + d * P.nlr;`,
);

/**
 * `adamaxUpdateKernel` on the GPU, with its arguments: Adamax's whole step in place (the flip for
 * `maximize`, L2 weight decay, the first moment, the infinity norm, the bias-corrected step).
 *
 * @example
 * ```ts
 * adamaxUpdateWebGpu(p, g, m, u, step, 2e-3, 0.9, 0.999, 1e-8, 0, false);
 * ```
 */
export function adamaxUpdateWebGpu(
  param: GpuArray,
  grad: GpuArray,
  m: GpuArray,
  u: GpuArray,
  step: number,
  lr: number,
  beta1: number,
  beta2: number,
  eps: number,
  weightDecay: number,
  maximize: boolean,
): void {
  const fn = 'adamaxUpdateWebGpu';
  dispatchUpdate(fn, 'adamaxUpdate', ADAMAX, ADAMAX_SPEC, param, grad, { m, u }, [
    param.size,
    weightDecay !== 0 ? 1 : 0,
    maximize ? -1 : 1,
    weightDecay,
    beta1,
    1 - beta1,
    beta2,
    eps,
    1 - beta1 ** step,
    -lr,
  ]);
}

const NADAM_SPEC: ParamSpec = [
  ['n', 'u32'],
  ['decay', 'u32'],
  ['sign', 'f32'],
  ['wd', 'f32'],
  ['b1', 'f32'],
  ['c1', 'f32'],
  ['b2', 'f32'],
  ['c2', 'f32'],
  ['gs', 'f32'],
  ['ms', 'f32'],
  ['bc2', 'f32'],
  ['eps', 'f32'],
  ['nlr', 'f32'],
];
const NADAM = source(
  NADAM_SPEC,
  ['param', 'grad', 'm', 'v'],
  `if (P.decay != 0u) { g = g + P.wd * pj; }
  let mj = P.b1 * m[i] + P.c1 * g;
  m[i] = mj;
  let vj = P.b2 * v[i] + (P.c2 * g) * g;
  v[i] = vj;
  let d = sqrt(vj) / P.bc2 + P.eps;
  let upd = (P.gs * g) / d + (P.ms * mj) / d;
  param[i] = pj + upd * P.nlr;`,
);

/**
 * `nadamUpdateKernel` on the GPU, with its arguments: NAdam's whole step in place (L2 weight decay, the
 * two moments, the Nesterov combination of the gradient and the momentum with the step's scales).
 *
 * @example
 * ```ts
 * nadamUpdateWebGpu(p, g, m, v, 0.9, 0.999, gradScale, momentumScale, bc2Sqrt, 1e-8, 0, 2e-3);
 * ```
 */
export function nadamUpdateWebGpu(
  param: GpuArray,
  grad: GpuArray,
  m: GpuArray,
  v: GpuArray,
  beta1: number,
  beta2: number,
  gradScale: number,
  momentumScale: number,
  bc2Sqrt: number,
  eps: number,
  weightDecay: number,
  lr: number,
): void {
  const fn = 'nadamUpdateWebGpu';
  dispatchUpdate(fn, 'nadamUpdate', NADAM, NADAM_SPEC, param, grad, { m, v }, [
    param.size,
    weightDecay !== 0 ? 1 : 0,
    1,
    weightDecay,
    beta1,
    1 - beta1,
    beta2,
    1 - beta2,
    gradScale,
    momentumScale,
    bc2Sqrt,
    eps,
    -lr,
  ]);
}

/**
 * Register the GPU kernels of Adamax and NAdam with `adapt` (see webGpuAdapters): `adamaxUpdate` and
 * `nadamUpdate`, each reading the gradient and updating the parameter and its two state arrays in place.
 *
 * @example
 * ```ts
 * adaptAdamaxNadam(adapt); // in webGpuAdapters
 * ```
 */
export function adaptAdamaxNadam(adapt: AdaptFn): void {
  adapt('adamaxUpdate', adamaxUpdateWebGpu, ['rw', 'in', 'rw', 'rw', '-', '-', '-', '-', '-', '-', '-']);
  adapt('nadamUpdate', nadamUpdateWebGpu, ['rw', 'in', 'rw', 'rw', '-', '-', '-', '-', '-', '-', '-', '-']);
}
