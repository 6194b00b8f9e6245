import type { GpuArray, ParamSpec } from '../context';
import { LINEAR_INDEX, MAIN_ARGS, paramsWgsl } from '../context';
import { checkArray, groupsFor } from './common';

// Fused optimizer updates on the GPU, with the arguments and the semantics of the cpu kernels in
// kernels/cpu/optim.ts (and of the wasm backend's f32 kernels): one thread per element does the whole
// step in place. The scalars are computed on the host in doubles and rounded to float32 once (β₁, 1-β₁,
// the bias corrections, -lr, ...), then every operation is one float32 operation in the order of the
// wasm kernels' f32 formulas; absent state arrays are bound as a stand-in and never touched (a flag).

/** The WGSL of one fused update: its parameters, its arrays (param, grad, state...), then `body` per element. */
export function source(spec: ParamSpec, arrays: string[], body: string): string {
  const bindings = arrays
    .map(
      (name, i) =>
        `@group(0) @binding(${i + 1}) var<storage, ${name === 'grad' ? 'read' : 'read_write'}> ${name}: array<f32>;`,
    )
    .join('\n');
  return `${paramsWgsl(spec)}${bindings}
@compute @workgroup_size(256)
fn main(${MAIN_ARGS}) {
  ${LINEAR_INDEX}
  if (i >= params.n) { return; }
  let P = params;
  let pj = param[i];
  var g = P.sign * grad[i];
  ${body}
}`;
}

const ADAM_SPEC: ParamSpec = [
  ['n', 'u32'],
  ['amsgrad', 'u32'],
  ['l2', 'u32'],
  ['decoupled', 'u32'],
  ['sign', 'f32'],
  ['wd', 'f32'],
  ['b1', 'f32'],
  ['c1', 'f32'],
  ['b2', 'f32'],
  ['c2', 'f32'],
  ['ib1', 'f32'],
  ['ib2', 'f32'],
  ['eps', 'f32'],
  ['nlr', 'f32'],
];
const ADAM = source(
  ADAM_SPEC,
  ['param', 'grad', 'm', 'v', 'vmax'],
  `if (P.l2 != 0u) { g = g + P.wd * pj; }
  let mj = P.b1 * m[i] + P.c1 * g;
  var vj = P.b2 * v[i] + (P.c2 * g) * g;
  m[i] = mj;
  v[i] = vj;
  if (P.amsgrad != 0u) { vj = max(vmax[i], vj); vmax[i] = vj; }
  var u = (mj * P.ib1) / (sqrt(vj) * P.ib2 + P.eps);
  if (P.decoupled != 0u) { u = u + P.wd * pj; }
  param[i] = pj + u * P.nlr;`,
);

const SGD_SPEC: ParamSpec = [
  ['n', 'u32'],
  ['l2', 'u32'],
  ['buffered', 'u32'],
  ['firstStep', 'u32'],
  ['nesterov', 'u32'],
  ['sign', 'f32'],
  ['wd', 'f32'],
  ['momentum', 'f32'],
  ['keep', 'f32'],
  ['nlr', 'f32'],
];
const SGD = source(
  SGD_SPEC,
  ['param', 'grad', 'buf'],
  `if (P.l2 != 0u) { g = g + P.wd * pj; }
  var d = g;
  if (P.buffered != 0u) {
    var b = g;
    if (P.firstStep == 0u) { b = P.momentum * buf[i] + P.keep * g; }
    buf[i] = b;
    if (P.nesterov != 0u) { d = g + P.momentum * b; } else { d = b; }
  }
  param[i] = pj + d * P.nlr;`,
);

const RMSPROP_SPEC: ParamSpec = [
  ['n', 'u32'],
  ['l2', 'u32'],
  ['centered', 'u32'],
  ['buffered', 'u32'],
  ['sign', 'f32'],
  ['wd', 'f32'],
  ['alpha', 'f32'],
  ['decay', 'f32'],
  ['eps', 'f32'],
  ['momentum', 'f32'],
  ['nlr', 'f32'],
];
const RMSPROP = source(
  RMSPROP_SPEC,
  ['param', 'grad', 'sq', 'ga', 'buf'],
  `if (P.l2 != 0u) { g = g + P.wd * pj; }
  let s = P.alpha * sq[i] + (P.decay * g) * g;
  sq[i] = s;
  var root: f32;
  if (P.centered != 0u) {
    let a = P.alpha * ga[i] + P.decay * g;
    ga[i] = a;
    root = sqrt(s - a * a);
  } else { root = sqrt(s); }
  var d = g / (root + P.eps);
  if (P.buffered != 0u) { d = P.momentum * buf[i] + d; buf[i] = d; }
  param[i] = pj + d * P.nlr;`,
);

const ADAGRAD_SPEC: ParamSpec = [
  ['n', 'u32'],
  ['l2', 'u32'],
  ['sign', 'f32'],
  ['wd', 'f32'],
  ['clr', 'f32'],
  ['eps', 'f32'],
  ['nlr', 'f32'],
];
const ADAGRAD = source(
  ADAGRAD_SPEC,
  ['param', 'grad', 'sum'],
  `if (P.l2 != 0u) { g = g + P.wd * pj; }
  let s = sum[i] + g * g;
  sum[i] = s;
  param[i] = pj + ((P.clr * g) / (sqrt(s) + P.eps)) * P.nlr;`,
);

/** Check an update's arrays (all float32): `param`, and each of `others` that is present, of `param`'s size. */
export function checkUpdateArrays(fn: string, param: GpuArray, others: Record<string, GpuArray | null>): void {
  checkArray(fn, 'param', param);
  for (const [name, array] of Object.entries(others)) if (array !== null) checkArray(fn, name, array, param.size);
}

/** {@link checkUpdateArrays}, then a one-element stand-in for absent state arrays (release it after the dispatch). */
export function arrays(fn: string, param: GpuArray, others: Record<string, GpuArray | null>): GpuArray {
  checkUpdateArrays(fn, param, others);
  // NOTE: a stand-in must not alias a written array; a one-element scratch array is never read (flag off).
  return param.context.createArray(1);
}

/**
 * Dispatch the fused update `name` (its WGSL from {@link source}, with `spec`) over `param`, one thread per
 * element: `param` read and written, `grad` read, each of `states` read and written, bound in that order.
 * The arrays are checked first (`fn` names the caller): every one must have `param`'s size.
 *
 * @example
 * ```ts
 * dispatchUpdate('myUpdateWebGpu', 'myUpdate', MY_WGSL, MY_SPEC, param, grad, { m }, [param.size, lr]);
 * ```
 */
export function dispatchUpdate(
  fn: string,
  name: string,
  wgsl: string,
  spec: ParamSpec,
  param: GpuArray,
  grad: GpuArray,
  states: Record<string, GpuArray>,
  values: readonly number[],
): void {
  checkUpdateArrays(fn, param, { grad, ...states });
  const context = param.context;
  context.dispatch(
    context.pipeline(name, () => wgsl),
    [[param, 'write'], [grad, 'read'], ...Object.values(states).map((a) => [a, 'write'] as [GpuArray, 'write'])],
    spec,
    [...values],
    groupsFor(param.size),
  );
}

/**
 * `adamUpdateKernel` on the GPU, with its arguments: Adam's or AdamW's (`decoupled`) whole step in
 * place, AMSGrad when `vmax` is given.
 *
 * @example
 * ```ts
 * adamUpdateWebGpu(p, g, m, v, null, step, 1e-3, 0.9, 0.999, 1e-8, 0.01, true, false); // AdamW
 * ```
 */
export function adamUpdateWebGpu(
  param: GpuArray,
  grad: GpuArray,
  m: GpuArray,
  v: GpuArray,
  vmax: GpuArray | null,
  step: number,
  lr: number,
  beta1: number,
  beta2: number,
  eps: number,
  weightDecay: number,
  decoupled: boolean,
  maximize: boolean,
): void {
  const fn = 'adamUpdateWebGpu';
  const scratch = arrays(fn, param, { grad, m, v, vmax });
  const context = param.context;
  const flags = [
    vmax !== null ? 1 : 0,
    weightDecay !== 0 && !decoupled ? 1 : 0,
    weightDecay !== 0 && decoupled ? 1 : 0,
  ];
  const scalars = [
    maximize ? -1 : 1,
    weightDecay,
    beta1,
    1 - beta1,
    beta2,
    1 - beta2,
    1 / (1 - beta1 ** step),
    1 / Math.sqrt(1 - beta2 ** step),
    eps,
    -lr,
  ];
  const arraysBound = [param, grad, m, v, vmax ?? scratch] as const;
  context.dispatch(
    context.pipeline('adamUpdate', () => ADAM),
    arraysBound.map((a, i) => [a, i === 1 ? 'read' : 'write'] as const),
    ADAM_SPEC,
    [param.size, ...flags, ...scalars],
    groupsFor(param.size),
  );
  context.release(scratch);
}

/**
 * `sgdUpdateKernel` on the GPU, with its arguments: SGD's whole step in place, with momentum when
 * `momentumBuffer` is given (`firstStep` for a buffer just created), Nesterov, dampening, weight decay.
 *
 * @example
 * ```ts
 * sgdUpdateWebGpu(p, g, buf, step === 1, 0.1, 0.9, 0, 0, false, false);
 * ```
 */
export function sgdUpdateWebGpu(
  param: GpuArray,
  grad: GpuArray,
  momentumBuffer: GpuArray | null,
  firstStep: boolean,
  lr: number,
  momentum: number,
  dampening: number,
  weightDecay: number,
  nesterov: boolean,
  maximize: boolean,
): void {
  const fn = 'sgdUpdateWebGpu';
  const scratch = arrays(fn, param, { grad, momentumBuffer });
  const context = param.context;
  const buffered = momentumBuffer !== null;
  context.dispatch(
    context.pipeline('sgdUpdate', () => SGD),
    [
      [param, 'write'],
      [grad, 'read'],
      [momentumBuffer ?? scratch, 'write'],
    ],
    SGD_SPEC,
    [
      param.size,
      weightDecay !== 0 ? 1 : 0,
      buffered ? 1 : 0,
      firstStep ? 1 : 0,
      nesterov ? 1 : 0,
      maximize ? -1 : 1,
      weightDecay,
      momentum,
      1 - dampening,
      -lr,
    ],
    groupsFor(param.size),
  );
  context.release(scratch);
}

/**
 * `rmspropUpdateKernel` on the GPU, with its arguments: RMSprop's whole step in place, centered when
 * `gradAvg` is given, with momentum when `momentumBuffer` is given.
 *
 * @example
 * ```ts
 * rmspropUpdateWebGpu(p, g, squareAvg, null, null, 0.01, 0.99, 1e-8, 0, 0, false);
 * ```
 */
export function rmspropUpdateWebGpu(
  param: GpuArray,
  grad: GpuArray,
  squareAvg: GpuArray,
  gradAvg: GpuArray | null,
  momentumBuffer: GpuArray | null,
  lr: number,
  alpha: number,
  eps: number,
  weightDecay: number,
  momentum: number,
  maximize: boolean,
): void {
  const fn = 'rmspropUpdateWebGpu';
  const scratch = arrays(fn, param, { grad, squareAvg, gradAvg, momentumBuffer });
  const context = param.context;
  // Two stand-ins may not be one buffer bound twice for writing: the second absent array gets its own.
  const scratch2 = gradAvg === null && momentumBuffer === null ? context.createArray(1) : scratch;
  context.dispatch(
    context.pipeline('rmspropUpdate', () => RMSPROP),
    [
      [param, 'write'],
      [grad, 'read'],
      [squareAvg, 'write'],
      [gradAvg ?? scratch, 'write'],
      [momentumBuffer ?? scratch2, 'write'],
    ],
    RMSPROP_SPEC,
    [
      param.size,
      weightDecay !== 0 ? 1 : 0,
      gradAvg !== null ? 1 : 0,
      momentumBuffer !== null ? 1 : 0,
      maximize ? -1 : 1,
      weightDecay,
      alpha,
      1 - alpha,
      eps,
      momentum,
      -lr,
    ],
    groupsFor(param.size),
  );
  context.release(scratch);
  if (scratch2 !== scratch) context.release(scratch2);
}

/**
 * `adagradUpdateKernel` on the GPU, with its arguments: Adagrad's whole step in place for step `step`
 * (from 1), with learning-rate decay and weight decay.
 *
 * @example
 * ```ts
 * adagradUpdateWebGpu(p, g, sum, step, 0.01, 0, 1e-10, 0, false);
 * ```
 */
export function adagradUpdateWebGpu(
  param: GpuArray,
  grad: GpuArray,
  sum: GpuArray,
  step: number,
  lr: number,
  lrDecay: number,
  eps: number,
  weightDecay: number,
  maximize: boolean,
): void {
  const fn = 'adagradUpdateWebGpu';
  checkUpdateArrays(fn, param, { grad, sum });
  const context = param.context;
  context.dispatch(
    context.pipeline('adagradUpdate', () => ADAGRAD),
    [
      [param, 'write'],
      [grad, 'read'],
      [sum, 'write'],
    ],
    ADAGRAD_SPEC,
    [param.size, weightDecay !== 0 ? 1 : 0, maximize ? -1 : 1, weightDecay, 1 / (1 + (step - 1) * lrDecay), eps, -lr],
    groupsFor(param.size),
  );
}
