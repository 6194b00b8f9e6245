import { checkOptions, optionNames, Tensor, ValueError } from '@nablajs/core';
import { checkFloatDType, checkInteger } from '../util';
import { IdxError, parseIdx } from './idx';

/** Options of {@link mnistFromIdx} and `loadMnist`. */
export interface MnistOptions {
  /** Divide the pixels by 255 so that they lie in `[0, 1]` (default true); otherwise they are 0..255. */
  normalize?: boolean;
  /** `'flat'` (default): images `[N, rows * cols]`; `'image'`: `[N, 1, rows, cols]`, for convolutions. */
  shape?: 'flat' | 'image';
  /** The dtype of the images: float32 (default) or float64. */
  dtype?: 'float32' | 'float64';
  /** Labels must lie in `0..numClasses-1` (default 10). */
  numClasses?: number;
}

/** Options of {@link mnistFromIdx}. */
export interface MnistFromIdxOptions extends MnistOptions {
  /** How error messages name the images bytes (default 'the images file'). */
  imagesName?: string;
  /** How error messages name the labels bytes (default 'the labels file'). */
  labelsName?: string;
}

/** The option names of {@link MnistOptions}, which `loadMnist` also takes. */
export const MNIST_OPTIONS = optionNames<MnistOptions>({ normalize: true, shape: true, dtype: true, numClasses: true });
const MNIST_FROM_IDX_OPTIONS = [...MNIST_OPTIONS, 'imagesName', 'labelsName'];

/** Images and labels read from a pair of IDX files. */
export interface Mnist {
  /** The images: `[N, rows * cols]`, or `[N, 1, rows, cols]` with `shape: 'image'`. */
  images: Tensor;
  /** The labels, int32 `[N]`. */
  labels: Tensor;
}

const IMAGES_MAGIC = 0x00000803;
const LABELS_MAGIC = 0x00000801;

/**
 * Decode an MNIST-style pair of IDX files (images: magic `0x00000803`, `[N, rows, cols]` unsigned
 * bytes; labels: magic `0x00000801`, `[N]`) from their uncompressed bytes into tensors. Both files
 * are validated; counts that differ, swapped files and out-of-range labels are errors. Browser-safe.
 *
 * See http://yann.lecun.com/exdb/mnist/
 *
 * @example
 * ```ts
 * const { images, labels } = mnistFromIdx(imagesBytes, labelsBytes); // e.g. from fetch(...).arrayBuffer()
 * images.shape; // [10000, 784], in [0, 1]
 * mnistFromIdx(imagesBytes, labelsBytes, { shape: 'image' }).images.shape; // [10000, 1, 28, 28]
 * ```
 */
export function mnistFromIdx(
  imagesBytes: Uint8Array,
  labelsBytes: Uint8Array,
  options: MnistFromIdxOptions = {},
): Mnist {
  if (options === null || typeof options !== 'object')
    throw new ValueError(`mnistFromIdx: options must be an object, got ${options === null ? 'null' : typeof options}`);
  checkOptions('mnistFromIdx', options, MNIST_FROM_IDX_OPTIONS);
  const { normalize = true, shape = 'flat', dtype = 'float32', numClasses = 10 } = options;
  const imagesName = options.imagesName ?? 'the images file';
  const labelsName = options.labelsName ?? 'the labels file';
  const type = checkFloatDType('mnistFromIdx', dtype);
  checkInteger('mnistFromIdx', 'numClasses', numClasses, 1);
  if (shape !== 'flat' && shape !== 'image')
    throw new IdxError(`mnistFromIdx: shape must be 'flat' or 'image', got ${JSON.stringify(shape)}`);
  const images = parseIdx(imagesBytes, imagesName);
  const labels = parseIdx(labelsBytes, labelsName);
  checkMagic(imagesName, images.magic, IMAGES_MAGIC, 'images');
  checkMagic(labelsName, labels.magic, LABELS_MAGIC, 'labels');
  const [n, rows, cols] = images.shape;
  if (labels.shape[0] !== n)
    throw new IdxError(
      `mnistFromIdx: ${imagesName} holds ${n} images but ${labelsName} holds ${labels.shape[0]} labels; they must come from the same split`,
    );
  // NOTE: an image of rows·cols pixels must be addressable: a crafted header with n = 0 holds no data to
  // check its dimensions against.
  if (!Number.isSafeInteger(rows * cols) || rows * cols > MAX_IMAGE_PIXELS)
    throw new IdxError(
      `mnistFromIdx: ${imagesName}: images of ${rows}x${cols} pixels exceed the limit of ${MAX_IMAGE_PIXELS} pixels per image`,
    );
  const pixels = images.data;
  const data = type === 'float64' ? new Float64Array(pixels.length) : new Float32Array(pixels.length);
  if (normalize) for (let i = 0; i < pixels.length; i++) data[i] = pixels[i] / 255;
  else data.set(pixels);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const label = labels.data[i];
    if (label >= numClasses)
      throw new IdxError(
        `mnistFromIdx: ${labelsName}: label ${label} at index ${i} is out of range for ${numClasses} classes`,
      );
    y[i] = label;
  }
  const imageShape = shape === 'image' ? [n, 1, rows, cols] : [n, rows * cols];
  return { images: new Tensor(data, imageShape, type), labels: new Tensor(y, [n], 'int32') };
}

/** The most pixels one image may have (2^24, a 4096x4096 image; MNIST's are 28x28). */
const MAX_IMAGE_PIXELS = 2 ** 24;

function checkMagic(name: string, magic: number, expected: number, what: string): void {
  if (magic === expected) return;
  const hint =
    magic === IMAGES_MAGIC
      ? ' (it looks like an images file)'
      : magic === LABELS_MAGIC
        ? ' (it looks like a labels file)'
        : '';
  throw new IdxError(
    `mnistFromIdx: ${name} has magic number 0x${magic.toString(16).padStart(8, '0')}${hint}; MNIST ${what} need 0x${expected.toString(16).padStart(8, '0')}`,
  );
}
