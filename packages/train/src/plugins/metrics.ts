import { type MetricFn, type MetricsOptions, RunningMean, resolveMetrics } from '../metrics';
import type { TrainContext, TrainPlugin } from '../types';

/**
 * A training plugin that also names metric functions: the loop evaluates them on validation data
 * (logged as `val<Name>`) and `evaluate()` reports them.
 */
export interface MetricsPlugin extends TrainPlugin {
  /** The metric functions, by log name. */
  readonly metrics: Readonly<Record<string, MetricFn>>;
}

/**
 * Whether `plugin` carries metric functions for validation (a {@link MetricsPlugin}).
 *
 * @internal
 */
export function hasMetrics(plugin: unknown): plugin is MetricsPlugin {
  const metrics = (plugin as { metrics?: unknown } | null)?.metrics;
  return (
    typeof metrics === 'object' && metrics !== null && Object.values(metrics).every((m) => typeof m === 'function')
  );
}

/**
 * Compute metrics on every training batch: each metric's batch value goes to `ctx.batchLogs[name]`, and its
 * running mean over the epoch (weighted by batch size) to `ctx.epochLogs[name]`. The loop computes the same
 * metrics on the validation data as `val<Name>` (`accuracy` -> `valAccuracy`). `fit({ metrics })` adds this
 * plugin for you.
 *
 * Metrics are computed at `batchEnd` from `ctx.output` and `ctx.targets` (the output of the forward pass in
 * training mode, before the step, as Keras and PyTorch Lightning log them). The loss is logged by the loop.
 *
 * @param options - `accuracy: true` for classification accuracy (argmax over axis 1, see `accuracy`); `custom`: metric
 *   functions `(output, targets) => batch mean` by name
 *
 * @see https://keras.io/api/metrics/ and https://lightning.ai/docs/torchmetrics/stable/
 * @example
 * ```ts
 * const mae = (out: Tensor, y: Tensor) => out.sub(y).abs().mean().item();
 * await fit({ model, data, loss: crossEntropy, optimizer, epochs: 10, plugins: [metricsPlugin({ accuracy: true, custom: { mae } })] });
 * // history[0]: { loss, accuracy, mae, valLoss, valAccuracy, valMae, ... }
 * ```
 */
export function metricsPlugin(options: MetricsOptions = { accuracy: true }): MetricsPlugin {
  const metrics = Object.freeze(resolveMetrics('metricsPlugin', options));
  const means = new Map<string, RunningMean>(Object.keys(metrics).map((name) => [name, new RunningMean()]));
  return {
    name: 'metrics',
    metrics,
    epochStart() {
      for (const mean of means.values()) mean.reset();
    },
    batchEnd(ctx: TrainContext) {
      if (ctx.output === null || ctx.targets === null) return;
      const n = ctx.targets.shape[0] ?? 1;
      for (const [name, metric] of Object.entries(metrics)) {
        const value = metric(ctx.output, ctx.targets);
        const mean = means.get(name) as RunningMean;
        mean.add(value, n);
        ctx.batchLogs[name] = value;
        ctx.epochLogs[name] = mean.value;
      }
    },
  };
}
