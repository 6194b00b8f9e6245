import type { GpuArray, ParamSpec } from '../context';
import type { AdaptFn } from '../register';
import { dispatchUpdate, source } from './optim';

// The fused steps of ASGD and Rprop on the GPU, with the arguments and semantics of their cpu kernels in
// kernels/cpu/optim-asgd-rprop.ts, written like the classic ones in ./optim.ts: the scalars are computed on
// the host in doubles and rounded to float32 once, then every operation is one float32 operation.

const ASGD_SPEC: ParamSpec = [
  ['n', 'u32'],
  ['l2', 'u32'],
  ['average', 'u32'],
  ['sign', 'f32'],
  ['wd', 'f32'],
  ['nle', 'f32'],
  ['eta', 'f32'],
  ['mu', 'f32'],
];
// NOTE: the chain's u = p·(1 - λη) - η·g - p, as -λη·p - η·g: in float32, p·(1 - λη) - p would cancel
// away most of the decay term's bits.
const ASGD = source(
  ASGD_SPEC,
  ['param', 'grad', 'ax'],
  `if (P.l2 != 0u) { g = g + P.wd * pj; }
  let next = pj + (P.nle * pj - P.eta * g);
  param[i] = next;
  if (P.average != 0u) { ax[i] = ax[i] + P.mu * (next - ax[i]); } else { ax[i] = next; }`,
);

/**
 * `asgdUpdateKernel` on the GPU, with its arguments: ASGD's whole step in place (the shrunk gradient step
 * with this step's `eta`, weight decay, and the average `ax`, a copy of the parameter while `mu` is 1).
 *
 * @example
 * ```ts
 * asgdUpdateWebGpu(p, g, ax, eta, mu, 1e-4, 0, false);
 * ```
 */
export function asgdUpdateWebGpu(
  param: GpuArray,
  grad: GpuArray,
  ax: GpuArray,
  eta: number,
  mu: number,
  lambd: number,
  weightDecay: number,
  maximize: boolean,
): void {
  const fn = 'asgdUpdateWebGpu';
  dispatchUpdate(fn, 'asgdUpdate', ASGD, ASGD_SPEC, param, grad, { ax }, [
    param.size,
    weightDecay !== 0 && !Number.isNaN(weightDecay) ? 1 : 0,
    mu !== 1 ? 1 : 0,
    maximize ? -1 : 1,
    weightDecay,
    -(lambd * eta),
    eta,
    mu,
  ]);
}

const RPROP_SPEC: ParamSpec = [
  ['n', 'u32'],
  ['first', 'u32'],
  ['sign', 'f32'],
  ['lr', 'f32'],
  ['etaminus', 'f32'],
  ['etaplus', 'f32'],
  ['lo', 'f32'],
  ['hi', 'f32'],
];
// NOTE: the sign of g·prev from the factors' signs, as the cpu kernel's double product has it (a float32
// product could underflow to 0). Clamping in float32 with the bounds rounded to float32 equals rounding the
// cpu kernel's double clamp (rounding is monotonic).
const RPROP = source(
  RPROP_SPEC,
  ['param', 'grad', 'prev', 'stepSize'],
  `var size = stepSize[i];
  if (P.first != 0u) { size = P.lr; }
  let s = sign(g) * sign(prev[i]);
  var factor = 1.0;
  if (s > 0.0) { factor = P.etaplus; } else if (s < 0.0) { factor = P.etaminus; }
  size = min(max(size * factor, P.lo), P.hi);
  stepSize[i] = size;
  if (s < 0.0) { g = 0.0; }
  prev[i] = g;
  param[i] = pj - sign(g) * size;`,
);

/**
 * `rpropUpdateKernel` on the GPU, with its arguments: Rprop's whole step in place (the step sizes, set to
 * `lr` first at the first step, grown or shrunk by the sign of `g·prev` and clamped; the gradient forgotten
 * where its sign flipped; the move by the step size against the gradient's sign).
 *
 * @example
 * ```ts
 * rpropUpdateWebGpu(p, g, prev, stepSize, step === 1, 0.01, 0.5, 1.2, 1e-6, 50, false);
 * ```
 */
export function rpropUpdateWebGpu(
  param: GpuArray,
  grad: GpuArray,
  prev: GpuArray,
  stepSize: GpuArray,
  firstStep: boolean,
  lr: number,
  etaminus: number,
  etaplus: number,
  minStep: number,
  maxStep: number,
  maximize: boolean,
): void {
  const fn = 'rpropUpdateWebGpu';
  dispatchUpdate(fn, 'rpropUpdate', RPROP, RPROP_SPEC, param, grad, { prev, stepSize }, [
    param.size,
    firstStep ? 1 : 0,
    maximize ? -1 : 1,
    lr,
    etaminus,
    etaplus,
    minStep,
    maxStep,
  ]);
}

/** Register the GPU kernels of ASGD and Rprop with `adapt` (see webGpuAdapters). */
export function adaptAsgdRprop(adapt: AdaptFn): void {
  adapt('asgdUpdate', asgdUpdateWebGpu, ['rw', 'in', 'rw', '-', '-', '-', '-', '-']);
  adapt('rpropUpdate', rpropUpdateWebGpu, ['rw', 'in', 'rw', 'rw', '-', '-', '-', '-', '-', '-', '-']);
}
