// @nablajs/nn/node: the Node-only file API for safetensors (atomic saves). Browsers use the bytes API
// of @nablajs/nn (saveSafetensors / loadSafetensors).
export { SafetensorsError } from './safetensors';
export {
  type AtomicWriteFs,
  defaultAtomicWriteFs,
  loadFile,
  type SaveFileOptions,
  saveFile,
  writeFileAtomic,
} from './safetensors-node';
