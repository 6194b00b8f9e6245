/**
 * `@nablajs/cli`: the `nabla` command (`nabla compare` trains the same model with several optimizers and
 * writes a report). As a library: run it in-process with your own output streams, and read or re-render
 * the results it writes.
 *
 * @example
 * ```ts
 * import { runCli } from '@nablajs/cli';
 * const io = { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() };
 * const code = await runCli(['compare', '--task', 'rosenbrock', '--optimizers', 'adam sgd:lr=1e-3'], io);
 * ```
 *
 * @packageDocumentation
 */
export type { CliIO } from './compare';
export { runCli } from './main';
export type { OptimizerAggregate, StepTimeStat, TargetStat } from './optimizer-aggregate';
export type { TextOutput } from './progress';
export { renderReport } from './report';
export type {
  CompareResult,
  CompareSettings,
  EpochSeries,
  RunRef,
  RunResult,
  RunStatus,
  RunSummary,
  StepSeries,
  Surface,
  TaskInfo,
  TimingInfo,
  TimingRepeat,
  TuneTrialResult,
  TuningResult,
} from './results';
export type { Band, MeanSd } from './stats';
export type { DecisionGrid, LabelledPoints } from './svg-decision';
