import * as nodeFs from 'node:fs';
import { join } from 'node:path';
import { CheckpointError } from './checkpoint';
import { reason } from './save-checkpoint';

const CHECKPOINT_NAME = /^epoch-(\d+)-step-(\d+)\.safetensors$/;

/** A periodic checkpoint file found in a directory, with the epoch and step its name carries. */
interface CheckpointFile {
  path: string;
  epoch: number;
  step: number;
}

export function listCheckpoints(dir: string): CheckpointFile[] {
  let names: string[];
  try {
    names = nodeFs.readdirSync(dir);
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return [];
    throw new CheckpointError(`checkpoint: cannot list ${dir}: ${reason(error)}`);
  }
  const out: CheckpointFile[] = [];
  for (const name of names) {
    const m = CHECKPOINT_NAME.exec(name);
    if (m !== null) out.push({ path: join(dir, name), epoch: Number(m[1]), step: Number(m[2]) });
  }
  return out.sort((a, b) => a.step - b.step || a.epoch - b.epoch);
}

/**
 * The newest periodic checkpoint in `dir` (highest step, then epoch), or null when there is none.
 *
 * @param dir - a directory written by {@link checkpoint}
 * @returns the file's path, or null
 *
 * @example
 * ```ts
 * const path = latestCheckpoint('runs/mnist'); // 'runs/mnist/epoch-0004-step-00000625.safetensors'
 * ```
 */
export function latestCheckpoint(dir: string): string | null {
  const files = listCheckpoints(dir);
  return files.length === 0 ? null : files[files.length - 1].path;
}

export function checkpointName(epoch: number, step: number): string {
  return `epoch-${String(epoch).padStart(4, '0')}-step-${String(step).padStart(8, '0')}.safetensors`;
}
