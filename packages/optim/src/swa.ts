import { checkOptions, type Tensor, type TypedArray, ValueError } from '@nablajs/core';
import { checkNumber } from './validate';
import { weightAverage } from './weight-average';

/**
 * A custom averaging rule for {@link swaWeights}, applied to every element of every averaged tensor:
 * given the element's current average, the parameter's current value and how many updates were folded in
 * so far (1 or more: the first update copies the parameters and does not call it), return the new average.
 * It runs in double precision; for float32 tensors the result is rounded to float32 when stored.
 *
 * @example
 * ```ts
 * // An exponential moving average with decay 0.9:
 * const ema: AverageFn = (averaged, current) => 0.9 * averaged + 0.1 * current;
 * ```
 */
export type AverageFn = (averaged: number, current: number, numAveraged: number) => number;

/** Options of {@link swaWeights}. */
export interface SwaOptions {
  /**
   * Replace the equal-weight running mean by another rule, element by element (see {@link AverageFn}).
   * Default: the running mean `avg + (p − avg) / (numAveraged + 1)`.
   */
  avgFn?: AverageFn;
}

/** The saved state of {@link swaWeights}: plain JSON-safe data. The averaging function is not saved. */
export interface SwaStateDict {
  /** Always `'swaWeights'`. */
  kind: 'swaWeights';
  /** How many times {@link SwaWeights.update} has run (PyTorch's `n_averaged`). */
  numAveraged: number;
  /** The averaged weights, one encoded typed array per tensor (see `encodeState`). */
  averages: unknown[];
}

/** A stochastic weight average of tensors, as {@link swaWeights} returns it. */
export interface SwaWeights {
  /** How many times {@link SwaWeights.update} has run (PyTorch's `n_averaged`). */
  readonly numAveraged: number;
  /** Whether the averaged weights are currently swapped into the tensors. */
  readonly swapped: boolean;
  /** Fold the tensors' current values into the average (after an optimizer step, or once per epoch). */
  update(): void;
  /** Exchange the tensors' values with the averages in place; call again to swap back. */
  swap(): void;
  /** Copies of the averaged weights, as new tensors aligned with the tensors given. */
  averages(): Tensor[];
  /** The state as plain JSON-safe data. */
  stateDict(): SwaStateDict;
  /** Restore a state from {@link SwaWeights.stateDict}; on error, nothing changes. */
  loadStateDict(state: SwaStateDict): void;
}

/** The running mean, in float32 arithmetic for float32 averages (each operation rounded, as PyTorch computes it). */
function runningMean(ps: readonly TypedArray[], avgs: readonly TypedArray[], numAveraged: number): void {
  const k = numAveraged + 1;
  for (let i = 0; i < avgs.length; i++) {
    const p = ps[i];
    const a = avgs[i];
    if (a instanceof Float32Array) {
      const f = Math.fround;
      for (let j = 0; j < a.length; j++) a[j] = a[j] + f(f(p[j] - a[j]) / k);
    } else for (let j = 0; j < a.length; j++) a[j] = a[j] + (p[j] - a[j]) / k;
  }
}

/**
 * Stochastic weight averaging (SWA, Izmailov et al. 2018): an equally weighted running mean of the
 * weights visited along the end of training, which tends to land in a flatter, better generalising
 * region than the last iterate. Each {@link SwaWeights.update} folds the current values in; evaluate with
 * the average by swapping it into the tensors.
 *
 * **The rule.** The average starts as a copy of the tensors' values at creation. The first `update()`
 * copies the values outright; update number `n + 1` (with `n = numAveraged` updates so far) computes
 * `avg ← avg + (p − avg) / (n + 1)`, so after `N` updates the average is the mean of the `N` values seen.
 * float32 tensors are averaged in float32 arithmetic, rounding after each operation, which reproduces
 * PyTorch's results bit for bit. `avgFn` replaces the rule from the second update on (see
 * {@link AverageFn}); a value it returns that is not a number is an error, and then no average changes (on the webgpu backend,
 * where the update is a host task that may wait for the GPU, the error comes from that task).
 *
 * **What to average.** Any float32 or float64 tensors: usually `model.parameters()`. PyTorch's
 * `use_buffers=True` (averaging BatchNorm's running statistics too) is passing the float buffers as well,
 * `[...model.parameters(), ...model.buffers().filter((b) => b.dtype !== 'int32')]`; integer buffers (the
 * batch counter) cannot be averaged. Otherwise recompute the running statistics for the averaged weights
 * with `updateBn` from `@nablajs/nn` after swapping them in.
 *
 * `swap()` exchanges values and averages in place, without allocating: `swa.swap(); evaluate();
 * swa.swap();`. `update()` refuses to run while swapped. The default `update()` allocates nothing.
 *
 * Follows `torch.optim.swa_utils.AveragedModel` (its default `avg_fn`), on a list of tensors instead of a
 * copy of the model; pair it with {@link swaLR} for the learning rate.
 *
 * @param params - the tensors to average (their values are read at every update)
 * @param options - `avgFn`, a custom averaging rule (default: the running mean)
 *
 * @see https://pytorch.org/docs/stable/optim.html#weight-averaging-swa-and-ema
 * @example
 * ```ts
 * const opt = sgd(model.parameters(), { lr: 0.1, momentum: 0.9 });
 * const swa = swaWeights(model.parameters());
 * const swaScheduler = swaLR(opt, { swaLr: 0.05 });
 * for (let epoch = 0; epoch < 100; epoch++) {
 *   trainOneEpoch(model, opt);
 *   if (epoch >= 75) {
 *     swa.update();
 *     swaScheduler.step();
 *   }
 * }
 * swa.swap(); // the model now holds the averaged weights
 * updateBn(loader, model); // recompute BatchNorm's running statistics for them
 * ```
 */
export function swaWeights(params: Iterable<Tensor>, options: SwaOptions = {}): SwaWeights {
  const fn = 'swaWeights';
  checkOptions(fn, options, ['avgFn']);
  const avgFn = options.avgFn;
  if (avgFn !== undefined && typeof avgFn !== 'function')
    throw new ValueError(
      `${fn}: avgFn must be a function (averaged, current, numAveraged) => number, got ${typeof avgFn}`,
    );
  const core = weightAverage(fn, params);
  // The results of a custom avgFn are checked here before any average changes (allocated at its first use).
  let scratch: TypedArray[] | null = null;

  const custom = (f: AverageFn) => (ps: readonly TypedArray[], avgs: readonly TypedArray[], n: number) => {
    const out = scratch ?? avgs.map((a) => a.slice());
    scratch = out;
    for (let i = 0; i < avgs.length; i++) {
      const p = ps[i];
      const a = avgs[i];
      const o = out[i];
      for (let j = 0; j < a.length; j++) {
        const v = f(a[j], p[j], n);
        if (typeof v !== 'number')
          throw new ValueError(
            `${fn}.update: avgFn returned ${v === null ? 'null' : typeof v} for element ${j} of params[${i}], expected a number`,
          );
        o[j] = v;
      }
    }
    avgs.forEach((a, i) => {
      a.set(out[i]);
    });
  };
  const fold = avgFn === undefined ? runningMean : custom(avgFn);

  return {
    get numAveraged() {
      return core.count;
    },
    get swapped() {
      return core.swapped;
    },
    update() {
      core.update(fold);
    },
    swap() {
      core.swap();
    },
    averages() {
      return core.copies(`${fn}.averages`);
    },
    stateDict() {
      return { kind: 'swaWeights', numAveraged: core.count, averages: core.encoded(`${fn}.stateDict`) };
    },
    loadStateDict(sd: SwaStateDict) {
      const where = `${fn}.loadStateDict`;
      if (sd === null || typeof sd !== 'object' || sd.kind !== 'swaWeights' || !Array.isArray(sd.averages))
        throw new ValueError(`${where}: expected an object from swaWeights().stateDict()`);
      core.checkLoadable(where);
      checkNumber(where, 'numAveraged', sd.numAveraged, { min: 0, integer: true });
      core.load(where, sd.averages, sd.numAveraged);
    },
  };
}
