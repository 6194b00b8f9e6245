import { checkOptions, optionNames, Tensor, ValueError } from '@nablajs/core';
import { stateOf, withValuesOnHost } from '../host-values';
import type { Trainable, TrainContext, TrainPlugin } from '../types';

/** Options of {@link earlyStopping} (Keras' `EarlyStopping` arguments in lowerCamelCase). */
export interface EarlyStoppingOptions {
  /** The epoch log to watch. Default `'valLoss'`. */
  monitor?: string;
  /** `'min'` (default): lower is better; `'max'`: higher is better. */
  mode?: 'min' | 'max';
  /** Epochs without improvement after which training stops. Default 5. */
  patience?: number;
  /** The least change that counts as an improvement (absolute). Default 0. */
  minDelta?: number;
  /** At the end of training, restore the weights of the best epoch. Default false. */
  restoreBestWeights?: boolean;
  /** A value the metric must beat: until it does, every epoch counts toward the patience. Default none. */
  baseline?: number;
  /** Epochs to wait before watching at all (warm-up). Default 0. */
  startFromEpoch?: number;
}

/** The early stopping plugin, with what it observed. */
export interface EarlyStoppingPlugin extends TrainPlugin {
  /** The best value of the monitored metric so far (±Infinity before the first epoch). */
  readonly best: number;
  /** The epoch of the best value, or -1. */
  readonly bestEpoch: number;
  /** The epoch at which it stopped training, or -1. */
  readonly stoppedEpoch: number;
  /** Epochs since the last improvement. */
  readonly wait: number;
  /** The state to checkpoint: best value and epoch, wait, stopped epoch, and the best weights if kept. */
  stateDict(): EarlyStoppingState;
  /** Restore a state from {@link EarlyStoppingPlugin.stateDict}; the next run continues from it instead of starting afresh. */
  loadStateDict(state: EarlyStoppingState): void;
}

/** A tensor saved as plain data: its shape, dtype and elements. */
export interface SavedTensor {
  /** The shape. */
  shape: number[];
  /** The dtype. */
  dtype: Tensor['dtype'];
  /** The elements, row-major. */
  data: Tensor['data'];
}

/** The checkpointed state of {@link earlyStopping} (plain data; weights as typed arrays). */
export interface EarlyStoppingState {
  /** The best value so far. */
  best: number;
  /** Its epoch, or -1. */
  bestEpoch: number;
  /** The epoch training was stopped at, or -1. */
  stoppedEpoch: number;
  /** Epochs since the last improvement. */
  wait: number;
  /** The best weights, when `restoreBestWeights` keeps them. */
  bestWeights: Record<string, SavedTensor> | null;
}

const OPTIONS = optionNames<EarlyStoppingOptions>({
  monitor: true,
  mode: true,
  patience: true,
  minDelta: true,
  restoreBestWeights: true,
  baseline: true,
  startFromEpoch: true,
});

function copyState(model: Trainable): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  if (typeof model.stateDict === 'function') {
    for (const [name, t] of Object.entries(model.stateDict()))
      out[name] = new Tensor(t.values.slice(), t.shape, t.dtype);
    return out;
  }
  model.parameters().forEach((p, i) => {
    out[`param${i}`] = new Tensor(p.values.slice(), p.shape, p.dtype);
  });
  return out;
}

function restoreState(model: Trainable, state: Record<string, Tensor>): void {
  if (typeof model.stateDict === 'function' && typeof model.loadStateDict === 'function') {
    model.loadStateDict(state);
    return;
  }
  model.parameters().forEach((p, i) => {
    p.values.set(state[`param${i}`].values);
    p.markModified();
  });
}

/**
 * Stop training when a monitored metric has stopped improving, with Keras' `EarlyStopping` semantics: after
 * every epoch, a value is an improvement when `value < best - minDelta` (mode `'min'`) or
 * `value > best + minDelta` (`'max'`); an improvement resets the wait (if it also beats `baseline`, when
 * given), anything else adds one, and when the wait reaches `patience` (after the first epoch) training
 * stops. With `restoreBestWeights`, a copy of `model.stateDict()` is kept at every improvement (and at the
 * first watched epoch, so that there is always one), and loaded back into the model when training ends.
 *
 * A monitored log missing from the epoch logs is an error listing the available ones (the default
 * `valLoss` needs validation data). Its `stateDict()` / `loadStateDict()` let a checkpoint resume the count. See https://keras.io/api/callbacks/early_stopping/.
 *
 * @example
 * ```ts
 * const stopper = earlyStopping({ monitor: 'valLoss', patience: 3, restoreBestWeights: true });
 * const { stopReason } = await fit({ model, data, validation, loss, optimizer, epochs: 100, plugins: [stopper] });
 * stopper.bestEpoch; // the epoch whose weights the model now has
 * ```
 */
export function earlyStopping(options: EarlyStoppingOptions = {}): EarlyStoppingPlugin {
  const fn = 'earlyStopping';
  checkOptions(fn, options, OPTIONS);
  const monitor = options.monitor ?? 'valLoss';
  const mode = options.mode ?? 'min';
  const patience = options.patience ?? 5;
  const minDelta = options.minDelta ?? 0;
  const restoreBestWeights = options.restoreBestWeights ?? false;
  const { baseline } = options;
  const startFromEpoch = options.startFromEpoch ?? 0;
  if (typeof monitor !== 'string' || monitor.length === 0)
    throw new ValueError(`${fn}: monitor must name an epoch log, got ${JSON.stringify(monitor)}`);
  if (mode !== 'min' && mode !== 'max')
    throw new ValueError(`${fn}: mode must be 'min' or 'max', got ${JSON.stringify(mode)}`);
  if (!Number.isInteger(patience) || patience < 0)
    throw new ValueError(`${fn}: patience must be an integer >= 0, got ${patience}`);
  if (typeof minDelta !== 'number' || !Number.isFinite(minDelta))
    throw new ValueError(`${fn}: minDelta must be a finite number, got ${minDelta}`);
  if (typeof restoreBestWeights !== 'boolean')
    throw new ValueError(`${fn}: restoreBestWeights must be true or false, got ${JSON.stringify(restoreBestWeights)}`);
  if (baseline !== undefined && (typeof baseline !== 'number' || Number.isNaN(baseline)))
    throw new ValueError(`${fn}: baseline must be a number, got ${baseline}`);
  if (!Number.isInteger(startFromEpoch) || startFromEpoch < 0)
    throw new ValueError(`${fn}: startFromEpoch must be an integer >= 0, got ${startFromEpoch}`);

  // Keras stores min_delta with the sign of the comparison; an improvement must beat best by |minDelta|.
  const delta = Math.abs(minDelta);
  const improves = (value: number, reference: number) =>
    mode === 'min' ? value + delta < reference : value - delta > reference;
  let best = mode === 'min' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  let bestEpoch = -1;
  let stoppedEpoch = -1;
  let wait = 0;
  let bestWeights: Record<string, Tensor> | null = null;
  // A state loaded before training starts (a resumed run) must survive trainStart's reset.
  let restored = false;

  return {
    name: 'earlyStopping',
    get best() {
      return best;
    },
    get bestEpoch() {
      return bestEpoch;
    },
    get stoppedEpoch() {
      return stoppedEpoch;
    },
    get wait() {
      return wait;
    },
    trainStart(ctx) {
      if (
        restoreBestWeights &&
        typeof ctx.model.stateDict === 'function' &&
        typeof ctx.model.loadStateDict !== 'function'
      )
        throw new ValueError(`${fn}: restoreBestWeights needs a model with both stateDict() and loadStateDict()`);
      if (restored) {
        restored = false;
        return;
      }
      best = mode === 'min' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
      bestEpoch = -1;
      stoppedEpoch = -1;
      wait = 0;
      bestWeights = null;
    },
    stateDict(): EarlyStoppingState {
      const weights =
        bestWeights === null
          ? null
          : Object.fromEntries(
              Object.entries(bestWeights).map(([k, t]) => [
                k,
                { shape: [...t.shape], dtype: t.dtype, data: t.values.slice() },
              ]),
            );
      return { best, bestEpoch, stoppedEpoch, wait, bestWeights: weights };
    },
    loadStateDict(state: EarlyStoppingState) {
      if (
        typeof state !== 'object' ||
        state === null ||
        typeof state.best !== 'number' ||
        !Number.isInteger(state.wait)
      )
        throw new ValueError(`${fn}: loadStateDict expects the object of stateDict() ({ best, bestEpoch, wait, ... })`);
      best = state.best;
      bestEpoch = state.bestEpoch;
      stoppedEpoch = state.stoppedEpoch;
      wait = state.wait;
      bestWeights =
        state.bestWeights === null || state.bestWeights === undefined
          ? null
          : Object.fromEntries(
              Object.entries(state.bestWeights).map(([k, w]) => [k, new Tensor(w.data.slice(), w.shape, w.dtype)]),
            );
      restored = true;
    },
    epochEnd(ctx) {
      const value = ctx.epochLogs[monitor];
      if (typeof value !== 'number')
        throw new ValueError(
          `${fn}: the monitored metric '${monitor}' is not in the epoch logs (${Object.keys(ctx.epochLogs).join(', ')}); ` +
            `pass validation data to fit, or monitor another log such as 'loss'`,
        );
      if (ctx.epoch < startFromEpoch) return;
      // On the webgpu backend the weights come back from the GPU first (one read), when they are kept.
      if (restoreBestWeights)
        return withValuesOnHost(
          () => stateOf(ctx.model),
          () => judge(ctx, value),
        );
      judge(ctx, value);
    },
    trainEnd(ctx) {
      if (restoreBestWeights && bestWeights !== null) {
        const best = bestWeights;
        return withValuesOnHost(
          () => stateOf(ctx.model),
          () => restoreState(ctx.model, best),
        );
      }
    },
  };

  function judge(ctx: TrainContext, value: number): void {
    if (restoreBestWeights && bestWeights === null) {
      bestWeights = copyState(ctx.model);
      bestEpoch = ctx.epoch;
    }
    wait++;
    if (improves(value, best)) {
      best = value;
      bestEpoch = ctx.epoch;
      if (restoreBestWeights) bestWeights = copyState(ctx.model);
      if (baseline === undefined || improves(value, baseline)) wait = 0;
      return;
    }
    if (wait >= patience && ctx.epoch > 0) {
      stoppedEpoch = ctx.epoch;
      ctx.stopTraining(
        `${fn}: ${monitor} did not improve for ${wait} epoch${wait === 1 ? '' : 's'} (best ${best} at epoch ${bestEpoch})`,
      );
    }
  }
}
