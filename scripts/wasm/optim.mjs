// WAT of the wasm backend's fused optimizer updates (see generate.mjs).

/** The functions of the fused optimizer updates, as WAT module fields. */
export function optimWat() {
  return '';
}
