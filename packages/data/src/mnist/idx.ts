import { NablaError } from '@nablajs/core';

/**
 * A missing, truncated or malformed IDX file (the format of MNIST), or two files that do not belong
 * together. The message names the file and the field that is wrong.
 *
 * @example
 * ```ts
 * try { parseIdx(new Uint8Array(3)); } catch (e) { e instanceof IdxError; } // true
 * ```
 */
export class IdxError extends NablaError {
  /** The error's name, spelled out so that a minifier that renames classes keeps it. */
  override name = 'IdxError';
}

/** The contents of an IDX file of unsigned bytes. */
export interface IdxArray {
  /** The magic number, e.g. `0x00000803` for MNIST images and `0x00000801` for labels. */
  magic: number;
  /** The size of each dimension, e.g. `[10000, 28, 28]`. */
  shape: number[];
  /** The elements in row-major order: a view into the bytes that were parsed, not a copy. */
  data: Uint8Array;
}

/** The IDX type byte of unsigned 8-bit data, the only type MNIST uses. */
const UBYTE = 0x08;
const TYPE_NAMES: Record<number, string> = {
  8: 'unsigned byte',
  9: 'signed byte',
  11: 'short',
  12: 'int',
  13: 'float',
  14: 'double',
};

function hex32(value: number): string {
  return `0x${(value >>> 0).toString(16).padStart(8, '0')}`;
}

/**
 * The header of an IDX file of unsigned bytes: its magic number, its shape, and the sizes it declares.
 *
 * @internal used by `loadMnist` to bound decompression before the data are read
 */
export interface IdxHeader {
  /** The magic number, e.g. `0x00000803`. */
  magic: number;
  /** The size of each dimension. */
  shape: number[];
  /** The bytes of the header: 4 for the magic number and 4 per dimension. */
  headerBytes: number;
  /** The bytes of data the shape declares (the product of the dimensions; above 2^53 it is rounded). */
  dataBytes: number;
}

/**
 * Read and check the header of an IDX file of unsigned bytes from its first bytes (at least the 4 + 4 · ndim bytes
 * of the header; the data need not follow): the magic number (two zero bytes, the type byte 0x08, the number of
 * dimensions) and the big-endian dimension sizes. Errors start with `fn` and name the file by `name`.
 *
 * @internal shared by {@link parseIdx} and `loadMnist`
 *
 * @example
 * ```ts
 * readIdxHeader(new Uint8Array([0, 0, 8, 1, 0, 0, 0, 2]), 'labels').dataBytes; // 2
 * ```
 */
export function readIdxHeader(bytes: Uint8Array, name: string, fn = 'parseIdx'): IdxHeader {
  if (bytes.length < 4)
    throw new IdxError(`${fn}: ${name} is truncated: ${bytes.length} bytes, too short for the 4-byte magic number`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  if (bytes[0] !== 0 || bytes[1] !== 0)
    throw new IdxError(
      `${fn}: ${name} has magic number ${hex32(magic)}, which is not IDX: an IDX file starts with two zero bytes, a type byte and the number of dimensions (0x00000803 for MNIST images, 0x00000801 for labels)`,
    );
  const type = bytes[2];
  if (type !== UBYTE)
    throw new IdxError(
      `${fn}: ${name} has magic number ${hex32(magic)}: type byte 0x${type.toString(16).padStart(2, '0')} (${TYPE_NAMES[type] ?? 'unknown'}) is not supported; only 0x08 (unsigned byte) is`,
    );
  const ndim = bytes[3];
  if (ndim === 0) throw new IdxError(`${fn}: ${name} has magic number ${hex32(magic)}: 0 dimensions`);
  const headerBytes = 4 + 4 * ndim;
  if (bytes.length < headerBytes)
    throw new IdxError(
      `${fn}: ${name} is truncated: ${bytes.length} bytes, but the header of a ${ndim}-dimensional IDX file takes ${headerBytes}`,
    );
  const shape: number[] = [];
  let dataBytes = 1;
  for (let d = 0; d < ndim; d++) {
    const dim = view.getUint32(4 + 4 * d);
    shape.push(dim);
    dataBytes *= dim;
  }
  return { magic, shape, headerBytes, dataBytes };
}

/**
 * Parse an IDX file of unsigned bytes (LeCun's format of the MNIST files) from its (uncompressed) bytes,
 * checking everything: the magic number (two zero bytes, the type byte 0x08, the number of dimensions),
 * the big-endian dimension sizes, and that the length is exactly the header plus the data. Works in
 * browsers (no Node API). `name` (e.g. the file name) is used in error messages.
 *
 * See http://yann.lecun.com/exdb/mnist/ ("FILE FORMATS FOR THE MNIST DATABASE")
 *
 * @example
 * ```ts
 * const labels = parseIdx(new Uint8Array([0, 0, 8, 1, 0, 0, 0, 2, 7, 3]), 'labels');
 * labels.shape; // [2]
 * Array.from(labels.data); // [7, 3]
 * ```
 */
export function parseIdx(bytes: Uint8Array, name = 'IDX data'): IdxArray {
  if (!(bytes instanceof Uint8Array)) throw new IdxError(`parseIdx: ${name} must be a Uint8Array`);
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b)
    throw new IdxError(
      `parseIdx: ${name} is gzip-compressed; decompress it first (loadMnist in @nablajs/data/node does)`,
    );
  const { magic, shape, headerBytes, dataBytes: size } = readIdxHeader(bytes, name);
  const dataBytes = bytes.length - headerBytes;
  if (dataBytes < size)
    throw new IdxError(
      `parseIdx: ${name} is truncated: the header says shape [${shape.join(',')}] (${size} bytes of data) but only ${dataBytes} bytes follow it`,
    );
  if (dataBytes > size)
    throw new IdxError(
      `parseIdx: ${name} has ${dataBytes - size} bytes after the end of its data (the header says shape [${shape.join(',')}], ${size} bytes)`,
    );
  return { magic, shape, data: bytes.subarray(headerBytes) };
}
