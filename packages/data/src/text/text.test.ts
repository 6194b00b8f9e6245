import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { Generator, Tensor, tensor, ValueError } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { decodeBase64 } from '../base64';
import { CharVocab, UnknownCharacterError } from './char-vocab';
import { loadTinyShakespeare as loadNode, loadTinyShakespeareSync } from './node-tiny-shakespeare';
import { sampleWindows } from './sample-windows';
import { loadTinyShakespeare as loadWeb, webGunzip } from './tiny-shakespeare';
import { TINY_SHAKESPEARE_GZIP_BASE64, TINY_SHAKESPEARE_SHA256 } from './tiny-shakespeare-data';

// The facts of /work/shared/data/tinyshakespeare/README.md (the bundled file's origin).
const README_SHA256 = '86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed';
const README_LENGTH = 1115394;
const README_DISTINCT = 65;

const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');

describe('CharVocab', () => {
  it('holds the sorted distinct characters; encode and decode are inverse', () => {
    const vocab = new CharVocab('hello world');
    expect(vocab.chars).toEqual([' ', 'd', 'e', 'h', 'l', 'o', 'r', 'w']);
    expect(vocab.size).toBe(8);
    const ids = vocab.encode('hello');
    expect(ids).toBeInstanceOf(Int32Array);
    expect(Array.from(ids)).toEqual([3, 2, 4, 4, 5]);
    expect(vocab.decode(ids)).toBe('hello');
    expect(vocab.decode([7, 5, 6, 4, 1])).toBe('world');
    expect(vocab.decode(new Tensor(Int32Array.from([3, 2, 0, 1]), [2, 2], 'int32'))).toBe('he d');
    expect(vocab.encode('')).toHaveLength(0);
    expect(vocab.has('h')).toBe(true);
    expect(vocab.has('z')).toBe(false);
  });

  it('does not depend on the order of the characters in the text; astral characters are one id', () => {
    expect(new CharVocab('cba').chars).toEqual(new CharVocab('abcabc').chars);
    const vocab = new CharVocab('a😀b');
    expect(vocab.size).toBe(3);
    expect(Array.from(vocab.encode('😀ab😀'))).toEqual([2, 0, 1, 2]);
    expect(vocab.decode(vocab.encode('b😀a'))).toBe('b😀a');
  });

  it('names an unknown character and its position, and an id out of range', () => {
    const vocab = new CharVocab('abc');
    expect(() => vocab.encode('abd')).toThrow(UnknownCharacterError);
    expect(() => vocab.encode('abd')).toThrow(/CharVocab\.encode: character "d" \(U\+0064\) at position 2/);
    expect(() => vocab.encode('ab\n')).toThrow(ValueError);
    expect(() => vocab.decode([0, 3])).toThrow(/CharVocab\.decode: id 3 at index 1 is not in \[0, 3\)/);
    expect(() => vocab.decode([-1])).toThrow(UnknownCharacterError);
    expect(() => vocab.decode([0.5])).toThrow(UnknownCharacterError);
    expect(() => vocab.decode(tensor([0, 1]))).toThrow(/int32 tensor, got dtype float32/);
    expect(() => new CharVocab('')).toThrow(/CharVocab: text must hold at least one character/);
    expect(() => new CharVocab(3 as unknown as string)).toThrow(/CharVocab: text must be a string/);
    const error = (() => {
      try {
        vocab.encode('x');
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error?.name).toBe('UnknownCharacterError');
  });
});

describe('sampleWindows', () => {
  const tokens = Int32Array.from({ length: 50 }, (_, i) => i);

  it('draws [B, T] int32 windows with targets shifted by one, reproducibly by seed', () => {
    const { x, y } = sampleWindows(tokens, { batchSize: 6, contextLength: 7, generator: new Generator(3) });
    expect(x.shape).toEqual([6, 7]);
    expect(y.shape).toEqual([6, 7]);
    expect(x.dtype).toBe('int32');
    expect(y.dtype).toBe('int32');
    const xs = x.values;
    const ys = y.values;
    for (let b = 0; b < 6; b++) {
      const start = xs[b * 7];
      expect(start).toBeGreaterThanOrEqual(0);
      expect(start).toBeLessThan(50 - 7);
      for (let t = 0; t < 7; t++) {
        expect(xs[b * 7 + t]).toBe(start + t);
        expect(ys[b * 7 + t]).toBe(start + t + 1);
      }
    }
    const again = sampleWindows(tokens, { batchSize: 6, contextLength: 7, generator: new Generator(3) });
    expect(Array.from(again.x.values)).toEqual(Array.from(xs));
    const other = sampleWindows(tokens, { batchSize: 6, contextLength: 7, generator: new Generator(4) });
    expect(Array.from(other.x.values)).not.toEqual(Array.from(xs));
  });

  it('uses every start in [0, N - T) and no other (nanoGPT: randint(len(data) - block_size))', () => {
    const generator = new Generator(0);
    const seen = new Set<number>();
    const n = 12;
    const T = 4;
    for (let i = 0; i < 200; i++) {
      const { x } = sampleWindows(tokens.subarray(0, n), { batchSize: 5, contextLength: T, generator });
      for (let b = 0; b < 5; b++) seen.add(x.values[b * T]);
    }
    expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: n - T }, (_, i) => i));
    // the generator advances: two calls differ
    const a = sampleWindows(tokens, { batchSize: 8, contextLength: 3, generator });
    const b = sampleWindows(tokens, { batchSize: 8, contextLength: 3, generator });
    expect(Array.from(a.x.values)).not.toEqual(Array.from(b.x.values));
  });

  it('accepts a 1-D int32 tensor; rejects bad options before drawing', () => {
    const t = new Tensor(Int32Array.from([5, 6, 7]), [3], 'int32');
    const { x, y } = sampleWindows(t, { batchSize: 2, contextLength: 2 });
    expect(Array.from(x.values)).toEqual([5, 6, 5, 6]);
    expect(Array.from(y.values)).toEqual([6, 7, 6, 7]);
    const generator = new Generator(1);
    const state = generator.getState();
    expect(() => sampleWindows(tokens, { batchSize: 2, contextLength: 2, block_size: 2 } as never)).toThrow(
      /sampleWindows: unknown option "block_size"/,
    );
    expect(() => sampleWindows(tokens, { batchSize: 0, contextLength: 2, generator })).toThrow(
      /sampleWindows: batchSize must be an integer >= 1, got 0/,
    );
    expect(() => sampleWindows(tokens, { batchSize: 2, contextLength: 50, generator })).toThrow(
      /sampleWindows: tokens has 50 ids, but a window of contextLength 50 .* at least 51/,
    );
    expect(() => sampleWindows(tokens, { batchSize: 2, contextLength: 1.5, generator })).toThrow(ValueError);
    expect(() => sampleWindows(tensor([1, 2, 3]), { batchSize: 1, contextLength: 1 })).toThrow(
      /1-D int32 tensor, got dtype float32/,
    );
    expect(() => sampleWindows([1, 2, 3] as unknown as Int32Array, { batchSize: 1, contextLength: 1 })).toThrow(
      /Int32Array or a 1-D int32 tensor/,
    );
    expect(generator.getState()).toEqual(state);
  });
});

describe('loadTinyShakespeare', () => {
  it('the bundled bytes decompress to the text whose sha256 the README gives', () => {
    const text = gunzipSync(decodeBase64(TINY_SHAKESPEARE_GZIP_BASE64));
    expect(sha256(text)).toBe(README_SHA256);
    expect(TINY_SHAKESPEARE_SHA256).toBe(README_SHA256);
  });

  it('(node:zlib) the text, its 65-character vocabulary and the 90/10 split', async () => {
    const { text, vocab, train, val } = await loadNode();
    expect(text).toHaveLength(README_LENGTH);
    expect(sha256(text)).toBe(README_SHA256);
    expect(vocab.size).toBe(README_DISTINCT);
    expect(vocab.chars[0]).toBe('\n');
    expect(vocab.chars[1]).toBe(' ');
    expect(vocab.chars.at(-1)).toBe('z');
    expect(train.length).toBe(Math.floor(README_LENGTH * 0.9));
    expect(train.length + val.length).toBe(README_LENGTH);
    expect(vocab.decode(train.subarray(0, 14))).toBe('First Citizen:');
    expect(vocab.decode(train) + vocab.decode(val)).toBe(text);
  });

  it('(DecompressionStream) gunzips the bundled bytes as node:zlib does', async () => {
    const bytes = decodeBase64(TINY_SHAKESPEARE_GZIP_BASE64);
    const web = await webGunzip(bytes);
    expect(Buffer.from(web).equals(gunzipSync(bytes))).toBe(true);
  });

  it('the browser entry gives the same text and split; the arrays are new on each call', async () => {
    const web = await loadWeb();
    const node = await loadNode();
    expect(web.text).toBe(node.text);
    expect(web.vocab.chars).toEqual(node.vocab.chars);
    expect(Buffer.from(web.val.buffer).equals(Buffer.from(node.val.buffer))).toBe(true);
    expect(web.train === node.train).toBe(false);
    web.train[0] = 64;
    expect(node.train[0]).not.toBe(64);
    const sync = loadTinyShakespeareSync();
    expect(sync.text).toBe(node.text);
    expect(Buffer.from(sync.train.buffer).equals(Buffer.from(node.train.buffer))).toBe(true);
  });

  it('matches the file it was generated from, when that file is there', () => {
    let file: Buffer;
    try {
      file = readFileSync(new URL('../../../../../shared/data/tinyshakespeare/input.txt.gz', import.meta.url));
    } catch {
      return; // the shared data directory is not part of the repository
    }
    expect(gunzipSync(decodeBase64(TINY_SHAKESPEARE_GZIP_BASE64)).equals(gunzipSync(file))).toBe(true);
  });
});
