// WAT of the wasm backend's elementwise, reduction and softmax kernels (see generate.mjs).

/** The functions of the elementwise kernels, as WAT module fields. */
export function elementwiseWat() {
  return '';
}
