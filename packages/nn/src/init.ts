// Parameter initialisers, like torch.nn.init. Each one WRITES IN PLACE into `tensor.data` and returns
// the same tensor; the trailing underscore of PyTorch's names (`kaiming_uniform_`) is dropped.
//
// The parts, by file: init-common.ts (the argument checks and the in-place write every initialiser shares),
// init-gain.ts (calculateGain and the fans), init-fill.ts (uniform, normal, constant, zeros, ones),
// init-xavier-kaiming.ts, init-trunc-normal.ts and init-orthogonal.ts. This file is the `init` namespace
// of `@nablajs/nn`.

export type { InitOptions } from './init-common';
export * from './init-eye-dirac';
export { constant, normal, ones, uniform, zeros } from './init-fill';
export { calculateFanInAndFanOut, calculateGain, type FanInAndFanOut, type Nonlinearity } from './init-gain';
export { orthogonal } from './init-orthogonal';
export * from './init-sparse';
export { truncNormal } from './init-trunc-normal';
export {
  type FanMode,
  type KaimingOptions,
  kaimingNormal,
  kaimingUniform,
  xavierNormal,
  xavierUniform,
} from './init-xavier-kaiming';
