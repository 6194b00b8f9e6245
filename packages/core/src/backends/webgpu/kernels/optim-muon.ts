import { type GpuArray, LINEAR_INDEX, MAIN_ARGS, type ParamSpec, paramsWgsl } from '../context';
import type { AdaptFn } from '../register';
import { checkArray, groupsFor } from './common';
import { dispatchUpdate, source } from './optim';

// The elementwise parts of Muon's fused step on the GPU, with the arguments and semantics of the cpu kernels
// in kernels/cpu/optim-muon.ts: the momentum, the update with the orthogonalised direction (Newton-Schulz
// itself is matmuls and elementwise ops, already on the GPU), and the AdamW fallback. PyTorch's lerp branches
// on its weight, a scalar: the host passes the weight and 1 - weight, both rounded once from doubles.

const MOMENTUM_SPEC: ParamSpec = [
  ['n', 'u32'],
  ['nesterov', 'u32'],
  ['keep', 'f32'],
  ['keepRest', 'f32'],
  ['mu', 'f32'],
  ['muRest', 'f32'],
];
const MOMENTUM = `${paramsWgsl(MOMENTUM_SPEC)}
@group(0) @binding(1) var<storage, read> grad: array<f32>;
@group(0) @binding(2) var<storage, read_write> buf: array<f32>;
@group(0) @binding(3) var<storage, read_write> direction: array<f32>;
// lerp(start, end, w) with w and 1 - w given: as PyTorch's, by the size of w
fn lerp_w(start: f32, end: f32, w: f32, rest: f32) -> f32 {
  if (abs(w) < 0.5) { return start + w * (end - start); }
  return end - (end - start) * rest;
}
@compute @workgroup_size(256)
fn main(${MAIN_ARGS}) {
  ${LINEAR_INDEX}
  if (i >= params.n) { return; }
  let g = grad[i];
  let b = lerp_w(buf[i], g, params.keep, params.keepRest);
  buf[i] = b;
  if (params.nesterov != 0u) { direction[i] = lerp_w(g, b, params.mu, params.muRest); } else { direction[i] = b; }
}`;

/**
 * `muonMomentumKernel` on the GPU, with its arguments: `B ← lerp(B, g, 1-μ)`, then the direction `lerp(g, B, μ)`
 * (Nesterov) or `B`.
 *
 * @example
 * ```ts
 * muonMomentumWebGpu(g, buf, direction, 0.95, true);
 * ```
 */
export function muonMomentumWebGpu(
  grad: GpuArray,
  buf: GpuArray,
  direction: GpuArray,
  momentum: number,
  nesterov: boolean,
): void {
  const fn = 'muonMomentumWebGpu';
  const context = checkArray(fn, 'grad', grad);
  checkArray(fn, 'buf', buf, grad.size);
  checkArray(fn, 'direction', direction, grad.size);
  const keep = 1 - momentum;
  context.dispatch(
    context.pipeline('muonMomentum', () => MOMENTUM),
    [
      [grad, 'read'],
      [buf, 'write'],
      [direction, 'write'],
    ],
    MOMENTUM_SPEC,
    [grad.size, nesterov ? 1 : 0, keep, 1 - keep, momentum, 1 - momentum],
    groupsFor(grad.size),
  );
}

const UPDATE_SPEC: ParamSpec = [
  ['n', 'u32'],
  ['decay', 'u32'],
  ['sign', 'f32'],
  ['nd', 'f32'],
  ['ns', 'f32'],
];
// `grad` is the orthogonalised direction here (read, never written).
const UPDATE = source(
  UPDATE_SPEC,
  ['param', 'grad'],
  `var u = P.ns * g;
  if (P.decay != 0u) { u = P.nd * pj + u; }
  param[i] = pj + u;`,
);

/**
 * `muonUpdateKernel` on the GPU, with its arguments: `p ← p + (-decay·p - step·o)`.
 *
 * @example
 * ```ts
 * muonUpdateWebGpu(p, o, 0.002, 0.02);
 * ```
 */
export function muonUpdateWebGpu(param: GpuArray, o: GpuArray, decay: number, step: number): void {
  const fn = 'muonUpdateWebGpu';
  dispatchUpdate(fn, 'muonUpdate', UPDATE, UPDATE_SPEC, param, o, {}, [
    param.size,
    decay !== 0 ? 1 : 0,
    1,
    -decay,
    -step,
  ]);
}

const ADAMW_SPEC: ParamSpec = [
  ['n', 'u32'],
  ['decay', 'u32'],
  ['sign', 'f32'],
  ['c1', 'f32'],
  ['c1Rest', 'f32'],
  ['c2', 'f32'],
  ['c2Rest', 'f32'],
  ['bc1', 'f32'],
  ['bc2', 'f32'],
  ['eps', 'f32'],
  ['nlr', 'f32'],
  ['nd', 'f32'],
];
const ADAMW = source(
  ADAMW_SPEC,
  ['param', 'grad', 'm', 'v'],
  `var mj = m[i];
  if (abs(P.c1) < 0.5) { mj = mj + P.c1 * (g - mj); } else { mj = g - (g - mj) * P.c1Rest; }
  m[i] = mj;
  let g2 = g * g;
  var vj = v[i];
  if (abs(P.c2) < 0.5) { vj = vj + P.c2 * (g2 - vj); } else { vj = g2 - (g2 - vj) * P.c2Rest; }
  v[i] = vj;
  let d = mj / P.bc1 / (sqrt(vj / P.bc2) + P.eps);
  var u = P.nlr * d;
  if (P.decay != 0u) { u = P.nd * pj + u; }
  param[i] = pj + u;`,
);

/**
 * `muonAdamwUpdateKernel` on the GPU, with its arguments: Muon's AdamW fallback in place.
 *
 * @example
 * ```ts
 * muonAdamwUpdateWebGpu(p, g, m, v, 3e-4, 0.9, 0.95, 1e-10, 0, 1 - 0.9 ** t, 1 - 0.95 ** t);
 * ```
 */
export function muonAdamwUpdateWebGpu(
  param: GpuArray,
  grad: GpuArray,
  m: GpuArray,
  v: GpuArray,
  lr: number,
  beta1: number,
  beta2: number,
  eps: number,
  decay: number,
  bc1: number,
  bc2: number,
): void {
  const fn = 'muonAdamwUpdateWebGpu';
  const c1 = 1 - beta1;
  const c2 = 1 - beta2;
  dispatchUpdate(fn, 'muonAdamwUpdate', ADAMW, ADAMW_SPEC, param, grad, { m, v }, [
    param.size,
    decay !== 0 ? 1 : 0,
    1,
    c1,
    1 - c1,
    c2,
    1 - c2,
    bc1,
    bc2,
    eps,
    -lr,
    -decay,
  ]);
}

/** Register Muon's GPU kernels with `adapt` (see webGpuAdapters). */
export function adaptMuon(adapt: AdaptFn): void {
  adapt('muonMomentum', muonMomentumWebGpu, ['in', 'rw', 'out', '-', '-']);
  adapt('muonUpdate', muonUpdateWebGpu, ['rw', 'in', '-', '-']);
  adapt('muonAdamwUpdate', muonAdamwUpdateWebGpu, ['rw', 'in', 'rw', 'rw', ...Array(7).fill('-')]);
}
