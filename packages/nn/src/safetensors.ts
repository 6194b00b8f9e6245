import { type DType, float16Value, NablaError, Tensor, type TypedArray } from '@nablajs/core';

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
 * loadSafetensors(bytes, { maxHeaderBytes: 1_000_000, maxEntries: 10_000 });
 * ```
 */
export interface LoadSafetensorsOptions {
  /**
   * The largest JSON header accepted, in bytes; a longer declared header is rejected before anything is
   * allocated. Defaults to {@link SAFETENSORS_MAX_HEADER_BYTES} (100 MB, the reference implementation's bound).
   */
  maxHeaderBytes?: number;
  /**
   * The most tensors the header may list, and the most `__metadata__` entries it may hold; one more is rejected
   * as soon as the parser reaches it. Defaults to {@link SAFETENSORS_MAX_ENTRIES} (131,072).
   */
  maxEntries?: number;
  /**
   * Load `F16` and `BF16` entries as nabla `float16` and `bfloat16` tensors (their bit patterns copied
   * unchanged) instead of widening them to `float32`. Default `false`.
   */
  keepHalf?: boolean;
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

/**
 * The default bound on the number of tensors a file may list, and on the number of its `__metadata__` entries:
 * 2^17 = 131,072. Loading costs time and memory per entry (see {@link loadSafetensors}), and the 100 MB header
 * bound alone admits about 1.7 million empty tensors (several seconds and most of a gigabyte); this keeps the
 * worst case near 0.7 s and 100 MB. Real files
 * list far fewer (a large language model's shard holds a few thousand tensors, a nabla checkpoint one per parameter
 * and one per optimizer-state array); pass `maxEntries` to read a larger one.
 *
 * @example
 * ```ts
 * loadSafetensors(bytes, { maxEntries: 4 * SAFETENSORS_MAX_ENTRIES }); // trust a file with more tensors
 * ```
 */
export const SAFETENSORS_MAX_ENTRIES = 2 ** 17;

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

const SAVE_DTYPES: Record<DType, SafetensorsDType> = {
  float64: 'F64',
  float32: 'F32',
  int32: 'I32',
  float16: 'F16',
  bfloat16: 'BF16',
};

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
  else if (data instanceof Uint16Array) for (let i = 0; i < data.length; i++) view.setUint16(i * 2, data[i], true);
  else for (let i = 0; i < data.length; i++) view.setInt32(i * 4, data[i], true);
}

/**
 * Parse the bytes of a safetensors file into tensors and metadata. The file is treated as untrusted: every
 * malformed case (truncated file, header length beyond the file or beyond `maxHeaderBytes`, more than `maxEntries`
 * tensors or metadata entries, a header that is not UTF-8 or not a JSON object, duplicate keys, a bad `dtype`,
 * `shape` or `data_offsets`, offsets that overlap, leave gaps or do not cover the data area exactly, a size that
 * disagrees with dtype × shape, integers that do not fit in int32, non-string metadata) throws a
 * {@link SafetensorsError}. The first problem in header order is reported, and parsing stops there.
 *
 * Cost: time and memory linear in the file's size, and at most `maxEntries` entries. The header is parsed once,
 * in one pass that builds no JSON values for well-formed entries (an entry costs its tensor, its name and a few
 * slots of typed arrays), and the coverage check sorts the entries at most once (O(n log n); no sort when the
 * offsets are already in order). Measured by `bench/safetensors-cost.bench.ts` on headers of empty tensors (58
 * bytes an entry, the worst case per header byte), Node 20 on a busy 2-core AMD EPYC: about 5 µs per entry at
 * 10^5 entries (up to 10 µs on smaller headers), 13 to 18 bytes allocated and 7.2 bytes kept per header byte
 * (about 420 bytes per empty tensor: the Tensor, its shape, its empty array, its name and its slot in the
 * result). At the default limit of {@link SAFETENSORS_MAX_ENTRIES} (a 7.6 MB header) that is about 0.7 s, 100 MB
 * allocated and 55 MB kept. Tensor data add their own size, up to 4× for the types that widen (`U8`, `I8` and
 * `BOOL` load as int32).
 *
 * Data are copied out of `bytes` (the tensors never alias it). `F64` loads as `float64`; `F32`, `F16` and `BF16`
 * as `float32` (exactly; with `keepHalf`, `F16` and `BF16` load as `float16` and `bfloat16` bit patterns); `I64`, `I32`, `I16`, `I8`, `U64`, `U32`, `U16`, `U8` and `BOOL` (bytes 0 or 1) as
 * `int32`. Any tensor name is allowed, including `__proto__` or `constructor`: results are prototype-free objects,
 * so such names are ordinary keys and pollute nothing.
 *
 * @param bytes - the whole file
 * @param options - `maxHeaderBytes` (default 100 MB), `maxEntries` (default {@link SAFETENSORS_MAX_ENTRIES})
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
    throw new SafetensorsError(
      `loadSafetensors: maxHeaderBytes must be an integer >= 2, got ${describeOption(maxHeaderBytes)}`,
    );
  const maxEntries = options.maxEntries ?? SAFETENSORS_MAX_ENTRIES;
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 0)
    throw new SafetensorsError(
      `loadSafetensors: maxEntries must be a non-negative integer, got ${describeOption(maxEntries)}`,
    );
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

  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const parser = new HeaderParser(text, dataLength, maxEntries);
  parser.parseHeader();
  const { table, tensors, metadata } = parser;
  checkCoverage(table, dataLength);

  for (let i = 0; i < table.count; i++) {
    const dtype = DTYPE_NAMES[table.dtypes[i]];
    const name = table.names[i];
    const begin = table.begins[i];
    const count = (table.ends[i] - begin) / DTYPE_INFO[dtype].bytes;
    if (options.keepHalf === true && (dtype === 'F16' || dtype === 'BF16')) {
      const bits = new Uint16Array(count);
      const view = new DataView(bytes.buffer, bytes.byteOffset + dataStart + begin, count * 2);
      for (let k = 0; k < count; k++) bits[k] = view.getUint16(k * 2, true);
      tensors[name] = new Tensor(bits, table.shape(i), dtype === 'F16' ? 'float16' : 'bfloat16');
      continue;
    }
    const data = decodeData(bytes, dataStart + begin, dtype, count, name, HOST_LITTLE_ENDIAN);
    tensors[name] = new Tensor(data, table.shape(i), DTYPE_INFO[dtype].nabla);
  }
  return { tensors, metadata };
}

function describeOption(value: unknown): string {
  return typeof value === 'string' ? quote(value) : String(value);
}

function describeStart(text: string): string {
  if (text.length === 0) return 'an empty header';
  return `${JSON.stringify(text.slice(0, 16))}${text.length > 16 ? '...' : ''}`;
}

function tooManyEntries(maxEntries: number, what: string): SafetensorsError {
  return new SafetensorsError(
    `loadSafetensors: ${what} more than maxEntries = ${maxEntries} entries (the default limit is ` +
      `SAFETENSORS_MAX_ENTRIES = ${SAFETENSORS_MAX_ENTRIES}); raise maxEntries if the file is genuine`,
  );
}

// The supported dtypes by code: the parser stores a code per entry, not a string.
const DTYPE_NAMES = Object.keys(DTYPE_INFO) as SafetensorsDType[];
const DTYPE_BYTES = Uint8Array.from(DTYPE_NAMES, (name) => DTYPE_INFO[name].bytes);
const DTYPE_CODES = Object.fromEntries(DTYPE_NAMES.map((name, code) => [name, code])) as Record<
  SafetensorsDType,
  number
>;

/** The code of the supported dtype spelled by `text[start, end)`, or -1; compares in place, allocates nothing. */
function dtypeCode(text: string, start: number, end: number): number {
  for (let code = 0; code < DTYPE_NAMES.length; code++) {
    const name = DTYPE_NAMES[code];
    if (name.length === end - start && text.startsWith(name, start)) return code;
  }
  return -1;
}

/**
 * The entries of a header, one column per field in typed arrays that double when full: an entry costs no object of
 * its own, only its name (kept for the result) and a few slots.
 */
class EntryTable {
  count = 0;
  readonly names: string[] = [];
  dtypes = new Uint8Array(16);
  begins = new Float64Array(16);
  ends = new Float64Array(16);
  /** Entry i's dimensions are `dims[shapeStarts[i]]` to `dims[shapeStarts[i + 1] - 1]`. */
  shapeStarts = new Uint32Array(17);
  dims = new Float64Array(64);
  dimCount = 0;

  pushDim(dim: number): void {
    if (this.dimCount === this.dims.length) this.dims = grown(this.dims, 2 * this.dims.length);
    // A dimension written -0 is 0.
    this.dims[this.dimCount++] = dim + 0;
  }

  /** Forget the dimensions pushed since the last committed entry. */
  abandon(): void {
    this.dimCount = this.shapeStarts[this.count];
  }

  commit(name: string, dtype: number, begin: number, end: number): void {
    const i = this.count;
    if (i === this.dtypes.length) {
      const capacity = 2 * i;
      this.dtypes = grown(this.dtypes, capacity);
      this.begins = grown(this.begins, capacity);
      this.ends = grown(this.ends, capacity);
      this.shapeStarts = grown(this.shapeStarts, capacity + 1);
    }
    this.names.push(name);
    this.dtypes[i] = dtype;
    this.begins[i] = begin;
    this.ends[i] = end;
    this.shapeStarts[i + 1] = this.dimCount;
    this.count = i + 1;
  }

  shape(i: number): number[] {
    const start = this.shapeStarts[i];
    const shape = new Array<number>(this.shapeStarts[i + 1] - start);
    for (let d = 0; d < shape.length; d++) shape[d] = this.dims[start + d];
    return shape;
  }
}

function grown<A extends Uint8Array | Uint32Array | Float64Array>(array: A, length: number): A {
  const out = new (array.constructor as new (length: number) => A)(length);
  out.set(array);
  return out;
}

interface TensorInfo {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  count: number;
  begin: number;
  end: number;
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
// Entries are visited by (begin, end), then header order; the sort is skipped when the header is in that order.
function checkCoverage(table: EntryTable, dataLength: number): void {
  const { count, begins, ends, names } = table;
  let order: Uint32Array | null = null;
  for (let i = 1; i < count; i++) {
    if (begins[i] > begins[i - 1] || (begins[i] === begins[i - 1] && ends[i] >= ends[i - 1])) continue;
    order = new Uint32Array(count);
    for (let j = 0; j < count; j++) order[j] = j;
    order.sort((a, b) => begins[a] - begins[b] || ends[a] - ends[b] || a - b);
    break;
  }
  let cursor = 0;
  let previous = -1;
  for (let k = 0; k < count; k++) {
    const i = order === null ? k : order[k];
    if (begins[i] < cursor && previous >= 0)
      throw new SafetensorsError(
        `loadSafetensors: tensor ${quote(names[i])} [${begins[i]}, ${ends[i]}] overlaps ` +
          `tensor ${quote(names[previous])} [${begins[previous]}, ${ends[previous]}]`,
      );
    if (begins[i] > cursor)
      throw new SafetensorsError(
        `loadSafetensors: bytes [${cursor}, ${begins[i]}) of the data area belong to no tensor ` +
          `(a gap before tensor ${quote(names[i])}); the format requires full coverage`,
      );
    cursor = ends[i];
    previous = i;
  }
  if (cursor !== dataLength)
    throw new SafetensorsError(
      `loadSafetensors: the data area has ${dataLength} bytes but the tensors cover only ${cursor}; ` +
        'the format requires full coverage',
    );
}

/**
 * Decode `count` little-endian elements of `dtype` starting at byte `offset` of `bytes` into a new typed array of
 * the nabla dtype: one copy of the bytes when the host is little-endian and the layouts agree, a DataView otherwise.
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
  if (count === 0) return emptyOf(DTYPE_INFO[dtype].nabla);
  if (hostLittleEndian && (dtype === 'F64' || dtype === 'F32' || dtype === 'I32')) {
    const copy = copyBytes(bytes, offset, count * size);
    return dtype === 'F64' ? new Float64Array(copy) : dtype === 'F32' ? new Float32Array(copy) : new Int32Array(copy);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, count * size);
  switch (dtype) {
    case 'F64': {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
      return out;
    }
    case 'F32': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
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
      for (let i = 0; i < count; i++) out[i] = float16Value(view.getUint16(i * 2, true));
      return out;
    }
    case 'I32': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt32(i * 4, true);
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
        const v = view.getUint8(i);
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

function emptyOf(dtype: DType): TypedArray {
  return dtype === 'float64' ? new Float64Array(0) : dtype === 'float32' ? new Float32Array(0) : new Int32Array(0);
}

/** A fresh ArrayBuffer holding `length` bytes of `bytes` from `offset`: one copy, no intermediate views. */
function copyBytes(bytes: Uint8Array, offset: number, length: number): ArrayBuffer {
  const start = bytes.byteOffset + offset;
  if (bytes.buffer instanceof ArrayBuffer) return bytes.buffer.slice(start, start + length);
  // A SharedArrayBuffer (or one of another realm): copy through a new Uint8Array so the tensor owns plain memory.
  const out = new Uint8Array(length);
  out.set(bytes.subarray(offset, offset + length));
  return out.buffer;
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

const QUOTE = 0x22;
const COMMA = 0x2c;
const COLON = 0x3a;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const BACKSLASH = 0x5c;
// A plain integer of at most this many digits is below 2^53, so adding up its digits is exact.
const MAX_PLAIN_DIGITS = 15;

/**
 * A strict RFC 8259 parser for the header, in one pass. `JSON.parse` would silently keep the last of duplicate keys
 * (the format forbids duplicates) and would build plain objects; this one rejects duplicates, bounds the nesting
 * depth (no recursion deeper than {@link MAX_JSON_DEPTH}) and runs in linear time. A well-formed tensor entry is
 * read straight into the {@link EntryTable} without building any JSON value ({@link HeaderParser.fastEntry});
 * anything unusual (escapes, extra fields, numbers written with a fraction or an exponent, or an error) sends the
 * entry through the general parser and the checks of `readTensorInfo`, which decide and word the error. The first
 * problem in header order is thrown.
 */
class HeaderParser {
  private pos = 0;
  private sawMetadata = false;
  // Where the last plainInteger ended.
  private scanEnd = 0;
  readonly table = new EntryTable();
  /** The result: names in header order, each bound to its tensor once the whole header is checked. */
  readonly tensors: Record<string, Tensor> = Object.create(null);
  readonly metadata: Record<string, string> = Object.create(null);

  constructor(
    private readonly text: string,
    private readonly dataLength: number,
    private readonly maxEntries: number,
  ) {}

  /** Parse the whole header (its first character, `{`, already checked) into the table and the metadata. */
  parseHeader(): void {
    const text = this.text;
    this.pos = 1;
    this.skipWhitespace();
    if (text.charCodeAt(this.pos) === RBRACE) this.pos++;
    else
      for (;;) {
        this.skipWhitespace();
        if (text.charCodeAt(this.pos) !== QUOTE) this.fail('expected a string key');
        const key = this.parseString();
        const isMetadata = key === METADATA_KEY;
        if (isMetadata) {
          if (this.sawMetadata) this.fail(`duplicate key ${quote(key)}`);
          this.sawMetadata = true;
        } else {
          if (key in this.tensors) this.fail(`duplicate key ${quote(key)}`);
          if (this.table.count === this.maxEntries) throw tooManyEntries(this.maxEntries, 'the header lists');
          // A placeholder that keeps the header order; the tensor replaces it.
          this.tensors[key] = null as unknown as Tensor;
        }
        this.skipWhitespace();
        if (text.charCodeAt(this.pos) !== COLON) this.fail("expected ':'");
        this.pos++;
        this.skipWhitespace();
        if (isMetadata) this.parseMetadata();
        else if (!this.fastEntry(key)) this.slowEntry(key);
        this.skipWhitespace();
        const c = text.charCodeAt(this.pos);
        if (c === RBRACE) {
          this.pos++;
          break;
        }
        if (c !== COMMA) this.fail("expected ',' or '}'");
        this.pos++;
      }
    this.skipWhitespace();
    if (this.pos !== text.length) this.fail('unexpected text after the JSON object');
  }

  /** The `__metadata__` object, read straight into the result: strings only. */
  private parseMetadata(): void {
    const text = this.text;
    if (text.charCodeAt(this.pos) !== LBRACE) {
      const value = this.parseValue(1);
      throw new SafetensorsError(`loadSafetensors: ${quote(METADATA_KEY)} must be an object, got ${jsonKind(value)}`);
    }
    const out = this.metadata;
    let count = 0;
    this.pos++;
    this.skipWhitespace();
    if (text.charCodeAt(this.pos) === RBRACE) {
      this.pos++;
      return;
    }
    for (;;) {
      this.skipWhitespace();
      if (text.charCodeAt(this.pos) !== QUOTE) this.fail('expected a string key');
      const key = this.parseString();
      if (Object.hasOwn(out, key)) this.fail(`duplicate key ${quote(key)}`);
      this.skipWhitespace();
      if (text.charCodeAt(this.pos) !== COLON) this.fail("expected ':'");
      this.pos++;
      this.skipWhitespace();
      if (text.charCodeAt(this.pos) !== QUOTE) {
        const value = this.parseValue(2);
        throw new SafetensorsError(
          `loadSafetensors: metadata values must be strings, but ${quote(key)} is ${jsonKind(value)}`,
        );
      }
      if (count === this.maxEntries) throw tooManyEntries(this.maxEntries, `${quote(METADATA_KEY)} holds`);
      out[key] = this.parseString();
      count++;
      this.skipWhitespace();
      const c = text.charCodeAt(this.pos);
      if (c === RBRACE) {
        this.pos++;
        return;
      }
      if (c !== COMMA) this.fail("expected ',' or '}'");
      this.pos++;
    }
  }

  /**
   * Read the entry at `pos` if it is plain: an object with exactly the keys `dtype` (a supported dtype), `shape`
   * and `data_offsets` (arrays of integers written as plain digits), without escapes, that passes every check of
   * `readTensorInfo`. Returns false, with `pos` unchanged, for anything else.
   */
  private fastEntry(name: string): boolean {
    const text = this.text;
    const table = this.table;
    let pos = this.pos;
    if (text.charCodeAt(pos) !== LBRACE) return false;
    pos = this.skipSpaceFrom(pos + 1);
    let dtype = -1;
    let count = -1;
    let begin = -1;
    let end = -1;
    for (;;) {
      if (text.charCodeAt(pos) !== QUOTE) return this.abandon();
      const keyStart = pos + 1;
      const keyEnd = this.plainStringEnd(keyStart);
      if (keyEnd < 0) return this.abandon();
      pos = this.skipSpaceFrom(keyEnd + 1);
      if (text.charCodeAt(pos) !== COLON) return this.abandon();
      pos = this.skipSpaceFrom(pos + 1);
      const keyLength = keyEnd - keyStart;
      if (keyLength === 5 && text.startsWith('dtype', keyStart)) {
        if (dtype >= 0 || text.charCodeAt(pos) !== QUOTE) return this.abandon();
        const valueEnd = this.plainStringEnd(pos + 1);
        if (valueEnd < 0) return this.abandon();
        dtype = dtypeCode(text, pos + 1, valueEnd);
        if (dtype < 0) return this.abandon();
        pos = valueEnd + 1;
      } else if (keyLength === 5 && text.startsWith('shape', keyStart)) {
        if (count >= 0 || text.charCodeAt(pos) !== LBRACKET) return this.abandon();
        count = 1;
        pos = this.skipSpaceFrom(pos + 1);
        if (text.charCodeAt(pos) === RBRACKET) pos++;
        else
          for (;;) {
            const dim = this.plainInteger(pos);
            if (dim < 0) return this.abandon();
            table.pushDim(dim);
            count *= dim;
            if (count > Number.MAX_SAFE_INTEGER) return this.abandon();
            pos = this.skipSpaceFrom(this.scanEnd);
            const c = text.charCodeAt(pos);
            pos = this.skipSpaceFrom(pos + 1);
            if (c === RBRACKET) break;
            if (c !== COMMA) return this.abandon();
          }
      } else if (keyLength === 12 && text.startsWith('data_offsets', keyStart)) {
        if (begin >= 0 || text.charCodeAt(pos) !== LBRACKET) return this.abandon();
        begin = this.plainInteger(this.skipSpaceFrom(pos + 1));
        if (begin < 0) return this.abandon();
        pos = this.skipSpaceFrom(this.scanEnd);
        if (text.charCodeAt(pos) !== COMMA) return this.abandon();
        end = this.plainInteger(this.skipSpaceFrom(pos + 1));
        if (end < 0) return this.abandon();
        pos = this.skipSpaceFrom(this.scanEnd);
        if (text.charCodeAt(pos) !== RBRACKET) return this.abandon();
        pos++;
      } else return this.abandon();
      pos = this.skipSpaceFrom(pos);
      const c = text.charCodeAt(pos);
      if (c === RBRACE) {
        pos++;
        break;
      }
      if (c !== COMMA) return this.abandon();
      pos = this.skipSpaceFrom(pos + 1);
    }
    if (dtype < 0 || count < 0 || begin < 0) return this.abandon();
    if (end < begin || end > this.dataLength || end - begin !== count * DTYPE_BYTES[dtype]) return this.abandon();
    table.commit(name, dtype, begin, end);
    this.pos = pos;
    return true;
  }

  private abandon(): false {
    this.table.abandon();
    return false;
  }

  /** Parse the entry at `pos` as JSON and check it with `readTensorInfo`, which throws the precise error. */
  private slowEntry(name: string): void {
    const info = readTensorInfo(name, this.parseValue(1), this.dataLength);
    for (const dim of info.shape) this.table.pushDim(dim);
    this.table.commit(name, DTYPE_CODES[info.dtype], info.begin, info.end);
  }

  /** The index of the closing quote of a string starting at `start` without escapes, or -1. */
  private plainStringEnd(start: number): number {
    const text = this.text;
    for (let pos = start; pos < text.length; pos++) {
      const c = text.charCodeAt(pos);
      if (c === QUOTE) return pos;
      if (c === BACKSLASH || c < 0x20) return -1;
    }
    return -1;
  }

  /**
   * The value of a non-negative integer written as at most {@link MAX_PLAIN_DIGITS} digits at `pos` (no sign,
   * fraction or exponent), with `scanEnd` set after it; -1 for anything else.
   */
  private plainInteger(pos: number): number {
    const text = this.text;
    let c = text.charCodeAt(pos);
    if (c < 0x30 || c > 0x39) return -1;
    let value = c - 0x30;
    let at = pos + 1;
    c = text.charCodeAt(at);
    if (value !== 0)
      while (c >= 0x30 && c <= 0x39) {
        value = value * 10 + (c - 0x30);
        c = text.charCodeAt(++at);
      }
    if (at - pos > MAX_PLAIN_DIGITS || (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x65 || c === 0x45) return -1;
    this.scanEnd = at;
    return value;
  }

  private skipSpaceFrom(pos: number): number {
    const text = this.text;
    let at = pos;
    while (at < text.length) {
      const c = text.charCodeAt(at);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
      at++;
    }
    return at;
  }

  private fail(problem: string): never {
    throw new SafetensorsError(`loadSafetensors: the header is not valid JSON: ${problem} at character ${this.pos}`);
  }

  private skipWhitespace(): void {
    this.pos = this.skipSpaceFrom(this.pos);
  }

  // The general parser, for entries and values the fast paths do not take.

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
