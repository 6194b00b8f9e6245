import type { GpuArray, ParamSpec } from '../context';
import type { AdaptFn } from '../register';
import { checkArray, elementwise, groupsFor } from './common';

// SOAP's elementwise kernels on the GPU, with the arguments and semantics of the cpu kernels in
// kernels/cpu/optim-soap.ts (float32 operations where the cpu rounds doubles once: they agree within float32
// rounding). The rotations are matmuls, already on the GPU.

const ADAM_SPEC: ParamSpec = [
  ['n', 'u32'],
  ['b1', 'f32'],
  ['c1', 'f32'],
  ['b2', 'f32'],
  ['c2', 'f32'],
  ['eps', 'f32'],
];
const ADAM = elementwise(
  ADAM_SPEC,
  [
    ['g', 'read'],
    ['m', 'read_write'],
    ['v', 'read_write'],
    ['ratio', 'read_write'],
  ],
  `let gj = g[i];
  let mj = m[i] * P.b1 + P.c1 * gj;
  let vj = v[i] * P.b2 + P.c2 * (gj * gj);
  m[i] = mj;
  v[i] = vj;
  ratio[i] = mj / (sqrt(vj) + P.eps);`,
);

const LERP_SPEC: ParamSpec = [
  ['n', 'u32'],
  ['w', 'f32'],
  ['rest', 'f32'],
];
const LERP = elementwise(
  LERP_SPEC,
  [
    ['x', 'read_write'],
    ['end', 'read'],
  ],
  `let xj = x[i];
  let ej = end[i];
  if (abs(P.w) < 0.5) { x[i] = xj + P.w * (ej - xj); } else { x[i] = ej - (ej - xj) * P.rest; }`,
);

const APPLY_SPEC: ParamSpec = [
  ['n', 'u32'],
  ['step', 'f32'],
  ['decay', 'f32'],
];
const APPLY = elementwise(
  APPLY_SPEC,
  [
    ['param', 'read_write'],
    ['direction', 'read'],
  ],
  `let p1 = param[i] - P.step * direction[i];
  if (P.decay != 0.0) { param[i] = p1 + P.decay * p1; } else { param[i] = p1; }`,
);

function dispatch(
  name: string,
  wgsl: string,
  spec: ParamSpec,
  arrays: [GpuArray, 'read' | 'write'][],
  values: number[],
): void {
  const context = arrays[0][0].context;
  context.dispatch(
    context.pipeline(name, () => wgsl),
    arrays,
    spec,
    values,
    groupsFor(arrays[0][0].size),
  );
}

/**
 * `soapAdamKernel` on the GPU, with its arguments: the moments of the projected gradient and their ratio.
 *
 * @example
 * ```ts
 * soapAdamWebGpu(g, m, v, ratio, 0.95, 0.95, 1e-8);
 * ```
 */
export function soapAdamWebGpu(
  g: GpuArray,
  m: GpuArray,
  v: GpuArray,
  ratio: GpuArray,
  beta1: number,
  beta2: number,
  eps: number,
): void {
  const fn = 'soapAdamWebGpu';
  checkArray(fn, 'g', g);
  for (const [name, a] of [
    ['m', m],
    ['v', v],
    ['ratio', ratio],
  ] as const)
    checkArray(fn, name, a, g.size);
  dispatch(
    'soapAdam',
    ADAM,
    ADAM_SPEC,
    [
      [g, 'read'],
      [m, 'write'],
      [v, 'write'],
      [ratio, 'write'],
    ],
    [g.size, beta1, 1 - beta1, beta2, 1 - beta2, eps],
  );
}

/**
 * `soapLerpKernel` on the GPU, with its arguments: `x ← lerp(x, end, w)`, PyTorch's two branches.
 *
 * @example
 * ```ts
 * soapLerpWebGpu(gg, gram, 0.05);
 * ```
 */
export function soapLerpWebGpu(x: GpuArray, end: GpuArray, w: number): void {
  checkArray('soapLerpWebGpu', 'x', x);
  checkArray('soapLerpWebGpu', 'end', end, x.size);
  dispatch(
    'soapLerp',
    LERP,
    LERP_SPEC,
    [
      [x, 'write'],
      [end, 'read'],
    ],
    [x.size, w, 1 - w],
  );
}

/**
 * `soapApplyKernel` on the GPU, with its arguments: `p₁ = p - stepSize·direction`, then `p₁ + decay·p₁`.
 *
 * @example
 * ```ts
 * soapApplyWebGpu(p, direction, 3e-3, -3e-5);
 * ```
 */
export function soapApplyWebGpu(param: GpuArray, direction: GpuArray, stepSize: number, decay: number): void {
  checkArray('soapApplyWebGpu', 'param', param);
  checkArray('soapApplyWebGpu', 'direction', direction, param.size);
  dispatch(
    'soapApply',
    APPLY,
    APPLY_SPEC,
    [
      [param, 'write'],
      [direction, 'read'],
    ],
    [param.size, stepSize, decay],
  );
}

/** Register SOAP's kernels (the roles of the cpu kernels' arguments). */
export function adaptSoap(adapt: AdaptFn): void {
  adapt('soapAdam', soapAdamWebGpu, ['in', 'rw', 'rw', 'out', '-', '-', '-']);
  adapt('soapLerp', soapLerpWebGpu, ['rw', 'in', '-']);
  adapt('soapApply', soapApplyWebGpu, ['rw', 'in', '-', '-']);
}
