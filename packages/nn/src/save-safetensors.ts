import { Tensor, type TypedArray } from '@nablajs/core';
import { describe, quote, SafetensorsError } from './safetensors-error';
import { DTYPE_INFO, HOST_LITTLE_ENDIAN, METADATA_KEY, SAVE_DTYPES, type SafetensorsDType } from './safetensors-format';

/**
 * Serialise a state dict to the bytes of a safetensors file: an 8-byte little-endian header length, a JSON header
 * padded with spaces to a multiple of 8 bytes, then the tensors' little-endian row-major data. As in the reference
 * implementation, tensors are laid out by decreasing element size and then by name, so every tensor is aligned to
 * its element size; `float32` saves as `F32`, `float64` as `F64` and `int32` as `I32`. The bytes work in any
 * JavaScript runtime; use `saveFile` from `@nablajs/nn/node` to write a file.
 *
 * @param stateDict - tensors by name (an object or a Map; any name except `__metadata__`); only values are saved
 * @param metadata - optional string-to-string pairs written to the header's `__metadata__`
 * @returns the file's bytes
 *
 * @example
 * ```ts
 * const bytes = saveSafetensors(model.stateDict(), { format: 'pt' });
 * const { tensors } = loadSafetensors(bytes);
 * ```
 *
 * @see https://github.com/huggingface/safetensors#format and https://huggingface.co/docs/safetensors
 */
export function saveSafetensors(
  stateDict: Record<string, Tensor> | ReadonlyMap<string, Tensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  if (stateDict === null || typeof stateDict !== 'object' || Array.isArray(stateDict))
    throw new SafetensorsError(`saveSafetensors: stateDict must be an object of tensors, got ${describe(stateDict)}`);
  const pairs: [string, unknown][] =
    stateDict instanceof Map
      ? [...stateDict]
      : Object.keys(stateDict).map((k) => [k, (stateDict as Record<string, Tensor>)[k]]);
  const entries: { name: string; tensor: Tensor; dtype: SafetensorsDType }[] = [];
  for (const [name, tensor] of pairs) {
    if (typeof name !== 'string')
      throw new SafetensorsError(`saveSafetensors: tensor names must be strings, got ${describe(name)}`);
    if (name === METADATA_KEY)
      throw new SafetensorsError(
        `saveSafetensors: ${quote(METADATA_KEY)} is reserved for metadata; rename that tensor`,
      );
    if (!(tensor instanceof Tensor))
      throw new SafetensorsError(`saveSafetensors: entry ${quote(name)} is ${describe(tensor)}, not a Tensor`);
    entries.push({ name, tensor, dtype: SAVE_DTYPES[tensor.dtype] });
  }
  entries.sort((a, b) => {
    const bySize = DTYPE_INFO[b.dtype].bytes - DTYPE_INFO[a.dtype].bytes;
    if (bySize !== 0) return bySize;
    return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  });

  const header: Record<string, unknown> = Object.create(null);
  if (metadata !== undefined) header[METADATA_KEY] = checkMetadata(metadata);
  let offset = 0;
  for (const { name, tensor, dtype } of entries) {
    const end = offset + tensor.size * DTYPE_INFO[dtype].bytes;
    header[name] = { dtype, shape: [...tensor.shape], data_offsets: [offset, end] };
    offset = end;
  }

  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLength + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, headerLength, true);
  view.setUint32(4, Math.floor(headerLength / 2 ** 32), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let cursor = 8 + headerLength;
  for (const { tensor } of entries) {
    encodeData(tensor.values, out, cursor, HOST_LITTLE_ENDIAN);
    cursor += tensor.values.byteLength;
  }
  return out;
}

function checkMetadata(metadata: Record<string, string>): Record<string, string> {
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata))
    throw new SafetensorsError(`saveSafetensors: metadata must be an object of strings, got ${describe(metadata)}`);
  const out: Record<string, string> = Object.create(null);
  for (const key of Object.keys(metadata)) {
    const value = metadata[key];
    if (typeof value !== 'string')
      throw new SafetensorsError(
        `saveSafetensors: metadata values must be strings, but ${quote(key)} is ${describe(value)}`,
      );
    out[key] = value;
  }
  return out;
}

/**
 * Write the little-endian bytes of `data` into `out` at `offset`: a plain byte copy on a little-endian host,
 * element by element through a DataView otherwise.
 *
 * @internal exported for tests of the big-endian path
 *
 * @example
 * ```ts
 * const out = new Uint8Array(8);
 * encodeData(new Float32Array([1, 2]), out, 0, false); // out holds 1 and 2 as little-endian float32
 * ```
 */
export function encodeData(data: TypedArray, out: Uint8Array, offset: number, hostLittleEndian: boolean): void {
  if (hostLittleEndian) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), offset);
    return;
  }
  const view = new DataView(out.buffer, out.byteOffset + offset, data.byteLength);
  if (data instanceof Float64Array) for (let i = 0; i < data.length; i++) view.setFloat64(i * 8, data[i], true);
  else if (data instanceof Float32Array) for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i], true);
  else if (data instanceof Uint16Array) for (let i = 0; i < data.length; i++) view.setUint16(i * 2, data[i], true);
  else for (let i = 0; i < data.length; i++) view.setInt32(i * 4, data[i], true);
}
