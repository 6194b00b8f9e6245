import * as nodeFs from 'node:fs';
import { dirname } from 'node:path';
import { checkOptions, optionNames, ValueError } from '@nablajs/core';
import {
  CSV_OPTIONS,
  type CsvLoggerOptions,
  csvLogger,
  JSON_LINES_OPTIONS,
  type JsonLinesLoggerOptions,
  jsonLinesLogger,
  type LogWriter,
} from './logger';
import type { TrainPlugin } from './types';

/**
 * Options of {@link appendFileWriter}.
 *
 * @example
 * ```ts
 * const options: AppendFileWriterOptions = { fsync: true };
 * ```
 */
export interface AppendFileWriterOptions {
  /** Flush every line to disk with fsync (default false: durable lines cost a disk round trip each). */
  fsync?: boolean;
}

const WRITER_OPTIONS = optionNames<AppendFileWriterOptions>({ fsync: true });

/**
 * A {@link LogWriter} that appends each line to a file with one `write` call on a file opened in append mode
 * (`O_APPEND`), so a line lands whole at the end of the file: a crash loses at most the line being written, never
 * interleaves or corrupts earlier ones. The file is opened and closed per line, so nothing leaks if training fails.
 *
 * @param path - the file (created if missing, in a directory that must exist; never truncated)
 * @param options - `fsync`
 * @returns the writer
 *
 * @example
 * ```ts
 * import { mkdirSync } from 'node:fs';
 * mkdirSync('runs', { recursive: true }); // the writer does not create directories
 * const writer = appendFileWriter('runs/log.jsonl');
 * writer.write('{"epoch":0}\n');
 * ```
 */
export function appendFileWriter(path: string, options: AppendFileWriterOptions = {}): LogWriter {
  if (typeof path !== 'string' || path === '')
    throw new ValueError(`appendFileWriter: path must be a non-empty string, got ${JSON.stringify(path)}`);
  checkOptions('appendFileWriter', options, WRITER_OPTIONS);
  return {
    write(line: string) {
      const bytes = new TextEncoder().encode(line);
      const fd = nodeFs.openSync(path, 'a');
      try {
        let written = 0;
        while (written < bytes.length) written += nodeFs.writeSync(fd, bytes, written, bytes.length - written);
        if (options.fsync) nodeFs.fsyncSync(fd);
      } finally {
        nodeFs.closeSync(fd);
      }
    },
  };
}

/**
 * Options of the file loggers {@link csvFileLogger} and {@link jsonLinesFileLogger}.
 *
 * @example
 * ```ts
 * const options: FileLoggerOptions = { append: true };
 * ```
 */
export interface FileLoggerOptions extends AppendFileWriterOptions {
  /**
   * Continue an existing file (for a resumed run) instead of starting it afresh (default false). A last line left
   * incomplete by a crash is removed first; a CSV file keeps its header and columns.
   */
  append?: boolean;
}

const FILE_OPTIONS = optionNames<FileLoggerOptions>({ fsync: true, append: true });

/**
 * Make the file ready when training starts: create its directory, then empty it, or (append) cut an incomplete last
 * line. Returns the existing content's first line when appending. Fails before any training step when the path is
 * not writable.
 */
function prepareFile(fn: string, path: string, append: boolean): string | null {
  try {
    nodeFs.mkdirSync(dirname(path), { recursive: true });
    if (!append || !nodeFs.existsSync(path)) {
      nodeFs.writeFileSync(path, '');
      return null;
    }
    const text = nodeFs.readFileSync(path, 'utf8');
    const end = text.lastIndexOf('\n') + 1;
    if (end < text.length) nodeFs.truncateSync(path, Buffer.byteLength(text.slice(0, end)));
    const first = text.slice(0, end).split('\n')[0];
    return first === '' ? null : first;
  } catch (error) {
    throw new ValueError(`${fn}: cannot write the log file ${path}: ${error instanceof Error ? error.message : error}`);
  }
}

/** Split a CSV header line written by `csvLogger` (fields quoted when they contain the separator or quotes). */
function parseCsvHeader(line: string, separator: string): string[] {
  const fields: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let field = '';
      i++;
      while (i < line.length) {
        if (line[i] === '"' && line[i + 1] === '"') {
          field += '"';
          i += 2;
        } else if (line[i] === '"') {
          i++;
          break;
        } else field += line[i++];
      }
      fields.push(field);
      i += separator.length;
    } else {
      const next = line.indexOf(separator, i);
      const end = next < 0 ? line.length : next;
      fields.push(line.slice(i, end));
      i = end + separator.length;
    }
  }
  return fields;
}

/** A plugin that builds its inner logger when training starts, after preparing the file. */
function fileLogger(name: string, make: () => TrainPlugin): TrainPlugin {
  let inner: TrainPlugin | null = null;
  return {
    name,
    trainStart(ctx) {
      inner = make();
      return inner.trainStart?.(ctx);
    },
    batchEnd(ctx) {
      return inner?.batchEnd?.(ctx);
    },
    epochEnd(ctx) {
      return inner?.epochEnd?.(ctx);
    },
    trainEnd(ctx) {
      return inner?.trainEnd?.(ctx);
    },
  };
}

/**
 * The CSV logger of `csvLogger`, writing to a file, one appended line per epoch (or per batch). The file is
 * emptied when training starts, unless `append` is set: then a resumed run continues the same file under its
 * existing header (Keras's `CSVLogger(append=True)`). An unwritable path fails when training starts.
 *
 * @param path - the CSV file
 * @param options - those of `csvLogger` (`separator`, `batches`, `columns`) and `append`, `fsync`
 * @returns the plugin
 *
 * @example
 * ```ts
 * import { csvFileLogger } from '@nablajs/train/node';
 * await fit({ model, data, loss, optimizer, epochs: 10, plugins: [csvFileLogger('runs/mnist/log.csv')] });
 * ```
 *
 * @see https://keras.io/api/callbacks/csv_logger/
 */
export function csvFileLogger(
  path: string,
  options: Omit<CsvLoggerOptions, 'header'> & FileLoggerOptions = {},
): TrainPlugin {
  checkOptions('csvFileLogger', options, [...CSV_OPTIONS.filter((name) => name !== 'header'), ...FILE_OPTIONS]);
  const { append, fsync, ...csvOptions } = options;
  const writer = appendFileWriter(path, { fsync });
  const separator = options.separator ?? ',';
  return fileLogger('csvLogger', () => {
    const header = prepareFile('csvFileLogger', path, append ?? false);
    if (header === null) return csvLogger(writer, csvOptions);
    const lead = options.batches ? 3 : 1;
    return csvLogger(writer, { ...csvOptions, columns: parseCsvHeader(header, separator).slice(lead), header: false });
  });
}

/**
 * The JSON-lines logger of `jsonLinesLogger`, writing to a file, one appended line per epoch (and per batch with
 * `batches`). The file is emptied when training starts unless `append` is set (for a resumed run). An unwritable
 * path fails when training starts.
 *
 * @param path - the `.jsonl` file
 * @param options - `batches`, `append`, `fsync`
 * @returns the plugin
 *
 * @example
 * ```ts
 * import { jsonLinesFileLogger } from '@nablajs/train/node';
 * await fit({ model, data, loss, optimizer, epochs: 10, plugins: [jsonLinesFileLogger('runs/log.jsonl')] });
 * ```
 *
 * @see https://jsonlines.org
 */
export function jsonLinesFileLogger(
  path: string,
  options: JsonLinesLoggerOptions & FileLoggerOptions = {},
): TrainPlugin {
  checkOptions('jsonLinesFileLogger', options, [...JSON_LINES_OPTIONS, ...FILE_OPTIONS]);
  const { append, fsync, ...jsonOptions } = options;
  const writer = appendFileWriter(path, { fsync });
  return fileLogger('jsonLinesLogger', () => {
    prepareFile('jsonLinesFileLogger', path, append ?? false);
    return jsonLinesLogger(writer, jsonOptions);
  });
}
