import { gunzipSync } from 'node:zlib';
import {
  splitTinyShakespeare,
  type TinyShakespeare,
  tinyShakespeareText,
  tinyShakespeareTextSync,
} from './tiny-shakespeare';

/**
 * The tiny Shakespeare text with its vocabulary and 90/10 split, as `loadTinyShakespeare` of
 * `@nablajs/data`, decompressed with `node:zlib` (Node only). See that function for the data, its origin
 * (karpathy/char-rnn; the text is in the public domain) and the split.
 *
 * @example
 * ```ts
 * import { loadTinyShakespeare } from '@nablajs/data/node';
 * const { vocab, train, val } = await loadTinyShakespeare();
 * vocab.size; // 65
 * val.length; // 111540
 * ```
 */
export async function loadTinyShakespeare(): Promise<TinyShakespeare> {
  return splitTinyShakespeare(await tinyShakespeareText((bytes) => gunzipSync(bytes)));
}

/**
 * {@link loadTinyShakespeare}, synchronously: the text decompressed with `node:zlib`'s `gunzipSync`, its
 * 65-character vocabulary and the 90/10 split (Node only), for code that cannot await.
 *
 * @example
 * ```ts
 * import { loadTinyShakespeareSync } from '@nablajs/data/node';
 * const { vocab, train } = loadTinyShakespeareSync();
 * vocab.decode(train.subarray(0, 14)); // 'First Citizen:'
 * ```
 */
export function loadTinyShakespeareSync(): TinyShakespeare {
  return splitTinyShakespeare(tinyShakespeareTextSync((bytes) => gunzipSync(bytes)));
}
