import { createHash } from 'node:crypto';
import { ValueError } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { decodeBase64 } from '../base64';
import { DIGITS_BASE64 } from './digits-data';
import { loadDigits } from './load-digits';

describe('loadDigits', () => {
  const { images, labels } = loadDigits();

  it('has 1797 images of 64 pixels in [0, 1] and int32 labels', () => {
    expect(images.shape).toEqual([1797, 64]);
    expect(images.dtype).toBe('float32');
    expect(labels.shape).toEqual([1797]);
    expect(labels.dtype).toBe('int32');
    expect(Math.min(...images.data)).toBe(0);
    expect(Math.max(...images.data)).toBe(1);
  });

  it('has the class counts, first labels and mean pixel listed in the digits README', () => {
    const counts = new Array(10).fill(0);
    for (const v of labels.data) counts[v]++;
    expect(counts).toEqual([178, 182, 177, 183, 181, 182, 181, 179, 174, 180]);
    expect(Array.from(labels.data.subarray(0, 10))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const raw = loadDigits({ normalize: false, dtype: 'float64' }).images;
    expect(raw.dtype).toBe('float64');
    let sum = 0;
    for (const v of raw.data) sum += v;
    expect((sum / raw.size).toFixed(3)).toBe('4.884');
    expect(new Set(raw.data).size).toBe(17);
  });

  it('starts with the first image of scikit-learn load_digits (a zero)', () => {
    const first = Array.from(loadDigits({ normalize: false }).images.data.subarray(0, 16));
    expect(first).toEqual([0, 0, 5, 13, 9, 1, 0, 0, 0, 0, 13, 15, 10, 15, 5, 0]);
    expect(images.data[2]).toBe(5 / 16);
  });

  it('embeds exactly the bytes the generator recorded (pixels then labels)', () => {
    const bytes = decodeBase64(DIGITS_BASE64);
    expect(bytes.length).toBe(1797 * 65);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(
      '87ff0c9e40dc7e2c0e34e7257799c2e3f3aec1a016363bb11cad869ec428a826',
    );
  });

  it('returns fresh tensors on every call', () => {
    const a = loadDigits();
    a.images.data[0] = 99;
    a.labels.data[0] = 9;
    const b = loadDigits();
    expect(b.images.data[0]).toBe(0);
    expect(b.labels.data[0]).toBe(0);
  });

  it('rejects a non-float dtype', () => {
    expect(() => loadDigits({ dtype: 'int32' as 'float32' })).toThrow(ValueError);
    expect(() => loadDigits({ dtype: 'int32' as 'float32' })).toThrow(
      /loadDigits: dtype must be 'float32' or 'float64', got "int32"/,
    );
    expect(() => loadDigits({ return_X_y: true } as never)).toThrow(/loadDigits: unknown option "return_X_y"/);
  });
});
