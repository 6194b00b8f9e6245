import type { OptimizerAggregate, TargetStat } from './optimizer-aggregate';
import type { CompareResult, RunResult, TuningResult } from './results';
import type { MeanSd } from './stats';
import { aggregatesOf, hasValidation } from './trials';

/**
 * Format a loss or other measurement with 4 significant digits (`0.1234`, `1.234e-5`, `NaN`).
 *
 * @example
 * ```ts
 * formatNumber(0.000012345); // '1.234e-5'
 * ```
 */
export function formatNumber(v: number | null): string {
  if (v === null) return '-';
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) {
    const [m, e] = v.toExponential(3).split('e');
    return `${+m}e${+e}`;
  }
  return `${+v.toPrecision(4)}`;
}

/**
 * Format a duration: `850ms`, `12.3s`, `2m05s`.
 *
 * @example
 * ```ts
 * formatDuration(125000); // '2m05s'
 * ```
 */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/**
 * Format a mean with its standard deviation, the deviation to one significant digit (two when it starts
 * with a 1) and the mean to the same decimal place: `0.123 ± 0.004`, `95.2 ± 0.3%`; a single value
 * (or a deviation of null) as {@link formatNumber} does; `-` when there is no value.
 *
 * @example
 * ```ts
 * formatMeanSd({ mean: 0.12345, sd: 0.0041, n: 3 }); // '0.123 ± 0.004'
 * formatMeanSd({ mean: 0.9517, sd: 0.0032, n: 3 }, 'percent'); // '95.2 ± 0.3%'
 * formatMeanSd({ mean: 0.2182, sd: null, n: 1 }); // '0.2182'
 * ```
 */
export function formatMeanSd(stat: MeanSd | null, kind: 'number' | 'percent' = 'number'): string {
  if (stat === null || stat.mean === null) return '-';
  const scale = kind === 'percent' ? 100 : 1;
  const suffix = kind === 'percent' ? '%' : '';
  const mean = stat.mean * scale;
  if (stat.sd === null) return kind === 'percent' ? `${mean.toFixed(1)}%` : formatNumber(mean);
  const sd = stat.sd * scale;
  if (sd === 0) return `${kind === 'percent' ? mean.toFixed(1) : formatNumber(mean)} ± 0${suffix}`;
  const lead = Math.floor(Math.log10(sd));
  const digits = Math.floor(sd / 10 ** lead) === 1 ? 2 : 1;
  const place = lead - digits + 1;
  const a = Math.abs(mean);
  if (place >= -6 && place <= 4 && (a === 0 || (a >= 1e-3 && a < 1e5))) {
    // A percentage keeps one decimal, as a single one is written.
    const decimals = Math.max(kind === 'percent' ? 1 : 0, -place);
    const round = (v: number) => v.toFixed(decimals);
    return `${round(mean)} ± ${round(sd)}${suffix}`;
  }
  const [m, e] = sd.toExponential(digits - 1).split('e');
  return `${kind === 'percent' ? mean.toFixed(1) : formatNumber(mean)} ± ${+m}e${+e}${suffix}`;
}

/**
 * Format a duration in milliseconds, with two significant digits below 10 ms (a time per step):
 * `0.34ms`, `2.31ms`, `45.2ms`, `1.2s`, `2m05s`.
 *
 * @example
 * ```ts
 * formatTime(0.3412); // '0.34ms'
 * ```
 */
export function formatTime(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  if (ms < 1) return `${+ms.toPrecision(2)}ms`;
  if (ms < 10) return `${ms.toFixed(2)}ms`;
  if (ms < 100) return `${ms.toFixed(1)}ms`;
  return formatDuration(ms);
}

/**
 * A `--tune` setting as the table shows it: `lr=0.00316, momentum=0.9` (numbers as {@link formatNumber}).
 *
 * @example
 * ```ts
 * formatSetting({ lr: 0.0031623, momentum: 0.9 }); // 'lr=0.003162, momentum=0.9'
 * ```
 */
export function formatSetting(setting: Readonly<Record<string, number>>): string {
  return Object.entries(setting)
    .map(([k, v]) => `${k}=${formatNumber(v)}`)
    .join(', ');
}

/**
 * Consecutive seeds in a few words: `seed 1000`, `seeds 1000-1002`.
 *
 * @example
 * ```ts
 * seedRange([1000, 1001]); // 'seeds 1000-1001'
 * ```
 */
export function seedRange(seeds: readonly number[]): string {
  return seeds.length === 1 ? `seed ${seeds[0]}` : `seeds ${seeds[0]}-${seeds[seeds.length - 1]}`;
}

/**
 * An optimizer's name in the table: its label, followed by the setting `--tune` chose for it, if any:
 * `adam (lr=0.00316)`.
 *
 * @example
 * ```ts
 * tunedLabel('adam', result); // 'adam (lr=0.00316)' after --tune 'lr=...', else 'adam'
 * ```
 */
export function tunedLabel(label: string, result: Pick<CompareResult, 'tuning'>): string {
  const chosen = result.tuning?.find((t) => t.optimizer === label)?.chosen;
  return chosen === null || chosen === undefined ? label : `${label} (${formatSetting(chosen)})`;
}

/**
 * The line under the table about one `--tune` search: where it ran, what it chose, over how many trials
 * and on what metric: `tuned adam on seeds 1000-1001: lr=0.00316 (8 trials, grid; final validation loss 0.21)`.
 *
 * @example
 * ```ts
 * result.tuning?.map(tuningLine);
 * ```
 */
export function tuningLine(tuning: TuningResult): string {
  const trials = `${tuning.trials.length} trial${tuning.trials.length === 1 ? '' : 's'}, ${tuning.mode}`;
  const on = seedRange(tuning.seeds);
  if (tuning.chosen === null)
    return `tuned ${tuning.optimizer} on ${on}: every trial diverged (${trials}); it ran with its spec as given`;
  const chosen = tuning.chosen;
  const best = tuning.trials.find((t) => Object.entries(chosen).every(([k, v]) => t.setting[k] === v));
  return `tuned ${tuning.optimizer} on ${on}: ${formatSetting(chosen)} (${trials}; ${tuning.metric} ${formatNumber(
    best?.score ?? null,
  )})`;
}

/** The header and the cells of the summary table, shared by the terminal and the HTML report. */
export interface SummaryTable {
  /** Column titles. */
  header: string[];
  /** Whether each column is right-aligned (numbers). */
  numeric: boolean[];
  /** One row of cells per optimizer. */
  rows: string[][];
  /** What the columns mean (the target, what ± and k/N are), one sentence a line. */
  legend: string[];
  /** What to watch out for: runs that diverged or stopped early, noisy timings (one a line, without `note:`). */
  notes: string[];
  /** With `--tune`: one line per tuned optimizer (see {@link tuningLine}). */
  tuning: string[];
}

function seedsText(seeds: readonly number[]): string {
  if (seeds.length === 1) return `seed ${seeds[0]}`;
  const consecutive = seeds.every((s, i) => i === 0 || s === seeds[i - 1] + 1);
  return consecutive
    ? `${seeds.length} seeds (${seeds[0]}-${seeds[seeds.length - 1]})`
    : `${seeds.length} seeds (${seeds.join(', ')})`;
}

function statusCell(agg: OptimizerAggregate, runs: readonly RunResult[]): string {
  const n = runs.length;
  const diverged = agg.diverged.length;
  const stopped = runs.filter((r) => r.status === 'stopped').length;
  if (n === 1) return runs[0].status ?? 'ok';
  if (diverged > 0) return `${diverged}/${n} diverged`;
  return stopped > 0 ? `${stopped}/${n} stopped` : 'ok';
}

function targetCell(stat: TargetStat, format: (v: number) => string, several: boolean): string {
  const count = several ? ` (${stat.reached}/${stat.of})` : '';
  if (stat.median === null) return several ? `not reached${count}` : 'not reached';
  return `${format(stat.median)}${count}`;
}

/**
 * The summary table of a comparison, one row per optimizer over all its seeds: its status (`ok`,
 * `diverged`, `2/3 diverged`), the final and best loss (the validation loss when the task has a
 * validation set, else the training loss; f for 2-D functions) and accuracy (validation accuracy when
 * measured) as mean ± standard deviation over the seeds, the final point for 2-D functions, the steps
 * and time to the target loss as medians with how many seeds reached it (`k/N`), and the median time
 * per step (marked `*` when it varied by more than 25% between repeats). Runs that diverged are left out
 * of every number. The legend and the notes say what the numbers are and what went wrong.
 *
 * @example
 * ```ts
 * summaryTable(result).header; // ['optimizer', 'status', 'val loss (final / best)', ...]
 * ```
 */
export function summaryTable(result: CompareResult): SummaryTable {
  const classification = result.task.classification;
  const fn = result.task.kind === 'function';
  const aggregates = aggregatesOf(result);
  const val = hasValidation(result.runs);
  const seeds = result.settings.seeds ?? [result.settings.seed];
  const several = aggregates.some((a) => a.seeds.length > 1);
  const target = formatNumber(result.settings.targetLoss);
  const lossName = fn ? 'f' : val.loss ? 'val loss' : 'train loss';
  const accuracyName = val.accuracy ? 'val accuracy' : 'train accuracy';
  const header = [
    'optimizer',
    'status',
    `${lossName} (final / best)`,
    ...(classification ? [`${accuracyName} (final / best)`] : []),
    ...(fn ? ['final (x, y)'] : []),
    `steps to ${fn ? 'f' : 'train loss'} <= ${target}`,
    'time to target',
    'time/step',
  ];
  const numeric = header.map((_, i) => i > 1);
  const rows = aggregates.map((agg) => {
    const runs = result.runs.filter((r) => r.label === agg.label);
    const loss = fn || !val.loss ? [agg.finalLoss, agg.bestLoss] : [agg.finalValLoss, agg.bestValLoss];
    const point = agg.finalPoint;
    return [
      tunedLabel(agg.label, result),
      statusCell(agg, runs),
      `${formatMeanSd(loss[0])} / ${formatMeanSd(loss[1])}`,
      ...(classification
        ? [`${formatMeanSd(agg.finalAccuracy, 'percent')} / ${formatMeanSd(agg.bestAccuracy, 'percent')}`]
        : []),
      ...(fn ? [point === null ? '-' : `(${formatNumber(point[0])}, ${formatNumber(point[1])})`] : []),
      targetCell(agg.stepsToTarget, formatNumber, several),
      // Results written before the runs were timed step by step know the steps to the target, not the time.
      agg.timeToTargetMs.reached === 0 && agg.stepsToTarget.reached > 0
        ? '-'
        : targetCell(agg.timeToTargetMs, formatTime, several),
      `${formatTime(agg.stepTime.medianMs)}${agg.stepTime.noisy ? '*' : ''}`,
    ];
  });

  const legend = [
    `target: ${fn ? 'f' : 'the smoothed train loss'} <= ${target}; time/step: the median time of one optimizer step${
      fn ? '' : ' (forward, backward, update)'
    }${several ? ', median over the seeds' : ''}${
      result.settings.backend === undefined ? '' : `, on the ${result.settings.backend} backend`
    }.`,
  ];
  if (several)
    legend.push(
      `${seedsText(seeds)}: loss${classification ? ' and accuracy' : ''} as mean ± standard deviation; steps and time to target as the median over the k of N seeds that reached it (k/N). Runs that diverged are left out.`,
    );
  else if (!fn) legend.push(`${seedsText(seeds)}; --seeds N repeats every run on N seeds and shows the spread.`);

  const notes: string[] = [];
  for (const agg of aggregates) {
    const runs = result.runs.filter((r) => r.label === agg.label);
    const diverged = runs.filter((r) => r.status === 'diverged');
    if (diverged.length === 1 && runs.length === 1)
      notes.push(`${agg.label} ${diverged[0].summary.stopReason ?? 'diverged'}; no numbers to show.`);
    else if (diverged.length > 0)
      notes.push(
        `${agg.label} diverged on ${diverged.length} of ${runs.length} seeds (${diverged
          .map((r) => `seed ${r.seed ?? '?'} at step ${r.divergedAt ?? r.summary.steps}`)
          .join(', ')}); ${diverged.length === runs.length ? 'no numbers to show' : 'those runs are left out'}.`,
      );
    for (const r of runs)
      if (r.status === 'stopped' || (r.status === undefined && r.summary.stopReason !== null))
        notes.push(
          `${agg.label}${runs.length > 1 ? ` (seed ${r.seed ?? '?'})` : ''} stopped early: ${r.summary.stopReason}`,
        );
    const t = agg.stepTime;
    if (t.noisy && t.spread !== null)
      notes.push(
        `* the median step time of ${agg.label} varied by ${+(t.spread * 100).toPrecision(3)}% between ${
          runs.length > 1 ? 'seeds' : 'its run and a timing repeat'
        } (${formatTime(Math.min(...t.samplesMs))} to ${formatTime(Math.max(...t.samplesMs))}): the timings are noisy here (another program busy?), compare them with care.`,
      );
  }
  return { header, numeric, rows, legend, notes, tuning: (result.tuning ?? []).map(tuningLine) };
}

/**
 * Render the summary table for a terminal: aligned columns, a rule under the header, the line of each
 * `--tune` search, the legend, and a `note:` line for each run that diverged or stopped early and each
 * noisy timing.
 *
 * @example
 * ```ts
 * process.stdout.write(renderTable(result));
 * ```
 */
export function renderTable(result: CompareResult): string {
  const { header, numeric, rows, legend, notes, tuning } = summaryTable(result);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => (numeric[c] ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
      .join('  ')
      .trimEnd();
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
  out.push('', ...tuning, ...legend, ...notes.map((n) => `note: ${n}`));
  return `${out.join('\n')}\n`;
}
