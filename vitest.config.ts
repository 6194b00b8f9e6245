import { availableParallelism } from 'node:os';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { slowFiles } from './vitest.shared.ts';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * vitest's order (each project's files together, so that a project's worker runs them one after another;
 * within a project, the longest first by the last run's times), except that the slow files of
 * `slowFiles` start first, in that order, so that they overlap the short ones instead of ending the run.
 */
class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (spec: TestSpecification) =>
      slowFiles.indexOf(`${spec.project.name}:${relative(root, spec.moduleId).split('\\').join('/')}`);
    const slow = sorted.filter((spec) => rank(spec) >= 0).sort((a, b) => rank(a) - rank(b));
    return [...slow, ...sorted.filter((spec) => rank(spec) < 0)];
  }
}

export default defineConfig({
  test: {
    projects: [
      'packages/*',
      'test',
      'test/browser',
      'packages/core/vitest.wasm.config.ts',
      'packages/core/vitest.wasm-fma.config.ts',
      'test/vitest.wasm.config.ts',
    ],
    // vitest's default is one worker fewer than the cores, a single worker on 2 cores; the workers spend much
    // of their time waiting (for the main process's transforms, a spawned typedoc, Chromium), so use every core.
    maxWorkers: Math.max(2, availableParallelism()),
    sequence: { sequencer: SlowFirstSequencer },
  },
});
