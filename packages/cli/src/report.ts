import { formatHyperparams } from './optimizer-spec';
import type { CompareResult, RunResult } from './results';
import { contourChart, escapeXml, lineChart, type Series } from './svg';
import { formatDuration, formatNumber, summaryTable } from './table';

/** One chart of the report: its title and its inline `<svg>`. */
export interface ReportChart {
  /** A stable id (`loss`, `accuracy`, `lr`, `contour`, ...). */
  id: string;
  /** The SVG markup. */
  svg: string;
  /** A sentence under the chart saying what it shows. */
  caption: string;
}

function series(
  runs: readonly RunResult[],
  pick: (r: RunResult) => { x: readonly number[]; y: readonly number[] },
): Series[] {
  return runs.map((r) => ({ label: r.label, color: r.color, ...pick(r) }));
}

/**
 * The charts of a comparison. Model tasks: the smoothed training loss per step, the loss per epoch
 * (validation loss when there is a validation set), accuracy per epoch (classification), the learning
 * rate per step. 2-D functions: the contour plot with every trajectory, f per step, the distance to
 * the nearest minimum (when there is one), the learning rate per step. Every chart has one
 * `<path class="series">` per optimizer.
 *
 * @example
 * ```ts
 * reportCharts(result).map((c) => c.id); // ['loss', 'epoch-loss', 'accuracy', 'lr']
 * ```
 */
export function reportCharts(result: CompareResult): ReportChart[] {
  const runs = result.runs;
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
        series: series(runs, (r) => ({ x: r.steps.x ?? [], y: r.steps.y ?? [] })),
      }),
      caption:
        "Each optimizer's path from the start (circle) to its last iterate (square), over log-spaced contour levels of f; crosses mark the global minima.",
    });
    charts.push({
      id: 'loss',
      svg: lineChart({
        title: 'f at each iterate',
        xLabel: 'step',
        yLabel: 'f(x, y)',
        yScale,
        series: series(runs, (r) => ({ x: r.steps.step, y: r.steps.loss })),
      }),
      caption: 'The value of the function after each step (step 0 is the start).',
    });
    if (s.minima.length > 0)
      charts.push({
        id: 'distance',
        svg: lineChart({
          title: 'Distance to the nearest minimum',
          xLabel: 'step',
          yLabel: 'distance',
          yScale: 'log',
          series: series(runs, (r) => ({
            x: r.steps.step,
            y: (r.steps.x ?? []).map((x, i) =>
              Math.min(...s.minima.map(([mx, my]) => Math.hypot(x - mx, (r.steps.y ?? [])[i] - my))),
            ),
          })),
        }),
        caption: 'The Euclidean distance from each iterate to the closest global minimizer.',
      });
  } else {
    charts.push({
      id: 'loss',
      svg: lineChart({
        title: 'Training loss per step (smoothed)',
        xLabel: 'step',
        yLabel: 'loss',
        yScale,
        series: series(runs, (r) => ({ x: r.steps.step, y: r.steps.smoothedLoss })),
      }),
      caption: 'The loss of each training batch, smoothed by a bias-corrected moving average (factor 0.9).',
    });
    const hasVal = runs.some((r) => r.epochs.valLoss.some(Number.isFinite));
    charts.push({
      id: 'epoch-loss',
      svg: lineChart({
        title: hasVal ? 'Validation loss per epoch' : 'Training loss per epoch',
        xLabel: 'epoch',
        yLabel: 'loss',
        yScale,
        series: series(runs, (r) => ({ x: r.epochs.epoch, y: hasVal ? r.epochs.valLoss : r.epochs.loss })),
      }),
      caption: hasVal
        ? 'The loss on the held-out validation set after each epoch.'
        : 'The mean training loss over each epoch.',
    });
    if (result.task.classification) {
      const hasValAcc = runs.some((r) => r.epochs.valAccuracy.some(Number.isFinite));
      charts.push({
        id: 'accuracy',
        svg: lineChart({
          title: hasValAcc ? 'Validation accuracy per epoch' : 'Training accuracy per epoch',
          xLabel: 'epoch',
          yLabel: 'accuracy',
          series: series(runs, (r) => ({ x: r.epochs.epoch, y: hasValAcc ? r.epochs.valAccuracy : r.epochs.accuracy })),
        }),
        caption: hasValAcc
          ? 'The fraction of held-out samples classified correctly after each epoch.'
          : 'The fraction of training samples classified correctly during each epoch.',
      });
    }
  }
  charts.push({
    id: 'lr',
    svg: lineChart({
      title: 'Learning rate per step',
      xLabel: 'step',
      yLabel: 'learning rate',
      yScale: lrScale(runs),
      series: series(runs, (r) => ({ x: r.steps.step, y: r.steps.lr })),
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
.note{color:#a33}
footer{margin-top:32px;color:#777;font-size:12px}
`;

/**
 * The self-contained HTML report of a comparison: the command line and settings, a legend with every
 * optimizer's hyperparameters, the summary table, and the charts of `reportCharts` as inline SVG.
 * No scripts, stylesheets, fonts or images are loaded from anywhere: the file works offline.
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
      'seed',
      `${settings.seed} (the same initial weights${task.kind === 'model' ? ' and data order' : ''} for every optimizer)`,
    ],
    ['schedule', settings.schedule],
    ['target loss', `${formatNumber(settings.targetLoss)} (the "steps to" column)`],
    ...(settings.plugins.length > 0 ? [['plugins', settings.plugins.join(', ')] as [string, string]] : []),
    ['created', `${result.createdAt} with @nablajs/cli ${result.version}, ${result.environment}`],
  ];
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
    `<p class="lead">${escapeXml(task.description)}${/[.?!]$/.test(task.description) ? '' : '.'} ${result.runs.length} optimizer${result.runs.length === 1 ? '' : 's'}, the same starting point for each.</p>`,
    `<pre>${escapeXml(result.command)}</pre>`,
    '<h2>Optimizers</h2>',
    '<table class="legend"><thead><tr><th>optimizer</th><th>name</th><th>hyperparameters</th></tr></thead><tbody>',
  );
  for (const run of result.runs)
    html.push(
      `<tr><td><span class="swatch" style="background:${escapeXml(run.color)}"></span>${escapeXml(run.label)}</td><td>${escapeXml(run.optimizer)}</td><td><code>${escapeXml(formatHyperparams(run.hyperparams))}</code></td></tr>`,
    );
  html.push('</tbody></table>', '<h2>Results</h2>', '<table class="summary"><thead><tr>');
  table.header.forEach((h, c) => {
    html.push(`<th${table.numeric[c] ? ' class="num"' : ''}>${escapeXml(h)}</th>`);
  });
  html.push('</tr></thead><tbody>');
  table.rows.forEach((row, r) => {
    const color = result.runs[r].color;
    html.push(
      `<tr>${row
        .map((cell, c) =>
          c === 0
            ? `<td><span class="swatch" style="background:${escapeXml(color)}"></span>${escapeXml(cell)}</td>`
            : `<td${table.numeric[c] ? ' class="num"' : ''}>${escapeXml(cell)}</td>`,
        )
        .join('')}</tr>`,
    );
  });
  html.push('</tbody></table>');
  for (const run of result.runs)
    if (run.summary.stopReason !== null)
      html.push(`<p class="note">${escapeXml(run.label)} stopped early: ${escapeXml(run.summary.stopReason)}</p>`);
  html.push('<h2>Charts</h2>', '<div class="charts">');
  for (const chart of charts)
    html.push(
      `<figure id="chart-${chart.id}">${chart.svg}<figcaption>${escapeXml(chart.caption)}</figcaption></figure>`,
    );
  html.push('</div>', '<h2>Settings</h2>', '<table class="settings"><tbody>');
  for (const [k, v] of settingRows) html.push(`<tr><td>${escapeXml(k)}</td><td>${escapeXml(v)}</td></tr>`);
  html.push(
    '</tbody></table>',
    `<footer>Total training time ${formatDuration(result.runs.reduce((a, r) => a + r.summary.wallTimeMs, 0))}. Every number plotted is in results.json and results.csv beside this file.</footer>`,
    '</main></body>',
    '</html>',
    '',
  );
  return html.join('\n');
}
