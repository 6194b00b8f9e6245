import type { RunResult } from './results';
import type { RunEvents } from './runner';
import { formatDuration, formatNumber } from './table';

/** Where text goes: `process.stdout`, `process.stderr`, or a test's fake. */
export interface TextOutput {
  /** Write text as is. */
  write(text: string): unknown;
  /** Whether it is a terminal (lines are then redrawn in place). */
  isTTY?: boolean;
  /** The terminal's width in columns. */
  columns?: number;
}

interface Line {
  label: string;
  state: 'waiting' | 'running' | 'done';
  step: number;
  total: number;
  loss: number;
  epoch: number | null;
  started: number;
  decile: number;
  result: RunResult | null;
}

const BAR = 20;

/**
 * The progress display of `nabla compare`: one line per optimizer. On a terminal the lines are
 * redrawn in place (at most every 80 ms) with a bar, the step, the epoch, the smoothed loss and the
 * time so far; elsewhere (a pipe, a CI log) a plain line is printed at every tenth of a run and when
 * it ends.
 *
 * @example
 * ```ts
 * const progress = new ProgressDisplay(process.stderr, ['sgd', 'adam'], { epochs: 10 });
 * await runModelTask(data, optimizers, options, progress);
 * progress.close();
 * ```
 */
export class ProgressDisplay implements RunEvents {
  private readonly out: TextOutput;
  private readonly lines: Line[];
  private readonly epochs: number | null;
  private readonly tty: boolean;
  private drawn = 0;
  private lastDraw = 0;
  private readonly width: number;

  constructor(out: TextOutput, labels: readonly string[], options: { epochs?: number | null } = {}) {
    this.out = out;
    this.tty = out.isTTY === true;
    this.epochs = options.epochs ?? null;
    this.width = Math.max(40, (out.columns ?? 100) - 1);
    this.lines = labels.map((label) => ({
      label,
      state: 'waiting',
      step: 0,
      total: 0,
      loss: Number.NaN,
      epoch: null,
      started: 0,
      decile: 0,
      result: null,
    }));
    if (this.tty) this.draw(true);
  }

  private line(label: string): Line {
    const found = this.lines.find((l) => l.label === label);
    if (found !== undefined) return found;
    const added: Line = {
      label,
      state: 'waiting',
      step: 0,
      total: 0,
      loss: Number.NaN,
      epoch: null,
      started: 0,
      decile: 0,
      result: null,
    };
    this.lines.push(added);
    return added;
  }

  /** Mark `label` as running, `totalSteps` steps long. */
  start(label: string, totalSteps: number): void {
    const line = this.line(label);
    line.state = 'running';
    line.total = totalSteps;
    line.started = performance.now();
    if (this.tty) this.draw(true);
  }

  /** Record the progress of `label`: redraw (throttled) on a terminal, else print a line every tenth of the run. */
  update(label: string, progress: { step: number; loss: number; epoch: number | null }): void {
    const line = this.line(label);
    line.step = progress.step;
    line.loss = progress.loss;
    line.epoch = progress.epoch;
    if (this.tty) {
      this.draw(false);
      return;
    }
    const decile = line.total > 0 ? Math.floor((10 * progress.step) / line.total) : 0;
    if (decile > line.decile && progress.step < line.total) {
      line.decile = decile;
      this.out.write(`${this.text(line)}\n`);
    }
  }

  /** Mark `label` as done and show its final loss, steps and time. */
  end(label: string, result: RunResult): void {
    const line = this.line(label);
    line.state = 'done';
    line.result = result;
    line.step = result.summary.steps;
    if (this.tty) this.draw(true);
    else this.out.write(`${this.text(line)}\n`);
  }

  /** Finish: leave the cursor below the lines. */
  close(): void {
    if (this.tty) this.draw(true);
  }

  private text(line: Line): string {
    const pad = Math.max(...this.lines.map((l) => l.label.length), 8);
    const name = line.label.padEnd(pad);
    if (line.state === 'waiting') return `  ${name}  waiting`;
    if (line.state === 'done' && line.result !== null) {
      const s = line.result.summary;
      const stopped = s.stopReason !== null ? `  (${s.stopReason})` : '';
      return `  ${name}  done     loss ${formatNumber(s.finalLoss)}  ${s.steps} steps in ${formatDuration(s.wallTimeMs)}${stopped}`;
    }
    const fraction = line.total > 0 ? Math.min(1, line.step / line.total) : 0;
    const filled = Math.round(fraction * BAR);
    const bar = this.tty ? `[${'#'.repeat(filled)}${'-'.repeat(BAR - filled)}] ` : '';
    const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
    const epoch = line.epoch !== null && this.epochs !== null ? `  epoch ${line.epoch}/${this.epochs}` : '';
    const elapsed = formatDuration(performance.now() - line.started);
    return `  ${name}  ${bar}${percent}  step ${line.step}/${line.total}${epoch}  loss ${Number.isNaN(line.loss) ? '-' : formatNumber(line.loss)}  ${elapsed}`;
  }

  private draw(force: boolean): void {
    const t = performance.now();
    if (!force && t - this.lastDraw < 80) return;
    this.lastDraw = t;
    let text = this.drawn > 0 ? `\x1b[${this.drawn}A` : '';
    for (const line of this.lines) text += `\r\x1b[2K${this.text(line).slice(0, this.width)}\n`;
    this.drawn = this.lines.length;
    this.out.write(text);
  }
}
