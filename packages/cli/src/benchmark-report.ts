// What `nabla benchmark` and `nabla merge` make of the finished trials: per task a comparison (as
// `nabla compare` writes it, with every optimizer's tuning), the time to the target of every optimizer on
// every task, the performance profiles over the tasks, the leaderboard, and the HTML report.
import pkg from '../package.json';
import type { BenchmarkPlan, OptimizerPlan, TaskPlan, TrialGroup } from './benchmark-suite';
import type { TrialOutcome } from './benchmark-trial';
import { sampleSurface } from './compare';
import { formatHyperparams } from './optimizer-spec';
import { DEFAULT_TAU_MAX, type LeaderboardRow, leaderboard, performanceProfiles, type TaskTimes } from './profiles';
import { reportCharts } from './report';
import { autoLossScale, type CompareResult, jsonNumber, type RunResult, type TuningResult } from './results';
import { escapeXml, lineChart, type Series } from './svg';
import { sensitivityCharts } from './svg-sensitivity';
import { formatDuration, formatNumber, formatTime, summaryTable } from './table';
import { type FunctionTask, getTask } from './tasks';
import { aggregateRuns, SPREAD_THRESHOLD } from './trials';

/**
 * The finished trials of one optimizer on one task: its tuning (null without) and its reported runs.
 *
 * @example
 * ```ts
 * const group: GroupResult = await collectGroup(plan, trialGroups(plan)[0], obtain);
 * ```
 */
export interface GroupResult {
  /** The group. */
  group: TrialGroup;
  /** The search, or null when the sweep does not tune. */
  tuning: TuningResult | null;
  /** The reported runs, seed by seed. */
  runs: RunResult[];
  /** The task as the runs saw it. */
  task: TrialOutcome['task'];
}

/**
 * The time (ms) and steps to the target of every optimizer on one task; null: not reached.
 *
 * @example
 * ```ts
 * result.targets[0]; // { task: 'digits-mlp', timeMs: { sgd: 87.4, adam: 75.4, ... }, steps: { sgd: 137, ... } }
 * ```
 */
export interface TaskTargets {
  /** The task. */
  task: string;
  /** Median time to the target over the seeds, counting a seed that never reached it as infinitely slow. */
  timeMs: TaskTimes;
  /** The same median of the steps to the target. */
  steps: TaskTimes;
}

/**
 * One row of the benchmark's leaderboard.
 *
 * @example
 * ```ts
 * result.leaderboard[0]; // { name: 'adam', score: 0.86, stepsScore: 0.92, reached: 9, wins: 3 }
 * ```
 */
export interface BenchmarkRow extends LeaderboardRow {
  /** The score of the profile over steps to the target instead of time (the same on every machine). */
  stepsScore: number;
}

/**
 * What `results.json` of `nabla benchmark` holds.
 *
 * @example
 * ```ts
 * const result: BenchmarkResult = JSON.parse(readFileSync('benchmark-out/results.json', 'utf8'));
 * ```
 */
export interface BenchmarkResult {
  /** `nabla benchmark`. */
  tool: string;
  /** The version of @nablajs/cli. */
  version: string;
  /** The command line. */
  command: string;
  /** When the report was made (ISO 8601). */
  createdAt: string;
  /** Node.js version and platform. */
  environment: string;
  /** The sweep. */
  plan: BenchmarkPlan;
  /** The trials: how many the sweep has, how many this run made, and how many were found finished. */
  trials: { total: number; ran: number; skipped: number };
  /** The profiles' τ values and each optimizer's fraction of tasks within τ of the best, by time and by steps. */
  profiles: { taus: number[]; time: Record<string, number[]>; steps: Record<string, number[]> };
  /** The optimizers ranked by the score of their time profile. */
  leaderboard: BenchmarkRow[];
  /** The time and steps to the target of every optimizer, task by task. */
  targets: TaskTargets[];
  /** Per task, the comparison of its reported runs (with each optimizer's tuning in `tuning`). */
  tasks: CompareResult[];
}

/** τ from 1 to {@link DEFAULT_TAU_MAX} in steps of 0.01: the points of the profile charts. */
const TAUS = Array.from({ length: 301 }, (_, i) => +(1 + (i * (DEFAULT_TAU_MAX - 1)) / 300).toFixed(4));

/**
 * The median of a measure over seeds, a seed without it (never reached, or diverged) counting as +Infinity;
 * null when that median is not finite (half of the seeds or more never reached the target).
 *
 * @example
 * ```ts
 * medianReached([10, 30, null]); // 30
 * medianReached([10, null]); // null
 * ```
 */
export function medianReached(values: readonly (number | null | undefined)[]): number | null {
  if (values.length === 0) return null;
  const sorted = values
    .map((v) => (typeof v === 'number' && Number.isFinite(v) ? v : Number.POSITIVE_INFINITY))
    .sort((a, b) => a - b);
  const mid = (sorted.length - 1) / 2;
  const m = (sorted[Math.floor(mid)] + sorted[Math.ceil(mid)]) / 2;
  return Number.isFinite(m) ? m : null;
}

function environment(): string {
  return `Node.js ${process.version} on ${process.platform}-${process.arch}`;
}

/** The comparison of one task: every optimizer's reported runs, in the plan's order, with its colour. */
function taskResult(
  plan: BenchmarkPlan,
  task: TaskPlan,
  groups: readonly GroupResult[],
  command: string,
): CompareResult {
  const info = getTask(task.name);
  const first = groups[0];
  const colorOf = new Map(plan.optimizers.map((o) => [o.label, o.color]));
  const runs = groups.flatMap((g) =>
    g.runs.map((r) => ({
      ...r,
      label: g.group.optimizer.label,
      color: colorOf.get(g.group.optimizer.label) ?? r.color,
    })),
  );
  const tuning = groups.flatMap((g) => (g.tuning === null ? [] : [g.tuning]));
  const result: CompareResult = {
    tool: 'nabla benchmark',
    version: plan.version,
    command,
    createdAt: new Date().toISOString(),
    environment: environment(),
    task: {
      name: info.name,
      kind: info.kind,
      description: info.description,
      details: first?.task.details ?? [],
      classification: info.kind === 'model' && info.classification,
      ...(first?.task.points !== undefined ? { points: first.task.points } : {}),
    },
    settings: {
      epochs: task.epochs,
      steps: first?.task.totalSteps ?? task.steps ?? 0,
      stepsPerEpoch: first?.task.stepsPerEpoch ?? null,
      batchSize: task.batchSize,
      seed: plan.seed,
      seeds: plan.seeds,
      divergeFactor: plan.divergeFactor,
      schedule: 'none',
      targetLoss: task.targetLoss,
      lossScale: autoLossScale(runs),
      plugins: plan.plugins.map((p) => p.name),
      dataDir: null,
      ...(task.backend !== undefined ? { backend: task.backend } : {}),
    },
    timing: { warmUp: null, repeats: [], spreadThreshold: SPREAD_THRESHOLD },
    surface: info.kind === 'function' ? sampleSurface(info as FunctionTask) : null,
    aggregates: [],
    runs,
    ...(tuning.length > 0 ? { tuning } : {}),
  };
  result.aggregates = aggregateRuns(result);
  return result;
}

/**
 * The result of a sweep from its finished groups: per task the comparison of the reported runs, the time and
 * steps to the target, the performance profiles (τ from 1 to 4) and the leaderboard.
 *
 * @example
 * ```ts
 * const result = benchmarkResult(plan, groups, { command: 'nabla benchmark --quick', trials: { total: 10, ran: 10, skipped: 0 } });
 * result.leaderboard[0].name; // the optimizer with the best profile score
 * ```
 */
export function benchmarkResult(
  plan: BenchmarkPlan,
  groups: readonly GroupResult[],
  meta: { command: string; trials: BenchmarkResult['trials'] },
): BenchmarkResult {
  const tasks = plan.tasks.map((task) =>
    taskResult(
      plan,
      task,
      groups.filter((g) => g.group.task.name === task.name),
      meta.command,
    ),
  );
  const targets: TaskTargets[] = tasks.map((t) => {
    const byLabel = (pick: (r: RunResult) => number | null | undefined): TaskTimes =>
      Object.fromEntries(
        plan.optimizers.map((o) => [
          o.label,
          medianReached(
            t.runs.filter((r) => r.label === o.label).map((r) => (r.status === 'diverged' ? null : pick(r))),
          ),
        ]),
      );
    return {
      task: t.task.name,
      timeMs: byLabel((r) => (r.summary.stepsToTarget === null ? null : r.summary.timeToTargetMs)),
      steps: byLabel((r) => r.summary.stepsToTarget),
    };
  });
  const time = performanceProfiles(
    targets.map((t) => t.timeMs),
    TAUS,
  );
  const steps = performanceProfiles(
    targets.map((t) => t.steps),
    TAUS,
  );
  const stepsBoard = new Map(leaderboard(targets.map((t) => t.steps)).map((r) => [r.name, r.score]));
  return {
    tool: 'nabla benchmark',
    version: pkg.version,
    command: meta.command,
    createdAt: new Date().toISOString(),
    environment: environment(),
    plan,
    trials: meta.trials,
    profiles: { taus: TAUS, time: time.rho, steps: steps.rho },
    leaderboard: leaderboard(targets.map((t) => t.timeMs)).map((r) => ({
      ...r,
      stepsScore: stepsBoard.get(r.name) ?? 0,
    })),
    targets,
    tasks,
  };
}

/**
 * results.json of a benchmark.
 *
 * @example
 * ```ts
 * writeFileSync('results.json', benchmarkJson(result));
 * ```
 */
export function benchmarkJson(result: BenchmarkResult): string {
  return `${JSON.stringify(result, jsonNumber, 2)}\n`;
}

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
    )}${settings.backend !== undefined ? `; backend ${escapeXml(settings.backend)}` : ''}; target ${escapeXml(formatNumber(settings.targetLoss))}; ${
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
