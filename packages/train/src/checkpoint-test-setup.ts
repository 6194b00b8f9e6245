// Shared by the checkpoint plugin's tests (not exported from the package): a temporary directory that is removed
// after the test file, a fresh subdirectory of it per run, and the small classification data the runs train on.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Generator, randint, randn, type Tensor } from '@nablajs/core';
import { afterAll } from 'vitest';

/** What {@link checkpointTestSetup} gives a test file. */
export interface CheckpointTestSetup {
  /** The temporary directory (removed after the file's tests). */
  root: string;
  /** A new, not yet existing directory under `root`, for one run's checkpoints. */
  freshDir: () => string;
  /** The generator the data came from (seed 123), for more data drawn after them. */
  dataGen: Generator;
  /** 40 inputs of 4 features. */
  x: Tensor;
  /** Their 40 labels in 0..2. */
  y: Tensor;
}

/**
 * The temporary directory and data of a checkpoint test file.
 *
 * @example
 * ```ts
 * const { freshDir, x, y } = checkpointTestSetup('nabla-ckpt-');
 * ```
 */
export function checkpointTestSetup(prefix: string): CheckpointTestSetup {
  const root = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  let dirs = 0;
  const dataGen = new Generator(123);
  const x = randn([40, 4], { generator: dataGen });
  const y = randint(0, 3, [40], { generator: dataGen });
  return { root, freshDir: () => join(root, `run-${dirs++}`), dataGen, x, y };
}
