import { randomBytes } from 'node:crypto';
import * as nodeFs from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { checkOptions, optionNames, type Tensor } from '@nablajs/core';
import {
  LOAD_SAFETENSORS_OPTIONS,
  type LoadSafetensorsOptions,
  loadSafetensors,
  type SafetensorsContents,
} from './load-safetensors';
import { SafetensorsError } from './safetensors-error';
import { saveSafetensors } from './save-safetensors';

/**
 * The file-system calls {@link writeFileAtomic} makes, so that tests can inject a failure at any step. Each has the
 * signature of its `node:fs` namesake.
 *
 * @example
 * ```ts
 * const failingWrite: AtomicWriteFs = { ...defaultAtomicWriteFs, writeSync: () => { throw new Error('disk full'); } };
 * ```
 */
export interface AtomicWriteFs {
  /** Open `path` with `flags` (`'wx'` for the temporary file) and return a file descriptor, as `fs.openSync`. */
  openSync: (path: string, flags: string, mode?: number) => number;
  /** Write `length` bytes of `buffer` from `offset`; returns how many were written, as `fs.writeSync`. */
  writeSync: (fd: number, buffer: Uint8Array, offset: number, length: number) => number;
  /** Flush the file to disk, as `fs.fsyncSync`. */
  fsyncSync: (fd: number) => void;
  /** Close the file descriptor, as `fs.closeSync`. */
  closeSync: (fd: number) => void;
  /** Rename `from` to `to`, replacing `to` atomically, as `fs.renameSync`. */
  renameSync: (from: string, to: string) => void;
  /** Remove `path` (the temporary file, after a failure), as `fs.unlinkSync`. */
  unlinkSync: (path: string) => void;
}

/**
 * The real `node:fs` functions used by {@link saveFile}.
 *
 * @example
 * ```ts
 * writeFileAtomic('out.bin', bytes, defaultAtomicWriteFs);
 * ```
 */
export const defaultAtomicWriteFs: AtomicWriteFs = {
  openSync: (path, flags, mode) => nodeFs.openSync(path, flags, mode),
  writeSync: (fd, buffer, offset, length) => nodeFs.writeSync(fd, buffer, offset, length),
  fsyncSync: (fd) => nodeFs.fsyncSync(fd),
  closeSync: (fd) => nodeFs.closeSync(fd),
  renameSync: (from, to) => nodeFs.renameSync(from, to),
  unlinkSync: (path) => nodeFs.unlinkSync(path),
};

/**
 * Write `bytes` to `path` atomically: write a temporary file in the same directory (`.<name>.<random>.tmp`), flush
 * it to disk with fsync, then rename it over `path`. A crash or an error at any step leaves the old file (if any)
 * untouched, and on an error the temporary file is removed before the error is rethrown. After a successful write,
 * temporary files of this pattern that earlier writes into the same directory left when killed are removed.
 *
 * @param path - the target file
 * @param bytes - the whole new content
 * @param fs - the file-system calls (defaults to `node:fs`; injectable for tests)
 *
 * @example
 * ```ts
 * writeFileAtomic('weights.safetensors', saveSafetensors(model.stateDict()));
 * ```
 */
export function writeFileAtomic(path: string, bytes: Uint8Array, fs: AtomicWriteFs = defaultAtomicWriteFs): void {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  // 'wx' fails if the name is taken, so a stale temporary file of another writer is never overwritten.
  const fd = fs.openSync(temp, 'wx', 0o666);
  let open = true;
  try {
    let written = 0;
    while (written < bytes.length) {
      const n = fs.writeSync(fd, bytes, written, bytes.length - written);
      if (!(n > 0)) throw new Error(`writeFileAtomic: writing ${temp} made no progress (${n} bytes written)`);
      written += n;
    }
    fs.fsyncSync(fd);
    open = false;
    fs.closeSync(fd);
    fs.renameSync(temp, path);
  } catch (error) {
    if (open) ignoreErrors(() => fs.closeSync(fd));
    ignoreErrors(() => fs.unlinkSync(temp));
    throw error;
  }
  syncDirectory(dirname(path));
  removeStaleTemporaries(dirname(path), fs);
}

/** The names {@link writeFileAtomic} gives its temporary files: `.<name>.<12 hex digits>.tmp`. */
const TEMPORARY_NAME = /^\..+\.[0-9a-f]{12}\.tmp$/;

/**
 * Remove the temporary files that writes killed before their rename left in `dir` (only names of
 * {@link writeFileAtomic}'s pattern, `.<name>.<12 hex digits>.tmp`): without this, every killed save of a
 * training loop would leave a checkpoint-sized file behind. Writers into one directory are assumed to take
 * turns, as a training loop's saves do; a failure to list or remove is ignored.
 */
function removeStaleTemporaries(dir: string, fs: AtomicWriteFs): void {
  ignoreErrors(() => {
    for (const name of nodeFs.readdirSync(dir))
      if (TEMPORARY_NAME.test(name)) ignoreErrors(() => fs.unlinkSync(join(dir, name)));
  });
}

// NOTE: the rename is durable only once the directory entry is flushed; not every platform can fsync a directory.
function syncDirectory(dir: string): void {
  ignoreErrors(() => {
    const fd = nodeFs.openSync(dir, 'r');
    try {
      nodeFs.fsyncSync(fd);
    } finally {
      nodeFs.closeSync(fd);
    }
  });
}

function ignoreErrors(fn: () => void): void {
  try {
    fn();
  } catch {
    // Cleanup after a failure: the original error is the one worth reporting.
  }
}

/**
 * Options of {@link saveFile}.
 *
 * @example
 * ```ts
 * saveFile('model.safetensors', model.stateDict(), undefined, { fs: defaultAtomicWriteFs });
 * ```
 */
export interface SaveFileOptions {
  /** The file-system calls used for the atomic write; defaults to {@link defaultAtomicWriteFs}. */
  fs?: AtomicWriteFs;
}

/**
 * Save a state dict to a safetensors file, atomically (see {@link writeFileAtomic}): readers of `path` see either
 * the old file or the complete new one, never a truncated file. The bytes are those of {@link saveSafetensors}.
 * Node only; in a browser use `saveSafetensors` and store the bytes yourself.
 *
 * @param path - the file to write (replaced if it exists)
 * @param stateDict - tensors by name, e.g. `model.stateDict()`
 * @param metadata - optional string pairs stored in the header's `__metadata__`
 * @param options - `fs`: the file-system calls to use (for tests that simulate a failure)
 *
 * @example
 * ```ts
 * import { saveFile, loadFile } from '@nablajs/nn/node';
 * saveFile('model.safetensors', model.stateDict(), { epoch: '3' });
 * model.loadStateDict(loadFile('model.safetensors').tensors);
 * ```
 *
 * @see https://huggingface.co/docs/safetensors (the format) and torch.save for the PyTorch counterpart
 */
export function saveFile(
  path: string,
  stateDict: Record<string, Tensor> | ReadonlyMap<string, Tensor>,
  metadata?: Record<string, string>,
  options: SaveFileOptions = {},
): void {
  checkOptions('saveFile', options, optionNames<SaveFileOptions>({ fs: true }));
  writeFileAtomic(path, saveSafetensors(stateDict, metadata), options.fs);
}

/**
 * Load a safetensors file: read it whole and parse it with {@link loadSafetensors}. A malformed file throws a
 * {@link SafetensorsError} whose message names the path; file-system errors (a missing file) are Node's own.
 *
 * @param path - the file to read
 * @param options - as for `loadSafetensors` (`maxHeaderBytes`, `maxEntries`)
 * @returns `{ tensors, metadata }`, prototype-free objects
 *
 * @example
 * ```ts
 * const { tensors, metadata } = loadFile('model.safetensors');
 * model.loadStateDict(tensors);
 * ```
 *
 * @see https://huggingface.co/docs/safetensors (the format) and torch.load for the PyTorch counterpart
 */
export function loadFile(path: string, options?: LoadSafetensorsOptions): SafetensorsContents {
  if (options !== null && typeof options === 'object')
    checkOptions(`loadFile(${JSON.stringify(path)})`, options, LOAD_SAFETENSORS_OPTIONS);
  const bytes = nodeFs.readFileSync(path);
  try {
    return loadSafetensors(bytes, options);
  } catch (error) {
    if (error instanceof SafetensorsError)
      throw new SafetensorsError(`${error.message.replace(/^loadSafetensors:/, `loadFile(${JSON.stringify(path)}):`)}`);
    throw error;
  }
}
