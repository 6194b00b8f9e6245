/**
 * `@nablajs/train/node`: the file-based plugins, for Node only: checkpoints on disk (`checkpoint`,
 * `latestCheckpoint`, `loadCheckpoint`, `resumeFrom`) and log files (`csvFileLogger`,
 * `jsonLinesFileLogger`).
 *
 * @packageDocumentation
 * @module @nablajs/train/node
 */
export {
  type CheckpointOptions,
  checkpoint,
  latestCheckpoint,
  loadCheckpoint,
  type ResumeOptions,
  resumeFrom,
  type SaveCheckpointOptions,
  saveCheckpoint,
} from './node-checkpoint';
export {
  type AppendFileWriterOptions,
  appendFileWriter,
  csvFileLogger,
  type FileLoggerOptions,
  jsonLinesFileLogger,
} from './node-logger';
