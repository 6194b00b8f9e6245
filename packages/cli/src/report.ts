import { formatHyperparams } from './optimizer-spec';
import type { CompareResult, OptimizerAggregate, RunResult, TuningResult } from './results';
import { contourChart, escapeXml, type LineChartOptions, lineChartFigure, type Series } from './svg';
import { decisionMapsChart } from './svg-decision';
import { sensitivityCharts, sensitivityParameter, settingMatches } from './svg-sensitivity';
import { seriesSwatchHtml } from './svg-style';
import { formatDuration, formatNumber, formatSetting, formatTime, summaryTable } from './table';
import { aggregatesOf, type CurveDefinition, curveDefinitions, hasValidation, plotted } from './trials';

/** One chart of the report: its title and its inline `<svg>`. */
export interface ReportChart {
  /** A stable id (`loss`, `accuracy`, `lr`, `contour`, ...). */
  id: string;
  /** The SVG markup. */
  svg: string;
  /** A sentence under the chart saying what it shows. */
  caption: string;
}

/** What the lines, bands and crosses of the charts are, for the captions. */
function curveNote(result: CompareResult, aggregates: readonly OptimizerAggregate[]): string {
  const seeds = Math.max(...aggregates.map((a) => a.seeds.length), 1);
  const parts: string[] = [];
  if (seeds > 1)
    parts.push(
      `Lines are the median over ${seeds} seeds, bands the interquartile range (25th to 75th percentile) of the runs that did not diverge.`,
    );
  if (result.runs.some((r) => r.status === 'diverged'))
    parts.push('A cross marks where a run diverged: its curve stops at the step before.');
  return parts.length > 0 ? ` ${parts.join(' ')}` : '';
}

/**
 * The series of one chart: per optimizer, the median over its seeds with the interquartile band (when
 * more than one run is drawn) and a cross where each diverged run stops.
 */
function chartSeries(
  result: CompareResult,
  aggregates: readonly OptimizerAggregate[],
  definition: CurveDefinition,
): Series[] {
  return aggregates.map((agg) => {
    const band = agg.curves[definition.id] ?? { x: [], median: [], q1: [], q3: [] };
    const runs = result.runs.filter((r) => r.label === agg.label);
    const drawn = agg.diverged.length < runs.length ? runs.length - agg.diverged.length : runs.length;
    const markers = runs
      .filter((r) => r.status === 'diverged')
      .flatMap((r) => {
        const { x, y } = definition.pick(r);
        const k = x.length - 1;
        const seed = runs.length > 1 ? ` (seed ${r.seed ?? '?'})` : '';
        return k >= 0
          ? [{ x: x[k], y: y[k], title: `${agg.label}${seed} diverged at step ${r.divergedAt ?? '?'}` }]
          : [];
      });
    return {
      label: agg.label,
      color: agg.color,
      x: band.x,
      y: band.median,
      band: drawn > 1 ? { lo: band.q1, hi: band.q3 } : undefined,
      markers,
    };
  });
}

/** The run of an optimizer whose path the contour plot draws: of those that did not diverge, the one with the median final f. */
function representative(runs: readonly RunResult[]): RunResult {
  const pool = runs.some((r) => r.status !== 'diverged') ? runs.filter((r) => r.status !== 'diverged') : runs;
  const sorted = [...pool].sort((a, b) => (a.summary.finalLoss || 0) - (b.summary.finalLoss || 0));
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

/**
 * The charts of a comparison. Model tasks: the smoothed training loss per step, the loss per epoch
 * (validation loss when there is a validation set), accuracy per epoch (classification), the decision
 * regions of each optimizer (`decision`, when the runs record a decision grid: a 2-D classification
 * task such as spirals), the learning rate per step. 2-D functions: the contour plot with every
 * trajectory, f per step, the distance to the nearest minimum (when there is one), the learning rate
 * per step. Every line chart has one `<path class="series">` per optimizer, told apart by its colour,
 * dash pattern and markers: with several seeds, the median over them, over a `<path class="band">` of
 * the interquartile range; a cross (`<path class="diverged">`) marks where a run diverged. Its y axis
 * fits the bulk of the values: a few far outside are clipped to its edge, marked, and the caption says
 * so. Every loss axis says whether it is the training or the validation loss.
 *
 * @example
 * ```ts
 * reportCharts(result).map((c) => c.id); // ['loss', 'epoch-loss', 'accuracy', 'lr']
 * ```
 */
export function reportCharts(result: CompareResult): ReportChart[] {
  const runs = result.runs;
  const aggregates = aggregatesOf(result);
  const definitions = new Map(curveDefinitions(result).map((d) => [d.id, d]));
  const curves = (id: string) => chartSeries(result, aggregates, definitions.get(id)!);
  const seeds = Math.max(...aggregates.map((a) => a.seeds.length), 1);
  const legendNote = seeds > 1 ? `median of ${seeds} seeds; band: interquartile range` : undefined;
  const note = curveNote(result, aggregates);
  const yScale = result.settings.lossScale;
  const charts: ReportChart[] = [];
  /** A chart per epoch of the validation `measure` when measured (`captions[0]`), else the training one. */
  const perEpoch = (
    id: string,
    measure: 'loss' | 'accuracy',
    validation: boolean,
    scale: LineChartOptions['yScale'],
    captions: [string, string],
  ) =>
    lineFigure(
      id,
      {
        title: `${validation ? 'Validation' : 'Train'} ${measure} per epoch`,
        xLabel: 'epoch',
        yLabel: validation
          ? `validation ${measure}`
          : measure === 'loss'
            ? 'train loss (epoch mean)'
            : 'train accuracy',
        yScale: scale,
        legendNote,
        series: curves(id),
      },
      `${captions[validation ? 0 : 1]}${note}`,
    );
  if (result.task.kind === 'function' && result.surface !== null) {
    const s = result.surface;
    const n = s.resolution;
    charts.push({
      id: 'contour',
      svg: contourChart({
        title: `${result.task.name}: f(x, y) = ${s.formula}`,
        values: s.values,
        resolution: n,
        bounds: s.bounds,
        minima: s.minima,
        series: aggregates.map((agg) => {
          const mine = runs.filter((r) => r.label === agg.label);
          const run = representative(mine);
          const k = plotted(run).steps;
          const markers = mine
            .filter((r) => r.status === 'diverged')
            .flatMap((r) => {
              const m = plotted(r).steps - 1;
              return m >= 0 ? [{ x: r.steps.x?.[m] ?? Number.NaN, y: r.steps.y?.[m] ?? Number.NaN }] : [];
            });
          return {
            label: agg.label,
            color: agg.color,
            x: (run.steps.x ?? []).slice(0, k),
            y: (run.steps.y ?? []).slice(0, k),
            markers,
          };
        }),
      }),
      caption: `Each optimizer's path from the start (circle) to its last iterate (square), over log-spaced contour levels of f; crosses mark the global minima${
        runs.some((r) => r.status === 'diverged') ? ', and coloured crosses where a run diverged' : ''
      }.${seeds > 1 ? ' With several seeds, the path of the run with the median final f.' : ''}`,
    });
    charts.push(
      lineFigure(
        'loss',
        { title: 'f at each iterate', xLabel: 'step', yLabel: 'f(x, y)', yScale, legendNote, series: curves('loss') },
        `The value of the function after each step (step 0 is the start).${note}`,
      ),
    );
    if (definitions.has('distance'))
      charts.push(
        lineFigure(
          'distance',
          {
            title: 'Distance to the nearest minimum',
            xLabel: 'step',
            yLabel: 'distance',
            yScale: 'log',
            legendNote,
            series: curves('distance'),
          },
          `The Euclidean distance from each iterate to the closest global minimizer.${note}`,
        ),
      );
  } else {
    const val = hasValidation(runs);
    charts.push(
      lineFigure(
        'loss',
        {
          title: 'Train loss per step (smoothed)',
          xLabel: 'step',
          yLabel: 'train loss (smoothed)',
          yScale,
          legendNote,
          series: curves('loss'),
        },
        `The training loss of each batch, smoothed by a bias-corrected moving average (factor 0.9).${note}`,
      ),
      perEpoch('epoch-loss', 'loss', val.loss, yScale, [
        'The loss on the held-out validation set after each epoch.',
        'The mean training loss over each epoch.',
      ]),
    );
    if (definitions.has('accuracy'))
      charts.push(
        perEpoch('accuracy', 'accuracy', val.accuracy, undefined, [
          'The fraction of held-out samples classified correctly after each epoch.',
          'The fraction of training samples classified correctly during each epoch.',
        ]),
      );
    const decision = decisionChart(result, aggregates);
    if (decision !== null) charts.push(decision);
  }
  charts.push(
    lineFigure(
      'lr',
      {
        title: 'Learning rate per step',
        xLabel: 'step',
        yLabel: 'learning rate',
        yScale: lrScale(runs),
        legendNote,
        series: curves('lr'),
      },
      result.settings.schedule === 'none'
        ? 'The learning rate of each optimizer (constant: no schedule).'
        : `The learning rate of each optimizer under the schedule ${result.settings.schedule}.`,
    ),
  );
  return charts;
}

/** A line chart of the report, its caption saying so when points beyond the y axis were clipped to its edge. */
function lineFigure(id: string, options: LineChartOptions, caption: string): ReportChart {
  const { svg, clipped } = lineChartFigure(options);
  const clip =
    clipped > 0
      ? ` The y axis fits the bulk of the values: ${clipped} point${clipped === 1 ? '' : 's'} beyond it ${clipped === 1 ? 'is' : 'are'} drawn at its edge, marked by a triangle (its value in the tooltip).`
      : '';
  return { id, svg, caption: `${caption}${clip}` };
}

/**
 * 2-D classification tasks (spirals): each optimizer's decision regions after training, from the run
 * with the median final loss (see {@link representative}), with the training points; null when the
 * runs carry no decision grid.
 */
function decisionChart(result: CompareResult, aggregates: readonly OptimizerAggregate[]): ReportChart | null {
  const maps = aggregates.flatMap((agg, index) => {
    const run = representative(result.runs.filter((r) => r.label === agg.label));
    const grid = run?.decisionGrid;
    if (run === undefined || grid === undefined || grid.classes.length !== grid.resolution ** 2) return [];
    const accuracy = run.summary.finalAccuracy;
    const on = hasValidation([run]).accuracy ? 'val' : 'train';
    return [
      {
        label: agg.label,
        color: agg.color,
        style: index,
        note: accuracy === null ? undefined : `${on} accuracy ${(accuracy * 100).toFixed(1)}%`,
        grid,
      },
    ];
  });
  if (maps.length === 0) return null;
  const points = result.task.points;
  const seeds = Math.max(...aggregates.map((a) => a.seeds.length), 1);
  return {
    id: 'decision',
    svg: decisionMapsChart({ title: 'Decision regions after training', maps, points }),
    caption: `The class each optimizer's trained network predicts over the input box (pale fills, one per class) and its decision boundary (in its colour)${
      points === undefined ? '' : ', with the training points (hollow: class 0, filled: class 1)'
    }.${seeds > 1 ? ' With several seeds, the run with the median final train loss.' : ''}`,
  };
}

/** Log scale when learning rates span more than a factor of 20 and are all positive. */
function lrScale(runs: readonly RunResult[]): 'log' | 'linear' {
  const all = runs.flatMap((r) => r.steps.lr).filter(Number.isFinite);
  if (all.length === 0 || all.some((v) => v <= 0)) return 'linear';
  return Math.max(...all) / Math.min(...all) > 20 ? 'log' : 'linear';
}

const CSS = `
:root{color-scheme:light}
body{margin:0;background:#f6f7f9;color:#222;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif}
main{max-width:1240px;margin:0 auto;padding:24px 28px 48px}
h1{font-size:22px;margin:0 0 4px}
h2{font-size:16px;margin:28px 0 10px}
p.lead{margin:0 0 16px;color:#555}
pre{background:#fff;border:1px solid #ddd;border-radius:6px;padding:10px 12px;white-space:pre-wrap;word-break:break-all;font:12.5px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;margin:0}
table{border-collapse:collapse;background:#fff;border:1px solid #ddd}
th,td{padding:5px 10px;border-bottom:1px solid #eee;text-align:left;vertical-align:top}
th{background:#fafafa;font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
td code{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;color:#444}
.swatch{display:inline-block;width:24px;height:3px;vertical-align:middle}
.glyph{display:inline-block;width:14px;margin:0 6px 0 -18px;font-size:9px;line-height:1;vertical-align:middle;text-align:center}
.tuning td:first-child{white-space:nowrap}
.settings td:first-child{color:#555;white-space:nowrap}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(580px,1fr));gap:16px}
figure{margin:0;background:#fff;border:1px solid #ddd;border-radius:6px;padding:8px}
figcaption{color:#555;font-size:12.5px;padding:4px 6px 2px}
svg.chart{display:block;max-width:100%;height:auto}
#chart-contour{grid-row:span 2}
.note{color:#a33;margin:6px 0}
p.caption{color:#555;font-size:12.5px;margin:6px 0}
td.status{color:#a33;font-weight:600}
footer{margin-top:32px;color:#777;font-size:12px}
`;

/** A chart as a `<figure>` with its caption. */
function figureHtml(chart: ReportChart): string {
  return `<figure id="chart-${chart.id}">${chart.svg}<figcaption>${escapeXml(chart.caption)}</figcaption></figure>`;
}

/**
 * The table of the `--tune` searches: per tuned optimizer, the space and mode, the trials run (of the
 * budget, how many diverged), the tuning seeds, the metric, the chosen setting (saying so when it is
 * at an end of the values tried: the best may lie beyond) and its score.
 */
function tuningTable(tuning: readonly TuningResult[], looks: ReadonlyMap<string, { color: string; style: number }>) {
  const rows = tuning.map((t, k) => {
    const look = looks.get(t.optimizer) ?? { color: '#999', style: k };
    const diverged = t.trials.filter((trial) => trial.score === null).length;
    const chosen = t.chosen;
    let chosenText = 'none: every trial diverged, so it ran with its spec as given';
    let score = '';
    if (chosen !== null) {
      const param = sensitivityParameter(t);
      const tried = [...new Set(t.trials.map((trial) => trial.setting[param ?? '']))].sort((a, b) => a - b);
      const value = param === null ? undefined : chosen[param];
      const edge =
        tried.length > 2 && value === tried[0]
          ? ` (the lowest ${param} tried: the best may lie below)`
          : tried.length > 2 && value === tried[tried.length - 1]
            ? ` (the highest ${param} tried: the best may lie above)`
            : '';
      chosenText = `${formatSetting(chosen)}${edge}`;
      score = formatNumber(t.trials.find((trial) => settingMatches(trial.setting, chosen))?.score ?? null);
    }
    const cells = [
      `${t.space} (${t.mode})`,
      `${t.trials.length} of ${t.budget}${diverged > 0 ? `, ${diverged} diverged` : ''}`,
      t.seeds.join(', '),
      t.seeds.length > 1 ? `${t.metric} (mean)` : t.metric,
      chosenText,
    ];
    return `<tr><td>${seriesSwatchHtml(escapeXml(look.color), look.style)}${escapeXml(t.optimizer)}</td>${cells
      .map((c) => `<td>${escapeXml(c)}</td>`)
      .join('')}<td class="num">${escapeXml(score)}</td></tr>`;
  });
  return [
    '<table class="tuning"><thead><tr><th>optimizer</th><th>search space</th><th>trials</th><th>tuning seeds</th><th>selected on</th><th>chosen</th><th class="num">its score</th></tr></thead><tbody>',
    ...rows,
    '</tbody></table>',
    '<p class="caption">Each tuned optimizer tried the settings of its space on the tuning seeds, none of them a reported seed; a setting that diverged on any of them was never chosen. The reported runs above use the chosen setting.</p>',
  ];
}

/**
 * The self-contained HTML report of a comparison: the command line and settings (seeds, the divergence
 * rule, the run order, the warm-up and timing), a legend with every optimizer's hyperparameters, the
 * summary table with its legend and notes (diverged runs, noisy timings), with `--tune` a table of
 * each search and its chosen setting and the sensitivity curves (the metric of every setting tried),
 * and the charts of `reportCharts` as inline SVG. Each optimizer's swatch shows its colour, dash
 * pattern and marker, as in the charts. No scripts, stylesheets, fonts or images are loaded from anywhere: the
 * file works offline. It also renders results written before `--seeds` (their statistics are computed
 * from their runs).
 *
 * @example
 * ```ts
 * writeFileSync('report.html', renderReport(result));
 * ```
 */
export function renderReport(result: CompareResult): string {
  const { settings, task } = result;
  const table = summaryTable(result);
  const charts = reportCharts(result);
  const aggregates = aggregatesOf(result);
  const seeds = settings.seeds ?? [settings.seed];
  const timing = result.timing;
  const settingRows: [string, string][] = [
    ['task', `${task.name}: ${task.description}`],
    ...task.details.map((d): [string, string] => ['', d]),
    [
      'length',
      settings.epochs !== null
        ? `${settings.epochs} epochs of ${settings.stepsPerEpoch} steps (${settings.steps} steps)`
        : `${settings.steps} steps`,
    ],
    ...(settings.batchSize !== null ? [['batch size', String(settings.batchSize)] as [string, string]] : []),
    [
      seeds.length > 1 ? 'seeds' : 'seed',
      `${seeds.join(', ')} (each seed gives every optimizer the same ${
        task.kind === 'model' ? 'initial weights and data order; the data and its split come from seed ' : 'start'
      }${task.kind === 'model' ? settings.seed : seeds.length > 1 ? '; the start is fixed, so seeds differ only for an optimizer that draws random numbers' : ''})`,
    ],
    ['schedule', settings.schedule],
    ...(settings.backend !== undefined ? [['backend', settings.backend] as [string, string]] : []),
    [
      task.kind === 'model' ? 'target train loss' : 'target f',
      `${formatNumber(settings.targetLoss)} (the "steps to" and "time to target" columns${task.kind === 'model' ? '; the smoothed train loss' : ''})`,
    ],
    [
      'divergence',
      `a run stops as diverged when its ${task.kind === 'model' ? 'train loss' : 'f'} is NaN or infinite${
        settings.divergeFactor !== undefined
          ? ` or above ${formatNumber(settings.divergeFactor)} × its initial value`
          : ''
      }`,
    ],
    ...(result.order !== undefined
      ? [
          [
            'run order',
            `shuffled with seed ${settings.seed}: ${result.order.map((r) => (seeds.length > 1 ? `${r.label} (seed ${r.seed})` : r.label)).join(', ')}`,
          ] as [string, string],
        ]
      : []),
    ...(timing !== undefined
      ? [
          [
            'timing',
            `${
              timing.warmUp !== null && timing.warmUp.runs.length > 0
                ? `an untimed warm-up first, its results discarded: ${timing.warmUp.runs
                    .map((w) => `${w.steps} steps of ${w.label}`)
                    .join(', ')} (${formatDuration(timing.warmUp.ms)}); `
                : ''
            }time/step is the median over the steps${seeds.length > 1 ? ' and seeds' : ''}${
              timing.repeats.length > 0
                ? `; a repeat of ${timing.repeats[0].steps} steps per optimizer checks it (${timing.repeats
                    .map((t) => `${t.label} ${formatTime(t.medianStepMs)}`)
                    .join(', ')})`
                : ''
            }; a spread above ${Math.round(timing.spreadThreshold * 100)}% is noted`,
          ] as [string, string],
        ]
      : []),
    ...(settings.plugins.length > 0 ? [['plugins', settings.plugins.join(', ')] as [string, string]] : []),
    ['created', `${result.createdAt} with @nablajs/cli ${result.version}, ${result.environment}`],
  ];
  const optimizerCount = aggregates.length;
  const html: string[] = [];
  html.push(
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>nabla compare: ${escapeXml(task.name)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body><main>',
    `<h1>nabla compare: ${escapeXml(task.name)}</h1>`,
    `<p class="lead">${escapeXml(task.description)}${/[.?!]$/.test(task.description) ? '' : '.'} ${optimizerCount} optimizer${optimizerCount === 1 ? '' : 's'}${
      seeds.length > 1 ? ` on ${seeds.length} seeds each` : ''
    }, the same starting point for each${seeds.length > 1 ? ' on the same seed' : ''}.</p>`,
    `<pre>${escapeXml(result.command)}</pre>`,
    '<h2>Optimizers</h2>',
    '<table class="legend"><thead><tr><th>optimizer</th><th>name</th><th>hyperparameters</th></tr></thead><tbody>',
  );
  aggregates.forEach((agg, index) => {
    html.push(
      `<tr><td>${seriesSwatchHtml(escapeXml(agg.color), index)}${escapeXml(agg.label)}</td><td>${escapeXml(agg.optimizer)}</td><td><code>${escapeXml(formatHyperparams(agg.hyperparams))}</code></td></tr>`,
    );
  });
  html.push('</tbody></table>', '<h2>Results</h2>', '<table class="summary"><thead><tr>');
  table.header.forEach((h, c) => {
    html.push(`<th${table.numeric[c] ? ' class="num"' : ''}>${escapeXml(h)}</th>`);
  });
  html.push('</tr></thead><tbody>');
  table.rows.forEach((row, r) => {
    const color = aggregates[r].color;
    html.push(
      `<tr>${row
        .map((cell, c) =>
          c === 0
            ? `<td>${seriesSwatchHtml(escapeXml(color), r)}${escapeXml(cell)}</td>`
            : `<td${table.numeric[c] ? ' class="num"' : ''}${c === 1 && cell !== 'ok' ? ' class="status"' : ''}>${escapeXml(cell)}</td>`,
        )
        .join('')}</tr>`,
    );
  });
  html.push('</tbody></table>');
  for (const line of table.legend) html.push(`<p class="caption">${escapeXml(line)}</p>`);
  for (const note of table.notes) html.push(`<p class="note">${escapeXml(note)}</p>`);
  if (result.tuning !== undefined && result.tuning.length > 0) {
    const looks = new Map(aggregates.map((a, style) => [a.label, { color: a.color, style }]));
    html.push('<h2>Tuning</h2>', ...tuningTable(result.tuning, looks), '<div class="charts">');
    html.push(...sensitivityCharts(result.tuning, looks).map(figureHtml), '</div>');
  }
  html.push('<h2>Charts</h2>', '<div class="charts">', ...charts.map(figureHtml));
  html.push('</div>', '<h2>Settings</h2>', '<table class="settings"><tbody>');
  for (const [k, v] of settingRows) html.push(`<tr><td>${escapeXml(k)}</td><td>${escapeXml(v)}</td></tr>`);
  html.push(
    '</tbody></table>',
    `<footer>Total training time ${formatDuration(result.runs.reduce((a, r) => a + r.summary.wallTimeMs, 0))}${
      timing?.warmUp ? ` (and ${formatDuration(timing.warmUp.ms)} of warm-up)` : ''
    }. Every run is in results.json (with the medians and bands drawn here), results.csv (per step and epoch) and runs.csv (one row per run) beside this file.</footer>`,
    '</main></body>',
    '</html>',
    '',
  );
  return html.join('\n');
}
