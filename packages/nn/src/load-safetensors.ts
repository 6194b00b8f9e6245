import { checkOptions, type DType, float16Value, optionNames, Tensor, type TypedArray } from '@nablajs/core';
import type { EntryTable } from './safetensors-entry-table';
import { describe, quote, SafetensorsError } from './safetensors-error';
import {
  DTYPE_INFO,
  DTYPE_NAMES,
  HOST_LITTLE_ENDIAN,
  SAFETENSORS_MAX_ENTRIES,
  SAFETENSORS_MAX_HEADER_BYTES,
  type SafetensorsDType,
} from './safetensors-format';
import { HeaderParser } from './safetensors-header-parser';

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

/** The option names of {@link loadSafetensors}, for core's `checkOptions` (shared with `loadFile`). */
export const LOAD_SAFETENSORS_OPTIONS = optionNames<LoadSafetensorsOptions>({
  maxHeaderBytes: true,
  maxEntries: true,
  keepHalf: true,
});

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
  checkOptions('loadSafetensors', options, LOAD_SAFETENSORS_OPTIONS);
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
