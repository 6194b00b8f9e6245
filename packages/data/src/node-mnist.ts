import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { IdxError } from './mnist/idx';
import { type Mnist, type MnistOptions, mnistFromIdx } from './mnist/mnist-from-idx';

/** Options of {@link loadMnist}. */
export interface LoadMnistOptions extends MnistOptions {
  /** Which pair of files to read: `'t10k'` (the 10,000 test images, default) or `'train'` (60,000). */
  split?: 'train' | 't10k';
  /**
   * The most bytes a gzip-compressed file may decompress to (default {@link MNIST_MAX_BYTES}, 128 MiB: the
   * largest MNIST file, the training images, is 47 MB). A file that would decompress past it is an
   * {@link IdxError}, raised before more than this much is allocated.
   */
  maxBytes?: number;
}

/**
 * The default limit of {@link LoadMnistOptions.maxBytes}: 128 MiB decompressed per file.
 *
 * @example
 * ```ts
 * loadMnist('/data/mnist', { split: 'train', maxBytes: 2 * MNIST_MAX_BYTES });
 * ```
 */
export const MNIST_MAX_BYTES = 2 ** 27;

/**
 * Read the bytes of `file` or of `file.gz`, decompressing gzip (detected by its magic bytes 1f 8b, not
 * by the name); an error names the missing file and lists what the directory holds.
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
  let bytes: Uint8Array = readFileSync(found);
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      // NOTE: bounded, so a small crafted file cannot make us allocate gigabytes (a gzip bomb).
      bytes = gunzipSync(bytes, { maxOutputLength: maxBytes });
    } catch (error) {
      if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE')
        throw new IdxError(
          `loadMnist: ${found} decompresses to more than maxBytes = ${maxBytes} bytes; raise maxBytes if the file is genuine`,
        );
      throw new IdxError(
        `loadMnist: ${found} is not a valid gzip file (${(error as Error).message}); is it truncated?`,
      );
    }
  }
  return { path: found, bytes };
}

/**
 * Load MNIST from a directory holding the standard files (`train-images-idx3-ubyte`,
 * `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`), each plain or
 * gzip-compressed (`.gz`). Every file is validated (magic numbers, counts, sizes); a missing, truncated
 * or mismatched file is an {@link IdxError} naming it. Node only (this is `@nablajs/data/node`).
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
