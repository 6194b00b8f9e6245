import { formatHyperparams } from './optimizer-spec';
import type { CompareResult, OptimizerAggregate, RunResult } from './results';
import { contourChart, escapeXml, lineChart, type Series } from './svg';
import { formatDuration, formatNumber, formatTime, summaryTable } from './table';
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
 * (validation loss when there is a validation set), accuracy per epoch (classification), the learning
 * rate per step. 2-D functions: the contour plot with every trajectory, f per step, the distance to
 * the nearest minimum (when there is one), the learning rate per step. Every chart has one
 * `<path class="series">` per optimizer: with several seeds, the median over them, over a
 * `<path class="band">` of the interquartile range; a cross (`<path class="diverged">`) marks where a
 * run diverged. Every loss axis says whether it is the training or the validation loss.
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
    charts.push({
      id: 'loss',
      svg: lineChart({
        title: 'f at each iterate',
        xLabel: 'step',
        yLabel: 'f(x, y)',
        yScale,
        legendNote,
        series: curves('loss'),
      }),
      caption: `The value of the function after each step (step 0 is the start).${note}`,
    });
    if (definitions.has('distance'))
      charts.push({
        id: 'distance',
        svg: lineChart({
          title: 'Distance to the nearest minimum',
          xLabel: 'step',
          yLabel: 'distance',
          yScale: 'log',
          legendNote,
          series: curves('distance'),
        }),
        caption: `The Euclidean distance from each iterate to the closest global minimizer.${note}`,
      });
  } else {
    const val = hasValidation(runs);
    charts.push({
      id: 'loss',
      svg: lineChart({
        title: 'Train loss per step (smoothed)',
        xLabel: 'step',
        yLabel: 'train loss (smoothed)',
        yScale,
        legendNote,
        series: curves('loss'),
      }),
      caption: `The training loss of each batch, smoothed by a bias-corrected moving average (factor 0.9).${note}`,
    });
    charts.push({
      id: 'epoch-loss',
      svg: lineChart({
        title: val.loss ? 'Validation loss per epoch' : 'Train loss per epoch',
        xLabel: 'epoch',
        yLabel: val.loss ? 'validation loss' : 'train loss (epoch mean)',
        yScale,
        legendNote,
        series: curves('epoch-loss'),
      }),
      caption: `${
        val.loss
          ? 'The loss on the held-out validation set after each epoch.'
          : 'The mean training loss over each epoch.'
      }${note}`,
    });
    if (definitions.has('accuracy'))
      charts.push({
        id: 'accuracy',
        svg: lineChart({
          title: val.accuracy ? 'Validation accuracy per epoch' : 'Train accuracy per epoch',
          xLabel: 'epoch',
          yLabel: val.accuracy ? 'validation accuracy' : 'train accuracy',
          legendNote,
          series: curves('accuracy'),
        }),
        caption: `${
          val.accuracy
            ? 'The fraction of held-out samples classified correctly after each epoch.'
            : 'The fraction of training samples classified correctly during each epoch.'
        }${note}`,
      });
  }
  charts.push({
    id: 'lr',
    svg: lineChart({
      title: 'Learning rate per step',
      xLabel: 'step',
      yLabel: 'learning rate',
      yScale: lrScale(runs),
      legendNote,
      series: curves('lr'),
    }),
    caption:
      result.settings.schedule === 'none'
        ? 'The learning rate of each optimizer (constant: no schedule).'
        : `The learning rate of each optimizer under the schedule ${result.settings.schedule}.`,
  });
  return charts;
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
.swatch{display:inline-block;width:14px;height:4px;border-radius:2px;vertical-align:middle;margin-right:8px}
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

/**
 * The self-contained HTML report of a comparison: the command line and settings (seeds, the divergence
 * rule, the run order, the warm-up and timing), a legend with every optimizer's hyperparameters, the
 * summary table with its legend and notes (diverged runs, noisy timings), and the charts of
 * `reportCharts` as inline SVG. No scripts, stylesheets, fonts or images are loaded from anywhere: the
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
    ['target loss', `${formatNumber(settings.targetLoss)} (the "steps to" and "time to target" columns)`],
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
  for (const agg of aggregates)
    html.push(
      `<tr><td><span class="swatch" style="background:${escapeXml(agg.color)}"></span>${escapeXml(agg.label)}</td><td>${escapeXml(agg.optimizer)}</td><td><code>${escapeXml(formatHyperparams(agg.hyperparams))}</code></td></tr>`,
    );
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
            ? `<td><span class="swatch" style="background:${escapeXml(color)}"></span>${escapeXml(cell)}</td>`
            : `<td${table.numeric[c] ? ' class="num"' : ''}${c === 1 && cell !== 'ok' ? ' class="status"' : ''}>${escapeXml(cell)}</td>`,
        )
        .join('')}</tr>`,
    );
  });
  html.push('</tbody></table>');
  for (const line of table.legend) html.push(`<p class="caption">${escapeXml(line)}</p>`);
  for (const note of table.notes) html.push(`<p class="note">${escapeXml(note)}</p>`);
  html.push('<h2>Charts</h2>', '<div class="charts">');
  for (const chart of charts)
    html.push(
      `<figure id="chart-${chart.id}">${chart.svg}<figcaption>${escapeXml(chart.caption)}</figcaption></figure>`,
    );
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
