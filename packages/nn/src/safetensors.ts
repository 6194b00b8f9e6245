import { type DType, NablaError, Tensor, type TypedArray } from '@nablajs/core';

/**
 * The error thrown for every malformed or unsupported safetensors file, and for a state dict that cannot be
 * saved as one. Messages start with the function name and say what was wrong and where.
 *
 * @example
 * ```ts
 * try {
 *   loadSafetensors(new Uint8Array(3));
 * } catch (e) {
 *   e instanceof SafetensorsError; // true: "loadSafetensors: the file has 3 bytes, fewer than the 8 ..."
 * }
 * ```
 *
 * @see https://github.com/huggingface/safetensors#format
 */
export class SafetensorsError extends NablaError {
  /** The error's name, spelled out so that a minifier that renames classes keeps it. */
  override name = 'SafetensorsError';
}

/**
 * The element types of the safetensors format that nabla reads. Floating types load as `float32`
 * (`F32`, `F16`, `BF16`) or `float64` (`F64`); integer and boolean types load as `int32`, and a value that does
 * not fit in int32 (possible for `I64`, `U32`, `U64`) is an error.
 *
 * @example
 * ```ts
 * const dtype: SafetensorsDType = 'BF16'; // loads as float32
 * ```
 */
export type SafetensorsDType =
  | 'F64'
  | 'F32'
  | 'F16'
  | 'BF16'
  | 'I64'
  | 'I32'
  | 'I16'
  | 'I8'
  | 'U64'
  | 'U32'
  | 'U16'
  | 'U8'
  | 'BOOL';

/**
 * Options of {@link loadSafetensors}.
 *
 * @example
 * ```ts
 * loadSafetensors(bytes, { maxHeaderBytes: 1_000_000 });
 * ```
 */
export interface LoadSafetensorsOptions {
  /**
   * The largest JSON header accepted, in bytes; a longer declared header is rejected before anything is
   * allocated. Defaults to {@link SAFETENSORS_MAX_HEADER_BYTES} (100 MB, the reference implementation's bound).
   */
  maxHeaderBytes?: number;
}

/**
 * What {@link loadSafetensors} returns: the tensors and the `__metadata__` strings, both prototype-free objects.
 *
 * @example
 * ```ts
 * const { tensors, metadata }: SafetensorsContents = loadSafetensors(bytes);
 * ```
 */
export interface SafetensorsContents {
  /** The tensors by name, in header order, in an object created with `Object.create(null)`. */
  tensors: Record<string, Tensor>;
  /** The `__metadata__` entries (an empty object when the file has none), also prototype-free. */
  metadata: Record<string, string>;
}

/**
 * The default bound on the JSON header's length: 100 MB, as in the reference implementation.
 *
 * @example
 * ```ts
 * loadSafetensors(bytes, { maxHeaderBytes: 2 * SAFETENSORS_MAX_HEADER_BYTES }); // trust a huge header
 * ```
 */
export const SAFETENSORS_MAX_HEADER_BYTES = 100_000_000;

const METADATA_KEY = '__metadata__';
const MAX_JSON_DEPTH = 32;

interface DTypeInfo {
  bytes: number;
  nabla: DType;
}

const DTYPE_INFO: Record<SafetensorsDType, DTypeInfo> = {
  F64: { bytes: 8, nabla: 'float64' },
  F32: { bytes: 4, nabla: 'float32' },
  F16: { bytes: 2, nabla: 'float32' },
  BF16: { bytes: 2, nabla: 'float32' },
  I64: { bytes: 8, nabla: 'int32' },
  I32: { bytes: 4, nabla: 'int32' },
  I16: { bytes: 2, nabla: 'int32' },
  I8: { bytes: 1, nabla: 'int32' },
  U64: { bytes: 8, nabla: 'int32' },
  U32: { bytes: 4, nabla: 'int32' },
  U16: { bytes: 2, nabla: 'int32' },
  U8: { bytes: 1, nabla: 'int32' },
  BOOL: { bytes: 1, nabla: 'int32' },
};

// Dtypes the format defines but nabla cannot represent: reported as unsupported rather than unknown.
const UNSUPPORTED_DTYPES = new Set(['F8_E5M2', 'F8_E4M3', 'F8_E8M0', 'F6_E2M3', 'F6_E3M2', 'F4', 'C64']);

const SAVE_DTYPES: Record<DType, SafetensorsDType> = { float64: 'F64', float32: 'F32', int32: 'I32' };

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function isKnownDType(dtype: string): dtype is SafetensorsDType {
  return Object.hasOwn(DTYPE_INFO, dtype);
}

function quote(name: string): string {
  return JSON.stringify(name);
}

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
    encodeData(tensor.data, out, cursor, HOST_LITTLE_ENDIAN);
    cursor += tensor.data.byteLength;
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

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return `an object (${Object.prototype.toString.call(value)})`;
  if (typeof value === 'string') return `the string ${quote(value)}`;
  return `${typeof value} ${String(value)}`;
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
  else for (let i = 0; i < data.length; i++) view.setInt32(i * 4, data[i], true);
}

/**
 * Parse the bytes of a safetensors file into tensors and metadata. The file is treated as untrusted: every
 * malformed case (truncated file, header length beyond the file or beyond `maxHeaderBytes`, a header that is not
 * UTF-8 or not a JSON object, duplicate keys, a bad `dtype`, `shape` or `data_offsets`, offsets that overlap, leave
 * gaps or do not cover the data area exactly, a size that disagrees with dtype × shape, integers that do not fit in
 * int32, non-string metadata) throws a {@link SafetensorsError}, and nothing is allocated beyond a small multiple
 * of the file's size.
 *
 * Data are copied out of `bytes` (the tensors never alias it). `F64` loads as `float64`; `F32`, `F16` and `BF16`
 * as `float32` (exactly); `I64`, `I32`, `I16`, `I8`, `U64`, `U32`, `U16`, `U8` and `BOOL` (bytes 0 or 1) as
 * `int32`. Any tensor name is allowed, including `__proto__` or `constructor`: results are prototype-free objects,
 * so such names are ordinary keys and pollute nothing.
 *
 * @param bytes - the whole file
 * @param options - `maxHeaderBytes` (default 100 MB)
 * @returns `{ tensors, metadata }`, both created with `Object.create(null)`
 *
 * @example
 * ```ts
 * const { tensors, metadata } = loadSafetensors(new Uint8Array(await (await fetch('model.safetensors')).arrayBuffer()));
 * model.loadStateDict(tensors);
 * ```
 *
 * @see https://github.com/huggingface/safetensors#format and https://huggingface.co/docs/safetensors
 */
export function loadSafetensors(bytes: Uint8Array, options: LoadSafetensorsOptions = {}): SafetensorsContents {
  if (!(bytes instanceof Uint8Array))
    throw new SafetensorsError(`loadSafetensors: bytes must be a Uint8Array, got ${describe(bytes)}`);
  if (options === null || typeof options !== 'object')
    throw new SafetensorsError(`loadSafetensors: options must be an object, got ${describe(options)}`);
  const maxHeaderBytes = options.maxHeaderBytes ?? SAFETENSORS_MAX_HEADER_BYTES;
  if (!Number.isSafeInteger(maxHeaderBytes) || maxHeaderBytes < 2)
    throw new SafetensorsError(`loadSafetensors: maxHeaderBytes must be an integer >= 2, got ${maxHeaderBytes}`);
  if (bytes.length < 8)
    throw new SafetensorsError(
      `loadSafetensors: the file has ${bytes.length} bytes, fewer than the 8 of the header length`,
    );

  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
  if (headerLength > maxHeaderBytes)
    throw new SafetensorsError(
      `loadSafetensors: header length ${headerLength} exceeds the limit of ${maxHeaderBytes} bytes`,
    );
  if (headerLength > bytes.length - 8)
    throw new SafetensorsError(
      `loadSafetensors: header length ${headerLength} extends beyond the end of the file ` +
        `(${bytes.length} bytes, so at most ${bytes.length - 8} for the header)`,
    );

  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8, 8 + headerLength));
  } catch {
    throw new SafetensorsError('loadSafetensors: the header is not valid UTF-8');
  }
  if (text[0] !== '{')
    throw new SafetensorsError(`loadSafetensors: the header must start with '{', got ${describeStart(text)}`);
  const header = new JsonParser(text).parseDocument();
  if (!(header instanceof Map)) throw new SafetensorsError('loadSafetensors: the header is not a JSON object');

  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const metadata: Record<string, string> = Object.create(null);
  const infos: TensorInfo[] = [];
  for (const [name, value] of header) {
    if (name === METADATA_KEY) readMetadata(value, metadata);
    else infos.push(readTensorInfo(name, value, dataLength));
  }
  checkCoverage(infos, dataLength);

  const tensors: Record<string, Tensor> = Object.create(null);
  for (const info of infos) {
    const data = decodeData(bytes, dataStart + info.begin, info.dtype, info.count, info.name, HOST_LITTLE_ENDIAN);
    tensors[info.name] = new Tensor(data, info.shape, DTYPE_INFO[info.dtype].nabla);
  }
  return { tensors, metadata };
}

function describeStart(text: string): string {
  if (text.length === 0) return 'an empty header';
  return `${JSON.stringify(text.slice(0, 16))}${text.length > 16 ? '...' : ''}`;
}

interface TensorInfo {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  count: number;
  begin: number;
  end: number;
}

function readMetadata(value: JsonValue, out: Record<string, string>): void {
  if (!(value instanceof Map))
    throw new SafetensorsError(`loadSafetensors: ${quote(METADATA_KEY)} must be an object, got ${jsonKind(value)}`);
  for (const [key, item] of value) {
    if (typeof item !== 'string')
      throw new SafetensorsError(
        `loadSafetensors: metadata values must be strings, but ${quote(key)} is ${jsonKind(item)}`,
      );
    out[key] = item;
  }
}

function readTensorInfo(name: string, value: JsonValue, dataLength: number): TensorInfo {
  const where = `tensor ${quote(name)}`;
  if (!(value instanceof Map))
    throw new SafetensorsError(`loadSafetensors: ${where} must be an object, got ${jsonKind(value)}`);

  const dtype = value.get('dtype');
  if (typeof dtype !== 'string')
    throw new SafetensorsError(`loadSafetensors: ${where} needs a string "dtype", got ${jsonKind(dtype)}`);
  if (!isKnownDType(dtype)) {
    const kind = UNSUPPORTED_DTYPES.has(dtype) ? 'unsupported' : 'unknown';
    throw new SafetensorsError(
      `loadSafetensors: ${where} has ${kind} dtype ${quote(dtype)}; supported: ${Object.keys(DTYPE_INFO).join(', ')}`,
    );
  }

  const shape = value.get('shape');
  if (!Array.isArray(shape))
    throw new SafetensorsError(`loadSafetensors: ${where} needs a "shape" array, got ${jsonKind(shape)}`);
  let count = 1;
  for (const dim of shape) {
    if (typeof dim !== 'number' || !Number.isSafeInteger(dim) || dim < 0)
      throw new SafetensorsError(
        `loadSafetensors: ${where} has shape ${JSON.stringify(shape)}; dimensions must be non-negative integers`,
      );
    count *= dim;
    if (count > Number.MAX_SAFE_INTEGER)
      throw new SafetensorsError(`loadSafetensors: ${where} has shape ${JSON.stringify(shape)}, too many elements`);
  }

  const offsets = value.get('data_offsets');
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    offsets.some((o) => typeof o !== 'number' || !Number.isSafeInteger(o) || o < 0)
  )
    throw new SafetensorsError(
      `loadSafetensors: ${where} needs "data_offsets" [begin, end] of non-negative integers, got ${jsonText(offsets)}`,
    );
  const [begin, end] = offsets as number[];
  if (end < begin)
    throw new SafetensorsError(`loadSafetensors: ${where} has data_offsets [${begin}, ${end}] with end < begin`);
  if (end > dataLength)
    throw new SafetensorsError(
      `loadSafetensors: ${where} has data_offsets [${begin}, ${end}] outside the data area of ${dataLength} bytes`,
    );
  const expected = count * DTYPE_INFO[dtype].bytes;
  if (end - begin !== expected)
    throw new SafetensorsError(
      `loadSafetensors: ${where} has dtype ${dtype} and shape [${shape.join(',')}] (${expected} bytes) ` +
        `but data_offsets [${begin}, ${end}] span ${end - begin} bytes`,
    );
  return { name, dtype, shape: shape as number[], count, begin, end };
}

// The format requires the tensors to cover the data area exactly: no overlap, no gap, nothing after the last.
function checkCoverage(infos: TensorInfo[], dataLength: number): void {
  const sorted = [...infos].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let previous: TensorInfo | null = null;
  for (const info of sorted) {
    if (info.begin < cursor && previous !== null)
      throw new SafetensorsError(
        `loadSafetensors: tensor ${quote(info.name)} [${info.begin}, ${info.end}] overlaps ` +
          `tensor ${quote(previous.name)} [${previous.begin}, ${previous.end}]`,
      );
    if (info.begin > cursor)
      throw new SafetensorsError(
        `loadSafetensors: bytes [${cursor}, ${info.begin}) of the data area belong to no tensor ` +
          `(a gap before tensor ${quote(info.name)}); the format requires full coverage`,
      );
    cursor = info.end;
    previous = info;
  }
  if (cursor !== dataLength)
    throw new SafetensorsError(
      `loadSafetensors: the data area has ${dataLength} bytes but the tensors cover only ${cursor}; ` +
        'the format requires full coverage',
    );
}

/**
 * Decode `count` little-endian elements of `dtype` starting at byte `offset` of `bytes` into a new typed array of
 * the nabla dtype: a byte copy when the host is little-endian and the layouts agree, a DataView otherwise.
 *
 * @internal exported for tests of the big-endian path
 *
 * @example
 * ```ts
 * decodeData(new Uint8Array([0, 0, 128, 63]), 0, 'F32', 1, 'x', false); // Float32Array [1]
 * ```
 */
export function decodeData(
  bytes: Uint8Array,
  offset: number,
  dtype: SafetensorsDType,
  count: number,
  name: string,
  hostLittleEndian: boolean,
): TypedArray {
  const size = DTYPE_INFO[dtype].bytes;
  const source = bytes.subarray(offset, offset + count * size);
  const view = new DataView(source.buffer, source.byteOffset, source.byteLength);
  switch (dtype) {
    case 'F64': {
      const out = new Float64Array(count);
      if (hostLittleEndian) new Uint8Array(out.buffer).set(source);
      else for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
      return out;
    }
    case 'F32': {
      const out = new Float32Array(count);
      if (hostLittleEndian) new Uint8Array(out.buffer).set(source);
      else for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
      return out;
    }
    case 'BF16': {
      // bfloat16 is the upper half of a float32, so widening is exact and keeps NaN payloads.
      const out = new Float32Array(count);
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) bits[i] = view.getUint16(i * 2, true) << 16;
      return out;
    }
    case 'F16': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = halfToNumber(view.getUint16(i * 2, true));
      return out;
    }
    case 'I32': {
      const out = new Int32Array(count);
      if (hostLittleEndian) new Uint8Array(out.buffer).set(source);
      else for (let i = 0; i < count; i++) out[i] = view.getInt32(i * 4, true);
      return out;
    }
    case 'I64':
    case 'U64':
      return decodeInt64(view, count, dtype === 'I64', name);
    case 'U32': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) {
        const v = view.getUint32(i * 4, true);
        if (v > 0x7fffffff) throw outOfRange(name, dtype, i, String(v));
        out[i] = v;
      }
      return out;
    }
    case 'I16':
    case 'U16':
    case 'I8':
    case 'U8':
      return decodeSmallInt(view, count, dtype);
    case 'BOOL': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) {
        const v = source[i];
        if (v > 1)
          throw new SafetensorsError(
            `loadSafetensors: BOOL tensor ${quote(name)} holds byte ${v} at element ${i}; expected 0 or 1`,
          );
        out[i] = v;
      }
      return out;
    }
  }
}

function decodeSmallInt(view: DataView, count: number, dtype: 'I16' | 'U16' | 'I8' | 'U8'): Int32Array {
  const out = new Int32Array(count);
  if (dtype === 'I16') for (let i = 0; i < count; i++) out[i] = view.getInt16(i * 2, true);
  else if (dtype === 'U16') for (let i = 0; i < count; i++) out[i] = view.getUint16(i * 2, true);
  else if (dtype === 'I8') for (let i = 0; i < count; i++) out[i] = view.getInt8(i);
  else for (let i = 0; i < count; i++) out[i] = view.getUint8(i);
  return out;
}

function decodeInt64(view: DataView, count: number, signed: boolean, name: string): Int32Array {
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const low = view.getUint32(i * 8, true);
    const high = view.getInt32(i * 8 + 4, true);
    // A 64-bit value fits in int32 exactly when its high word is the sign extension of its low word.
    const fits = (high === 0 && low <= 0x7fffffff) || (signed && high === -1 && low >= 0x80000000);
    if (!fits) {
      const value = signed ? view.getBigInt64(i * 8, true) : view.getBigUint64(i * 8, true);
      throw outOfRange(name, signed ? 'I64' : 'U64', i, value.toString());
    }
    out[i] = low | 0;
  }
  return out;
}

function outOfRange(name: string, dtype: SafetensorsDType, index: number, value: string): SafetensorsError {
  return new SafetensorsError(
    `loadSafetensors: ${dtype} tensor ${quote(name)} holds ${value} at element ${index}, ` +
      'outside the int32 range [-2147483648, 2147483647] that nabla integer tensors hold',
  );
}

function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

const SIMPLE_ESCAPES: Record<string, string> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

// A JSON value as the header parser builds it: objects become Maps, so no key can reach a prototype.
type JsonValue = null | boolean | number | string | JsonValue[] | Map<string, JsonValue>;

function jsonKind(value: JsonValue | undefined): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Map) return 'an object';
  return `${typeof value} ${JSON.stringify(value)}`;
}

function jsonText(value: JsonValue | undefined): string {
  if (value === undefined) return 'nothing';
  if (value instanceof Map) return 'an object';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 80)}...` : text;
}

/**
 * A strict RFC 8259 parser for the header. `JSON.parse` would silently keep the last of duplicate keys (the format
 * forbids duplicates) and would build plain objects; this one rejects duplicates, bounds the nesting depth and runs
 * in linear time without recursion deeper than {@link MAX_JSON_DEPTH}.
 */
class JsonParser {
  private pos = 0;

  constructor(private readonly text: string) {}

  parseDocument(): JsonValue {
    const value = this.parseValue(0);
    this.skipWhitespace();
    if (this.pos !== this.text.length) this.fail('unexpected text after the JSON object');
    return value;
  }

  private fail(problem: string): never {
    throw new SafetensorsError(`loadSafetensors: the header is not valid JSON: ${problem} at character ${this.pos}`);
  }

  private skipWhitespace(): void {
    const text = this.text;
    while (this.pos < text.length) {
      const c = text.charCodeAt(this.pos);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
      this.pos++;
    }
  }

  private parseValue(depth: number): JsonValue {
    this.skipWhitespace();
    const c = this.text[this.pos];
    if (c === '{') return this.parseObject(depth + 1);
    if (c === '[') return this.parseArray(depth + 1);
    if (c === '"') return this.parseString();
    if (c === '-' || (c >= '0' && c <= '9')) return this.parseNumber();
    if (this.text.startsWith('true', this.pos)) return this.literal(4, true);
    if (this.text.startsWith('false', this.pos)) return this.literal(5, false);
    if (this.text.startsWith('null', this.pos)) return this.literal(4, null);
    return this.fail(c === undefined ? 'unexpected end' : `unexpected ${JSON.stringify(c)}`);
  }

  private literal(length: number, value: boolean | null): boolean | null {
    this.pos += length;
    return value;
  }

  private parseObject(depth: number): Map<string, JsonValue> {
    if (depth > MAX_JSON_DEPTH) this.fail(`nesting deeper than ${MAX_JSON_DEPTH}`);
    const out = new Map<string, JsonValue>();
    this.pos++;
    this.skipWhitespace();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return out;
    }
    for (;;) {
      this.skipWhitespace();
      if (this.text[this.pos] !== '"') this.fail('expected a string key');
      const key = this.parseString();
      if (out.has(key)) this.fail(`duplicate key ${quote(key)}`);
      this.skipWhitespace();
      if (this.text[this.pos] !== ':') this.fail("expected ':'");
      this.pos++;
      out.set(key, this.parseValue(depth));
      this.skipWhitespace();
      const c = this.text[this.pos];
      this.pos++;
      if (c === '}') return out;
      if (c !== ',') {
        this.pos--;
        this.fail("expected ',' or '}'");
      }
    }
  }

  private parseArray(depth: number): JsonValue[] {
    if (depth > MAX_JSON_DEPTH) this.fail(`nesting deeper than ${MAX_JSON_DEPTH}`);
    const out: JsonValue[] = [];
    this.pos++;
    this.skipWhitespace();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.parseValue(depth));
      this.skipWhitespace();
      const c = this.text[this.pos];
      this.pos++;
      if (c === ']') return out;
      if (c !== ',') {
        this.pos--;
        this.fail("expected ',' or ']'");
      }
    }
  }

  private parseString(): string {
    const text = this.text;
    this.pos++;
    let out = '';
    let chunk = this.pos;
    for (;;) {
      if (this.pos >= text.length) this.fail('unterminated string');
      const c = text.charCodeAt(this.pos);
      if (c === 0x22) {
        out += text.slice(chunk, this.pos);
        this.pos++;
        return out;
      }
      if (c < 0x20) this.fail('control character in a string');
      if (c !== 0x5c) {
        this.pos++;
        continue;
      }
      out += text.slice(chunk, this.pos);
      out += this.parseEscape();
      chunk = this.pos;
    }
  }

  private parseEscape(): string {
    const e = this.text[this.pos + 1];
    if (e !== undefined && Object.hasOwn(SIMPLE_ESCAPES, e)) {
      this.pos += 2;
      return SIMPLE_ESCAPES[e];
    }
    if (e === 'u') {
      const hex = this.text.slice(this.pos + 2, this.pos + 6);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('bad \\u escape');
      this.pos += 6;
      return String.fromCharCode(Number.parseInt(hex, 16));
    }
    return this.fail('bad escape');
  }

  private parseNumber(): number {
    const text = this.text;
    const start = this.pos;
    if (text[this.pos] === '-') this.pos++;
    if (text[this.pos] === '0') this.pos++;
    else if (!this.digits()) this.fail('bad number');
    if (text[this.pos] === '.') {
      this.pos++;
      if (!this.digits()) this.fail('bad number');
    }
    if (text[this.pos] === 'e' || text[this.pos] === 'E') {
      this.pos++;
      if (text[this.pos] === '+' || text[this.pos] === '-') this.pos++;
      if (!this.digits()) this.fail('bad number');
    }
    return Number(text.slice(start, this.pos));
  }

  private digits(): boolean {
    const start = this.pos;
    while (this.pos < this.text.length) {
      const c = this.text.charCodeAt(this.pos);
      if (c < 0x30 || c > 0x39) break;
      this.pos++;
    }
    return this.pos > start;
  }
}
