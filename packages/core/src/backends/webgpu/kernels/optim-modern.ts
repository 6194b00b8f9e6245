import type { GpuArray, ParamSpec } from '../context';
import { groupsFor } from './common';
import { arrays, checkUpdateArrays, source } from './optim';

// The fused updates of the modern optimizers with an elementwise step (Lion, AdEMAMix, Schedule-Free, Adan),
// with the arguments and semantics of their cpu kernels in kernels/cpu/optim-modern.ts, written like the
// classic ones in ./optim.ts. LAMB's and cautious AdamW's, which need a reduction, are in ./optim-reduced.ts.

const LION_SPEC: ParamSpec = [
  ['n', 'u32'],
  ['decay', 'u32'],
  ['sign', 'f32'],
  ['wd', 'f32'],
  ['b1', 'f32'],
  ['c1', 'f32'],
  ['b2', 'f32'],
  ['c2', 'f32'],
  ['nlr', 'f32'],
];
const LION = source(
  LION_SPEC,
  ['param', 'grad', 'm'],
  `var u = sign(P.b1 * m[i] + P.c1 * g);
  m[i] = P.b2 * m[i] + P.c2 * g;
  if (P.decay != 0u) { u = u + P.wd * pj; }
  param[i] = pj + u * P.nlr;`,
);

/**
 * `lionUpdateKernel` on the GPU, with its arguments: Lion's whole step in place (the sign of the
 * interpolated momentum, the momentum update, decoupled weight decay).
 *
 * @example
 * ```ts
 * lionUpdateWebGpu(p, g, m, 1e-4, 0.9, 0.99, 0.1, false);
 * ```
 */
export function lionUpdateWebGpu(
  param: GpuArray,
  grad: GpuArray,
  m: GpuArray,
  lr: number,
  beta1: number,
  beta2: number,
  weightDecay: number,
  maximize: boolean,
): void {
  const fn = 'lionUpdateWebGpu';
  checkUpdateArrays(fn, param, { grad, m });
  const context = param.context;
  context.dispatch(
    context.pipeline('lionUpdate', () => LION),
    [
      [param, 'write'],
      [grad, 'read'],
      [m, 'write'],
    ],
    LION_SPEC,
    [param.size, weightDecay !== 0 ? 1 : 0, maximize ? -1 : 1, weightDecay, beta1, 1 - beta1, beta2, 1 - beta2, -lr],
    groupsFor(param.size),
  );
}

const ADEMAMIX_SPEC: ParamSpec = [
  ['n', 'u32'],
  ['fast', 'u32'],
  ['decay', 'u32'],
  ['sign', 'f32'],
  ['wd', 'f32'],
  ['b1', 'f32'],
  ['c1', 'f32'],
  ['b2', 'f32'],
  ['c2', 'f32'],
  ['b3', 'f32'],
  ['c3', 'f32'],
  ['alpha', 'f32'],
  ['bc1', 'f32'],
  ['bc2', 'f32'],
  ['eps', 'f32'],
  ['nlr', 'f32'],
];
const ADEMAMIX = source(
  ADEMAMIX_SPEC,
  ['param', 'grad', 'm1', 'm2', 'nu'],
  `var fast = g;
  if (P.fast != 0u) { fast = P.b1 * m1[i] + P.c1 * g; m1[i] = fast; }
  let m2j = P.b3 * m2[i] + P.c3 * g;
  m2[i] = m2j;
  let nuj = P.b2 * nu[i] + (P.c2 * g) * g;
  nu[i] = nuj;
  var u = (fast / P.bc1 + P.alpha * m2j) / (sqrt(nuj) / P.bc2 + P.eps);
  if (P.decay != 0u) { u = u + P.wd * pj; }
  param[i] = pj + u * P.nlr;`,
);

/**
 * `ademamixUpdateKernel` on the GPU, with its arguments: AdEMAMix's whole step in place (the fast EMA
 * when `m1` is given, the slow EMA, the second moment, decoupled weight decay).
 *
 * @example
 * ```ts
 * ademamixUpdateWebGpu(p, g, m1, m2, nu, 0.9, 0.999, 0.9999, 5, bc1, bc2Sqrt, 1e-8, 1e-3, 0);
 * ```
 */
export function ademamixUpdateWebGpu(
  param: GpuArray,
  grad: GpuArray,
  m1: GpuArray | null,
  m2: GpuArray,
  nu: GpuArray,
  beta1: number,
  beta2: number,
  beta3: number,
  alpha: number,
  bc1: number,
  bc2Sqrt: number,
  eps: number,
  lr: number,
  weightDecay: number,
): void {
  const fn = 'ademamixUpdateWebGpu';
  const scratch = arrays(fn, param, { grad, m1, m2, nu });
  const context = param.context;
  context.dispatch(
    context.pipeline('ademamixUpdate', () => ADEMAMIX),
    [
      [param, 'write'],
      [grad, 'read'],
      [m1 ?? scratch, 'write'],
      [m2, 'write'],
      [nu, 'write'],
    ],
    ADEMAMIX_SPEC,
    [
      param.size,
      m1 !== null ? 1 : 0,
      weightDecay !== 0 ? 1 : 0,
      1,
      weightDecay,
      beta1,
      1 - beta1,
      beta2,
      1 - beta2,
      beta3,
      1 - beta3,
      alpha,
      bc1,
      bc2Sqrt,
      eps,
      -lr,
    ],
    groupsFor(param.size),
  );
  context.release(scratch);
}

const SCHEDULE_FREE_SPEC: ParamSpec = [
  ['n', 'u32'],
  ['adam', 'u32'],
  ['inner', 'u32'],
  ['decay', 'u32'],
  ['sign', 'f32'],
  ['lr', 'f32'],
  ['c', 'f32'],
  ['cc', 'f32'],
  ['coef', 'f32'],
  ['wd', 'f32'],
  ['b2', 'f32'],
  ['c2', 'f32'],
  ['bc2', 'f32'],
  ['eps', 'f32'],
  ['mu', 'f32'],
  ['cm', 'f32'],
  ['bc1', 'f32'],
];
const SCHEDULE_FREE = source(
  SCHEDULE_FREE_SPEC,
  ['param', 'grad', 'z', 'v', 'm'],
  `var d = g;
  if (P.adam != 0u) {
    let vj = P.b2 * v[i] + (P.c2 * g) * g;
    v[i] = vj;
    let denom = sqrt(vj / P.bc2) + P.eps;
    if (P.inner != 0u) {
      let mj = P.mu * m[i] + P.cm * g;
      m[i] = mj;
      d = mj / P.bc1 / denom;
    } else {
      d = g / denom;
    }
  }
  if (P.decay != 0u) { d = d + P.wd * pj; }
  let zj = z[i];
  var next = zj - (zj - pj) * P.cc;
  if (P.c < 0.5) { next = pj + P.c * (zj - pj); }
  next = next + P.coef * d;
  z[i] = zj - P.lr * d;
  param[i] = next;`,
);

/**
 * `scheduleFreeUpdateKernel` on the GPU, with its arguments: Schedule-Free SGD's (`v` null) or AdamW's
 * whole step in place (the AdamW direction with the inner momentum when `m` is given, weight decay at
 * `y`, the interpolation of `y` toward `z` and the step of `z`). It writes the new `y` directly, where
 * the cpu kernel adds the rounded update `next − y` to `y` as the chain does (compilers fold `y + (next −
 * y)` into `next` anyway); the two differ by at most one rounding of `y`.
 *
 * @example
 * ```ts
 * scheduleFreeUpdateWebGpu(y, g, z, v, null, lr, c, coef, 0.01, 0.999, bc2, 1e-8, 0, 1);
 * ```
 */
export function scheduleFreeUpdateWebGpu(
  param: GpuArray,
  grad: GpuArray,
  z: GpuArray,
  v: GpuArray | null,
  m: GpuArray | null,
  lr: number,
  c: number,
  coef: number,
  weightDecay: number,
  beta2: number,
  bc2: number,
  eps: number,
  innerMomentum: number,
  bc1: number,
): void {
  const fn = 'scheduleFreeUpdateWebGpu';
  const scratch = arrays(fn, param, { grad, z, v, m });
  const context = param.context;
  // NOTE: two writable bindings must not alias: a second stand-in when both are absent.
  const second = v === null && m === null ? context.createArray(1) : null;
  context.dispatch(
    context.pipeline('scheduleFreeUpdate', () => SCHEDULE_FREE),
    [
      [param, 'write'],
      [grad, 'read'],
      [z, 'write'],
      [v ?? scratch, 'write'],
      [m ?? second ?? scratch, 'write'],
    ],
    SCHEDULE_FREE_SPEC,
    [
      param.size,
      v !== null ? 1 : 0,
      m !== null ? 1 : 0,
      weightDecay !== 0 ? 1 : 0,
      1,
      lr,
      c,
      1 - c,
      coef,
      weightDecay,
      beta2,
      1 - beta2,
      bc2,
      eps,
      innerMomentum,
      1 - innerMomentum,
      bc1,
    ],
    groupsFor(param.size),
  );
  context.release(scratch);
  if (second !== null) context.release(second);
}

const ADAN_SPEC: ParamSpec = [
  ['n', 'u32'],
  ['decay', 'u32'],
  ['prox', 'u32'],
  ['sign', 'f32'],
  ['b1', 'f32'],
  ['c1', 'f32'],
  ['b2', 'f32'],
  ['c2', 'f32'],
  ['b3', 'f32'],
  ['c3', 'f32'],
  ['ib1', 'f32'],
  ['ds', 'f32'],
  ['bc3', 'f32'],
  ['eps', 'f32'],
  ['wd', 'f32'],
  ['shrink', 'f32'],
  ['nlr', 'f32'],
];
const ADAN = source(
  ADAN_SPEC,
  ['param', 'grad', 'm', 'v', 'nsq', 'prev'],
  `let d = g - prev[i];
  let mj = P.b1 * m[i] + P.c1 * g;
  m[i] = mj;
  let vj = P.b2 * v[i] + P.c2 * d;
  v[i] = vj;
  let nesterov = d * P.b2 + g;
  let nj = P.b3 * nsq[i] + (P.c3 * nesterov) * nesterov;
  nsq[i] = nj;
  let denom = sqrt(nj) / P.bc3 + P.eps;
  var u = (mj / denom) * P.ib1 + (vj / denom) * P.ds;
  prev[i] = g;
  if (P.decay != 0u) {
    u = u + P.wd * pj;
    if (P.prox != 0u) { u = u * P.shrink; }
  }
  param[i] = pj + u * P.nlr;`,
);

/**
 * `adanUpdateKernel` on the GPU, with its arguments: Adan's whole step in place (the three running
 * averages, the previous gradient, proximal or decoupled weight decay).
 *
 * @example
 * ```ts
 * adanUpdateWebGpu(p, g, m, v, n, prev, 0.98, 0.92, 0.99, invBc1, diffScale, bc3Sqrt, 1e-8, 0.02, shrink, 1e-3);
 * ```
 */
export function adanUpdateWebGpu(
  param: GpuArray,
  grad: GpuArray,
  m: GpuArray,
  v: GpuArray,
  n: GpuArray,
  prev: GpuArray,
  beta1: number,
  beta2: number,
  beta3: number,
  invBc1: number,
  diffScale: number,
  bc3Sqrt: number,
  eps: number,
  weightDecay: number,
  shrink: number,
  lr: number,
): void {
  const fn = 'adanUpdateWebGpu';
  checkUpdateArrays(fn, param, { grad, m, v, n, prev });
  const context = param.context;
  context.dispatch(
    context.pipeline('adanUpdate', () => ADAN),
    [
      [param, 'write'],
      [grad, 'read'],
      [m, 'write'],
      [v, 'write'],
      [n, 'write'],
      [prev, 'write'],
    ],
    ADAN_SPEC,
    [
      param.size,
      weightDecay !== 0 ? 1 : 0,
      shrink !== 1 ? 1 : 0,
      1,
      beta1,
      1 - beta1,
      beta2,
      1 - beta2,
      beta3,
      1 - beta3,
      invBc1,
      diffScale,
      bc3Sqrt,
      eps,
      weightDecay,
      shrink,
      -lr,
    ],
    groupsFor(param.size),
  );
}
