/**
 * `@nablajs/nn/node`: the Node-only file API for safetensors, with atomic saves (`saveFile`, `loadFile`,
 * `writeFileAtomic`). Browsers use the bytes API of `@nablajs/nn` (`saveSafetensors` / `loadSafetensors`).
 *
 * @packageDocumentation
 * @module @nablajs/nn/node
 */
export { SafetensorsError } from './safetensors-error';
export {
  type AtomicWriteFs,
  defaultAtomicWriteFs,
  loadFile,
  type SaveFileOptions,
  saveFile,
  writeFileAtomic,
} from './safetensors-node';
