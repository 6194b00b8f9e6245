import { formatHyperparams } from './optimizer-spec';
import { type ReportChart, reportCharts } from './report-charts';
import type { CompareResult, TuningResult } from './results';
import { escapeXml } from './svg';
import { sensitivityCharts, sensitivityParameter, settingMatches } from './svg-sensitivity';
import { seriesSwatchHtml } from './svg-style';
import { formatDuration, formatNumber, formatSetting, formatTime, summaryTable } from './table';
import { aggregatesOf } from './trials';

/** The report's settings row of a run with `--capture`. */
const CAPTURED_STEPS = 'captured (--capture): forward, loss and backward recorded once per batch shape and replayed';

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
    ...(settings.capture === true ? [['steps', CAPTURED_STEPS] as [string, string]] : []),
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
