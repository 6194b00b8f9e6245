/**
 * `@nablajs/optim`: the optimizer plugin host: the update-rule contract (`UpdateRule`, `chain`), the
 * runtime that turns a rule into a PyTorch-shaped optimizer (`defineOptimizer`, `defineWrapper`), the
 * plugin registry (`definePlugin`, `usePlugin`, `createOptimizer`), shared rule blocks, clipping, weight
 * averaging and learning-rate schedulers. The conformance testkit is in `@nablajs/optim/testkit`.
 *
 * @example
 * ```ts
 * import { chain, defineOptimizer, scaleByAdam, scaleByLearningRate } from '@nablajs/optim';
 * const myAdam = defineOptimizer({
 *   name: 'myAdam',
 *   defaults: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, amsgrad: false },
 *   rule: chain(scaleByAdam(), scaleByLearningRate()),
 * });
 * ```
 *
 * @packageDocumentation
 * @mergeModuleWith <project>
 */
export { chain, mergeCouplings } from './chain';
export {
  type ClipGradNormOptions,
  clipCoefficient,
  clipGradNorm,
  clipGradValue,
  globalNorm,
  parseNormType,
  vectorNorm,
} from './clip';
export { type StepContextOptions, stepContext } from './context';
export { defineOptimizer, definitionOf, withDefinition } from './define';
export type { DeviceClosureStep, OptimizerDefinition, OptimizerFactory, RuleOptimizerFactory } from './definition';
export { checkAgainstDefaults } from './definition';
export { closureLossValue, stepWhenOnHost } from './device-closure';
export { type EmaOptions, type EmaStateDict, type EmaWeights, emaWeights } from './ema';
export { fusedUpdatesEnabled, scratchArrays, setFusedUpdates } from './fused';
export {
  checkFusedKernel,
  checkFusedUpdate,
  type FusedCheckOptions,
  type FusedCheckResult,
  type FusedKernelCheckResult,
  type KernelSpy,
  spyOnKernel,
} from './fused-check';
export { addHook, isTensorList } from './hooks';
export {
  createOptimizer,
  definePlugin,
  listOptimizers,
  listPlugins,
  type OptimizerPlugin,
  type PluginEvents,
  pluginOf,
  registeredFactory,
  resetRegistry,
  usePlugin,
} from './plugin';
export { default } from './plugin-default';
export {
  type CosineAnnealingLROptions,
  type CosineAnnealingWarmRestartsOptions,
  cosineAnnealingLR,
  cosineAnnealingWarmRestarts,
  type WarmRestartsScheduler,
} from './schedulers/cosine-annealing';
export { type CyclicLROptions, cyclicLR } from './schedulers/cyclic-lr';
export { type LambdaLROptions, type LrLambda, lambdaLR, multiplicativeLR } from './schedulers/lambda-lr';
export {
  type ConstantLROptions,
  constantLR,
  type LinearLROptions,
  linearLR,
  type PolynomialLROptions,
  polynomialLR,
} from './schedulers/linear-lr';
export { type OneCycleLROptions, oneCycleLR } from './schedulers/one-cycle-lr';
export { type ReduceLROnPlateauOptions, reduceLROnPlateau } from './schedulers/reduce-lr-on-plateau';
export type {
  JsonValue as SchedulerJsonValue,
  MetricScheduler,
  Scheduler,
  SchedulerBase,
  SchedulerStateDict,
} from './schedulers/scheduler';
export { chainedScheduler, type SequentialLROptions, sequentialLR } from './schedulers/sequential-lr';
export {
  type ExponentialLROptions,
  exponentialLR,
  type MultiStepLROptions,
  multiStepLR,
  type StepLROptions,
  stepLR,
} from './schedulers/step-lr';
export { type SwaLROptions, swaLR } from './schedulers/swa-lr';
export {
  decodeState,
  type Encoded,
  type EncodedNumber,
  type EncodedTypedArray,
  encodeState,
  stateMismatch,
  writeStateDict,
} from './state';
export { type AverageFn, type SwaOptions, type SwaStateDict, type SwaWeights, swaWeights } from './swa';
export { type AccumulateState, accumulateGradients } from './transforms/accumulate';
export { type ScaleByAdagradState, scaleByAdagrad } from './transforms/adagrad';
export { type AdamState, scaleByAdam } from './transforms/adam';
export { adaptiveGradClip } from './transforms/adaptive-grad-clip';
export { type ApplyIfFiniteStats, applyIfFinite, applyIfFiniteStats } from './transforms/apply-if-finite';
export {
  addDecoupledWeightDecay,
  addScaledParams,
  addWeightDecay,
  flipIfMaximize,
  scaleByLearningRate,
} from './transforms/basic';
export { cautious } from './transforms/cautious';
export { type CentralizeOptions, centralize } from './transforms/centralize';
export { clipByGlobalNorm } from './transforms/clip-by-global-norm';
export {
  type LookaheadOptions,
  type LookaheadState,
  lookahead,
  lookaheadFused,
  lookaheadSync,
} from './transforms/lookahead';
export { type TraceMomentumState, traceMomentum } from './transforms/momentum';
export { type ScaleByRmsState, scaleByRms } from './transforms/rms';
export type {
  Closure,
  ClosureOptimizer,
  FusedUpdate,
  Hyperparams,
  HyperValue,
  Optimizer,
  OptimizerStateDict,
  ParamGroup,
  ParamGroupInput,
  ParamsInput,
  RuleBasedOptimizer,
  RuleCouplings,
  RulePass,
  SavedParamGroup,
  StepContext,
  StepHook,
  UpdateRule,
} from './types';
export { checkBoolean, checkNumber, checkTuple, type NumberBounds } from './validate';
export {
  type DeviceBlock,
  defineWrapper,
  type FusedBlock,
  type WrapperDefinition,
  type WrapperFactory,
  type WrapperOptions,
  wrapperDefinitionOf,
} from './wrapper';
