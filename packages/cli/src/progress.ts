import type { RunResult } from './results';
import { formatDuration, formatNumber } from './table';
import type { RunEvents } from './task-runner';

/** Where text goes: `process.stdout`, `process.stderr`, or a test's fake. */
export interface TextOutput {
  /** Write text as is. */
  write(text: string): unknown;
  /** Whether it is a terminal (lines are then redrawn in place). */
  isTTY?: boolean;
  /** The terminal's width in columns (80 is assumed when it is unknown or 0). */
  columns?: number;
}

/**
 * The settings of a {@link ProgressDisplay}.
 *
 * @example
 * ```ts
 * const options: ProgressOptions = { epochs: 10, runs: 3 * labels.length, header: 'nabla compare: spirals' };
 * ```
 */
export interface ProgressOptions {
  /** The epochs of a model task (rows then show `epoch 2/10`), or null. */
  epochs?: number | null;
  /**
   * The runs of the whole comparison, for the ETA (default: one per label). A label may start several
   * runs one after another (one per seed); its row then shows `run 2/3`.
   */
  runs?: number;
  /** A line printed once, first, above the display (never redrawn). */
  header?: string;
  /** The clock in milliseconds, for the elapsed time, the ETA and the throttle (default `performance.now`). */
  clock?: () => number;
  /** The shortest time between two redraws on a terminal, in milliseconds (default 100). */
  interval?: number;
}

interface Row {
  label: string;
  state: 'waiting' | 'running' | 'done';
  /** Runs of this label started so far (the current one included). */
  run: number;
  /** Runs of this label finished. */
  finished: number;
  step: number;
  total: number;
  loss: number;
  epoch: number | null;
  startedAt: number;
  /** The last tenth of the current run printed as a plain line. */
  decile: number;
  result: RunResult | null;
}

const BAR = 20;
const ESC = '\x1b[';

function newRow(label: string): Row {
  return {
    label,
    state: 'waiting',
    run: 0,
    finished: 0,
    step: 0,
    total: 0,
    loss: Number.NaN,
    epoch: null,
    startedAt: 0,
    decile: 0,
    result: null,
  };
}

/** `42s`, `1m05s`, `2h03m`: a duration to the second, for the elapsed time and the ETA. */
function formatClock(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor(s / 60) % 60).padStart(2, '0')}m`;
}

/** The first `width` characters (code points) of `text`, the last one an ellipsis when it is cut. */
function truncate(text: string, width: number): string {
  if (text.length <= width) return text;
  const chars = Array.from(text);
  if (chars.length <= width) return text;
  return `${chars.slice(0, Math.max(0, width - 1)).join('')}…`;
}

/** Whether a run diverged: `summary.status` when results carry one, else a stop reason `diverged: ...`. */
function hasDiverged(result: RunResult): boolean {
  const summary = result.summary as { status?: unknown; stopReason?: string | null };
  return summary.status === 'diverged' || (summary.stopReason ?? '').startsWith('diverged');
}

/**
 * The progress display of `nabla compare`.
 *
 * On a terminal (`out.isTTY`): the header (when given) once, then one row per label (`waiting`, a
 * running bar with the step, epoch and smoothed loss, or `done` with the final loss, or `diverged`)
 * and an overall line with the elapsed time and the ETA of the whole comparison. The rows are redrawn
 * in place, at most every 100 ms, by moving the cursor up over the lines drawn last time and clearing
 * each one; every line is cut to the terminal's width minus one (80 columns when it is unknown). The
 * display draws nothing until the first run starts, so a line written just after it is created stays
 * above it; {@link ProgressDisplay.note} writes a line above it later on.
 *
 * Elsewhere (a pipe, a CI log): plain lines only, with no escape codes: a start line, a line at every
 * tenth of a run's steps (10%, 20%, ... 100%) and an end line per run.
 *
 * The ETA counts finished runs and the current runs' fraction of steps: with `f` the fraction done of
 * `runs` runs, it is `elapsed · (1 − f) / f` (`--` before 5%), `elapsed` counting from the first start.
 *
 * @example
 * ```ts
 * const progress = new ProgressDisplay(process.stderr, ['sgd', 'adam'], { epochs: 10, runs: 6 });
 * await runModelTask(data, optimizers, options, progress);
 * progress.close();
 * ```
 */
export class ProgressDisplay implements RunEvents {
  private readonly out: TextOutput;
  private readonly rows: Row[];
  private readonly epochs: number | null;
  private readonly runs: number;
  private readonly runsPerLabel: number | null;
  private readonly tty: boolean;
  private readonly clock: () => number;
  private readonly interval: number;
  private drawn = 0;
  private lastDraw = Number.NEGATIVE_INFINITY;
  private firstStart: number | null = null;
  private finishedRuns = 0;
  private startedRuns = 0;
  private closed = false;

  /**
   * A display of `labels` (one row each) on `out`.
   *
   * @example
   * ```ts
   * new ProgressDisplay(process.stderr, ['sgd', 'adam'], { header: 'nabla compare: spirals', runs: 4 });
   * ```
   */
  constructor(out: TextOutput, labels: readonly string[], options: ProgressOptions = {}) {
    this.out = out;
    this.tty = out.isTTY === true;
    this.epochs = options.epochs ?? null;
    this.clock = options.clock ?? (() => performance.now());
    this.interval = options.interval ?? 100;
    this.rows = [];
    for (const label of labels) if (!this.rows.some((r) => r.label === label)) this.rows.push(newRow(label));
    this.runs = Math.max(1, options.runs ?? this.rows.length);
    const perLabel = this.rows.length > 0 ? this.runs / this.rows.length : 1;
    this.runsPerLabel = Number.isInteger(perLabel) ? perLabel : null;
    if (options.header !== undefined) out.write(`${options.header}\n`);
  }

  private row(label: string): Row {
    let found = this.rows.find((r) => r.label === label);
    if (found === undefined) {
      found = newRow(label);
      this.rows.push(found);
    }
    return found;
  }

  /**
   * A run of `label` starts, `totalSteps` steps long.
   *
   * @example
   * ```ts
   * progress.start('adam', 450);
   * ```
   */
  start(label: string, totalSteps: number): void {
    if (this.closed) return;
    const row = this.row(label);
    const t = this.clock();
    this.firstStart ??= t;
    this.startedRuns++;
    row.state = 'running';
    row.run++;
    row.total = totalSteps;
    row.step = 0;
    row.loss = Number.NaN;
    row.epoch = null;
    row.startedAt = t;
    row.decile = 0;
    if (this.tty) this.draw(true);
    else this.out.write(`${this.plainStart(row)}\n`);
  }

  /**
   * Progress of `label`'s run: redraw (at most every 100 ms) on a terminal; elsewhere print a line when
   * the run passes a tenth of its steps.
   *
   * @example
   * ```ts
   * progress.update('adam', { step: 45, loss: 0.31, epoch: 1 });
   * ```
   */
  update(label: string, progress: { step: number; loss: number; epoch: number | null }): void {
    if (this.closed) return;
    const row = this.row(label);
    row.step = progress.step;
    row.loss = progress.loss;
    row.epoch = progress.epoch;
    if (this.tty) {
      this.draw(false);
      return;
    }
    const decile = row.total > 0 ? Math.min(10, Math.floor((10 * progress.step) / row.total)) : 0;
    if (decile > row.decile) {
      row.decile = decile;
      this.out.write(`${this.rowText(row)}${this.overallTail()}\n`);
    }
  }

  /**
   * `label`'s run ended: show its final loss, steps and time, or that it diverged.
   *
   * @example
   * ```ts
   * progress.end('adam', result);
   * ```
   */
  end(label: string, result: RunResult): void {
    if (this.closed) return;
    const row = this.row(label);
    if (row.state === 'running') this.finishedRuns++;
    row.state = 'done';
    row.finished++;
    row.result = result;
    row.step = result.summary.steps;
    if (this.tty) this.draw(true);
    else this.out.write(`${this.rowText(row)}\n`);
  }

  /**
   * Write a line of text above the display (on a terminal, the rows are redrawn below it).
   *
   * @example
   * ```ts
   * progress.note('note: adam times vary by more than 20% between repeats');
   * ```
   */
  note(text: string): void {
    if (!this.tty || this.closed) {
      this.out.write(`${text}\n`);
      return;
    }
    const up = this.drawn > 0 ? `${ESC}${this.drawn}A\r${ESC}J` : '';
    this.drawn = 0;
    this.out.write(`${up}${text}\n`);
    if (this.firstStart !== null) this.draw(true);
  }

  /**
   * Finish: draw the last state and leave the cursor on the line below the display. Later events are ignored.
   *
   * @example
   * ```ts
   * progress.close();
   * ```
   */
  close(): void {
    if (this.closed) return;
    if (this.tty) this.draw(true);
    this.closed = true;
  }

  /** The fraction of the whole comparison done: finished runs plus the running runs' fraction of steps. */
  private fraction(): number {
    let done = this.finishedRuns;
    for (const row of this.rows)
      if (row.state === 'running' && row.total > 0) done += Math.min(1, Math.max(0, row.step / row.total));
    return Math.min(1, done / Math.max(this.runs, this.startedRuns));
  }

  private elapsed(): number {
    return this.firstStart === null ? 0 : this.clock() - this.firstStart;
  }

  private eta(): string {
    const f = this.fraction();
    if (f < 0.05) return '--';
    return formatClock((this.elapsed() * (1 - f)) / f);
  }

  private overallText(): string {
    const runs = Math.max(this.runs, this.startedRuns);
    const percent = `${Math.floor(this.fraction() * 100)}%`;
    return `  ${this.finishedRuns}/${runs} runs done  ${percent}  elapsed ${formatClock(this.elapsed())}  ETA ${this.eta()}`;
  }

  private overallTail(): string {
    return `  (all runs ${Math.floor(this.fraction() * 100)}%, ETA ${this.eta()})`;
  }

  private name(row: Row): string {
    const pad = Math.max(8, ...this.rows.map((r) => r.label.length));
    const perLabel = this.runsPerLabel;
    const run = perLabel === 1 || row.run === 0 ? '' : `  run ${row.run}${perLabel !== null ? `/${perLabel}` : ''}`;
    return `  ${row.label.padEnd(pad)}${run}`;
  }

  private plainStart(row: Row): string {
    return `${this.name(row)}  start    ${row.total} steps`;
  }

  private rowText(row: Row): string {
    const name = this.name(row);
    if (row.state === 'waiting') return `${name}  waiting`;
    if (row.state === 'done' && row.result !== null) {
      const s = row.result.summary;
      const time = `${s.steps} steps in ${formatDuration(s.wallTimeMs)}`;
      if (hasDiverged(row.result)) {
        const why = (s.stopReason ?? '').replace(/^diverged:?\s*/, '');
        return `${name}  diverged after ${time}${why !== '' ? `  (${why})` : ''}`;
      }
      const stopped = s.stopReason !== null ? `  (${s.stopReason})` : '';
      return `${name}  done     loss ${formatNumber(s.finalLoss)}  ${time}${stopped}`;
    }
    const fraction = row.total > 0 ? Math.min(1, Math.max(0, row.step / row.total)) : 0;
    const filled = Math.round(fraction * BAR);
    const bar = this.tty ? `[${'#'.repeat(filled)}${'-'.repeat(BAR - filled)}] ` : '';
    const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
    const epoch = row.epoch !== null && this.epochs !== null ? `  epoch ${row.epoch}/${this.epochs}` : '';
    const loss = Number.isNaN(row.loss) ? '-' : formatNumber(row.loss);
    const elapsed = formatDuration(this.clock() - row.startedAt);
    return `${name}  ${bar}${percent}  step ${row.step}/${row.total}${epoch}  loss ${loss}  ${elapsed}`;
  }

  /**
   * Redraw on a terminal: up over the lines drawn last time, then every line cleared and rewritten, cut to
   * the width minus one (so that no line wraps, which would throw the count of lines off), then anything
   * below cleared.
   */
  private draw(force: boolean): void {
    const t = this.clock();
    if (!force && t - this.lastDraw < this.interval) return;
    this.lastDraw = t;
    const columns = this.out.columns !== undefined && this.out.columns > 0 ? this.out.columns : 80;
    const width = Math.max(1, columns - 1);
    const lines = [...this.rows.map((row) => this.rowText(row)), this.overallText()];
    let text = this.drawn > 0 ? `${ESC}${this.drawn}A` : '';
    for (const line of lines) text += `\r${ESC}2K${truncate(line, width)}\n`;
    if (lines.length < this.drawn) text += `${ESC}J`;
    this.drawn = lines.length;
    this.out.write(text);
  }
}
