import { DTypeError, Generator, ones, randn, ShapeError, slice, tensor, zeros } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { PackedSequence, packPaddedSequence, packSequence, padPackedSequence, padSequence } from './packed-sequence';
import { GRU, LSTM } from './rnn';

describe('packed sequences', () => {
  it('a packed batch gives each sequence what it gives alone, bidirectional and stacked', () => {
    const gen = new Generator(4);
    const lstm = new LSTM(3, 4, { numLayers: 2, bidirectional: true, generator: gen, dtype: 'float64' });
    const lengths = [2, 5, 3];
    const seqs = lengths.map((n) => randn([n, 3], { generator: gen, dtype: 'float64' }));
    const { output, h, c } = lstm.forward(packSequence(seqs, { enforceSorted: false }));
    const padded = padPackedSequence(output).output;
    seqs.forEach((s, b) => {
      const alone = lstm.forward(s); // unbatched: [n, 3]
      const mine = slice(padded, [
        [0, lengths[b]],
        [b, b + 1],
      ]).reshape([lengths[b], 8]);
      for (let i = 0; i < mine.size; i++) expect(mine.data[i]).toBeCloseTo(alone.output.data[i], 12);
      const hb = slice(h, [null, [b, b + 1]]).reshape([4, 4]);
      for (let i = 0; i < hb.size; i++) expect(hb.data[i]).toBeCloseTo(alone.h.data[i], 12);
      const cb = slice(c, [null, [b, b + 1]]).reshape([4, 4]);
      for (let i = 0; i < cb.size; i++) expect(cb.data[i]).toBeCloseTo(alone.c.data[i], 12);
    });
    // Past each sequence's end the padded output is 0.
    expect(
      Array.from(
        slice(padded, [
          [2, 5],
          [0, 1],
        ]).data,
      ).every((v) => v === 0),
    ).toBe(true);
  });

  it('refuses bad lengths with a named error and leaves the input alone', () => {
    const x = randn([3, 2, 4]);
    const before = Array.from(x.data);
    expect(() => packPaddedSequence(x, [3, 0])).toThrow(/packPaddedSequence: lengths\[1\] is 0/);
    expect(() => packPaddedSequence(x, [4, 1])).toThrow(
      /lengths\[0\] is 4; every length must be an integer in \[1, 3\]/,
    );
    expect(() => packPaddedSequence(x, [3])).toThrow(ShapeError);
    expect(() => packPaddedSequence(x, [1, 3])).toThrow(/decreasing order with enforceSorted.*enforceSorted: false/);
    expect(() => packPaddedSequence(x, tensor([3, 1]))).toThrow(DTypeError);
    expect(() => packPaddedSequence(zeros([3]), [1])).toThrow(/at least 2 dimensions/);
    expect(() => packPaddedSequence(x, [3, 1], { batch_first: true } as object)).toThrow(/packPaddedSequence/);
    expect(Array.from(x.data)).toEqual(before);
  });

  it('padPackedSequence refuses a totalLength shorter than the longest sequence', () => {
    const packed = packPaddedSequence(randn([3, 2, 1]), [3, 2]);
    expect(() => padPackedSequence(packed, { totalLength: 2 })).toThrow(
      /padPackedSequence: totalLength must be an integer at least the longest sequence's length \(3\)/,
    );
    expect(padPackedSequence(packed, { totalLength: 4 }).output.shape).toEqual([4, 2, 1]);
  });

  it('PackedSequence checks what it is built from', () => {
    const sizes = tensor([2, 1], { dtype: 'int32' });
    expect(() => new PackedSequence(zeros([4, 2]), sizes)).toThrow(/data has 4 rows but batchSizes add up to 3/);
    expect(() => new PackedSequence(zeros([3, 2]), tensor([1, 2], { dtype: 'int32' }))).toThrow(/non-increasing/);
    expect(() => new PackedSequence(zeros([3, 2]), tensor([2, 1]))).toThrow(/int32/);
    const p = tensor([1, 0], { dtype: 'int32' });
    expect(() => new PackedSequence(zeros([3, 2]), sizes, p, null)).toThrow(/both be given or both be null/);
    expect(() => new PackedSequence(zeros([3, 2]), sizes, p, tensor([0, 0], { dtype: 'int32' }))).toThrow(
      /permutation/,
    );
    expect(new PackedSequence(zeros([3, 2]), sizes, p, p).batch).toBe(2);
  });

  it('padSequence checks the sequences', () => {
    expect(() => padSequence([])).toThrow(/non-empty array/);
    expect(() => padSequence([ones([2, 3]), ones([2, 4])])).toThrow(/sequences\[1\] has shape \[2, 4\]/);
    expect(() => padSequence([ones([2, 3]), ones([2, 3], { dtype: 'float64' })])).toThrow(DTypeError);
    expect(() => padSequence([ones([0, 3])])).toThrow(/sequences\[0\] is empty/);
    expect(padSequence([ones([1]), ones([3])], { paddingValue: -1 }).toArray()).toEqual([
      [1, 1],
      [-1, 1],
      [-1, 1],
    ]);
  });

  it('a recurrent layer checks a packed input and its initial state', () => {
    const gru = new GRU(3, 2);
    const packed = packPaddedSequence(randn([4, 2, 3]), [4, 2]);
    expect(() => gru.forward(packPaddedSequence(randn([4, 2, 5]), [4, 2]))).toThrow(/inputSize 3/);
    expect(() => gru.forward(packPaddedSequence(randn([4, 2, 3], { dtype: 'float64' }), [4, 2]))).toThrow(DTypeError);
    expect(() => gru.forward(packed, zeros([1, 3, 2]))).toThrow(/h0 has shape \[1,3,2\] but expected \[1,2,2\]/);
    expect(() => gru.forward(new PackedSequence(zeros([6]), tensor([2, 2, 1, 1], { dtype: 'int32' })))).toThrow(
      /GRU\(3, 2\): a packed input's data must be \[sum of lengths, inputSize\]/,
    );
    expect(gru.forward(packed).output.data.shape).toEqual([6, 2]);
  });
});
