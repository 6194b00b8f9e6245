import {
  allocate,
  checkHostRead,
  checkOptions,
  NablaError,
  runOnHost,
  Tensor,
  type TypedArray,
  ValueError,
} from '@nablajs/core';
import { decodeState, encodeState, stateMismatch } from './state';
import { checkBoolean, checkNumber } from './validate';

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
  const list = [...params];
  list.forEach((p, i) => {
    if (!(p instanceof Tensor)) throw new ValueError(`${fn}: params[${i}] is not a Tensor`);
    if (p.dtype !== 'float32' && p.dtype !== 'float64')
      throw new ValueError(`${fn}: params[${i}] is ${p.dtype}; only float32 and float64 tensors can be averaged`);
  });
  let avgs: TypedArray[] = list.map((p) => allocate(p.dtype, p.size));
  // NOTE: on the webgpu backend the averages live in JavaScript memory and every pass over them is a host
  // task (runOnHost): it waits for the parameters' values when they are on the GPU.
  runOnHost(list, avgs, () => {
    avgs.forEach((a, i) => {
      a.set(list[i]._array);
    });
  });
  let numUpdates = 0;
  let swapped = false;

  function current(reader: string): TypedArray[] {
    for (const a of avgs) checkHostRead(a, reader);
    // While swapped, the averages live in the parameters.
    return swapped ? list.map((p) => p.values) : avgs;
  }

  return {
    decay,
    get numUpdates() {
      return numUpdates;
    },
    get swapped() {
      return swapped;
    },
    update() {
      if (swapped)
        throw new NablaError(
          `${fn}.update: the averaged weights are swapped in; call swap() to restore the raw weights first`,
        );
      const d = warmup ? Math.min(decay, (1 + numUpdates) / (10 + numUpdates)) : decay;
      const w = 1 - d;
      const first = numUpdates === 0;
      const targets = avgs;
      runOnHost(list, targets, () => {
        for (let i = 0; i < list.length; i++) {
          const p = list[i]._array;
          const a = targets[i];
          if (first) a.set(p);
          else for (let j = 0; j < a.length; j++) a[j] += w * (p[j] - a[j]);
        }
      });
      numUpdates++;
    },
    swap() {
      const targets = avgs;
      runOnHost([], [...list, ...targets], () => {
        for (let i = 0; i < list.length; i++) {
          const p = list[i].values;
          const a = targets[i];
          for (let j = 0; j < a.length; j++) {
            const t = p[j];
            p[j] = a[j];
            a[j] = t;
          }
        }
      });
      for (const p of list) p.markModified();
      swapped = !swapped;
    },
    averages() {
      return current(`${fn}.averages`).map((a, i) => {
        const copy = allocate(list[i].dtype, a.length);
        copy.set(a);
        return new Tensor(copy, list[i].shape, list[i].dtype);
      });
    },
    stateDict() {
      return {
        kind: 'emaWeights',
        decay,
        warmup,
        numUpdates,
        averages: current(`${fn}.stateDict`).map((a) => encodeState(a)),
      };
    },
    loadStateDict(sd: EmaStateDict) {
      const where = `${fn}.loadStateDict`;
      if (sd === null || typeof sd !== 'object' || sd.kind !== 'emaWeights' || !Array.isArray(sd.averages))
        throw new ValueError(`${where}: expected an object from emaWeights().stateDict()`);
      if (swapped) throw new NablaError(`${where}: the averaged weights are swapped in; call swap() first`);
      for (const a of avgs) checkHostRead(a, where);
      checkNumber(where, 'numUpdates', sd.numUpdates, { min: 0, integer: true });
      if (sd.decay !== decay || sd.warmup !== warmup)
        throw new ValueError(
          `${where}: the state has decay ${sd.decay} and warmup ${sd.warmup}, this average has decay ${decay} and warmup ${warmup}`,
        );
      const decoded = sd.averages.map(decodeState);
      const mismatch = stateMismatch(avgs, decoded);
      if (mismatch !== null || decoded.some((a) => a === null))
        throw new ValueError(
          `${where}: the saved averages do not fit these parameters (${mismatch ?? 'missing averages'})`,
        );
      avgs = decoded as TypedArray[];
      numUpdates = sd.numUpdates;
    },
  };
}
