import { checkOptions, optionNames, ValueError } from '@nablajs/core';
import type { Logs, TrainContext, TrainPlugin } from './types';

/**
 * Where a logger writes: a sink of complete lines (each ends with `\n`). It may be asynchronous (the loop awaits
 * it). In a browser, write to memory, the console, a `<pre>` or a server; `@nablajs/train/node` has file writers.
 *
 * @example
 * ```ts
 * const toConsole: LogWriter = { write: (line) => console.log(line.trimEnd()) };
 * ```
 */
export interface LogWriter {
  /** Append one complete line (ending with `\n`). */
  write(line: string): void | Promise<void>;
  /** Release the sink at the end of training (optional). */
  close?(): void | Promise<void>;
}

/** A {@link LogWriter} that keeps what it is given in memory. */
export interface MemoryWriter extends LogWriter {
  /** Every line written so far, without the newline. */
  readonly lines: string[];
}

/**
 * A {@link LogWriter} that keeps the lines in memory, in `lines` (without their `\n`; a write of several lines
 * adds each).
 *
 * @example
 * ```ts
 * const writer = memoryWriter();
 * await fit({ model, data, loss, optimizer, epochs: 2, metrics: { accuracy: true }, plugins: [csvLogger(writer)] });
 * writer.lines[0]; // 'epoch,accuracy,epochTime,loss,lr,stepsPerSecond'
 * ```
 */
export function memoryWriter(): MemoryWriter {
  const lines: string[] = [];
  return {
    lines,
    write(text: string) {
      lines.push(...(text.endsWith('\n') ? text.slice(0, -1) : text).split('\n'));
    },
  };
}

/**
 * Format a log value exactly: the shortest decimal that reads back as the same number (`String(x)`), and `NaN`,
 * `Infinity`, `-Infinity` as such.
 */
function formatNumber(value: number): string {
  return String(value);
}

function checkWriter(fn: string, writer: unknown): LogWriter {
  if (writer === null || typeof writer !== 'object' || typeof (writer as LogWriter).write !== 'function')
    throw new ValueError(`${fn}: writer must be an object with a write(line) method`);
  return writer as LogWriter;
}

/**
 * Options of {@link csvLogger}.
 *
 * @example
 * ```ts
 * const options: CsvLoggerOptions = { separator: ';', batches: false };
 * ```
 */
export interface CsvLoggerOptions {
  /** The column separator (default `','`). */
  separator?: string;
  /** Log every batch (columns `epoch`, `batch`, `step` and the batch's logs) instead of every epoch. */
  batches?: boolean;
  /** The columns after `epoch` (and `batch`, `step`); default: the first row's keys, sorted. */
  columns?: readonly string[];
  /** Whether to write the header line first (default true; a logger appending to an existing file passes false). */
  header?: boolean;
}

/** The option names of {@link CsvLoggerOptions} (the file loggers of `@nablajs/train/node` check them too). */
export const CSV_OPTIONS = optionNames<CsvLoggerOptions>({
  separator: true,
  batches: true,
  columns: true,
  header: true,
});

function csvField(text: string, separator: string): string {
  return text.includes(separator) || text.includes('"') || text.includes('\n') || text.includes('\r')
    ? `"${text.replaceAll('"', '""')}"`
    : text;
}

/**
 * A plugin that writes one CSV row per epoch: `epoch` (counted from 0) and the epoch's logs (loss, accuracy,
 * validation numbers, learning rate, any metric a plugin added), in the sorted column order fixed by the first row,
 * as Keras's `CSVLogger` does; a value missing from a later row is written as `NA`, a key that appears later is not
 * a column. Numbers are written exactly (`String(x)`: the shortest text that reads back as the same double). With
 * `batches: true` it writes one row per batch instead (`epoch`, `batch`, `step`, then the batch's logs).
 *
 * @param writer - where the lines go (see {@link LogWriter})
 * @param options - `separator`, `batches`, `columns`, `header`
 * @returns the plugin
 *
 * @example
 * ```ts
 * const writer = memoryWriter();
 * await fit({ model, data, loss, optimizer, epochs: 3, metrics: { accuracy: true }, plugins: [csvLogger(writer)] });
 * writer.lines[0]; // 'epoch,accuracy,epochTime,loss,lr,stepsPerSecond': epoch, then the logs sorted
 * writer.lines.length; // 4: the header, then one row per epoch
 * ```
 *
 * @see https://keras.io/api/callbacks/csv_logger/
 */
export function csvLogger(writer: LogWriter, options: CsvLoggerOptions = {}): TrainPlugin {
  const out = checkWriter('csvLogger', writer);
  checkOptions('csvLogger', options, CSV_OPTIONS);
  const separator = options.separator ?? ',';
  if (typeof separator !== 'string' || separator.length === 0 || /["\r\n]/.test(separator))
    throw new ValueError(
      `csvLogger: separator must be a non-empty string without quotes or newlines, got ${JSON.stringify(separator)}`,
    );
  const lead = options.batches ? ['epoch', 'batch', 'step'] : ['epoch'];
  let columns: string[] | null = options.columns === undefined ? null : [...options.columns];
  let headerPending = options.header ?? true;

  const row = (position: number[], logs: Logs): string => {
    if (columns === null)
      columns = Object.keys(logs)
        .filter((k) => !lead.includes(k))
        .sort();
    const cells = position.map(formatNumber);
    for (const key of columns) {
      const value = logs[key];
      cells.push(typeof value === 'number' ? formatNumber(value) : 'NA');
    }
    // The header goes out in the same write as the first row: a reader never sees a header without a row.
    let text = '';
    if (headerPending) {
      text += `${[...lead, ...columns].map((c) => csvField(c, separator)).join(separator)}\n`;
      headerPending = false;
    }
    return `${text}${cells.join(separator)}\n`;
  };

  return {
    name: 'csvLogger',
    async batchEnd(ctx: TrainContext) {
      if (options.batches) await out.write(row([ctx.epoch, ctx.batch, ctx.globalStep], ctx.batchLogs));
    },
    async epochEnd(ctx: TrainContext) {
      if (!options.batches) await out.write(row([ctx.epoch], ctx.epochLogs));
    },
    async trainEnd() {
      await out.close?.();
    },
  };
}

/**
 * Options of {@link jsonLinesLogger}.
 *
 * @example
 * ```ts
 * const options: JsonLinesLoggerOptions = { batches: true };
 * ```
 */
export interface JsonLinesLoggerOptions {
  /** Also write one line per batch, `{"epoch":0,"batch":3,"step":3,...batch logs}` (default false). */
  batches?: boolean;
}

/** The option names of {@link JsonLinesLoggerOptions} (the file loggers of `@nablajs/train/node` check them too). */
export const JSON_LINES_OPTIONS = optionNames<JsonLinesLoggerOptions>({ batches: true });

function jsonValue(value: number): number | string {
  // NOTE: JSON has no NaN or infinities; JSON.stringify would turn them into null and hide a diverged loss.
  return Number.isFinite(value) ? value : String(value);
}

function jsonLine(position: Record<string, number>, logs: Logs): string {
  const record: Record<string, number | string> = { ...position };
  for (const [key, value] of Object.entries(logs))
    if (!Object.hasOwn(position, key) && typeof value === 'number') record[key] = jsonValue(value);
  return `${JSON.stringify(record)}\n`;
}

/**
 * A plugin that writes one JSON object per line (JSON Lines) for every epoch: `{"epoch":0,"loss":0.62,...}` with
 * all the epoch's logs; with `batches: true` also one line per batch with `epoch`, `batch`, `step` and the batch's
 * logs. Numbers are exact (JSON's shortest round-trip form); NaN and infinities, which JSON lacks, are written as
 * the strings `"NaN"`, `"Infinity"` and `"-Infinity"` rather than silently becoming `null`.
 *
 * @param writer - where the lines go (see {@link LogWriter})
 * @param options - `batches`
 * @returns the plugin
 *
 * @example
 * ```ts
 * const writer = memoryWriter();
 * await fit({ model, data, loss, optimizer, epochs: 2, plugins: [jsonLinesLogger(writer)] });
 * writer.lines.map((l) => JSON.parse(l).loss); // [0.62, 0.33]
 * ```
 *
 * @see https://jsonlines.org and https://lightning.ai/docs/pytorch/stable/extensions/logging.html
 */
export function jsonLinesLogger(writer: LogWriter, options: JsonLinesLoggerOptions = {}): TrainPlugin {
  const out = checkWriter('jsonLinesLogger', writer);
  checkOptions('jsonLinesLogger', options, JSON_LINES_OPTIONS);
  return {
    name: 'jsonLinesLogger',
    async batchEnd(ctx: TrainContext) {
      if (options.batches)
        await out.write(jsonLine({ epoch: ctx.epoch, batch: ctx.batch, step: ctx.globalStep }, ctx.batchLogs));
    },
    async epochEnd(ctx: TrainContext) {
      await out.write(jsonLine({ epoch: ctx.epoch }, ctx.epochLogs));
    },
    async trainEnd() {
      await out.close?.();
    },
  };
}
