// results.csv (every step and epoch of every run) and runs.csv (one row per run), and a parser of their lines.
import type { CompareResult } from './results';

/**
 * The columns of results.csv, in order: the optimizer's label and the run's seed, the series (`step`
 * or `epoch`), then the numbers of that step or epoch.
 *
 * @example
 * ```ts
 * CSV_COLUMNS.join(','); // 'optimizer,seed,series,step,epoch,timeMs,loss,...'
 * ```
 */
export const CSV_COLUMNS = [
  'optimizer',
  'seed',
  'series',
  'step',
  'epoch',
  'timeMs',
  'loss',
  'smoothedLoss',
  'accuracy',
  'valLoss',
  'valAccuracy',
  'lr',
  'x',
  'y',
] as const;

/**
 * One CSV cell. A text cell that a spreadsheet would read as a formula (starting with `=`, `+`, `-`, `@`, a tab
 * or a carriage return: a label such as `=x`) gets a leading `'`, as OWASP advises; numbers are written as
 * numbers (a negative one stays a number).
 *
 * @example
 * ```ts
 * csvCell('=x'); // "'=x"
 * csvCell(-1.5); // '-1.5'
 * ```
 */
export function csvCell(value: string | number | null | undefined): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'number') return Number.isNaN(value) ? '' : String(value);
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function csvLine(columns: readonly string[], row: Record<string, string | number | null | undefined>): string {
  return columns.map((c) => csvCell(row[c])).join(',');
}

/**
 * results.csv in long form: for every run (every optimizer on every seed), one row per optimizer step
 * (`series` = `step`) and one per epoch (`series` = `epoch`), with the columns of {@link CSV_COLUMNS};
 * `loss` is the training loss (of the batch, or the epoch's mean) or f for 2-D functions, `valLoss` and
 * `valAccuracy` are measured on the validation set; cells that do not apply are empty.
 *
 * @example
 * ```ts
 * writeFileSync('results.csv', resultsCsv(result));
 * ```
 */
export function resultsCsv(result: CompareResult): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const run of result.runs) {
    const s = run.steps;
    for (let i = 0; i < s.step.length; i++)
      lines.push(
        csvLine(CSV_COLUMNS, {
          optimizer: run.label,
          seed: run.seed,
          series: 'step',
          step: s.step[i],
          timeMs: s.timeMs?.[i],
          loss: s.loss[i],
          smoothedLoss: s.smoothedLoss[i],
          lr: s.lr[i],
          x: s.x?.[i],
          y: s.y?.[i],
        }),
      );
    const e = run.epochs;
    for (let i = 0; i < e.epoch.length; i++)
      lines.push(
        csvLine(CSV_COLUMNS, {
          optimizer: run.label,
          seed: run.seed,
          series: 'epoch',
          step: e.step[i],
          epoch: e.epoch[i],
          loss: e.loss[i],
          accuracy: e.accuracy[i],
          valLoss: e.valLoss[i],
          valAccuracy: e.valAccuracy[i],
          lr: e.lr[i],
        }),
      );
  }
  return `${lines.join('\n')}\n`;
}

function lastValue(values: readonly number[]): number {
  return values.length > 0 ? values[values.length - 1] : Number.NaN;
}

function hasFinite(values: readonly number[]): boolean {
  return values.some((v) => Number.isFinite(v));
}

/**
 * The columns of runs.csv for a comparison: one row per run. Model tasks: `finalTrainLoss`,
 * `bestTrainLoss` (the epochs' mean training loss), `finalValLoss` and `bestValLoss` when there is a
 * validation set, `finalValAccuracy` / `bestValAccuracy` (or `finalTrainAccuracy` / `bestTrainAccuracy`
 * without one) for classification; 2-D functions: `finalF`, `bestF`, `finalX`, `finalY`.
 *
 * @example
 * ```ts
 * runsCsvColumns(result).slice(0, 4); // ['optimizer', 'seed', 'order', 'status']
 * ```
 */
export function runsCsvColumns(result: CompareResult): string[] {
  const fn = result.task.kind === 'function';
  const hasVal = result.runs.some((r) => hasFinite(r.epochs.valLoss));
  const accuracyOn = result.runs.some((r) => hasFinite(r.epochs.valAccuracy)) ? 'Val' : 'Train';
  return [
    'optimizer',
    'seed',
    'order',
    'status',
    'divergedAt',
    'steps',
    ...(fn ? ['finalF', 'bestF', 'finalX', 'finalY'] : ['finalTrainLoss', 'bestTrainLoss']),
    ...(hasVal ? ['finalValLoss', 'bestValLoss'] : []),
    ...(result.task.classification ? [`final${accuracyOn}Accuracy`, `best${accuracyOn}Accuracy`] : []),
    'stepsToTarget',
    'timeToTargetMs',
    'medianStepMs',
    'wallTimeMs',
  ];
}

/**
 * runs.csv: one row per run (every optimizer on every seed) with how it ended and its summary, the
 * columns of {@link runsCsvColumns}; `order` is the run's position (from 1) in the shuffled order the
 * runs were made in.
 *
 * @example
 * ```ts
 * writeFileSync('runs.csv', runsCsv(result));
 * ```
 */
export function runsCsv(result: CompareResult): string {
  const columns = runsCsvColumns(result);
  const lines = [columns.join(',')];
  for (const run of result.runs) {
    const s = run.summary;
    const position = result.order?.findIndex((r) => r.label === run.label && r.seed === run.seed) ?? -1;
    const valLoss = run.epochs.valLoss.filter((v) => Number.isFinite(v));
    lines.push(
      csvLine(columns, {
        optimizer: run.label,
        seed: run.seed,
        order: position >= 0 ? position + 1 : undefined,
        status: run.status ?? 'ok',
        divergedAt: run.divergedAt,
        steps: s.steps,
        finalF: s.finalLoss,
        bestF: s.bestLoss,
        finalX: run.steps.x === undefined ? undefined : lastValue(run.steps.x),
        finalY: run.steps.y === undefined ? undefined : lastValue(run.steps.y),
        finalTrainLoss: s.finalLoss,
        bestTrainLoss: s.bestLoss,
        finalValLoss: lastValue(run.epochs.valLoss),
        bestValLoss: valLoss.length > 0 ? Math.min(...valLoss) : undefined,
        finalValAccuracy: s.finalAccuracy,
        bestValAccuracy: s.bestAccuracy,
        finalTrainAccuracy: s.finalAccuracy,
        bestTrainAccuracy: s.bestAccuracy,
        stepsToTarget: s.stepsToTarget,
        timeToTargetMs: s.timeToTargetMs,
        medianStepMs: s.medianStepMs,
        wallTimeMs: s.wallTimeMs,
      }),
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Parse a CSV line written by {@link resultsCsv} (quoted cells allowed).
 *
 * @example
 * ```ts
 * parseCsvLine('a,"b,c",'); // ['a', 'b,c', '']
 * ```
 */
export function parseCsvLine(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      cells.push(cell);
      cell = '';
    } else cell += c;
  }
  cells.push(cell);
  return cells;
}
