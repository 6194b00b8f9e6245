import type { Tensor } from '@nablajs/core';
import { EntryTable } from './safetensors-entry-table';
import { quote, SafetensorsError } from './safetensors-error';
import { DTYPE_BYTES, DTYPE_CODES, dtypeCode, METADATA_KEY, SAFETENSORS_MAX_ENTRIES } from './safetensors-format';
import { type JsonValue, jsonKind, readTensorInfo } from './safetensors-tensor-info';

const MAX_JSON_DEPTH = 32;

function tooManyEntries(maxEntries: number, what: string): SafetensorsError {
  return new SafetensorsError(
    `loadSafetensors: ${what} more than maxEntries = ${maxEntries} entries (the default limit is ` +
      `SAFETENSORS_MAX_ENTRIES = ${SAFETENSORS_MAX_ENTRIES}); raise maxEntries if the file is genuine`,
  );
}

const SIMPLE_ESCAPES: Record<string, string> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

const QUOTE = 0x22;
const COMMA = 0x2c;
const COLON = 0x3a;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const BACKSLASH = 0x5c;
// A plain integer of at most this many digits is below 2^53, so adding up its digits is exact.
const MAX_PLAIN_DIGITS = 15;

/**
 * A strict RFC 8259 parser for the header, in one pass. `JSON.parse` would silently keep the last of duplicate keys
 * (the format forbids duplicates) and would build plain objects; this one rejects duplicates, bounds the nesting
 * depth (no recursion deeper than {@link MAX_JSON_DEPTH}) and runs in linear time. A well-formed tensor entry is
 * read straight into the {@link EntryTable} without building any JSON value ({@link HeaderParser.fastEntry});
 * anything unusual (escapes, extra fields, numbers written with a fraction or an exponent, or an error) sends the
 * entry through the general parser and the checks of `readTensorInfo`, which decide and word the error. The first
 * problem in header order is thrown.
 */
export class HeaderParser {
  private pos = 0;
  private sawMetadata = false;
  // Where the last plainInteger ended.
  private scanEnd = 0;
  readonly table = new EntryTable();
  /** The result: names in header order, each bound to its tensor once the whole header is checked. */
  readonly tensors: Record<string, Tensor> = Object.create(null);
  readonly metadata: Record<string, string> = Object.create(null);

  constructor(
    private readonly text: string,
    private readonly dataLength: number,
    private readonly maxEntries: number,
  ) {}

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

  /** The index of the closing quote of a string starting at `start` without escapes, or -1. */
  private plainStringEnd(start: number): number {
    const text = this.text;
    for (let pos = start; pos < text.length; pos++) {
      const c = text.charCodeAt(pos);
      if (c === QUOTE) return pos;
      if (c === BACKSLASH || c < 0x20) return -1;
    }
    return -1;
  }

  /**
   * The value of a non-negative integer written as at most {@link MAX_PLAIN_DIGITS} digits at `pos` (no sign,
   * fraction or exponent), with `scanEnd` set after it; -1 for anything else.
   */
  private plainInteger(pos: number): number {
    const text = this.text;
    let c = text.charCodeAt(pos);
    if (c < 0x30 || c > 0x39) return -1;
    let value = c - 0x30;
    let at = pos + 1;
    c = text.charCodeAt(at);
    if (value !== 0)
      while (c >= 0x30 && c <= 0x39) {
        value = value * 10 + (c - 0x30);
        c = text.charCodeAt(++at);
      }
    if (at - pos > MAX_PLAIN_DIGITS || (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x65 || c === 0x45) return -1;
    this.scanEnd = at;
    return value;
  }

  private skipSpaceFrom(pos: number): number {
    const text = this.text;
    let at = pos;
    while (at < text.length) {
      const c = text.charCodeAt(at);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
      at++;
    }
    return at;
  }

  private fail(problem: string): never {
    throw new SafetensorsError(`loadSafetensors: the header is not valid JSON: ${problem} at character ${this.pos}`);
  }

  private skipWhitespace(): void {
    this.pos = this.skipSpaceFrom(this.pos);
  }

  // The general parser, for entries and values the fast paths do not take.

  private parseValue(depth: number): JsonValue {
    this.skipWhitespace();
    const c = this.text[this.pos];
    if (c === '{') return this.parseObject(depth + 1);
    if (c === '[') return this.parseArray(depth + 1);
    if (c === '"') return this.parseString();
    if (c === '-' || (c >= '0' && c <= '9')) return this.parseNumber();
    if (this.text.startsWith('true', this.pos)) return this.literal(4, true);
    if (this.text.startsWith('false', this.pos)) return this.literal(5, false);
    if (this.text.startsWith('null', this.pos)) return this.literal(4, null);
    return this.fail(c === undefined ? 'unexpected end' : `unexpected ${JSON.stringify(c)}`);
  }
  private literal(length: number, value: boolean | null): boolean | null {
    this.pos += length;
    return value;
  }

  private parseObject(depth: number): Map<string, JsonValue> {
    if (depth > MAX_JSON_DEPTH) this.fail(`nesting deeper than ${MAX_JSON_DEPTH}`);
    const out = new Map<string, JsonValue>();
    this.pos++;
    this.skipWhitespace();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return out;
    }
    for (;;) {
      this.skipWhitespace();
      if (this.text[this.pos] !== '"') this.fail('expected a string key');
      const key = this.parseString();
      if (out.has(key)) this.fail(`duplicate key ${quote(key)}`);
      this.skipWhitespace();
      if (this.text[this.pos] !== ':') this.fail("expected ':'");
      this.pos++;
      out.set(key, this.parseValue(depth));
      this.skipWhitespace();
      const c = this.text[this.pos];
      this.pos++;
      if (c === '}') return out;
      if (c !== ',') {
        this.pos--;
        this.fail("expected ',' or '}'");
      }
    }
  }

  private parseArray(depth: number): JsonValue[] {
    if (depth > MAX_JSON_DEPTH) this.fail(`nesting deeper than ${MAX_JSON_DEPTH}`);
    const out: JsonValue[] = [];
    this.pos++;
    this.skipWhitespace();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.parseValue(depth));
      this.skipWhitespace();
      const c = this.text[this.pos];
      this.pos++;
      if (c === ']') return out;
      if (c !== ',') {
        this.pos--;
        this.fail("expected ',' or ']'");
      }
    }
  }

  private parseString(): string {
    const text = this.text;
    this.pos++;
    let out = '';
    let chunk = this.pos;
    for (;;) {
      if (this.pos >= text.length) this.fail('unterminated string');
      const c = text.charCodeAt(this.pos);
      if (c === 0x22) {
        out += text.slice(chunk, this.pos);
        this.pos++;
        return out;
      }
      if (c < 0x20) this.fail('control character in a string');
      if (c !== 0x5c) {
        this.pos++;
        continue;
      }
      out += text.slice(chunk, this.pos);
      out += this.parseEscape();
      chunk = this.pos;
    }
  }

  private parseEscape(): string {
    const e = this.text[this.pos + 1];
    if (e !== undefined && Object.hasOwn(SIMPLE_ESCAPES, e)) {
      this.pos += 2;
      return SIMPLE_ESCAPES[e];
    }
    if (e === 'u') {
      const hex = this.text.slice(this.pos + 2, this.pos + 6);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('bad \\u escape');
      this.pos += 6;
      return String.fromCharCode(Number.parseInt(hex, 16));
    }
    return this.fail('bad escape');
  }

  private parseNumber(): number {
    const text = this.text;
    const start = this.pos;
    if (text[this.pos] === '-') this.pos++;
    if (text[this.pos] === '0') this.pos++;
    else if (!this.digits()) this.fail('bad number');
    if (text[this.pos] === '.') {
      this.pos++;
      if (!this.digits()) this.fail('bad number');
    }
    if (text[this.pos] === 'e' || text[this.pos] === 'E') {
      this.pos++;
      if (text[this.pos] === '+' || text[this.pos] === '-') this.pos++;
      if (!this.digits()) this.fail('bad number');
    }
    return Number(text.slice(start, this.pos));
  }

  private digits(): boolean {
    const start = this.pos;
    while (this.pos < this.text.length) {
      const c = this.text.charCodeAt(this.pos);
      if (c < 0x30 || c > 0x39) break;
      this.pos++;
    }
    return this.pos > start;
  }
}
