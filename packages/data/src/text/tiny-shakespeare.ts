import { ValueError } from '@nablajs/core';
import { decodeBase64 } from '../base64';
import { CharVocab } from './char-vocab';
import { TINY_SHAKESPEARE_GZIP_BASE64, TINY_SHAKESPEARE_LENGTH } from './tiny-shakespeare-data';

/** The tiny Shakespeare corpus, encoded and split. */
export interface TinyShakespeare {
  /** The whole text, 1,115,394 characters. */
  text: string;
  /** The 65 sorted distinct characters of the text. */
  vocab: CharVocab;
  /** The ids of the first 90% of the characters (1,003,854), the training split. */
  train: Int32Array;
  /** The ids of the last 10% (111,540), the validation split. */
  val: Int32Array;
}

/** Turns gzip bytes into the bytes they compress. */
export type Gunzip = (bytes: Uint8Array) => Uint8Array | Promise<Uint8Array>;

/** The web platform's gunzip: `DecompressionStream('gzip')` (browsers, Deno, Node 18+). */
export async function webGunzip(bytes: Uint8Array): Promise<Uint8Array> {
  if (typeof DecompressionStream !== 'function')
    throw new ValueError(
      'loadTinyShakespeare: this runtime has no DecompressionStream; in Node import it from @nablajs/data/node',
    );
  const stream = new Blob([new Uint8Array(bytes)]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

let cached: Promise<string> | null = null;
let cachedText: string | null = null;

/** Check the length of the decompressed text and decode it. */
function decodeText(bytes: Uint8Array): string {
  const text = new TextDecoder('utf-8').decode(bytes);
  if (text.length !== TINY_SHAKESPEARE_LENGTH)
    throw new ValueError(
      `loadTinyShakespeare: the bundled text decompressed to ${text.length} characters, expected ${TINY_SHAKESPEARE_LENGTH}`,
    );
  return text;
}

/** The decompressed text, with a synchronous `gunzip` (decoded once per process). */
export function tinyShakespeareTextSync(gunzip: (bytes: Uint8Array) => Uint8Array): string {
  cachedText ??= decodeText(gunzip(decodeBase64(TINY_SHAKESPEARE_GZIP_BASE64)));
  return cachedText;
}

/** The decompressed text, decoded once per process with `gunzip` (the first caller's). */
export function tinyShakespeareText(gunzip: Gunzip): Promise<string> {
  if (cachedText !== null) return Promise.resolve(cachedText);
  cached ??= (async () => {
    cachedText = decodeText(await gunzip(decodeBase64(TINY_SHAKESPEARE_GZIP_BASE64)));
    return cachedText;
  })();
  // A failed attempt is not cached, so that a later call can retry.
  cached.catch(() => {
    cached = null;
  });
  return cached;
}

/** Vocabulary and 90/10 split of `text`. */
export function splitTinyShakespeare(text: string): TinyShakespeare {
  const vocab = new CharVocab(text);
  const ids = vocab.encode(text);
  const cut = Math.floor(ids.length * 0.9);
  return { text, vocab, train: ids.slice(0, cut), val: ids.slice(cut) };
}

/**
 * The tiny Shakespeare text, bundled (no network, no file): 1,115,394 characters of Shakespeare's plays,
 * the standard small corpus of character-level language models (char-rnn, nanoGPT's `shakespeare_char`),
 * with its character vocabulary (65 sorted distinct characters) and the usual split: the first 90% of the
 * ids for training, the last 10% for validation (`n = floor(0.9 · N)`, as nanoGPT's `prepare.py`).
 * The text ships gzip-compressed and base64-encoded (576 KB of source) and is decompressed on the first
 * call with the web platform's `DecompressionStream('gzip')`; later calls reuse the text but return a new
 * vocabulary and new arrays. In Node, `@nablajs/data/node` exports the same function, decompressing with
 * `node:zlib`.
 *
 * Data: `data/tinyshakespeare/input.txt` of Andrej Karpathy's GitHub repository karpathy/char-rnn (2015).
 * The text is Shakespeare's and in the public domain; credit karpathy/char-rnn when you cite it.
 * sha256 of the text: `86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed`.
 *
 * See https://github.com/karpathy/char-rnn and https://github.com/karpathy/nanoGPT/tree/master/data/shakespeare_char
 *
 * @example
 * ```ts
 * const { text, vocab, train, val } = await loadTinyShakespeare();
 * vocab.size; // 65
 * train.length; // 1003854
 * vocab.decode(train.subarray(0, 14)); // 'First Citizen:'
 * const { x, y } = sampleWindows(train, { batchSize: 12, contextLength: 64, generator: new Generator(0) });
 * ```
 */
export async function loadTinyShakespeare(): Promise<TinyShakespeare> {
  return splitTinyShakespeare(await tinyShakespeareText(webGunzip));
}
