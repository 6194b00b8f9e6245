// The JSON reader under the safetensors header parser (safetensors-header-parser.ts): a strict RFC 8259
// reader over the header text, one pass and linear time, that rejects duplicate keys and bounds the nesting
// depth, and the scanners of plain strings and integers that the parser's fast path reads entries with.
// Every syntax error is a SafetensorsError naming the problem and the character it is at.
import { quote, SafetensorsError } from './safetensors-error';
import type { JsonValue } from './safetensors-tensor-info';

const MAX_JSON_DEPTH = 32;

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

export const QUOTE = 0x22;
export const COMMA = 0x2c;
export const COLON = 0x3a;
export const LBRACKET = 0x5b;
export const RBRACKET = 0x5d;
export const LBRACE = 0x7b;
export const RBRACE = 0x7d;
const BACKSLASH = 0x5c;
// A plain integer of at most this many digits is below 2^53, so adding up its digits is exact.
const MAX_PLAIN_DIGITS = 15;

/** A cursor over JSON text: the scanners and the general parser that {@link HeaderParser} builds on. */
export class JsonReader {
  protected pos = 0;
  // Where the last plainInteger ended.
  protected scanEnd = 0;

  constructor(protected readonly text: string) {}

  /** The index of the closing quote of a string starting at `start` without escapes, or -1. */
  protected plainStringEnd(start: number): number {
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
  protected plainInteger(pos: number): number {
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

  protected skipSpaceFrom(pos: number): number {
    const text = this.text;
    let at = pos;
    while (at < text.length) {
      const c = text.charCodeAt(at);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
      at++;
    }
    return at;
  }

  protected fail(problem: string): never {
    throw new SafetensorsError(`loadSafetensors: the header is not valid JSON: ${problem} at character ${this.pos}`);
  }

  protected skipWhitespace(): void {
    this.pos = this.skipSpaceFrom(this.pos);
  }

  // The general parser, for entries and values the fast paths do not take.

  protected parseValue(depth: number): JsonValue {
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

  protected parseString(): string {
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
