// The HTML report of `nabla benchmark` and `nabla merge`: the leaderboard, the performance profiles, and
// per task its comparison, tuning and charts.
import type { OptimizerPlan } from './benchmark-plan';
import type { BenchmarkResult, TaskTargets } from './benchmark-result';
import { machineText } from './machine';
import { formatHyperparams } from './optimizer-spec';
import { DEFAULT_TAU_MAX } from './profiles';
import { reportCharts } from './report-charts';
import type { CompareResult } from './results';
import { escapeXml, type Series } from './svg';
import { lineChart } from './svg-line-chart';
import { sensitivityCharts } from './svg-sensitivity';
import { formatDuration, formatNumber, formatTime, summaryTable } from './table';

const CSS = `
body{margin:0;background:#f6f7f9;color:#222;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif}
main{max-width:1240px;margin:0 auto;padding:24px 28px 48px}
h1{font-size:22px;margin:0 0 4px}
h2{font-size:18px;margin:36px 0 8px;border-top:1px solid #ddd;padding-top:16px}
h3{font-size:15px;margin:18px 0 8px}
pre{background:#fff;border:1px solid #ddd;border-radius:6px;padding:10px 12px;white-space:pre-wrap;word-break:break-all;font:12.5px/1.4 ui-monospace,Menlo,Consolas,monospace}
table{border-collapse:collapse;background:#fff;border:1px solid #ddd;margin:4px 0}
th,td{padding:4px 9px;border-bottom:1px solid #eee;text-align:left}
td:nth-child(-n+2){white-space:nowrap}
th{background:#fafafa;font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
td.chosen{font-weight:700}
.swatch{display:inline-block;width:14px;height:4px;border-radius:2px;vertical-align:middle;margin-right:8px}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(580px,1fr));gap:16px}
figure{margin:0;background:#fff;border:1px solid #ddd;border-radius:6px;padding:8px}
figcaption,p.caption{color:#555;font-size:12.5px;margin:4px 6px}
p.note{color:#a33;margin:4px 0}
svg.chart{display:block;max-width:100%;height:auto}
footer{margin-top:32px;color:#777;font-size:12px}
`;

function swatch(color: string): string {
  return `<span class="swatch" style="background:${escapeXml(color)}"></span>`;
}

function table(header: readonly string[], rows: readonly string[][], numeric: (c: number) => boolean): string {
  const cells = (row: readonly string[], tag: string) =>
    row.map((cell, c) => `<${tag}${numeric(c) ? ' class="num"' : ''}>${cell}</${tag}>`).join('');
  return `<table><thead><tr>${cells(header.map(escapeXml), 'th')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${cells(r, 'td')}</tr>`)
    .join('')}</tbody></table>`;
}

function figure(id: string, svg: string, caption: string): string {
  return `<figure id="${escapeXml(id)}">${svg}<figcaption>${escapeXml(caption)}</figcaption></figure>`;
}

function profileChart(result: BenchmarkResult, by: 'time' | 'steps'): string {
  const series: Series[] = result.plan.optimizers.map((o) => ({
    label: o.label,
    color: o.color,
    x: result.profiles.taus,
    y: result.profiles[by][o.label] ?? [],
  }));
  return lineChart({
    title: `Performance profile: ${by === 'time' ? 'time' : 'steps'} to the target`,
    xLabel: `τ (${by === 'time' ? 'time' : 'steps'} / the best optimizer's on the task)`,
    yLabel: 'fraction of tasks within τ',
    yDomain: [0, 1],
    series,
  });
}

function tuningTable(task: CompareResult, optimizers: readonly OptimizerPlan[]): string {
  const tuning = task.tuning ?? [];
  if (tuning.length === 0) return '';
  const grid = tuning[0].trials.map((t) => t.setting.lr);
  const colorOf = new Map(optimizers.map((o) => [o.label, o.color]));
  const rows = tuning.map((t) => [
    `${swatch(colorOf.get(t.optimizer) ?? '#777')}${escapeXml(t.optimizer)}`,
    ...t.trials.map((trial) => {
      const text = trial.score === null ? 'diverged' : formatNumber(trial.score);
      return t.chosen !== null && t.chosen.lr === trial.setting.lr ? `<b>${text}</b>` : text;
    }),
    t.chosen === null ? 'none (spec as given)' : formatNumber(t.chosen.lr),
  ]);
  return `${table(
    ['optimizer', ...grid.map((lr) => `lr ${formatNumber(lr)}`), 'chosen lr'],
    rows,
    (c) => c > 0,
  )}<p class="caption">${escapeXml(
    `The ${tuning[0].metric} of each learning rate, the mean over tuning seed${tuning[0].seeds.length > 1 ? 's' : ''} ${tuning[0].seeds.join(', ')} (never among the reported seeds); the lowest (bold) is chosen, and a learning rate that diverged on any tuning seed is never chosen.`,
  )}</p>`;
}

function taskSection(result: BenchmarkResult, task: CompareResult, targets: TaskTargets): string {
  const summary = summaryTable(task);
  const colorOf = new Map(result.plan.optimizers.map((o) => [o.label, o.color]));
  const rows = summary.rows.map((row, r) =>
    row.map((cell, c) =>
      c === 0
        ? `${swatch(colorOf.get(task.aggregates?.[r].label ?? '') ?? '#777')}${escapeXml(cell)}`
        : escapeXml(cell),
    ),
  );
  const charts = reportCharts(task).filter((c) => c.id !== 'lr');
  // The --tune sensitivity charts of compare's report: log lr axis, the chosen rate ringed, diverged ones crossed.
  const looks = new Map(result.plan.optimizers.map((o, i) => [o.label, { color: o.color, style: i }]));
  const tuned = sensitivityCharts(task.tuning ?? [], looks);
  const figures = [
    ...charts.map((c) => figure(`${task.task.name}-${c.id}`, c.svg, c.caption)),
    ...tuned.map((c) => figure(`${task.task.name}-${c.id}`, c.svg, c.caption)),
  ];
  const best = Object.entries(targets.timeMs)
    .filter((e): e is [string, number] => e[1] !== null)
    .sort((a, b) => a[1] - b[1])[0];
  const settings = task.settings;
  return [
    `<h2 id="task-${escapeXml(task.task.name)}">${escapeXml(task.task.name)}</h2>`,
    `<p class="caption">${escapeXml(task.task.description)}. ${escapeXml(task.task.details.join('; '))}. ${escapeXml(
      settings.epochs !== null
        ? `${settings.epochs} epochs of ${settings.stepsPerEpoch} steps, batch ${settings.batchSize}`
        : `${settings.steps} steps`,
    )}${settings.backend !== undefined ? `; backend ${escapeXml(settings.backend)}` : ''}${settings.capture === true ? '; captured steps' : ''}; target ${escapeXml(formatNumber(settings.targetLoss))}; ${
      best === undefined
        ? 'no optimizer reached the target on most seeds.'
        : `fastest to the target: ${escapeXml(best[0])} (${escapeXml(formatTime(best[1]))}, median over the seeds).`
    }</p>`,
    table(summary.header, rows, (c) => summary.numeric[c]),
    ...summary.legend.map((l) => `<p class="caption">${escapeXml(l)}</p>`),
    ...summary.notes.map((n) => `<p class="note">${escapeXml(n)}</p>`),
    tuningTable(task, result.plan.optimizers),
    `<div class="charts">${figures.join('')}</div>`,
  ].join('\n');
}

/**
 * The self-contained HTML report of a benchmark: the leaderboard, the performance profiles by time and by
 * steps to the target, and per task its table, its tuning and its charts (curves with interquartile bands).
 *
 * @example
 * ```ts
 * writeFileSync('report.html', renderBenchmarkReport(result));
 * ```
 */
export function renderBenchmarkReport(result: BenchmarkResult): string {
  const { plan } = result;
  const colorOf = new Map(plan.optimizers.map((o) => [o.label, o.color]));
  const taskCount = plan.tasks.length;
  const board = result.leaderboard.map((row, i) => [
    String(i + 1),
    `${swatch(colorOf.get(row.name) ?? '#777')}${escapeXml(row.name)}`,
    row.score.toFixed(3),
    row.stepsScore.toFixed(3),
    `${row.reached}/${taskCount}`,
    String(row.wins),
    escapeXml(
      result.targets
        .map((t) => `${t.task} ${formatTime(t.timeMs[row.name] ?? Number.NaN)}`)
        .filter((s) => !s.endsWith(' -'))
        .join(', ') || '-',
    ),
  ]);
  const optimizerRows = plan.optimizers.map((o) => [
    `${swatch(o.color)}${escapeXml(o.label)}`,
    escapeXml(o.name),
    `<code>${escapeXml(formatHyperparams(o.options))}</code>`,
    o.plugin === null
      ? 'built-in'
      : `plugin ${escapeXml(plan.plugins.find((p) => p.sha256 === o.plugin)?.name ?? '?')}`,
  ]);
  const tuning =
    plan.tuning.grid.length === 0
      ? 'none: every optimizer runs with its spec as given'
      : `per optimizer and task, ${plan.tuning.grid.length} learning rates (${plan.tuning.grid.map(formatNumber).join(', ')}; --tune '${plan.tuning.space}') on tuning seed${plan.tuneSeeds.length > 1 ? 's' : ''} ${plan.tuneSeeds.join(', ')}; the one with the lowest final validation loss (else final train loss, or f) is reported on the seeds below`;
  const html = [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>nabla benchmark (${escapeXml(plan.preset)})</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body><main>',
    `<h1>nabla benchmark: ${escapeXml(plan.preset)} preset</h1>`,
    `<p class="caption">${plan.optimizers.length} optimizers on ${taskCount} tasks, each reported on ${plan.seeds.length} seed${plan.seeds.length > 1 ? 's' : ''} (${plan.seeds.join(', ')}). Tuning: ${escapeXml(tuning)}.</p>`,
    `<pre>${escapeXml(result.command)}</pre>`,
    '<h2 id="leaderboard">Leaderboard</h2>',
    table(
      ['#', 'optimizer', 'score (time)', 'score (steps)', 'reached', 'fastest on', 'time to target per task'],
      board,
      (c) => c >= 2 && c <= 5,
    ),
    `<p class="caption">${escapeXml(
      `score: the area under the optimizer's performance profile for τ from 1 to ${DEFAULT_TAU_MAX}, divided by ${DEFAULT_TAU_MAX - 1} (1: fastest on every task; 0: never within ${DEFAULT_TAU_MAX}× of the fastest). Time to target: the median over the seeds of the time from the start of a run to the first step whose smoothed train loss (f for 2-D functions) is at or below the task's target; a seed that never reaches it counts as infinitely slow, so an optimizer reaches a task when more than half of its seeds do. score (steps) is the same over steps instead of time: it does not depend on the machine or its load.`,
    )}</p>`,
    `<div class="charts">${figure('profile-time', profileChart(result, 'time'), `The fraction of the ${taskCount} tasks on which each optimizer reaches the target within τ times the fastest optimizer's time on that task (Dolan and Moré's performance profile, as AlgoPerf scores training algorithms). Higher and further left is better; the value at τ = 1 is the fraction of tasks it is fastest on.`)}${figure('profile-steps', profileChart(result, 'steps'), 'The same profile over optimizer steps to the target: free of timing noise, blind to the cost of a step.')}</div>`,
    `<p class="caption">${escapeXml(
      result.machine === null
        ? 'Machine: not recorded (a merge of shards, each run on its own machine).'
        : `Machine: ${machineText(result.machine)}.`,
    )}</p>`,
    '<h2 id="optimizers">Optimizers</h2>',
    table(['optimizer', 'name', 'options given (lr is tuned)', 'from'], optimizerRows, () => false),
    ...result.tasks.map((task, i) => taskSection(result, task, result.targets[i])),
    `<footer>${escapeXml(
      `${result.trials.total} trials (${result.trials.ran} run now, ${result.trials.skipped} found finished). Made ${result.createdAt} with @nablajs/cli ${result.version}, ${result.environment}. Total training time ${formatDuration(
        result.tasks.reduce((a, t) => a + t.runs.reduce((b, r) => b + r.summary.wallTimeMs, 0), 0),
      )} in the reported runs. Every number is in results.json beside this file; every trial in trials/.`,
    )}</footer>`,
    '</main></body>',
    '</html>',
    '',
  ];
  return html.join('\n');
}
