// @nablajs/cli: the `nabla` command. As a library: run it in-process with your own output streams,
// and read or re-render the results it writes.

export type { CliIO } from './compare';
export { runCli } from './main';
export type { TextOutput } from './progress';
export { renderReport } from './report';
export type {
  CompareResult,
  CompareSettings,
  EpochSeries,
  RunResult,
  RunSummary,
  StepSeries,
  Surface,
  TaskInfo,
} from './results';
