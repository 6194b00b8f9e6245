// The machinery shared by emaWeights and swaWeights (internal, not exported from the package): a host copy
// of the averaged weights per parameter, the count of updates, swapping the averages into the parameters in
// place, copies of the averages, and the checks of loading saved averages. Each caller supplies only its
// folding rule and its options.
import { allocate, checkHostRead, NablaError, runOnHost, Tensor, type TypedArray, ValueError } from '@nablajs/core';
import { decodeState, encodeState, stateMismatch } from './state';

/**
 * Fold the parameters' values `ps` into their averages `avgs` (aligned lists, on the host), in place; `count`
 * is the number of updates before this one. It may throw before it writes anything; it should not throw after.
 */
export type FoldAverage = (ps: readonly TypedArray[], avgs: readonly TypedArray[], count: number) => void;

/** The averaged weights of a list of parameters, as {@link weightAverage} returns them (internal). */
export interface WeightAverage {
  /** The parameters, as given. */
  readonly params: readonly Tensor[];
  /** How many updates have run. */
  readonly count: number;
  /** Whether the averages are swapped into the parameters. */
  readonly swapped: boolean;
  /**
   * Fold the parameters into the averages: the first update copies them, later ones call `fold`. Refused
   * while swapped; the count grows only when the fold returned.
   */
  update(fold: FoldAverage): void;
  /** Exchange parameter values and averages in place. */
  swap(): void;
  /** Copies of the averages as new tensors shaped like the parameters. */
  copies(reader: string): Tensor[];
  /** The averages encoded for a state dict. */
  encoded(reader: string): unknown[];
  /** Throw unless saved averages can be loaded now (not swapped, averages readable). */
  checkLoadable(where: string): void;
  /** Decode `averages` and, if they fit the parameters, take them and `count`; on error nothing changes. */
  load(where: string, averages: unknown[], count: number): void;
}

/**
 * Check `params` (float32 or float64 tensors) and start their averages as copies of their values, for the
 * averaging function `fn` (named in errors).
 *
 * @example
 * ```ts
 * const core = weightAverage('emaWeights', model.parameters());
 * core.update((ps, avgs) => {
 *   avgs.forEach((a, i) => {
 *     for (let j = 0; j < a.length; j++) a[j] = (a[j] + ps[i][j]) / 2; // halve the old average's weight
 *   });
 * });
 * ```
 */
export function weightAverage(fn: string, params: Iterable<Tensor>): WeightAverage {
  if (
    params === null ||
    typeof params !== 'object' ||
    typeof (params as Iterable<Tensor>)[Symbol.iterator] !== 'function'
  )
    throw new ValueError(
      `${fn}: params must be an iterable of tensors, got ${params === null ? 'null' : typeof params}`,
    );
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
  let count = 0;
  let swapped = false;

  function current(reader: string): TypedArray[] {
    for (const a of avgs) checkHostRead(a, reader);
    // While swapped, the averages live in the parameters.
    return swapped ? list.map((p) => p.values) : avgs;
  }

  return {
    params: list,
    get count() {
      return count;
    },
    get swapped() {
      return swapped;
    },
    update(fold: FoldAverage) {
      if (swapped)
        throw new NablaError(
          `${fn}.update: the averaged weights are swapped in; call swap() to restore the raw weights first`,
        );
      // Read now: on the webgpu backend the task may run later, after more updates were counted.
      const n = count;
      const targets = avgs;
      runOnHost(list, targets, () => {
        const ps = list.map((p) => p._array);
        if (n > 0) fold(ps, targets, n);
        else
          targets.forEach((a, i) => {
            a.set(ps[i]);
          });
      });
      count++;
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
    copies(reader: string) {
      return current(reader).map((a, i) => {
        const copy = allocate(list[i].dtype, a.length);
        copy.set(a);
        return new Tensor(copy, list[i].shape, list[i].dtype);
      });
    },
    encoded(reader: string) {
      return current(reader).map((a) => encodeState(a));
    },
    checkLoadable(where: string) {
      if (swapped) throw new NablaError(`${where}: the averaged weights are swapped in; call swap() first`);
      for (const a of avgs) checkHostRead(a, where);
    },
    load(where: string, averages: unknown[], n: number) {
      const decoded = averages.map(decodeState);
      const mismatch = stateMismatch(avgs, decoded);
      if (mismatch !== null || decoded.some((a) => a === null))
        throw new ValueError(
          `${where}: the saved averages do not fit these parameters (${mismatch ?? 'missing averages'})`,
        );
      avgs = decoded as TypedArray[];
      count = n;
    },
  };
}
