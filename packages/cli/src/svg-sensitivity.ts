// Sensitivity curves of a `--tune` search: per tuned optimizer, the selection metric of every setting
// tried against the tuned hyperparameter, the chosen setting ringed and the diverged ones crossed.
import type { TuneTrialResult, TuningResult } from './results';
import { PALETTE, type Series } from './svg';
import { lineChartFigure } from './svg-line-chart';
import { formatNumber, formatSetting } from './table';

/**
 * A chart of the report: a stable id, the `<svg>` and the caption under it.
 *
 * @example
 * ```ts
 * const chart: SensitivityChart = sensitivityCharts(result.tuning ?? [], aggregates)[0];
 * ```
 */
export interface SensitivityChart {
  /** `sensitivity-lr`, `sensitivity-momentum`, ... */
  id: string;
  /** The SVG markup. */
  svg: string;
  /** A sentence under the chart. */
  caption: string;
}

/**
 * The hyperparameter a search's curve is drawn against: `lr` when it was tuned, else the first one tuned.
 *
 * @example
 * ```ts
 * sensitivityParameter(tuning); // 'lr'
 * ```
 */
export function sensitivityParameter(tuning: TuningResult): string | null {
  const names = [...new Set(tuning.trials.flatMap((t) => Object.keys(t.setting)))];
  return names.includes('lr') ? 'lr' : (names[0] ?? null);
}

/**
 * Whether `setting` holds every value of `chosen` (the trial of a search that was chosen).
 *
 * @example
 * ```ts
 * settingMatches({ lr: 0.01, momentum: 0.9 }, { lr: 0.01, momentum: 0.9 }); // true
 * ```
 */
export function settingMatches(setting: Readonly<Record<string, number>>, chosen: Readonly<Record<string, number>>) {
  return Object.entries(chosen).every(([k, v]) => setting[k] === v);
}

function finiteOf(values: readonly (number | null)[]): number[] {
  return values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
}

/** The curves of one search: one per combination of the other tuned values (grid), or one cloud of points (random with several). */
function searchSeries(tuning: TuningResult, param: string, look: { color: string; style: number }): Series[] {
  const others = (t: TuneTrialResult) => Object.entries(t.setting).filter(([k]) => k !== param);
  const scattered = tuning.mode === 'random' && tuning.trials.some((t) => others(t).length > 0);
  const groups = new Map<string, TuneTrialResult[]>();
  for (const t of tuning.trials) {
    const key = scattered ? '' : formatSetting(Object.fromEntries(others(t)));
    groups.set(key, [...(groups.get(key) ?? []), t]);
  }
  const seeds = tuning.seeds.length;
  return [...groups.entries()].map(([key, trials], g) => {
    const sorted = [...trials].sort((a, b) => a.setting[param] - b.setting[param]);
    const x = sorted.map((t) => t.setting[param]);
    const label = key === '' ? tuning.optimizer : `${tuning.optimizer} ${key}`;
    const chosen = tuning.chosen;
    const best = chosen === null ? undefined : sorted.find((t) => settingMatches(t.setting, chosen));
    return {
      label,
      color: look.color,
      style: look.style + g,
      x,
      y: sorted.map((t) => t.score ?? Number.NaN),
      band:
        seeds > 1 && !scattered
          ? {
              // A setting that diverged on a seed has no band: its other seeds' metrics would mislead.
              lo: sorted.map((t) => (t.score === null ? Number.NaN : Math.min(...finiteOf(t.metrics)))),
              hi: sorted.map((t) => (t.score === null ? Number.NaN : Math.max(...finiteOf(t.metrics)))),
            }
          : undefined,
      everyPoint: true,
      line: !scattered,
      markers: sorted
        .filter((t) => t.score === null)
        .map((t) => ({
          x: t.setting[param],
          y: Number.NaN,
          title: `${tuning.optimizer} ${formatSetting(t.setting)} diverged on ${t.metrics.filter((m) => m === null).length} of ${t.metrics.length} tuning seeds`,
        })),
      highlights:
        best === undefined || chosen === null
          ? []
          : [
              {
                x: best.setting[param],
                y: best.score ?? Number.NaN,
                title: `${tuning.optimizer} chose ${formatSetting(chosen)}: ${tuning.metric} ${formatNumber(best.score)}`,
              },
            ],
    };
  });
}

/**
 * The sensitivity charts of a comparison's `--tune` searches: one chart per tuned hyperparameter drawn
 * against (`lr` when tuned, see {@link sensitivityParameter}) and selection metric, with one curve per
 * tuned optimizer (in its colour and dash pattern, `looks` by label): the mean metric over the tuning
 * seeds of every setting tried, the band from the lowest to the highest seed's metric, a ring
 * (`<g class="chosen">`) on the chosen setting and a cross at the top (`<path class="diverged">`) for
 * each setting that diverged. Log x axis when the values tried are positive and span a factor of 10;
 * log y when the metrics are positive and span a factor of 10. Grid searches over more hyperparameters
 * draw one curve per combination of the others; random ones, the points alone.
 *
 * @example
 * ```ts
 * sensitivityCharts(result.tuning ?? [], new Map([['adam', { color: '#4e79a7', style: 0 }]])).map((c) => c.id); // ['sensitivity-lr']
 * ```
 */
export function sensitivityCharts(
  tuning: readonly TuningResult[],
  looks: ReadonlyMap<string, { color: string; style: number }>,
): SensitivityChart[] {
  const groups = new Map<string, { param: string; metric: string; searches: TuningResult[] }>();
  for (const t of tuning) {
    const param = sensitivityParameter(t);
    if (param === null || t.trials.length === 0) continue;
    const key = `${param}\u0000${t.metric}`;
    const group = groups.get(key) ?? { param, metric: t.metric, searches: [] };
    group.searches.push(t);
    groups.set(key, group);
  }
  const ids = new Set<string>();
  return [...groups.values()].map(({ param, metric, searches }) => {
    const series = searches.flatMap((t, k) =>
      searchSeries(t, param, looks.get(t.optimizer) ?? { color: PALETTE[k % PALETTE.length], style: k }),
    );
    const xs = series.flatMap((s) => [...s.x]);
    const values = searches.flatMap((t) =>
      t.trials.flatMap((trial) => (trial.score === null ? [] : finiteOf(trial.metrics))),
    );
    const spans = (v: number[]) => v.length > 0 && v.every((a) => a > 0) && Math.max(...v) >= 10 * Math.min(...v);
    const seeds = Math.max(...searches.map((t) => t.seeds.length));
    const diverged = searches.some((t) => t.trials.some((trial) => trial.score === null));
    let id = `sensitivity-${param}`;
    for (let k = 2; ids.has(id); k++) id = `sensitivity-${param}-${k}`;
    ids.add(id);
    const { svg, clipped } = lineChartFigure({
      title: `Sensitivity to ${param}: ${metric} of each setting tried`,
      xLabel: param,
      yLabel: metric,
      xScale: spans(xs) ? 'log' : 'linear',
      yScale: spans(values) ? 'log' : 'linear',
      legendNote: seeds > 1 ? `line: mean of ${seeds} tuning seeds; band: lowest to highest` : undefined,
      highlightLabel: 'chosen',
      series,
    });
    const on = [...new Set(searches.flatMap((t) => t.seeds))];
    return {
      id,
      svg,
      caption: `The ${metric} reached with each ${param} tried by --tune${
        searches.some((t) => Object.keys(t.trials[0]?.setting ?? {}).length > 1) ? ' (and the other tuned values)' : ''
      }, on tuning seed${on.length === 1 ? '' : 's'} ${on.join(', ')}, never among the reported seeds. A ring marks the setting chosen, with which the reported runs ran${
        diverged ? '; a cross at the top, a setting that diverged on a tuning seed (never chosen)' : ''
      }.${clipped > 0 ? ' Triangles at the edge mark values beyond the axis.' : ''}`,
    };
  });
}
