import type { GpuArray, ParamSpec } from '../context';
import type { AdaptFn } from '../register';
import { checkArray, elementwise, groupsFor } from './common';

// Lookahead's synchronisation on the GPU, with the arguments and semantics of lookaheadSyncKernel
// (kernels/cpu/optim-lookahead.ts): float32 operations where the cpu rounds a double once.

const SPEC: ParamSpec = [
  ['n', 'u32'],
  ['alpha', 'f32'],
];
const SYNC = elementwise(
  SPEC,
  [
    ['param', 'read_write'],
    ['slow', 'read_write'],
  ],
  `let s = slow[i] + P.alpha * (param[i] - slow[i]);
  slow[i] = s;
  param[i] = s;`,
);

/**
 * `lookaheadSyncKernel` on the GPU, with its arguments: `slow ← slow + α·(param - slow)`, `param ← slow`.
 *
 * @example
 * ```ts
 * lookaheadSyncWebGpu(param, slow, 0.5);
 * ```
 */
export function lookaheadSyncWebGpu(param: GpuArray, slow: GpuArray, alpha: number): void {
  checkArray('lookaheadSyncWebGpu', 'param', param);
  checkArray('lookaheadSyncWebGpu', 'slow', slow, param.size);
  const context = param.context;
  context.dispatch(
    context.pipeline('lookaheadSync', () => SYNC),
    [
      [param, 'write'],
      [slow, 'write'],
    ],
    SPEC,
    [param.size, alpha],
    groupsFor(param.size),
  );
}

/** Register Lookahead's kernel (the roles of the cpu kernel's arguments). */
export function adaptLookahead(adapt: AdaptFn): void {
  adapt('lookaheadSync', lookaheadSyncWebGpu, ['rw', 'rw', '-']);
}
