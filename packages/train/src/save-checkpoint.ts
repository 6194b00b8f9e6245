import * as nodeFs from 'node:fs';
import { checkOptions } from '@nablajs/core';
import { type AtomicWriteFs, defaultAtomicWriteFs, writeFileAtomic } from '@nablajs/nn/node';
import { type Checkpoint, CheckpointError } from './checkpoint';
import { decodeCheckpoint, encodeCheckpoint } from './checkpoint-format';

/**
 * Options of {@link saveCheckpoint}.
 *
 * @example
 * ```ts
 * saveCheckpoint('ckpt.safetensors', ckpt, { fs: defaultAtomicWriteFs });
 * ```
 */
export interface SaveCheckpointOptions {
  /** The file-system calls of the atomic write (for tests that simulate a failing disk). */
  fs?: AtomicWriteFs;
}

/**
 * Write a checkpoint to one safetensors file atomically: the bytes of `encodeCheckpoint` go to a temporary file in
 * the same directory, are flushed with fsync, then renamed over `path`. Readers see the old file or the complete
 * new one, never a partial one; on an error the old file is untouched.
 *
 * @param path - the file to write, in a directory that must exist
 * @param checkpoint - from `captureCheckpoint`
 * @param options - `fs`: the file-system calls (injectable for tests)
 *
 * @example
 * ```ts
 * import { mkdirSync } from 'node:fs';
 * mkdirSync('run', { recursive: true }); // saveCheckpoint does not create directories
 * saveCheckpoint('run/manual.safetensors', captureCheckpoint({ model, optimizer }, { epoch: 2, globalStep: 80 }));
 * ```
 *
 * @see https://pytorch.org/tutorials/recipes/recipes/saving_and_loading_a_general_checkpoint.html
 */
export function saveCheckpoint(path: string, checkpoint: Checkpoint, options: SaveCheckpointOptions = {}): void {
  checkOptions('saveCheckpoint', options, ['fs']);
  writeBytes(path, encodeCheckpoint(checkpoint), options.fs ?? defaultAtomicWriteFs);
}

export function writeBytes(path: string, bytes: Uint8Array, fs: AtomicWriteFs): void {
  try {
    writeFileAtomic(path, bytes, fs);
  } catch (error) {
    throw new CheckpointError(
      `saveCheckpoint: could not write ${path} (any previous file is untouched): ${reason(error)}`,
    );
  }
}

/**
 * Read a checkpoint file. A missing, truncated or corrupt file, or one that is not a checkpoint, throws a
 * `CheckpointError` naming the path.
 *
 * @param path - the file to read
 * @returns the checkpoint, to give to `restoreCheckpoint`
 *
 * @example
 * ```ts
 * const ckpt = loadCheckpoint('run/epoch-0004-step-00000200.safetensors');
 * restoreCheckpoint(ckpt, { model, optimizer }, { source: 'run/epoch-0004-step-00000200.safetensors' });
 * ```
 */
export function loadCheckpoint(path: string): Checkpoint {
  let bytes: Uint8Array;
  try {
    bytes = nodeFs.readFileSync(path);
  } catch (error) {
    throw new CheckpointError(`loadCheckpoint: cannot read ${path}: ${reason(error)}`);
  }
  return decodeCheckpoint(bytes, path);
}

export function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
