import type { CompareResult, RunResult } from './results';

/**
 * Format a loss or other measurement with 4 significant digits (`0.1234`, `1.235e-5`, `NaN`).
 *
 * @example
 * ```ts
 * formatNumber(0.000012345); // '1.235e-5'
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

function formatPercent(v: number | null): string {
  return v === null || !Number.isFinite(v) ? '-' : `${(v * 100).toFixed(1)}%`;
}

/** The header and the cells of the summary table, shared by the terminal and the HTML report. */
export interface SummaryTable {
  /** Column titles. */
  header: string[];
  /** Whether each column is right-aligned (numbers). */
  numeric: boolean[];
  /** One row of cells per optimizer. */
  rows: string[][];
}

/**
 * The summary table of a comparison: optimizer, final and best loss, accuracy (final / best) for
 * classification, the final point for 2-D functions, steps to the target loss, wall time, steps per
 * second, and a note when a run stopped early.
 *
 * @example
 * ```ts
 * summaryTable(result).header; // ['optimizer', 'final loss', 'best loss', ...]
 * ```
 */
export function summaryTable(result: CompareResult): SummaryTable {
  const classification = result.task.classification;
  const fn = result.task.kind === 'function';
  const accuracyTitle = result.runs.some((r) => r.epochs.valAccuracy.some(Number.isFinite))
    ? 'val accuracy (final / best)'
    : 'accuracy (final / best)';
  const header = [
    'optimizer',
    fn ? 'final f' : 'final loss',
    fn ? 'best f' : 'best loss',
    ...(classification ? [accuracyTitle] : []),
    ...(fn ? ['final (x, y)'] : []),
    `steps to ${fn ? 'f' : 'loss'} <= ${formatNumber(result.settings.targetLoss)}`,
    'wall time',
    'steps/s',
  ];
  const numeric = header.map((_, i) => i > 0);
  const rows = result.runs.map((run: RunResult) => {
    const s = run.summary;
    const last = run.steps.x && run.steps.y ? run.steps.x.length - 1 : -1;
    const cells = [
      run.label,
      formatNumber(s.finalLoss),
      formatNumber(s.bestLoss),
      ...(classification ? [`${formatPercent(s.finalAccuracy)} / ${formatPercent(s.bestAccuracy)}`] : []),
      ...(fn && last >= 0
        ? [`(${formatNumber(run.steps.x![last])}, ${formatNumber(run.steps.y![last])})`]
        : fn
          ? ['-']
          : []),
      s.stepsToTarget === null ? 'not reached' : String(s.stepsToTarget),
      formatDuration(s.wallTimeMs),
      s.stepsPerSecond >= 100 ? String(Math.round(s.stepsPerSecond)) : s.stepsPerSecond.toFixed(1),
    ];
    return cells;
  });
  return { header, numeric, rows };
}

/**
 * Render the summary table for a terminal: aligned columns, a rule under the header, and a line per
 * run that stopped early.
 *
 * @example
 * ```ts
 * process.stdout.write(renderTable(result));
 * ```
 */
export function renderTable(result: CompareResult): string {
  const { header, numeric, rows } = summaryTable(result);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => (numeric[c] ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
      .join('  ')
      .trimEnd();
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
  for (const run of result.runs)
    if (run.summary.stopReason !== null) out.push(`note: ${run.label} stopped early: ${run.summary.stopReason}`);
  return `${out.join('\n')}\n`;
}
