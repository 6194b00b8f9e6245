import { checkOptions, Tensor } from '@nablajs/core';
import { decodeBase64 } from '../base64';
import { checkFloatDType } from '../util';
import { DIGITS_BASE64, DIGITS_COUNT, DIGITS_FEATURES } from './digits-data';

/** Options of {@link loadDigits}. */
export interface LoadDigitsOptions {
  /** The dtype of the images: float32 (default) or float64. */
  dtype?: 'float32' | 'float64';
  /** Divide the pixels by 16 so that they lie in `[0, 1]` (default true); otherwise they are 0..16. */
  normalize?: boolean;
}

/** The digits data set. */
export interface Digits {
  /** The images, `[1797, 64]`: 8x8 pixels in row-major order, one image per row. */
  images: Tensor;
  /** The labels 0..9, int32 `[1797]`. */
  labels: Tensor;
}

let bytes: Uint8Array | null = null;

/**
 * The 1797 UCI handwritten digits, bundled (no network, no file): 8x8 images with pixel values 0..16
 * (divided by 16 unless `normalize: false`) and labels 0..9, in the order of scikit-learn's
 * `load_digits`. Returns new tensors on every call.
 *
 * Data: the test part of the UCI "Optical Recognition of Handwritten Digits" data set by E. Alpaydin and
 * C. Kaynak (1998), as shipped by scikit-learn (BSD-3-Clause); the UCI repository reports CC BY 4.0.
 * Cite E. Alpaydin, C. Kaynak (1998), Cascading Classifiers, Kybernetika.
 *
 * See https://scikit-learn.org/stable/modules/generated/sklearn.datasets.load_digits.html and
 * https://archive.ics.uci.edu/dataset/80/optical+recognition+of+handwritten+digits
 *
 * @example
 * ```ts
 * const { images, labels } = loadDigits();
 * images.shape; // [1797, 64], values in [0, 1]
 * (labels.toArray() as number[]).slice(0, 10); // [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
 * ```
 */
export function loadDigits(options: LoadDigitsOptions = {}): Digits {
  checkOptions('loadDigits', options, ['dtype', 'normalize']);
  const { dtype = 'float32', normalize = true } = options;
  const type = checkFloatDType('loadDigits', dtype);
  bytes ??= decodeBase64(DIGITS_BASE64);
  const pixels = DIGITS_COUNT * DIGITS_FEATURES;
  const images = type === 'float64' ? new Float64Array(pixels) : new Float32Array(pixels);
  const scale = normalize ? 1 / 16 : 1;
  for (let i = 0; i < pixels; i++) images[i] = bytes[i] * scale;
  const labels = Int32Array.from(bytes.subarray(pixels, pixels + DIGITS_COUNT));
  return {
    images: new Tensor(images, [DIGITS_COUNT, DIGITS_FEATURES], type),
    labels: new Tensor(labels, [DIGITS_COUNT], 'int32'),
  };
}
