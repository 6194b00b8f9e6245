import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdxError } from './mnist/idx';
import { bundledMnistTestDir, loadMnist, MNIST_MAX_BYTES } from './node-mnist';

let dir: string;

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

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'nabla-mnist-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function fresh(name: string): string {
  const d = join(dir, name);
  mkdirSync(d);
  return d;
}

describe('loadMnist on the bundled MNIST test set', () => {
  const { images, labels } = loadMnist(bundledMnistTestDir());

  it('reads 10,000 images of 28x28 and their labels', () => {
    expect(images.shape).toEqual([10000, 784]);
    expect(images.dtype).toBe('float32');
    expect(labels.shape).toEqual([10000]);
    expect(labels.dtype).toBe('int32');
  });

  it('has the known labels: first and last ten, class counts of the MNIST test set', () => {
    expect(Array.from(labels.data.subarray(0, 10))).toEqual([7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
    expect(Array.from(labels.data.subarray(9990))).toEqual([7, 8, 9, 0, 1, 2, 3, 4, 5, 6]);
    const counts = new Array(10).fill(0);
    for (const v of labels.data) counts[v]++;
    expect(counts).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
  });

  it('has the known pixel statistics (sum 264923200 on the 0..255 scale)', () => {
    let sum = 0;
    for (const v of images.data) sum += v;
    expect(sum / images.size).toBeCloseTo(0.1325146, 6);
    const raw = loadMnist(bundledMnistTestDir(), { normalize: false });
    let rawSum = 0;
    for (const v of raw.images.data) rawSum += v;
    expect(rawSum).toBe(264923200);
    expect(Math.max(...raw.images.data.subarray(0, 784 * 10))).toBe(255);
  });

  it('gives [N, 1, 28, 28] with shape image', () => {
    expect(loadMnist(bundledMnistTestDir(), { shape: 'image' }).images.shape).toEqual([10000, 1, 28, 28]);
  });
});

describe('loadMnist file handling', () => {
  const images = idxBytes([2, 2, 2], [0, 255, 0, 255, 1, 2, 3, 4]);
  const labels = idxBytes([2], [3, 4]);

  it('reads uncompressed files and gzip files, detecting gzip by its magic bytes', () => {
    const plain = fresh('plain');
    writeFileSync(join(plain, 'train-images-idx3-ubyte'), images);
    writeFileSync(join(plain, 'train-labels-idx1-ubyte'), labels);
    const a = loadMnist(plain, { split: 'train', normalize: false });
    expect(a.images.toArray()).toEqual([
      [0, 255, 0, 255],
      [1, 2, 3, 4],
    ]);
    const gz = fresh('gz');
    writeFileSync(join(gz, 'train-images-idx3-ubyte.gz'), gzipSync(images));
    writeFileSync(join(gz, 'train-labels-idx1-ubyte'), gzipSync(labels)); // gzip without the .gz name
    expect(loadMnist(gz, { split: 'train' }).labels.toArray()).toEqual([3, 4]);
  });

  it('names a missing file and lists what the directory holds', () => {
    const partial = fresh('partial');
    copyFileSync(join(bundledMnistTestDir(), 't10k-images-idx3-ubyte.gz'), join(partial, 't10k-images-idx3-ubyte.gz'));
    writeFileSync(join(partial, 'notes.txt'), 'x');
    expect(() => loadMnist(partial)).toThrow(IdxError);
    expect(() => loadMnist(partial)).toThrow(
      /loadMnist: t10k-labels-idx1-ubyte \(or t10k-labels-idx1-ubyte.gz\) is missing from .*partial; it holds: notes.txt, t10k-images-idx3-ubyte.gz/,
    );
    expect(() => loadMnist(partial, { split: 'train' })).toThrow(
      /train-images-idx3-ubyte \(or train-images-idx3-ubyte.gz\) is missing/,
    );
    expect(() => loadMnist(fresh('empty'))).toThrow(/is missing from .*empty; it is empty/);
    expect(() => loadMnist(join(dir, 'nope'))).toThrow(/loadMnist: .*nope is not a directory/);
  });

  it('names a truncated file', () => {
    const truncated = fresh('truncated');
    const real = gunzipSync(readFileSync(join(bundledMnistTestDir(), 't10k-images-idx3-ubyte.gz')));
    writeFileSync(join(truncated, 't10k-images-idx3-ubyte'), real.subarray(0, real.length - 784));
    copyFileSync(
      join(bundledMnistTestDir(), 't10k-labels-idx1-ubyte.gz'),
      join(truncated, 't10k-labels-idx1-ubyte.gz'),
    );
    expect(() => loadMnist(truncated)).toThrow(
      /t10k-images-idx3-ubyte is truncated: the header says shape \[10000,28,28\] \(7840000 bytes of data\) but only 7839216 bytes follow it/,
    );
    const badGzip = fresh('bad-gzip');
    const gz = readFileSync(join(bundledMnistTestDir(), 't10k-labels-idx1-ubyte.gz'));
    writeFileSync(join(badGzip, 't10k-labels-idx1-ubyte.gz'), gz.subarray(0, gz.length - 100));
    writeFileSync(join(badGzip, 't10k-images-idx3-ubyte'), images);
    expect(() => loadMnist(badGzip)).toThrow(/t10k-labels-idx1-ubyte.gz is not a valid gzip file/);
  });

  it('names both files when their counts differ', () => {
    const mismatched = fresh('mismatched');
    writeFileSync(join(mismatched, 't10k-images-idx3-ubyte'), images);
    copyFileSync(
      join(bundledMnistTestDir(), 't10k-labels-idx1-ubyte.gz'),
      join(mismatched, 't10k-labels-idx1-ubyte.gz'),
    );
    expect(() => loadMnist(mismatched)).toThrow(
      /t10k-images-idx3-ubyte holds 2 images but .*t10k-labels-idx1-ubyte.gz holds 10000 labels/,
    );
  });

  it('rejects an unknown split', () => {
    expect(() => loadMnist(dir, { split: 'test' as 't10k' })).toThrow(/split must be 'train' or 't10k', got "test"/);
  });

  it('rejects an unknown option before reading a file, naming the close one', () => {
    expect(() => loadMnist(dir, { normalise: false } as never)).toThrow(
      /^loadMnist: unknown option "normalise" \(did you mean "normalize"\?\); options are normalize, shape, dtype, numClasses, split, maxBytes$/,
    );
    expect(() => loadMnist('/nonexistent', { max_bytes: 10 } as never)).toThrow(/did you mean "maxBytes"/);
  });
});

describe('loadMnist and gzip bombs', () => {
  /** A gzip file of an IDX header and `zeroMembers` gzip members of 4 MiB of zeros each (about 4 KB apiece). */
  function bomb(shape: number[], zeroMembers: number): Buffer {
    const zeros = gzipSync(new Uint8Array(4 * 2 ** 20));
    return Buffer.concat([gzipSync(idxBytes(shape, [])), ...new Array<Buffer>(zeroMembers).fill(zeros)]);
  }
  const labels = idxBytes([1], [3]);

  it('fails before decompressing the data when the IDX header declares more than maxBytes', () => {
    const d = fresh('bomb');
    // [500000, 28, 28] and 392 MB of pixels that are really there: a genuine file, far too large, about 381 KB.
    const file = bomb([500_000, 28, 28], 94);
    expect(file.length).toBeLessThan(400_000);
    expect(gunzipSync(file.subarray(0, 64 * 1024), { finishFlush: 2 }).length).toBeGreaterThan(2 ** 20);
    writeFileSync(join(d, 't10k-images-idx3-ubyte.gz'), file);
    writeFileSync(join(d, 't10k-labels-idx1-ubyte'), labels);
    const path = join(d, 't10k-images-idx3-ubyte.gz');
    const declared = `${path}: its IDX header declares shape [500000,28,28], 392000016 bytes with the header`;
    expect(() => loadMnist(d, { maxBytes: 2 ** 20 })).toThrow(IdxError);
    expect(() => loadMnist(d, { maxBytes: 2 ** 20 })).toThrow(
      `loadMnist: ${declared}, more than maxBytes = 1048576; raise maxBytes if the file is genuine`,
    );
    const before = process.memoryUsage().arrayBuffers;
    expect(() => loadMnist(d)).toThrow(`loadMnist: ${declared}, more than maxBytes = 134217728`);
    // The old loader decompressed up to the 128 MiB of maxBytes first; this one reads the header only.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 2 ** 20);
    // Proof that the data were never decompressed: with everything after the first kilobyte destroyed, the error
    // is still the declared size, not a corrupt gzip stream.
    const damaged = Buffer.from(file);
    damaged.fill(0xff, 1024);
    writeFileSync(path, damaged);
    expect(() => loadMnist(d)).toThrow(declared);
  });

  it('with the default limit, a header declaring more data than the stream holds is a truncated file', () => {
    const d = fresh('short-bomb');
    writeFileSync(join(d, 't10k-images-idx3-ubyte.gz'), bomb([100_000, 28, 28], 1));
    writeFileSync(join(d, 't10k-labels-idx1-ubyte'), labels);
    expect(() => loadMnist(d)).toThrow(IdxError);
    expect(() => loadMnist(d)).toThrow(
      /t10k-images-idx3-ubyte\.gz is truncated: the header says shape \[100000,28,28\] \(78400000 bytes of data\) but only 4194304 bytes follow it/,
    );
  });

  it('a stream longer than its header declares fails, having decompressed no more than the declared size', () => {
    const d = fresh('long');
    const images = idxBytes([2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]);
    const long = new Uint8Array(images.length + 5);
    long.set(images);
    writeFileSync(join(d, 't10k-images-idx3-ubyte.gz'), gzipSync(long));
    writeFileSync(join(d, 't10k-labels-idx1-ubyte'), idxBytes([2], [3, 4]));
    expect(() => loadMnist(d)).toThrow(IdxError);
    expect(() => loadMnist(d)).toThrow(
      /loadMnist: .*t10k-images-idx3-ubyte\.gz decompresses to more than the 24 bytes its IDX header declares \(shape \[2,2,2\]\); an IDX file ends with its data/,
    );
    // A bomb behind a small header stops at the header's size too.
    writeFileSync(join(d, 't10k-images-idx3-ubyte.gz'), bomb([2, 2, 2], 3));
    expect(() => loadMnist(d)).toThrow(/decompresses to more than the 24 bytes its IDX header declares/);
    // Uncompressed: within maxBytes parseIdx counts the extra bytes; beyond it the file is not even read.
    rmSync(join(d, 't10k-images-idx3-ubyte.gz'));
    writeFileSync(join(d, 't10k-images-idx3-ubyte'), long);
    expect(() => loadMnist(d)).toThrow(/t10k-images-idx3-ubyte has 5 bytes after the end of its data/);
    expect(() => loadMnist(d, { maxBytes: 28 })).toThrow(
      /loadMnist: .*t10k-images-idx3-ubyte holds 29 bytes, more than the 24 its IDX header declares \(shape \[2,2,2\]\)/,
    );
    expect(() => loadMnist(d, { maxBytes: 20 })).toThrow(
      /its IDX header declares shape \[2,2,2\], 24 bytes with the header, more than maxBytes = 20/,
    );
  });

  /** `n` bytes of a fixed LCG: incompressible, so their gzip file is larger than they are. */
  function noise(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let s = 12345;
    for (let i = 0; i < n; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      out[i] = s >>> 24;
    }
    return out;
  }

  it('checks the header before the size: a large file that is not IDX, a gzip file larger than maxBytes', () => {
    const d = fresh('not-idx');
    writeFileSync(join(d, 't10k-images-idx3-ubyte'), new Uint8Array(4096).fill(7));
    writeFileSync(join(d, 't10k-labels-idx1-ubyte'), labels);
    expect(() => loadMnist(d, { maxBytes: 1024 })).toThrow(
      /^loadMnist: .*t10k-images-idx3-ubyte has magic number 0x07070707, which is not IDX/,
    );
    rmSync(join(d, 't10k-images-idx3-ubyte'));
    const compressed = gzipSync(idxBytes([64, 8, 8], noise(4096)));
    writeFileSync(join(d, 't10k-images-idx3-ubyte.gz'), compressed);
    expect(compressed.length).toBeGreaterThan(4120);
    expect(() => loadMnist(d, { maxBytes: 4120 })).toThrow(
      `is a gzip file of ${compressed.length} bytes, compressed already more than maxBytes = 4120; raise maxBytes`,
    );
  });

  it('rejects a directory in place of a file, and options that are not an object', () => {
    const d = fresh('dir-in-place');
    mkdirSync(join(d, 't10k-images-idx3-ubyte'));
    expect(() => loadMnist(d)).toThrow(/loadMnist: .*t10k-images-idx3-ubyte is not a regular file/);
    expect(() => loadMnist(d, null as never)).toThrow(IdxError);
    expect(() => loadMnist(d, null as never)).toThrow('loadMnist: options must be an object, got null');
  });

  it('checks maxBytes', () => {
    expect(() => loadMnist(bundledMnistTestDir(), { maxBytes: 0 })).toThrow(
      'loadMnist: maxBytes must be a positive integer, got 0',
    );
  });

  it('the default limit holds the bundled test set, and MNIST_MAX_BYTES is 128 MiB', () => {
    expect(MNIST_MAX_BYTES).toBe(2 ** 27);
    expect(loadMnist(bundledMnistTestDir()).labels.shape).toEqual([10_000]);
  });
});
