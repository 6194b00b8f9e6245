import { checkOptions, optionNames, ValueError } from '@nablajs/core';
import type { Logs, TrainContext, TrainPlugin } from '../types';

/** Where the progress bar writes: anything with `write(text)`, such as `process.stdout`. */
export interface ProgressWriter {
  /** Write `text` as is (the bar adds its own `\r` and `\n`). */
  write(text: string): unknown;
  /** Whether the writer is an interactive terminal (a live bar) or not (one line per epoch). */
  readonly isTTY?: boolean;
  /** The terminal width in columns, when known (the bar is cut to fit). */
  readonly columns?: number;
}

/** Options of {@link progressBar}. */
export interface ProgressBarOptions {
  /** Where to write; default `process.stdout` where it exists (Node), else `console.log` (one line per epoch). */
  stream?: ProgressWriter;
  /** The width of the bar itself in characters. Default 24. */
  width?: number;
  /** The least time between two redraws of the live bar, in ms (the last batch is always drawn). Default 100. */
  refreshMs?: number;
  /** The clock, in ms (for tests). Default `performance.now`. */
  now?: () => number;
}

const OPTIONS = optionNames<ProgressBarOptions>({ stream: true, width: true, refreshMs: true, now: true });

function defaultWriter(): ProgressWriter {
  const stdout = (globalThis as { process?: { stdout?: ProgressWriter } }).process?.stdout;
  if (stdout !== undefined && typeof stdout.write === 'function') return stdout;
  // In a browser console there is no carriage return: one line per epoch, without the trailing newline.
  return { write: (text: string) => console.log(text.replace(/\n$/, '')), isTTY: false };
}

function defaultClock(): () => number {
  return typeof globalThis.performance?.now === 'function' ? () => globalThis.performance.now() : () => Date.now();
}

/**
 * A duration in seconds as `45s`, `3m07s` or `1h02m`.
 *
 * @internal
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/**
 * A log value for display: 4 significant digits, integers as is.
 *
 * @internal
 */
export function formatValue(value: number): string {
  if (Number.isInteger(value)) return String(value);
  if (!Number.isFinite(value)) return String(value);
  const a = Math.abs(value);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? value.toExponential(3) : value.toPrecision(4);
}

/** The epoch logs as `loss 0.1234 · accuracy 0.9500 · ...`, timing last. */
function formatLogs(logs: Logs): string {
  const timing = new Set(['epochTime', 'stepsPerSecond']);
  const parts = Object.entries(logs)
    .filter(([k]) => !timing.has(k))
    .map(([k, v]) => `${k} ${formatValue(v)}`);
  if (logs.epochTime !== undefined)
    parts.push(logs.epochTime < 1000 ? `${Math.round(logs.epochTime)}ms` : formatDuration(logs.epochTime / 1000));
  return parts.join(' · ');
}

/**
 * Show training progress. On a TTY: a live single-line bar redrawn with `\r`, with the epoch, the batch,
 * the running loss of the epoch, the throughput (batches per second) and the ETA of the epoch, then one
 * summary line per epoch. Elsewhere (a log file, CI, the browser console): only the summary line per epoch,
 * `Epoch 3/10 · loss 0.1234 · valLoss 0.2345 · lr 0.001 · 2s`.
 *
 * It imports no Node module: pass any writer `{ write(text), isTTY? }`; the default is
 * `globalThis.process.stdout` when it exists, else `console.log`. Follows Keras' `ProgbarLogger` and
 * PyTorch Lightning's `TQDMProgressBar`.
 *
 * @example
 * ```ts
 * await fit({ model, data, loss, optimizer, epochs: 10, plugins: [progressBar()] });
 * // Epoch 3/10 [=========>..............] 12/30 · loss 0.4821 · 84.2 it/s · ETA 0s
 * ```
 */
export function progressBar(options: ProgressBarOptions = {}): TrainPlugin {
  checkOptions('progressBar', options, OPTIONS);
  const width = options.width ?? 24;
  if (!Number.isInteger(width) || width < 1)
    throw new ValueError(`progressBar: width must be a positive integer, got ${width}`);
  const refreshMs = options.refreshMs ?? 100;
  if (typeof refreshMs !== 'number' || !(refreshMs >= 0))
    throw new ValueError(`progressBar: refreshMs must be a number >= 0, got ${refreshMs}`);
  if (options.stream !== undefined && typeof options.stream?.write !== 'function')
    throw new ValueError('progressBar: stream must have a write(text) method');
  const now = options.now ?? defaultClock();
  let out: ProgressWriter | null = null;
  let live = false;
  let epochStart = 0;
  let lastDraw = Number.NEGATIVE_INFINITY;
  let lossSum = 0;
  let samples = 0;
  let lineLength = 0;

  const writer = (): ProgressWriter => {
    if (out === null) out = options.stream ?? defaultWriter();
    return out;
  };
  const clearLine = (w: ProgressWriter) => {
    if (lineLength > 0) w.write(`\r${' '.repeat(lineLength)}\r`);
    lineLength = 0;
  };
  const title = (ctx: TrainContext) => `Epoch ${ctx.epoch + 1}/${ctx.epochs}`;

  return {
    name: 'progressBar',
    trainStart() {
      live = writer().isTTY === true;
      lineLength = 0;
    },
    epochStart() {
      epochStart = now();
      lastDraw = Number.NEGATIVE_INFINITY;
      lossSum = 0;
      samples = 0;
    },
    batchEnd(ctx) {
      const n = ctx.targets?.shape[0] ?? 1;
      const loss = ctx.batchLogs.loss;
      if (typeof loss === 'number') {
        lossSum += loss * n;
        samples += n;
      }
      if (!live) return;
      const t = now();
      const done = ctx.batch + 1;
      const total = ctx.batchesPerEpoch;
      const last = total !== null && done >= total;
      if (!last && t - lastDraw < refreshMs) return;
      lastDraw = t;
      const elapsed = (t - epochStart) / 1000;
      const rate = elapsed > 0 ? done / elapsed : 0;
      let line = title(ctx);
      if (total !== null) {
        const filled = Math.min(width, Math.floor((width * done) / total));
        const head = filled < width ? '>' : '';
        line += ` [${'='.repeat(filled)}${head}${'.'.repeat(Math.max(0, width - filled - head.length))}] ${done}/${total}`;
      } else line += ` ${done}`;
      if (samples > 0) line += ` · loss ${formatValue(lossSum / samples)}`;
      if (rate > 0) line += ` · ${rate.toFixed(1)} it/s`;
      if (total !== null && rate > 0) line += ` · ETA ${formatDuration((total - done) / rate)}`;
      const columns = writer().columns;
      if (typeof columns === 'number' && columns > 1 && line.length >= columns) line = line.slice(0, columns - 1);
      const w = writer();
      w.write(`\r${line}${' '.repeat(Math.max(0, lineLength - line.length))}`);
      lineLength = line.length;
    },
    epochEnd(ctx) {
      const w = writer();
      if (live) clearLine(w);
      w.write(`${title(ctx)} · ${formatLogs(ctx.epochLogs)}\n`);
    },
    trainEnd(ctx) {
      const w = writer();
      if (live) clearLine(w);
      if (ctx.stopReason !== null) w.write(`Stopped: ${ctx.stopReason}\n`);
    },
  };
}
