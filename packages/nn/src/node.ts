// @nablajs/nn/node: the Node-only file API for safetensors (atomic saves). Browsers use the bytes API
// of @nablajs/nn (saveSafetensors / loadSafetensors).
export { SafetensorsError } from './safetensors';
export {
  type AtomicWriteFs,
  type SaveFileOptions,
  defaultAtomicWriteFs,
  loadFile,
  saveFile,
  writeFileAtomic,
} from './safetensors-node';
