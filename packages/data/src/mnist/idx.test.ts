import { ValueError } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { IdxError, parseIdx, readIdxHeader } from './idx';
import { mnistFromIdx } from './mnist-from-idx';

/** An IDX file of unsigned bytes: magic 0x0000 08 <ndim>, big-endian dimensions, then `data`. */
function idxBytes(shape: number[], data: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(4 + 4 * shape.length + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, 0x0800 + shape.length);
  shape.forEach((d, i) => {
    view.setUint32(4 + 4 * i, d);
  });
  out.set(data, 4 + 4 * shape.length);
  return out;
}

const pixels = Array.from({ length: 3 * 2 * 2 }, (_, i) => i * 20);
const images = idxBytes([3, 2, 2], pixels);
const labels = idxBytes([3], [7, 0, 9]);

describe('parseIdx', () => {
  it('reads the magic number, the big-endian shape and the data', () => {
    const big = idxBytes([2, 300], new Uint8Array(600).fill(1));
    const parsed = parseIdx(big);
    expect(parsed.magic).toBe(0x00000802);
    expect(parsed.shape).toEqual([2, 300]);
    expect(parsed.data.length).toBe(600);
    expect(parseIdx(labels).magic).toBe(0x00000801);
    expect(Array.from(parseIdx(labels).data)).toEqual([7, 0, 9]);
  });

  it('reads from a Uint8Array that is a view at an offset into a larger buffer', () => {
    const padded = new Uint8Array(labels.length + 5);
    padded.set(labels, 3);
    expect(Array.from(parseIdx(padded.subarray(3, 3 + labels.length)).data)).toEqual([7, 0, 9]);
  });

  it('reports a truncated file, naming it and the sizes', () => {
    expect(() => parseIdx(images.subarray(0, images.length - 1), 'imgs')).toThrow(IdxError);
    expect(() => parseIdx(images.subarray(0, images.length - 1), 'imgs')).toThrow(
      /parseIdx: imgs is truncated: the header says shape \[3,2,2\] \(12 bytes of data\) but only 11 bytes follow it/,
    );
    expect(() => parseIdx(images.subarray(0, 10), 'imgs')).toThrow(
      /imgs is truncated: 10 bytes, but the header of a 3-dimensional IDX file takes 16/,
    );
    expect(() => parseIdx(new Uint8Array([0, 0, 8]), 'x')).toThrow(
      /x is truncated: 3 bytes, too short for the 4-byte magic number/,
    );
  });

  it('reports extra bytes after the data', () => {
    const long = new Uint8Array(labels.length + 2);
    long.set(labels);
    expect(() => parseIdx(long, 'labels')).toThrow(/labels has 2 bytes after the end of its data/);
  });

  it('reports a wrong magic number, an unsupported type byte and gzip data', () => {
    const wrong = Uint8Array.from(labels);
    wrong[0] = 0x12;
    expect(() => parseIdx(wrong, 'f')).toThrow(/f has magic number 0x12000801, which is not IDX/);
    const floats = Uint8Array.from(labels);
    floats[2] = 0x0d;
    expect(() => parseIdx(floats, 'f')).toThrow(
      /type byte 0x0d \(float\) is not supported; only 0x08 \(unsigned byte\) is/,
    );
    expect(() => parseIdx(new Uint8Array([0x1f, 0x8b, 8, 0]), 'f.gz')).toThrow(/f.gz is gzip-compressed/);
    expect(() => parseIdx([0, 0, 8, 1] as unknown as Uint8Array)).toThrow(/must be a Uint8Array/);
  });
});

describe('mnistFromIdx', () => {
  it('decodes flat images in [0, 1] and int32 labels', () => {
    const { images: x, labels: y } = mnistFromIdx(images, labels);
    expect(x.shape).toEqual([3, 4]);
    expect(x.dtype).toBe('float32');
    expect(x.data[1]).toBe(Math.fround(20 / 255));
    expect(x.data[11]).toBe(Math.fround(220 / 255));
    expect(y.dtype).toBe('int32');
    expect(y.toArray()).toEqual([7, 0, 9]);
  });

  it('gives [N, 1, rows, cols] with shape image, raw values without normalize, float64 on request', () => {
    const { images: x } = mnistFromIdx(images, labels, { shape: 'image', normalize: false, dtype: 'float64' });
    expect(x.shape).toEqual([3, 1, 2, 2]);
    expect(x.dtype).toBe('float64');
    expect(Array.from(x.data)).toEqual(pixels);
  });

  it('does not change the bytes it was given', () => {
    const copy = Uint8Array.from(images);
    mnistFromIdx(images, labels);
    expect(images).toEqual(copy);
  });

  it('reports counts that differ, naming both', () => {
    expect(() => mnistFromIdx(images, idxBytes([2], [1, 2]))).toThrow(
      /mnistFromIdx: the images file holds 3 images but the labels file holds 2 labels/,
    );
  });

  it('reports swapped or wrong files by their magic numbers', () => {
    expect(() => mnistFromIdx(labels, images, { imagesName: 'a', labelsName: 'b' })).toThrow(
      /a has magic number 0x00000801 \(it looks like a labels file\); MNIST images need 0x00000803/,
    );
    expect(() => mnistFromIdx(images, idxBytes([3, 1], [1, 2, 3]))).toThrow(/MNIST labels need 0x00000801/);
  });

  it('reports labels out of range', () => {
    expect(() => mnistFromIdx(images, idxBytes([3], [1, 12, 3]))).toThrow(
      /the labels file: label 12 at index 1 is out of range for 10 classes/,
    );
    expect(mnistFromIdx(images, idxBytes([3], [1, 12, 3]), { numClasses: 26 }).labels.toArray()).toEqual([1, 12, 3]);
  });
});

describe('mnistFromIdx with a crafted header', () => {
  it('rejects images too large to address, even when the file holds none ([0, 2^32-1, 2^32-1])', () => {
    const huge = idxBytes([0, 2 ** 32 - 1, 2 ** 32 - 1], []);
    expect(() => mnistFromIdx(huge, idxBytes([0], []))).toThrow(IdxError);
    expect(() => mnistFromIdx(huge, idxBytes([0], []))).toThrow(
      'mnistFromIdx: the images file: images of 4294967295x4294967295 pixels exceed the limit of 16777216 pixels per image',
    );
  });
});

describe('readIdxHeader', () => {
  it('reads the declared sizes from the first bytes alone, and words errors for its caller', () => {
    const header = readIdxHeader(idxBytes([500_000, 28, 28], []), 'big');
    expect(header).toEqual({ magic: 0x00000803, shape: [500_000, 28, 28], headerBytes: 16, dataBytes: 392_000_000 });
    expect(() => readIdxHeader(new Uint8Array([0, 0, 8, 2, 0, 0]), 'f', 'loadMnist')).toThrow(
      /^loadMnist: f is truncated: 6 bytes, but the header of a 2-dimensional IDX file takes 12$/,
    );
    expect(() => readIdxHeader(new Uint8Array([0, 0, 8, 0]), 'f')).toThrow(
      /^parseIdx: f has magic number .*: 0 dimensions/,
    );
  });

  it('mnistFromIdx rejects options that are not an object with a ValueError', () => {
    expect(() => mnistFromIdx(images, labels, null as never)).toThrow(ValueError);
    expect(() => mnistFromIdx(images, labels, null as never)).toThrow(
      'mnistFromIdx: options must be an object, got null',
    );
  });
});
