/**
 * `@nablajs/train`: one training loop (`fit`, `Trainer`) with ordered events, and its plugins: metrics,
 * schedulers, clipping, accumulation, a gradient monitor, a NaN guard, early stopping, progress, loggers,
 * checkpoints. The file-based plugins are in `@nablajs/train/node`.
 *
 * @example
 * ```ts
 * import { fit } from '@nablajs/train';
 * const { history } = await fit({ model, data: { x, y }, loss: mseLoss, optimizer, epochs: 10 });
 * ```
 *
 * @packageDocumentation
 * @mergeModuleWith <project>
 */
export type { Batch, BatchingOptions, TensorData, TrainData } from './batches';
export { captureCheckpoint, modelSignature } from './capture-checkpoint';
export {
  type Checkpoint,
  CheckpointError,
  type CheckpointPosition,
  type CheckpointTarget,
  type TensorSignature,
} from './checkpoint';
export { CHECKPOINT_FORMAT, CHECKPOINT_VERSION, decodeCheckpoint, encodeCheckpoint } from './checkpoint-format';
export { type ContextOptions, createContext, type LoopContext } from './context';
export {
  type EvaluateOptions,
  evaluate,
  type InputsOnly,
  type LossFn,
  type LossModule,
  type PredictData,
  predict,
} from './evaluate';
export { EventBus, isTrainEvent, subscribePlugin } from './events';
export { type FitResult, fit } from './fit';
export type { FitOptions } from './fit-options';
export {
  type CsvLoggerOptions,
  csvLogger,
  type JsonLinesLoggerOptions,
  jsonLinesLogger,
  type LogWriter,
  type MemoryWriter,
  memoryWriter,
} from './logger';
export { accuracy, type MetricFn, type MetricsOptions, RunningMean, resolveMetrics, validationName } from './metrics';
export {
  type EarlyStoppingOptions,
  type EarlyStoppingPlugin,
  type EarlyStoppingState,
  earlyStopping,
  type SavedTensor,
} from './plugins/early-stopping';
export { gradientAccumulation } from './plugins/gradient-accumulation';
export { type GradientClippingOptions, gradientClipping } from './plugins/gradient-clipping';
export { type GradientMonitorOptions, type GradientMonitorPlugin, gradientMonitor } from './plugins/gradient-monitor';
export { type LrSchedulerOptions, type LrSchedulerPlugin, lrScheduler } from './plugins/lr-scheduler';
export { type MetricsPlugin, metricsPlugin } from './plugins/metrics';
export { type NanGuardOptions, type NanGuardPlugin, type NonFiniteGradient, nanGuard } from './plugins/nan-guard';
export { optimizerStep } from './plugins/optimizer-step';
export { type ProgressBarOptions, type ProgressWriter, progressBar } from './plugins/progress-bar';
export { type RestoreCheckpointOptions, restoreCheckpoint } from './restore-checkpoint';
export { isStateful, type Stateful, statefulPlugins } from './stateful';
export { Trainer, type TrainerFitOptions, type TrainerOptions } from './trainer';
export {
  type EventHandler,
  type Logs,
  type PluginHandlers,
  TRAIN_EVENTS,
  type Trainable,
  type TrainContext,
  type TrainEvent,
  type TrainPlugin,
} from './types';
