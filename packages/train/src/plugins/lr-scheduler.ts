import { checkOptions, optionNames, ValueError } from '@nablajs/core';
import type { MetricScheduler, Scheduler, SchedulerStateDict } from '@nablajs/optim';
import type { TrainPlugin } from '../types';

/** Options of {@link lrScheduler}. */
export interface LrSchedulerOptions {
  /** Step the scheduler after every epoch (default) or after every optimizer step. */
  interval?: 'epoch' | 'step';
  /**
   * For a metric scheduler (`reduceLROnPlateau`): the epoch log it is stepped with. Default `'valLoss'`.
   * Giving it for any other scheduler is an error.
   */
  monitor?: string;
}

const OPTIONS = optionNames<LrSchedulerOptions>({ interval: true, monitor: true });

/** The scheduler plugin: a training plugin whose state is the scheduler's (saved by checkpoints). */
export interface LrSchedulerPlugin extends TrainPlugin {
  /** The scheduler's state dict. */
  stateDict(): SchedulerStateDict;
  /** Restore the scheduler from {@link LrSchedulerPlugin.stateDict}. */
  loadStateDict(state: SchedulerStateDict): void;
}

function isMetricScheduler(scheduler: Scheduler | MetricScheduler): boolean {
  return scheduler.name === 'reduceLROnPlateau';
}

/**
 * Step a learning-rate scheduler from `@nablajs/optim` inside the loop: after each epoch (`epochEnd`) or
 * after each optimizer step (`afterStep`, not for skipped steps). A plateau scheduler (`reduceLROnPlateau`)
 * is stepped at `epochEnd` with the monitored epoch log (default `valLoss`); a missing log is an error that
 * lists the available ones.
 *
 * As in PyTorch, the scheduler is stepped after the optimizer: an epoch scheduler's new rate applies from
 * the next epoch, and the history's `lr` is the rate the epoch trained with. The plugin's `stateDict()` /
 * `loadStateDict()` are the scheduler's, so a checkpoint of the run restores it. Follows PyTorch Lightning's
 * `lr_scheduler_config` (`interval`, `monitor`) and
 * https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate.
 *
 * @example
 * ```ts
 * const opt = sgd(model.parameters(), { lr: 0.1 });
 * await fit({ model, data, loss, optimizer: opt, epochs: 30, validation,
 *   plugins: [lrScheduler(reduceLROnPlateau(opt, { patience: 3 }))] });
 * await fit({ model, data, loss, optimizer: opt, epochs: 30,
 *   plugins: [lrScheduler(oneCycleLR(opt, { maxLr: 0.1, totalSteps: 30 * batches }), { interval: 'step' })] });
 * ```
 */
export function lrScheduler(
  scheduler: Scheduler | MetricScheduler,
  options: LrSchedulerOptions = {},
): LrSchedulerPlugin {
  const fn = 'lrScheduler';
  if (typeof scheduler !== 'object' || scheduler === null || typeof scheduler.step !== 'function')
    throw new ValueError(`${fn}: expected a scheduler from @nablajs/optim (with step()), got ${String(scheduler)}`);
  checkOptions(fn, options, OPTIONS);
  const interval = options.interval ?? 'epoch';
  if (interval !== 'epoch' && interval !== 'step')
    throw new ValueError(`${fn}: interval must be 'epoch' or 'step', got ${JSON.stringify(interval)}`);
  const metric = isMetricScheduler(scheduler);
  if (!metric && options.monitor !== undefined)
    throw new ValueError(`${fn}: monitor applies to reduceLROnPlateau only, not to ${scheduler.name}`);
  if (metric && interval === 'step')
    throw new ValueError(`${fn}: reduceLROnPlateau is stepped once per epoch with a metric; use interval 'epoch'`);
  const monitor = options.monitor ?? 'valLoss';
  if (typeof monitor !== 'string' || monitor.length === 0)
    throw new ValueError(`${fn}: monitor must name an epoch log, got ${JSON.stringify(monitor)}`);

  // Stateful (stateDict / loadStateDict): a checkpoint saves and restores the scheduler with the run.
  const state = {
    stateDict: (): SchedulerStateDict => scheduler.stateDict(),
    loadStateDict: (saved: SchedulerStateDict): void => scheduler.loadStateDict(saved),
  };
  if (metric)
    return {
      name: 'lrScheduler',
      ...state,
      epochEnd(ctx) {
        const value = ctx.epochLogs[monitor];
        if (typeof value !== 'number')
          throw new ValueError(
            `${fn}: the monitored metric '${monitor}' is not in the epoch logs (${Object.keys(ctx.epochLogs).join(', ')}); ` +
              `pass validation data to fit, or monitor another log such as 'loss'`,
          );
        (scheduler as MetricScheduler).step(value);
      },
    };
  if (interval === 'step')
    return {
      name: 'lrScheduler',
      ...state,
      afterStep(ctx) {
        if (!ctx.stepSkipped) (scheduler as Scheduler).step();
      },
    };
  return {
    name: 'lrScheduler',
    ...state,
    epochEnd() {
      (scheduler as Scheduler).step();
    },
  };
}
