/**
 * `@nablajs/train/node`: the file-based plugins, for Node only: checkpoints on disk (`checkpoint`,
 * `latestCheckpoint`, `loadCheckpoint`, `resumeFrom`) and log files (`csvFileLogger`,
 * `jsonLinesFileLogger`).
 *
 * @packageDocumentation
 * @module @nablajs/train/node
 */
export type { CheckpointOptions } from './checkpoint-options';
export { latestCheckpoint } from './latest-checkpoint';
export { checkpoint } from './node-checkpoint';
export {
  type AppendFileWriterOptions,
  appendFileWriter,
  csvFileLogger,
  type FileLoggerOptions,
  jsonLinesFileLogger,
} from './node-logger';
export { type ResumeOptions, resumeFrom } from './resume-from';
export { loadCheckpoint, type SaveCheckpointOptions, saveCheckpoint } from './save-checkpoint';
