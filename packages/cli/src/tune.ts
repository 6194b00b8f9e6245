// Hyperparameter search for `nabla compare --tune`: the search-space syntax, the candidate settings
// (a grid, or seeded random draws, within a trial budget), the seeds tuning runs on (never the ones
// results are reported on), and the choice of the best setting.
import { Generator } from '@nablajs/core';
import type { RunResult, TuningResult } from './results';
import { camelCase } from './spec-values';
import { UsageError } from './usage-error';

/** One tuned hyperparameter: a range (`1e-4..1e-1:log:8`) or a list of values (`0.8,0.9,0.95`). */
export type TuneAxis =
  | {
      readonly kind: 'range';
      readonly name: string;
      readonly lo: number;
      readonly hi: number;
      /** Points spaced evenly in log space (`'log'`, positive ranges only) or linearly. */
      readonly scale: 'log' | 'linear';
      /** The number of grid points (the ends included). */
      readonly count: number;
    }
  | { readonly kind: 'list'; readonly name: string; readonly values: readonly number[] };

/** A search space: the hyperparameters to tune, for one optimizer (by label or name) or for all. */
export interface TuneSpace {
  /** The optimizer label or name this space applies to, or null for every optimizer. */
  readonly optimizer: string | null;
  readonly axes: readonly TuneAxis[];
  /** The space as written. */
  readonly text: string;
}

/** One candidate setting: hyperparameter name -> value. */
export type TuneSetting = Readonly<Record<string, number>>;

/** The default number of points of a range without a count. */
export const DEFAULT_RANGE_POINTS = 5;

/** The largest number of points one range may ask for. */
export const MAX_RANGE_POINTS = 100;

const NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/;

function parseFinite(text: string, what: string, space: string): number {
  const t = text.trim();
  const v = t === '' ? Number.NaN : Number(t);
  if (!Number.isFinite(v))
    throw new UsageError(`--tune ${JSON.stringify(space)}: ${what} must be a finite number, got ${JSON.stringify(t)}`);
  return v;
}

function parseAxis(part: string, space: string): TuneAxis {
  const eq = part.indexOf('=');
  if (eq < 0)
    throw new UsageError(
      `--tune ${JSON.stringify(space)}: expected name=lo..hi[:log|:linear][:count] or name=v1,v2,..., got ${JSON.stringify(part.trim())}`,
    );
  const rawName = part.slice(0, eq).trim();
  if (!NAME.test(rawName))
    throw new UsageError(`--tune ${JSON.stringify(space)}: invalid hyperparameter name ${JSON.stringify(rawName)}`);
  const name = camelCase(rawName);
  const value = part.slice(eq + 1).trim();
  if (!value.includes('..')) {
    const values = value.split(',').map((v) => parseFinite(v, `a value of ${name}`, space));
    if (new Set(values).size !== values.length)
      throw new UsageError(`--tune ${JSON.stringify(space)}: ${name} lists a value twice`);
    return { kind: 'list', name, values };
  }
  const [range, ...mods] = value.split(':');
  const [loText, hiText, ...extra] = range.split('..');
  if (extra.length > 0)
    throw new UsageError(`--tune ${JSON.stringify(space)}: ${name} has a malformed range ${JSON.stringify(range)}`);
  const lo = parseFinite(loText, `the low end of ${name}`, space);
  const hi = parseFinite(hiText, `the high end of ${name}`, space);
  if (!(lo < hi))
    throw new UsageError(`--tune ${JSON.stringify(space)}: ${name}'s range needs low < high, got ${lo}..${hi}`);
  let scale: 'log' | 'linear' | null = null;
  let count: number | null = null;
  for (const mod of mods) {
    const m = mod.trim();
    if (m === 'log' || m === 'linear' || m === 'lin') {
      if (scale !== null) throw new UsageError(`--tune ${JSON.stringify(space)}: ${name} gives its scale twice`);
      scale = m === 'log' ? 'log' : 'linear';
    } else if (/^\d+$/.test(m)) {
      if (count !== null) throw new UsageError(`--tune ${JSON.stringify(space)}: ${name} gives its count twice`);
      count = Number(m);
      if (count < 2 || count > MAX_RANGE_POINTS)
        throw new UsageError(
          `--tune ${JSON.stringify(space)}: ${name}'s count must be an integer in [2, ${MAX_RANGE_POINTS}], got ${m}`,
        );
    } else
      throw new UsageError(
        `--tune ${JSON.stringify(space)}: unknown range modifier ${JSON.stringify(m)} for ${name}; expected log, linear or a count`,
      );
  }
  const chosen = scale ?? (lo > 0 ? 'log' : 'linear');
  if (chosen === 'log' && lo <= 0)
    throw new UsageError(
      `--tune ${JSON.stringify(space)}: a log range needs a positive low end, got ${name}=${lo}..${hi}`,
    );
  return { kind: 'range', name, lo, hi, scale: chosen, count: count ?? DEFAULT_RANGE_POINTS };
}

/**
 * Parse one `--tune` value: `[optimizer:]name=range-or-list[;name=...]`, where a range is
 * `lo..hi[:log|:linear][:count]` (log by default when `lo > 0`; 5 points by default) and a list is
 * `v1,v2,...`. The optional prefix (a label or an optimizer name, before the first `:` and without
 * `=`) limits the space to that optimizer. snake_case names are accepted (`weight_decay`).
 *
 * @example
 * ```ts
 * parseTuneSpace('adam:lr=1e-4..1e-1:log:8;weight_decay=0,0.01');
 * // { optimizer: 'adam', axes: [{ kind: 'range', name: 'lr', lo: 1e-4, hi: 0.1, scale: 'log', count: 8 },
 * //   { kind: 'list', name: 'weightDecay', values: [0, 0.01] }], text: '...' }
 * ```
 */
export function parseTuneSpace(text: string): TuneSpace {
  const trimmed = text.trim();
  let optimizer: string | null = null;
  let body = trimmed;
  const colon = trimmed.indexOf(':');
  if (colon > 0 && !trimmed.slice(0, colon).includes('=')) {
    optimizer = trimmed.slice(0, colon).trim();
    body = trimmed.slice(colon + 1);
  }
  const parts = body.split(';').filter((p) => p.trim() !== '');
  if (parts.length === 0)
    throw new UsageError(
      `--tune ${JSON.stringify(text)}: no hyperparameter to tune (e.g. --tune 'lr=1e-4..1e-1:log:8')`,
    );
  const axes = parts.map((p) => parseAxis(p, trimmed));
  const names = new Set<string>();
  for (const a of axes) {
    if (names.has(a.name)) throw new UsageError(`--tune ${JSON.stringify(text)}: ${a.name} is tuned twice`);
    names.add(a.name);
  }
  return { optimizer, axes, text: trimmed };
}

/**
 * The grid points of one axis, in increasing order for ranges (the ends included; log-spaced ranges
 * are computed in log space) and as written for lists.
 *
 * @example
 * ```ts
 * axisPoints({ kind: 'range', name: 'lr', lo: 1e-3, hi: 1e-1, scale: 'log', count: 3 }); // [0.001, 0.01, 0.1]
 * ```
 */
export function axisPoints(axis: TuneAxis): number[] {
  if (axis.kind === 'list') return [...axis.values];
  const { lo, hi, count, scale } = axis;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const t = i / (count - 1);
    const v = scale === 'log' ? Math.exp(Math.log(lo) + t * (Math.log(hi) - Math.log(lo))) : lo + t * (hi - lo);
    // Three significant digits keep the settings readable (1e-3, not 0.0009999999999999998).
    out.push(i === 0 ? lo : i === count - 1 ? hi : Number(v.toPrecision(3)));
  }
  return out;
}

/** The number of points of the full grid of `space`. */
export function gridSize(space: TuneSpace): number {
  return space.axes.reduce((n, a) => n * (a.kind === 'list' ? a.values.length : a.count), 1);
}

/**
 * The candidate settings of a search within `budget` trials:
 * - `'grid'`: every point of the grid when it has at most `budget` points, else `budget` of them
 *   drawn without replacement from `seed` (kept in grid order);
 * - `'random'`: `budget` independent draws, each range uniform in its scale (log-uniform for log
 *   ranges), each list uniform over its values.
 *
 * @example
 * ```ts
 * candidates(parseTuneSpace('lr=1e-3..1e-1:3;momentum=0,0.9'), 'grid', 16, 0);
 * // [{ lr: 0.001, momentum: 0 }, { lr: 0.001, momentum: 0.9 }, { lr: 0.01, momentum: 0 }, ...] (6 settings)
 * ```
 */
export function candidates(space: TuneSpace, mode: 'grid' | 'random', budget: number, seed: number): TuneSetting[] {
  if (!Number.isInteger(budget) || budget < 1)
    throw new UsageError(`--tune-budget: expected an integer >= 1, got ${budget}`);
  const generator = new Generator(seed);
  if (mode === 'random') {
    const out: TuneSetting[] = [];
    for (let t = 0; t < budget; t++) {
      const setting: Record<string, number> = {};
      for (const a of space.axes) {
        if (a.kind === 'list') setting[a.name] = a.values[generator.integer(0, a.values.length)];
        else {
          const u = generator.uniform();
          const v =
            a.scale === 'log'
              ? Math.exp(Math.log(a.lo) + u * (Math.log(a.hi) - Math.log(a.lo)))
              : a.lo + u * (a.hi - a.lo);
          setting[a.name] = Number(v.toPrecision(3));
        }
      }
      out.push(setting);
    }
    return out;
  }
  const points = space.axes.map(axisPoints);
  const total = gridSize(space);
  let indices = Array.from({ length: total }, (_, i) => i);
  if (total > budget) {
    // A partial Fisher-Yates shuffle picks `budget` distinct grid points.
    for (let i = 0; i < budget; i++) {
      const j = generator.integer(i, total);
      [indices[i], indices[j]] = [indices[j], indices[i]];
    }
    indices = indices.slice(0, budget).sort((a, b) => a - b);
  }
  return indices.map((index) => {
    const setting: Record<string, number> = {};
    let rest = index;
    for (let d = space.axes.length - 1; d >= 0; d--) {
      const n = points[d].length;
      setting[space.axes[d].name] = points[d][rest % n];
      rest = Math.floor(rest / n);
    }
    // Keep the axes in the order written.
    return Object.fromEntries(space.axes.map((a) => [a.name, setting[a.name]]));
  });
}

/** The offset of the tuning seeds from the base seed: results are reported on `base + k`, k < 1000. */
export const TUNING_SEED_OFFSET = 1000;

/**
 * The seeds the tuning trials run on: `count` seeds from `base + 1000`, never among the seeds the
 * chosen setting is then reported on (`base`, `base + 1`, ..., at most 100 of them).
 *
 * @example
 * ```ts
 * tuningSeeds(0, 2); // [1000, 1001]
 * ```
 */
export function tuningSeeds(base: number, count: number): number[] {
  return Array.from({ length: count }, (_, k) => base + TUNING_SEED_OFFSET + k);
}

/** The outcome of one candidate setting: its metric per tuning seed (NaN or Infinity when diverged). */
export interface TuneTrial {
  readonly setting: TuneSetting;
  /** The selection metric of each tuning seed (lower is better; a diverged run counts as +Infinity). */
  readonly metrics: readonly number[];
}

/**
 * The mean of a trial's metrics, +Infinity when any seed diverged or gave no finite metric (so a
 * setting that diverges on one tuning seed is never chosen over one that trains on all).
 *
 * @example
 * ```ts
 * trialScore({ setting: { lr: 0.1 }, metrics: [0.5, 0.7] }); // 0.6
 * ```
 */
export function trialScore(trial: TuneTrial): number {
  if (trial.metrics.length === 0) return Number.POSITIVE_INFINITY;
  let sum = 0;
  for (const m of trial.metrics) {
    if (!Number.isFinite(m)) return Number.POSITIVE_INFINITY;
    sum += m;
  }
  return sum / trial.metrics.length;
}

/**
 * The index of the best trial: the lowest {@link trialScore}, the first one on ties; -1 when every
 * trial diverged.
 *
 * @example
 * ```ts
 * bestTrial([{ setting: { lr: 1 }, metrics: [Infinity] }, { setting: { lr: 0.1 }, metrics: [0.3] }]); // 1
 * ```
 */
export function bestTrial(trials: readonly TuneTrial[]): number {
  let best = -1;
  let bestScore = Number.POSITIVE_INFINITY;
  trials.forEach((t, i) => {
    const s = trialScore(t);
    if (s < bestScore) {
      best = i;
      bestScore = s;
    }
  });
  return best;
}

/**
 * What a search minimises: the final validation loss when the task has a validation set, else the final
 * training loss (the last epoch's mean, as the table shows it), or f at the last iterate of a 2-D function.
 *
 * @example
 * ```ts
 * const metric: TuneMetric = data.validation === null ? 'final train loss' : 'final validation loss';
 * ```
 */
export type TuneMetric = 'final validation loss' | 'final train loss' | 'final f';

/**
 * The selection metric of one tuning run (see {@link TuneMetric}): NaN when the run diverged or the
 * metric is not finite, so that such a trial is never chosen (see {@link trialScore}).
 *
 * @example
 * ```ts
 * trialMetric(run, 'final validation loss'); // run.epochs.valLoss.at(-1)
 * ```
 */
export function trialMetric(run: RunResult, metric: TuneMetric): number {
  if (run.status === 'diverged') return Number.NaN;
  const value = metric === 'final validation loss' ? (run.epochs.valLoss.at(-1) ?? Number.NaN) : run.summary.finalLoss;
  return Number.isFinite(value) ? value : Number.NaN;
}

/**
 * The record of one search for `result.tuning`: every trial in the order run (non-finite metrics and
 * scores as null) and the setting {@link bestTrial} chooses, or null when every trial diverged.
 *
 * @example
 * ```ts
 * tuningResult([{ setting: { lr: 1 }, metrics: [Number.NaN] }, { setting: { lr: 0.1 }, metrics: [0.3] }], {
 *   optimizer: 'adam', space: 'lr=0.1,1', mode: 'grid', budget: 16, seeds: [1000], metric: 'final f',
 * }).chosen; // { lr: 0.1 }
 * ```
 */
export function tuningResult(
  trials: readonly TuneTrial[],
  search: Omit<TuningResult, 'trials' | 'chosen'>,
): TuningResult {
  const best = bestTrial(trials);
  return {
    ...search,
    seeds: [...search.seeds],
    trials: trials.map((t) => {
      const score = trialScore(t);
      return {
        setting: { ...t.setting },
        metrics: t.metrics.map((m) => (Number.isFinite(m) ? m : null)),
        score: Number.isFinite(score) ? score : null,
      };
    }),
    chosen: best >= 0 ? { ...trials[best].setting } : null,
  };
}
