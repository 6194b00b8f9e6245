import type { Tensor } from '@nablajs/core';
import { EntryTable } from './safetensors-entry-table';
import { quote, SafetensorsError } from './safetensors-error';
import { DTYPE_BYTES, DTYPE_CODES, dtypeCode, METADATA_KEY, SAFETENSORS_MAX_ENTRIES } from './safetensors-format';
import { COLON, COMMA, JsonReader, LBRACE, LBRACKET, QUOTE, RBRACE, RBRACKET } from './safetensors-json';
import { jsonKind, readTensorInfo } from './safetensors-tensor-info';

function tooManyEntries(maxEntries: number, what: string): SafetensorsError {
  return new SafetensorsError(
    `loadSafetensors: ${what} more than maxEntries = ${maxEntries} entries (the default limit is ` +
      `SAFETENSORS_MAX_ENTRIES = ${SAFETENSORS_MAX_ENTRIES}); raise maxEntries if the file is genuine`,
  );
}

/**
 * A strict RFC 8259 parser for the header, in one pass. `JSON.parse` would silently keep the last of duplicate keys
 * (the format forbids duplicates) and would build plain objects; this one rejects duplicates, bounds the nesting
 * depth (no recursion deeper than {@link MAX_JSON_DEPTH}) and runs in linear time. A well-formed tensor entry is
 * read straight into the {@link EntryTable} without building any JSON value ({@link HeaderParser.fastEntry});
 * anything unusual (escapes, extra fields, numbers written with a fraction or an exponent, or an error) sends the
 * entry through the general parser and the checks of `readTensorInfo`, which decide and word the error. The first
 * problem in header order is thrown.
 */
export class HeaderParser extends JsonReader {
  private sawMetadata = false;
  readonly table = new EntryTable();
  /** The result: names in header order, each bound to its tensor once the whole header is checked. */
  readonly tensors: Record<string, Tensor> = Object.create(null);
  readonly metadata: Record<string, string> = Object.create(null);

  constructor(
    text: string,
    private readonly dataLength: number,
    private readonly maxEntries: number,
  ) {
    super(text);
  }

  /** Parse the whole header (its first character, `{`, already checked) into the table and the metadata. */
  parseHeader(): void {
    const text = this.text;
    this.pos = 1;
    this.skipWhitespace();
    if (text.charCodeAt(this.pos) === RBRACE) this.pos++;
    else
      for (;;) {
        this.skipWhitespace();
        if (text.charCodeAt(this.pos) !== QUOTE) this.fail('expected a string key');
        const key = this.parseString();
        const isMetadata = key === METADATA_KEY;
        if (isMetadata) {
          if (this.sawMetadata) this.fail(`duplicate key ${quote(key)}`);
          this.sawMetadata = true;
        } else {
          if (key in this.tensors) this.fail(`duplicate key ${quote(key)}`);
          if (this.table.count === this.maxEntries) throw tooManyEntries(this.maxEntries, 'the header lists');
          // A placeholder that keeps the header order; the tensor replaces it.
          this.tensors[key] = null as unknown as Tensor;
        }
        this.skipWhitespace();
        if (text.charCodeAt(this.pos) !== COLON) this.fail("expected ':'");
        this.pos++;
        this.skipWhitespace();
        if (isMetadata) this.parseMetadata();
        else if (!this.fastEntry(key)) this.slowEntry(key);
        this.skipWhitespace();
        const c = text.charCodeAt(this.pos);
        if (c === RBRACE) {
          this.pos++;
          break;
        }
        if (c !== COMMA) this.fail("expected ',' or '}'");
        this.pos++;
      }
    this.skipWhitespace();
    if (this.pos !== text.length) this.fail('unexpected text after the JSON object');
  }

  /** The `__metadata__` object, read straight into the result: strings only. */
  private parseMetadata(): void {
    const text = this.text;
    if (text.charCodeAt(this.pos) !== LBRACE) {
      const value = this.parseValue(1);
      throw new SafetensorsError(`loadSafetensors: ${quote(METADATA_KEY)} must be an object, got ${jsonKind(value)}`);
    }
    const out = this.metadata;
    let count = 0;
    this.pos++;
    this.skipWhitespace();
    if (text.charCodeAt(this.pos) === RBRACE) {
      this.pos++;
      return;
    }
    for (;;) {
      this.skipWhitespace();
      if (text.charCodeAt(this.pos) !== QUOTE) this.fail('expected a string key');
      const key = this.parseString();
      if (Object.hasOwn(out, key)) this.fail(`duplicate key ${quote(key)}`);
      this.skipWhitespace();
      if (text.charCodeAt(this.pos) !== COLON) this.fail("expected ':'");
      this.pos++;
      this.skipWhitespace();
      if (text.charCodeAt(this.pos) !== QUOTE) {
        const value = this.parseValue(2);
        throw new SafetensorsError(
          `loadSafetensors: metadata values must be strings, but ${quote(key)} is ${jsonKind(value)}`,
        );
      }
      if (count === this.maxEntries) throw tooManyEntries(this.maxEntries, `${quote(METADATA_KEY)} holds`);
      out[key] = this.parseString();
      count++;
      this.skipWhitespace();
      const c = text.charCodeAt(this.pos);
      if (c === RBRACE) {
        this.pos++;
        return;
      }
      if (c !== COMMA) this.fail("expected ',' or '}'");
      this.pos++;
    }
  }

  /**
   * Read the entry at `pos` if it is plain: an object with exactly the keys `dtype` (a supported dtype), `shape`
   * and `data_offsets` (arrays of integers written as plain digits), without escapes, that passes every check of
   * `readTensorInfo`. Returns false, with `pos` unchanged, for anything else.
   */
  private fastEntry(name: string): boolean {
    const text = this.text;
    const table = this.table;
    let pos = this.pos;
    if (text.charCodeAt(pos) !== LBRACE) return false;
    pos = this.skipSpaceFrom(pos + 1);
    let dtype = -1;
    let count = -1;
    let begin = -1;
    let end = -1;
    for (;;) {
      if (text.charCodeAt(pos) !== QUOTE) return this.abandon();
      const keyStart = pos + 1;
      const keyEnd = this.plainStringEnd(keyStart);
      if (keyEnd < 0) return this.abandon();
      pos = this.skipSpaceFrom(keyEnd + 1);
      if (text.charCodeAt(pos) !== COLON) return this.abandon();
      pos = this.skipSpaceFrom(pos + 1);
      const keyLength = keyEnd - keyStart;
      if (keyLength === 5 && text.startsWith('dtype', keyStart)) {
        if (dtype >= 0 || text.charCodeAt(pos) !== QUOTE) return this.abandon();
        const valueEnd = this.plainStringEnd(pos + 1);
        if (valueEnd < 0) return this.abandon();
        dtype = dtypeCode(text, pos + 1, valueEnd);
        if (dtype < 0) return this.abandon();
        pos = valueEnd + 1;
      } else if (keyLength === 5 && text.startsWith('shape', keyStart)) {
        if (count >= 0 || text.charCodeAt(pos) !== LBRACKET) return this.abandon();
        count = 1;
        pos = this.skipSpaceFrom(pos + 1);
        if (text.charCodeAt(pos) === RBRACKET) pos++;
        else
          for (;;) {
            const dim = this.plainInteger(pos);
            if (dim < 0) return this.abandon();
            table.pushDim(dim);
            count *= dim;
            if (count > Number.MAX_SAFE_INTEGER) return this.abandon();
            pos = this.skipSpaceFrom(this.scanEnd);
            const c = text.charCodeAt(pos);
            pos = this.skipSpaceFrom(pos + 1);
            if (c === RBRACKET) break;
            if (c !== COMMA) return this.abandon();
          }
      } else if (keyLength === 12 && text.startsWith('data_offsets', keyStart)) {
        if (begin >= 0 || text.charCodeAt(pos) !== LBRACKET) return this.abandon();
        begin = this.plainInteger(this.skipSpaceFrom(pos + 1));
        if (begin < 0) return this.abandon();
        pos = this.skipSpaceFrom(this.scanEnd);
        if (text.charCodeAt(pos) !== COMMA) return this.abandon();
        end = this.plainInteger(this.skipSpaceFrom(pos + 1));
        if (end < 0) return this.abandon();
        pos = this.skipSpaceFrom(this.scanEnd);
        if (text.charCodeAt(pos) !== RBRACKET) return this.abandon();
        pos++;
      } else return this.abandon();
      pos = this.skipSpaceFrom(pos);
      const c = text.charCodeAt(pos);
      if (c === RBRACE) {
        pos++;
        break;
      }
      if (c !== COMMA) return this.abandon();
      pos = this.skipSpaceFrom(pos + 1);
    }
    if (dtype < 0 || count < 0 || begin < 0) return this.abandon();
    if (end < begin || end > this.dataLength || end - begin !== count * DTYPE_BYTES[dtype]) return this.abandon();
    table.commit(name, dtype, begin, end);
    this.pos = pos;
    return true;
  }

  private abandon(): false {
    this.table.abandon();
    return false;
  }

  /** Parse the entry at `pos` as JSON and check it with `readTensorInfo`, which throws the precise error. */
  private slowEntry(name: string): void {
    const info = readTensorInfo(name, this.parseValue(1), this.dataLength);
    for (const dim of info.shape) this.table.pushDim(dim);
    this.table.commit(name, DTYPE_CODES[info.dtype], info.begin, info.end);
  }
}
