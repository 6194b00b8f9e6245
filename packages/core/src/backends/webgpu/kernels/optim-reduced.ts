import type { GpuArray, ParamSpec } from '../context';
import { groupsFor } from './common';
import { checkUpdateArrays, source } from './optim';
import { reduceWebGpu } from './reduce';

// The fused updates whose step needs a reduction over the parameter (LAMB's trust-ratio norms, cautious
// AdamW's mask count), with the arguments and semantics of their cpu kernels in kernels/cpu/optim-modern.ts:
// each runs as three dispatches that never leave the GPU (the direction into a scratch array, the GPU
// reduction into a one-element array, and the step that reads it).

const LAMB_DIRECTION_SPEC: ParamSpec = [
  ['n', 'u32'],
  ['decay', 'u32'],
  ['sign', 'f32'],
  ['b1', 'f32'],
  ['c1', 'f32'],
  ['b2', 'f32'],
  ['c2', 'f32'],
  ['ib1', 'f32'],
  ['ib2', 'f32'],
  ['eps', 'f32'],
  ['wd', 'f32'],
];
const LAMB_DIRECTION = source(
  LAMB_DIRECTION_SPEC,
  ['param', 'grad', 'm', 'v', 'dir'],
  `let mj = P.b1 * m[i] + P.c1 * g;
  m[i] = mj;
  let vj = P.b2 * v[i] + (P.c2 * g) * g;
  v[i] = vj;
  var u = (mj * P.ib1) / (sqrt(vj) * P.ib2 + P.eps);
  if (P.decay != 0u) { u = u + P.wd * pj; }
  dir[i] = u;`,
);

// The direction is bound as 'grad' (read only), the two sums of squares as one-element arrays.
const LAMB_APPLY_SPEC: ParamSpec = [
  ['n', 'u32'],
  ['clip', 'u32'],
  ['sign', 'f32'],
  ['nlr', 'f32'],
];
const LAMB_APPLY = source(
  LAMB_APPLY_SPEC,
  ['param', 'grad', 'psq', 'usq'],
  `let pnorm = sqrt(psq[0]);
  let dnorm = sqrt(usq[0]);
  var ratio = 1.0;
  if (pnorm > 0.0 && dnorm > 0.0) { ratio = pnorm / dnorm; }
  if (P.clip != 0u && ratio > 1.0) { ratio = 1.0; }
  param[i] = pj + (g * ratio) * P.nlr;`,
);

/**
 * `lambUpdateKernel` on the GPU, with its arguments: LAMB's whole step in place, in three dispatches that
 * never leave the GPU: the Adam direction with decoupled decay (into `u`), the sums of squares of the
 * parameter and of the direction (the trust ratio's norms, summed as a tree), and the step.
 *
 * @example
 * ```ts
 * lambUpdateWebGpu(p, g, m, v, u, 0.9, 0.999, invBc1, invBc2Sqrt, 1e-6, 0.01, false, 1e-3);
 * ```
 */
export function lambUpdateWebGpu(
  param: GpuArray,
  grad: GpuArray,
  m: GpuArray,
  v: GpuArray,
  u: GpuArray,
  beta1: number,
  beta2: number,
  invBc1: number,
  invBc2Sqrt: number,
  eps: number,
  weightDecay: number,
  trustClip: boolean,
  lr: number,
): void {
  const fn = 'lambUpdateWebGpu';
  checkUpdateArrays(fn, param, { grad, m, v, u });
  const context = param.context;
  context.dispatch(
    context.pipeline('lambDirection', () => LAMB_DIRECTION),
    [
      [param, 'write'],
      [grad, 'read'],
      [m, 'write'],
      [v, 'write'],
      [u, 'write'],
    ],
    LAMB_DIRECTION_SPEC,
    [
      param.size,
      weightDecay !== 0 ? 1 : 0,
      1,
      beta1,
      1 - beta1,
      beta2,
      1 - beta2,
      invBc1,
      invBc2Sqrt,
      eps,
      weightDecay,
    ],
    groupsFor(param.size),
  );
  const psq = context.createArray(1);
  const usq = context.createArray(1);
  reduceWebGpu('sumSquares', param, [param.size], [0], psq);
  reduceWebGpu('sumSquares', u, [param.size], [0], usq);
  context.dispatch(
    context.pipeline('lambApply', () => LAMB_APPLY),
    [
      [param, 'write'],
      [u, 'read'],
      [psq, 'write'],
      [usq, 'write'],
    ],
    LAMB_APPLY_SPEC,
    [param.size, trustClip ? 1 : 0, 1, -lr],
    groupsFor(param.size),
  );
  context.release(psq);
  context.release(usq);
}

const CAUTIOUS_DIRECTION_SPEC: ParamSpec = [
  ['n', 'u32'],
  ['sign', 'f32'],
  ['b1', 'f32'],
  ['c1', 'f32'],
  ['b2', 'f32'],
  ['c2', 'f32'],
  ['scale', 'f32'],
  ['eps', 'f32'],
];
// `dir` gets the direction, `agree` 1 where it agrees in sign with the gradient (summed next).
const CAUTIOUS_DIRECTION = source(
  CAUTIOUS_DIRECTION_SPEC,
  ['param', 'grad', 'm', 'v', 'dir', 'agree'],
  `let mj = P.b1 * m[i] + P.c1 * g;
  m[i] = mj;
  let vj = P.b2 * v[i] + (P.c2 * g) * g;
  v[i] = vj;
  let u = (mj / (sqrt(vj) + P.eps)) * P.scale;
  dir[i] = u;
  agree[i] = select(0.0, 1.0, (u > 0.0 && g > 0.0) || (u < 0.0 && g < 0.0));`,
);

// The gradient is bound as 'grad'; the direction, the mask and its count (one element) as the others.
const CAUTIOUS_APPLY_SPEC: ParamSpec = [
  ['n', 'u32'],
  ['decay', 'u32'],
  ['sign', 'f32'],
  ['count', 'f32'],
  ['wd', 'f32'],
  ['nlr', 'f32'],
];
const CAUTIOUS_APPLY = source(
  CAUTIOUS_APPLY_SPEC,
  ['param', 'grad', 'dir', 'agree', 'kept'],
  `let scale = 1.0 / max(kept[0] / P.count, 0.001);
  var u = dir[i] * select(0.0, scale, agree[i] > 0.5);
  if (P.decay != 0u) { u = u + P.wd * pj; }
  param[i] = pj + u * P.nlr;`,
);

/**
 * `cautiousAdamwUpdateKernel` on the GPU, with its arguments: cautious AdamW's whole step in place, in
 * three dispatches that never leave the GPU: the direction and its sign agreement with the gradient, the
 * count of agreements (a GPU reduction), and the masked, rescaled step with decoupled decay.
 *
 * @example
 * ```ts
 * cautiousAdamwUpdateWebGpu(p, g, m, v, u, 0.9, 0.999, stepScale, 1e-6, 0.01, 1e-3);
 * ```
 */
export function cautiousAdamwUpdateWebGpu(
  param: GpuArray,
  grad: GpuArray,
  m: GpuArray,
  v: GpuArray,
  u: GpuArray,
  beta1: number,
  beta2: number,
  stepScale: number,
  eps: number,
  weightDecay: number,
  lr: number,
): void {
  const fn = 'cautiousAdamwUpdateWebGpu';
  checkUpdateArrays(fn, param, { grad, m, v, u });
  const context = param.context;
  const agree = context.createArray(param.size);
  context.dispatch(
    context.pipeline('cautiousDirection', () => CAUTIOUS_DIRECTION),
    [
      [param, 'write'],
      [grad, 'read'],
      [m, 'write'],
      [v, 'write'],
      [u, 'write'],
      [agree, 'write'],
    ],
    CAUTIOUS_DIRECTION_SPEC,
    [param.size, 1, beta1, 1 - beta1, beta2, 1 - beta2, stepScale, eps],
    groupsFor(param.size),
  );
  const kept = context.createArray(1);
  reduceWebGpu('sum', agree, [param.size], [0], kept);
  context.dispatch(
    context.pipeline('cautiousApply', () => CAUTIOUS_APPLY),
    [
      [param, 'write'],
      [grad, 'read'],
      [u, 'write'],
      [agree, 'write'],
      [kept, 'write'],
    ],
    CAUTIOUS_APPLY_SPEC,
    [param.size, weightDecay !== 0 ? 1 : 0, 1, param.size, weightDecay, -lr],
    groupsFor(param.size),
  );
  context.release(agree);
  context.release(kept);
}
