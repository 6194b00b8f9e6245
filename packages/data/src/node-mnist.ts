import { constants as bufferConstants } from 'node:buffer';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, constants as zlibConstants } from 'node:zlib';
import { checkOptions } from '@nablajs/core';
import { IdxError, readIdxHeader } from './mnist/idx';
import { MNIST_OPTIONS, type Mnist, type MnistOptions, mnistFromIdx } from './mnist/mnist-from-idx';

/** Options of {@link loadMnist}. */
export interface LoadMnistOptions extends MnistOptions {
  /** Which pair of files to read: `'t10k'` (the 10,000 test images, default) or `'train'` (60,000). */
  split?: 'train' | 't10k';
  /**
   * The most bytes one IDX file may hold, header included, after decompression (default {@link MNIST_MAX_BYTES},
   * 128 MiB: the largest MNIST file, the training images, is 47 MB). A file whose IDX header declares more, or
   * that is larger, is an {@link IdxError} raised before its data are read or decompressed.
   */
  maxBytes?: number;
}

/**
 * The default limit of {@link LoadMnistOptions.maxBytes}: 128 MiB per file (decompressed).
 *
 * @example
 * ```ts
 * loadMnist('/data/mnist', { split: 'train', maxBytes: 2 * MNIST_MAX_BYTES });
 * ```
 */
export const MNIST_MAX_BYTES = 2 ** 27;

/** The longest IDX header: the 4-byte magic number and 255 dimensions of 4 bytes. */
const MAX_IDX_HEADER_BYTES = 4 + 4 * 255;

/** The most bytes Node reads or decompresses into one buffer (2 GiB - 1 for `readFileSync`). */
const NODE_BUFFER_LIMIT = Math.min(2 ** 31 - 1, bufferConstants.MAX_LENGTH);

/**
 * Read the bytes of `file` or of `file.gz`, decompressing gzip (detected by its magic bytes 1f 8b, not by the
 * name); an error names the missing file and lists what the directory holds. The IDX header is read first, and
 * its declared size (header + the product of the dimensions) bounds everything after: a declared size above
 * `maxBytes` fails before any data are read or decompressed, and decompression stops at the declared size, so a
 * stream that goes on past it (IDX files have no trailer) fails too, having allocated no more than `maxBytes`.
 */
function readIdxFile(dir: string, file: string, maxBytes: number): { path: string; bytes: Uint8Array } {
  const candidates = [file, `${file}.gz`];
  const found = candidates.map((name) => join(dir, name)).find((path) => existsSync(path));
  if (found === undefined) {
    const entries = readdirSync(dir).sort();
    const listing =
      entries.length === 0
        ? 'it is empty'
        : `it holds: ${entries.slice(0, 20).join(', ')}${entries.length > 20 ? `, ... (${entries.length} entries)` : ''}`;
    throw new IdxError(`loadMnist: ${file} (or ${file}.gz) is missing from ${dir}; ${listing}`);
  }
  const stat = statSync(found);
  if (!stat.isFile()) throw new IdxError(`loadMnist: ${found} is not a regular file`);
  // NOTE: a file larger than maxBytes is never read whole; its first bytes say what is wrong with it.
  const whole = stat.size <= Math.min(maxBytes, NODE_BUFFER_LIMIT);
  const bytes: Uint8Array = whole ? readFileSync(found) : readPrefix(found, MAX_IDX_HEADER_BYTES);
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    if (!whole)
      throw new IdxError(
        `loadMnist: ${found} is a gzip file of ${stat.size} bytes, compressed already more than ${limitText(maxBytes)}`,
      );
    const declared = declaredBytes(gunzipHead(bytes, found), found, maxBytes);
    return { path: found, bytes: gunzipDeclared(bytes, found, declared) };
  }
  const declared = declaredBytes(bytes, found, maxBytes);
  if (!whole)
    throw new IdxError(
      `loadMnist: ${found} holds ${stat.size} bytes, more than the ${declared.bytes} its IDX header declares ` +
        `(shape [${declared.shape.join(',')}]); an IDX file ends with its data`,
    );
  return { path: found, bytes };
}

/** The first `length` bytes of the file at `path` (fewer if it is shorter). */
function readPrefix(path: string, length: number): Uint8Array {
  const out = new Uint8Array(length);
  const fd = openSync(path, 'r');
  try {
    let filled = 0;
    while (filled < length) {
      const n = readSync(fd, out, filled, length - filled, filled);
      if (n === 0) break;
      filled += n;
    }
    return out.subarray(0, filled);
  } finally {
    closeSync(fd);
  }
}

/** The size an IDX file declares (header + data, from its first bytes), checked against `maxBytes`. */
function declaredBytes(head: Uint8Array, path: string, maxBytes: number): { bytes: number; shape: number[] } {
  const header = readIdxHeader(head, path, 'loadMnist');
  const bytes = header.headerBytes + header.dataBytes;
  if (bytes > Math.min(maxBytes, NODE_BUFFER_LIMIT))
    throw new IdxError(
      `loadMnist: ${path}: its IDX header declares shape [${header.shape.join(',')}], ${bytes} bytes with the ` +
        `header, more than ${limitText(maxBytes)}`,
    );
  return { bytes, shape: header.shape };
}

/** The limit in words: maxBytes, or Node's when maxBytes was raised above what Node reads into one buffer. */
function limitText(maxBytes: number): string {
  return maxBytes <= NODE_BUFFER_LIMIT
    ? `maxBytes = ${maxBytes}; raise maxBytes if the file is genuine`
    : `the ${NODE_BUFFER_LIMIT} bytes Node reads into one buffer`;
}

/**
 * The first bytes of the decompressed stream, enough for the IDX header: decompress longer and longer prefixes of
 * the compressed bytes (256, 1024, ... bytes) until the header is out. Deflate expands a byte into at most 1032,
 * so each attempt's output is small and capped accordingly.
 */
function gunzipHead(compressed: Uint8Array, path: string): Uint8Array {
  for (let prefix = 256; ; prefix *= 4) {
    const end = Math.min(prefix, compressed.length);
    let out: Uint8Array;
    try {
      out = gunzipSync(compressed.subarray(0, end), {
        finishFlush: zlibConstants.Z_SYNC_FLUSH,
        maxOutputLength: 1100 * end + 4096,
      });
    } catch (error) {
      throw notGzip(path, error);
    }
    if ((out.length >= 4 && out.length >= 4 + 4 * out[3]) || end === compressed.length) return out;
  }
}

/** Decompress the whole stream, stopping with an IdxError as soon as it passes the declared size. */
function gunzipDeclared(
  compressed: Uint8Array,
  path: string,
  declared: { bytes: number; shape: number[] },
): Uint8Array {
  try {
    return gunzipSync(compressed, { maxOutputLength: declared.bytes });
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE')
      throw new IdxError(
        `loadMnist: ${path} decompresses to more than the ${declared.bytes} bytes its IDX header declares ` +
          `(shape [${declared.shape.join(',')}]); an IDX file ends with its data`,
      );
    throw notGzip(path, error);
  }
}

function notGzip(path: string, error: unknown): IdxError {
  return new IdxError(`loadMnist: ${path} is not a valid gzip file (${(error as Error).message}); is it truncated?`);
}

/**
 * Load MNIST from a directory holding the standard files (`train-images-idx3-ubyte`,
 * `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`), each plain or
 * gzip-compressed (`.gz`). Every file is validated (magic numbers, counts, sizes); a missing, truncated
 * or mismatched file is an {@link IdxError} naming it. Each file's IDX header is read first: a file that
 * declares more than `maxBytes` (default 128 MiB) fails before its data are read or decompressed, and a
 * gzip stream is decompressed only up to the size its header declares, so a gzip bomb costs at most that.
 * Node only (this is `@nablajs/data/node`).
 *
 * MNIST: Y. LeCun, C. Cortes and C. J. C. Burges, http://yann.lecun.com/exdb/mnist/
 *
 * @example
 * ```ts
 * const test = loadMnist('/data/mnist'); // { images: [10000, 784] in [0, 1], labels: int32 [10000] }
 * const train = loadMnist('/data/mnist', { split: 'train', shape: 'image' }); // images [60000, 1, 28, 28]
 * const bundled = loadMnist(bundledMnistTestDir()); // the test set shipped with this package
 * ```
 */
export function loadMnist(dir: string, options: LoadMnistOptions = {}): Mnist {
  if (options === null || typeof options !== 'object')
    throw new IdxError(`loadMnist: options must be an object, got ${options === null ? 'null' : typeof options}`);
  checkOptions('loadMnist', options, [...MNIST_OPTIONS, 'split', 'maxBytes']);
  const { split = 't10k', maxBytes = MNIST_MAX_BYTES, ...rest } = options;
  if (split !== 'train' && split !== 't10k')
    throw new IdxError(`loadMnist: split must be 'train' or 't10k', got ${JSON.stringify(split)}`);
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1)
    throw new IdxError(`loadMnist: maxBytes must be a positive integer, got ${String(maxBytes)}`);
  if (typeof dir !== 'string') throw new IdxError('loadMnist: dir must be a path (a string)');
  const root = resolve(dir);
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new IdxError(`loadMnist: ${root} is not a directory`);
  const images = readIdxFile(root, `${split}-images-idx3-ubyte`, maxBytes);
  const labels = readIdxFile(root, `${split}-labels-idx1-ubyte`, maxBytes);
  return mnistFromIdx(images.bytes, labels.bytes, { ...rest, imagesName: images.path, labelsName: labels.path });
}

/**
 * The directory of the MNIST test set bundled with this package (`data/mnist`: the two gzip-compressed
 * `t10k` files, 10,000 images), for tests and examples that must run offline. Resolved from this module's
 * location, so it works from the sources and from the built package.
 *
 * @example
 * ```ts
 * const { images, labels } = loadMnist(bundledMnistTestDir());
 * ```
 */
export function bundledMnistTestDir(): string {
  // Both src/node-mnist.ts and the bundled dist/node.js sit one level below the package root. In the
  // CommonJS build import.meta.url is undefined and __dirname is defined.
  const url: string | undefined = import.meta.url;
  const here = typeof url === 'string' ? dirname(fileURLToPath(url)) : __dirname;
  const dir = join(here, '..', 'data', 'mnist');
  if (!existsSync(join(dir, 't10k-images-idx3-ubyte.gz')))
    throw new IdxError(
      `bundledMnistTestDir: the bundled MNIST test set is missing from ${dir}; was the package installed without its data directory?`,
    );
  return dir;
}
