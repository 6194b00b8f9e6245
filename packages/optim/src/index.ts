// @nablajs/optim: the optimizer plugin host. (The lead wires this barrel.)
export type {
  Closure,
  HyperValue,
  Hyperparams,
  Optimizer,
  OptimizerStateDict,
  ParamGroup,
  ParamsInput,
  StepContext,
  StepHook,
  UpdateRule,
} from './types';
export { chain } from './chain';
export { type PluginEvents, type OptimizerPlugin, createOptimizer, definePlugin, listOptimizers, listPlugins, pluginOf, resetRegistry, usePlugin } from './plugin';
export { type OptimizerDefinition, type OptimizerFactory, defineOptimizer } from './runtime';
export { decodeState, encodeState, stateMismatch } from './state';
export { addDecoupledWeightDecay, addScaledParams, addWeightDecay, flipIfMaximize, scaleByLearningRate } from './transforms/basic';
export { type NumberBounds, checkBoolean, checkNumber, checkTuple } from './validate';
