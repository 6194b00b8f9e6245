import { optionNames, ValueError } from '@nablajs/core';
import type { AtomicWriteFs } from '@nablajs/nn/node';
import type { ResumeOptions } from './resume-from';

/**
 * Options of {@link checkpoint}.
 *
 * @example
 * ```ts
 * const options: CheckpointOptions = { dir: 'runs/mnist', keepLast: 3, monitor: 'valAccuracy', saveBest: true };
 * ```
 */
export interface CheckpointOptions extends ResumeOptions {
  /** The directory of the checkpoints (created if needed). */
  dir: string;
  /** Save after every `every` epochs (default 1; 0 saves no epoch checkpoints). Default 0 when `everySteps` is given. */
  every?: number;
  /** Also save every `everySteps` optimizer steps, mid-epoch (default: never). */
  everySteps?: number;
  /** Keep only the newest `keepLast` periodic checkpoints, deleting older ones (default: keep all). */
  keepLast?: number;
  /** The epoch log to watch for `saveBest` (`'valLoss'`, `'valAccuracy'`, ...). */
  monitor?: string;
  /** Whether `monitor` should go down (`'min'`) or up (`'max'`); `'auto'` (default) picks max for accuracies. */
  mode?: 'min' | 'max' | 'auto';
  /** Write `best.safetensors` whenever `monitor` improves (default false; needs `monitor`). */
  saveBest?: boolean;
  /** Resume from the newest checkpoint of `dir` (`'latest'`, a fresh start when there is none) or from a file. */
  resume?: 'latest' | string | false;
  /** Allow a fresh run (not resuming) to write into a directory that already holds checkpoints (default false). */
  overwrite?: boolean;
  /** The file-system calls of the atomic writes (for tests that simulate a failing disk). */
  fs?: AtomicWriteFs;
}
/** The option names of {@link CheckpointOptions}. */
export const CHECKPOINT_OPTIONS = optionNames<CheckpointOptions>({
  dir: true,
  every: true,
  everySteps: true,
  keepLast: true,
  monitor: true,
  mode: true,
  saveBest: true,
  resume: true,
  overwrite: true,
  fs: true,
  generators: true,
  states: true,
  strict: true,
});

/** What the {@link checkpoint} plugin itself saves in its checkpoints (so that resuming keeps the best score). */
export interface CheckpointPluginState {
  best: number | null;
  bestEpoch: number | null;
}

export function checkOptionCount(name: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min)
    throw new ValueError(`checkpoint: ${name} must be an integer >= ${min}, got ${JSON.stringify(value)}`);
  return value;
}

export function autoMode(monitor: string): 'min' | 'max' {
  return /acc|auc|f1|precision|recall/i.test(monitor) ? 'max' : 'min';
}
