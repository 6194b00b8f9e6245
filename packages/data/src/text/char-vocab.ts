import { Tensor, ValueError } from '@nablajs/core';

/**
 * A character that a {@link CharVocab} does not hold (in `encode`), or an id outside `[0, size)` (in
 * `decode`). It is a `ValueError`, so `catch (e) { if (e instanceof ValueError) ... }` catches it too.
 *
 * @example
 * ```ts
 * try {
 *   new CharVocab('abc').encode('abd');
 * } catch (e) {
 *   e instanceof UnknownCharacterError; // true: "CharVocab.encode: character "d" (U+0064) at position 2 is not in the vocabulary"
 * }
 * ```
 */
export class UnknownCharacterError extends ValueError {
  /** The error's name, spelled out so that a minifier that renames classes keeps it. */
  override name = 'UnknownCharacterError';
}

/** A character of an error message, quoted, with its code point: `"d" (U+0064)`. */
function describe(ch: string): string {
  const code = ch.codePointAt(0) ?? 0;
  return `${JSON.stringify(ch)} (U+${code.toString(16).toUpperCase().padStart(4, '0')})`;
}

/**
 * A character-level vocabulary: the sorted distinct characters (code points) of a text, character `i`
 * having id `i`, as in char-rnn and nanoGPT's `shakespeare_char` (`chars = sorted(list(set(data)))`).
 * Sorting is by code point, so the ids depend only on the set of characters, not on their order in the text.
 *
 * @example
 * ```ts
 * const vocab = new CharVocab('hello world');
 * vocab.size; // 8: ' ', 'd', 'e', 'h', 'l', 'o', 'r', 'w'
 * const ids = vocab.encode('hello'); // Int32Array [3, 2, 4, 4, 5]
 * vocab.decode(ids); // 'hello'
 * ```
 */
export class CharVocab {
  /** The characters, sorted by code point; id `i` is `chars[i]`. */
  readonly chars: readonly string[];
  private readonly ids: Map<string, number>;

  /** The vocabulary of the distinct characters of `text` (a non-empty string). */
  constructor(text: string) {
    if (typeof text !== 'string') throw new ValueError(`CharVocab: text must be a string, got ${typeof text}`);
    if (text.length === 0) throw new ValueError('CharVocab: text must hold at least one character, got ""');
    const distinct = new Set<string>();
    for (const ch of text) distinct.add(ch);
    this.chars = Object.freeze(
      [...distinct].sort((a, b) => (a.codePointAt(0) as number) - (b.codePointAt(0) as number)),
    );
    this.ids = new Map(this.chars.map((ch, i) => [ch, i]));
  }

  /** The number of distinct characters (the number of ids). */
  get size(): number {
    return this.chars.length;
  }

  /** Whether `ch` (one character) is in the vocabulary. */
  has(ch: string): boolean {
    return this.ids.has(ch);
  }

  /**
   * The ids of the characters of `text`, one per character (code point); throws an
   * {@link UnknownCharacterError} naming the first character that is not in the vocabulary.
   */
  encode(text: string): Int32Array {
    if (typeof text !== 'string') throw new ValueError(`CharVocab.encode: text must be a string, got ${typeof text}`);
    const out = new Int32Array(text.length); // at most one id per UTF-16 unit
    let n = 0;
    let position = 0;
    for (const ch of text) {
      const id = this.ids.get(ch);
      if (id === undefined)
        throw new UnknownCharacterError(
          `CharVocab.encode: character ${describe(ch)} at position ${position} is not in the vocabulary of ${this.size} characters`,
        );
      out[n++] = id;
      position += ch.length;
    }
    return n === out.length ? out : out.slice(0, n);
  }

  /**
   * The text of `ids` (an array of integers, a typed array, or an integer tensor of any shape, read in
   * row-major order); throws an {@link UnknownCharacterError} for an id outside `[0, size)`.
   */
  decode(ids: ArrayLike<number> | Tensor): string {
    let values: ArrayLike<number>;
    if (ids instanceof Tensor) {
      if (ids.dtype !== 'int32')
        throw new ValueError(`CharVocab.decode: ids must be an int32 tensor, got dtype ${ids.dtype}`);
      values = ids.values;
    } else if (ids !== null && typeof ids === 'object' && typeof (ids as ArrayLike<number>).length === 'number') {
      values = ids;
    } else throw new ValueError('CharVocab.decode: ids must be an array, a typed array or an int32 tensor');
    const parts = new Array<string>(values.length);
    for (let i = 0; i < values.length; i++) {
      const id = values[i];
      if (!Number.isInteger(id) || id < 0 || id >= this.size)
        throw new UnknownCharacterError(
          `CharVocab.decode: id ${id} at index ${i} is not in [0, ${this.size}) (the vocabulary has ${this.size} characters)`,
        );
      parts[i] = this.chars[id];
    }
    return parts.join('');
  }
}
