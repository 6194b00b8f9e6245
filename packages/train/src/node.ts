// @nablajs/train/node: the file-based plugins (checkpoints, log files), for Node only.
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
