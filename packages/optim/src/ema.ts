import { checkOptions, type Tensor, ValueError } from '@nablajs/core';
import { checkBoolean, checkNumber } from './validate';
import { weightAverage } from './weight-average';

/** Options of {@link emaWeights}. */
export interface EmaOptions {
  /** The weight of the old average at each update, in [0, 1]. Default 0.999. */
  decay?: number;
  /**
   * Use TensorFlow's warm-up: the effective decay of update n (counting from 0) is
   * `min(decay, (1 + n) / (10 + n))`, so early averages follow the weights more closely. Default false.
   */
  warmup?: boolean;
}

/** The saved state of {@link emaWeights}: plain JSON-safe data. */
export interface EmaStateDict {
  /** Always `'emaWeights'`. */
  kind: 'emaWeights';
  /** The decay in use. */
  decay: number;
  /** Whether the warm-up is on. */
  warmup: boolean;
  /** How many times {@link EmaWeights.update} has run. */
  numUpdates: number;
  /** The averaged weights, one encoded typed array per parameter (see `encodeState`). */
  averages: unknown[];
}

/** An exponential moving average of parameters, as {@link emaWeights} returns it. */
export interface EmaWeights {
  /** The decay (see {@link EmaOptions.decay}). */
  readonly decay: number;
  /** How many times {@link EmaWeights.update} has run. */
  readonly numUpdates: number;
  /** Whether the averaged weights are currently swapped into the parameters. */
  readonly swapped: boolean;
  /** Fold the current parameter values into the average (call after every optimizer step). */
  update(): void;
  /** Exchange the parameters' values with the averages in place; call again to swap back. */
  swap(): void;
  /** Copies of the averaged weights, as new tensors aligned with the parameters. */
  averages(): Tensor[];
  /** The state as plain JSON-safe data. */
  stateDict(): EmaStateDict;
  /** Restore a state from {@link EmaWeights.stateDict}; on error, nothing changes. */
  loadStateDict(state: EmaStateDict): void;
}

/**
 * An exponential moving average of the weights (Polyak averaging with exponential forgetting), to
 * evaluate with the averaged weights while training the raw ones. Each {@link EmaWeights.update}:
 *
 * `avg ← avg + (1 − decay) · (p − avg)` (= `decay·avg + (1 − decay)·p`)
 *
 * **Initialisation and bias.** The averages hold copies of the parameters at creation, and the
 * *first* `update()` copies the parameters outright, like PyTorch's
 * `AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(decay))`. The average never starts from
 * zero, so it needs no bias correction (Optax's `ema` starts from zero and offers `debias`).
 * With `warmup: true`, update n (from 0) uses `min(decay, (1 + n)/(10 + n))`, as TensorFlow's
 * `ExponentialMovingAverage(num_updates=...)`.
 *
 * `swap()` exchanges parameter values and averages in place (no allocation), so evaluating with the
 * averaged weights is `ema.swap(); evaluate(); ema.swap();`. `update()` refuses to run while swapped.
 * `update()` allocates nothing.
 *
 * @param params - the parameters to average (their values are read at every update)
 * @param options - `decay` (default 0.999) and `warmup` (default false)
 *
 * @see https://pytorch.org/docs/stable/optim.html#weight-averaging-swa-and-ema
 * @example
 * ```ts
 * const opt = adam(model.parameters(), { lr: 1e-3 });
 * const ema = emaWeights(model.parameters(), { decay: 0.999 });
 * opt.onAfterStep(() => ema.update());
 * // ... train ...
 * ema.swap(); // evaluate with the averaged weights
 * const acc = evaluate(model);
 * ema.swap(); // back to the raw weights
 * ```
 */
export function emaWeights(params: Iterable<Tensor>, options: EmaOptions = {}): EmaWeights {
  const fn = 'emaWeights';
  checkOptions(fn, options, ['decay', 'warmup']);
  const decay = checkNumber(fn, 'decay', options.decay ?? 0.999, { min: 0, max: 1 });
  const warmup = checkBoolean(fn, 'warmup', options.warmup ?? false);
  const core = weightAverage(fn, params);

  return {
    decay,
    get numUpdates() {
      return core.count;
    },
    get swapped() {
      return core.swapped;
    },
    update() {
      const n = core.count;
      const w = 1 - (warmup ? Math.min(decay, (1 + n) / (10 + n)) : decay);
      core.update((ps, avgs) => {
        for (let i = 0; i < avgs.length; i++) {
          const p = ps[i];
          const a = avgs[i];
          for (let j = 0; j < a.length; j++) a[j] += w * (p[j] - a[j]);
        }
      });
    },
    swap() {
      core.swap();
    },
    averages() {
      return core.copies(`${fn}.averages`);
    },
    stateDict() {
      return {
        kind: 'emaWeights',
        decay,
        warmup,
        numUpdates: core.count,
        averages: core.encoded(`${fn}.stateDict`),
      };
    },
    loadStateDict(sd: EmaStateDict) {
      const where = `${fn}.loadStateDict`;
      if (sd === null || typeof sd !== 'object' || sd.kind !== 'emaWeights' || !Array.isArray(sd.averages))
        throw new ValueError(`${where}: expected an object from emaWeights().stateDict()`);
      core.checkLoadable(where);
      checkNumber(where, 'numUpdates', sd.numUpdates, { min: 0, integer: true });
      if (sd.decay !== decay || sd.warmup !== warmup)
        throw new ValueError(
          `${where}: the state has decay ${sd.decay} and warmup ${sd.warmup}, this average has decay ${decay} and warmup ${warmup}`,
        );
      core.load(where, sd.averages, sd.numUpdates);
    },
  };
}
