import type { HyperValue } from '@nablajs/optim';
import { UsageError } from './usage-error';

const KEY = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * Split `text` on `separator` outside square brackets: `a=1,b=[1,2]` -> `['a=1', 'b=[1,2]']`.
 *
 * @example
 * ```ts
 * splitTopLevel('lr=0.1,betas=[0.9,0.99]', ','); // ['lr=0.1', 'betas=[0.9,0.99]']
 * ```
 */
export function splitTopLevel(text: string, separator: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '[') depth++;
    else if (c === ']') depth--;
    else if (c === separator && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

/**
 * Turn a snake_case name into camelCase; camelCase names pass through, so PyTorch's keyword names work too.
 *
 * @example
 * ```ts
 * camelCase('weight_decay'); // 'weightDecay'
 * ```
 */
export function camelCase(key: string): string {
  return key
    .split('.')
    .map((part) => part.replace(/_+([a-z0-9])/g, (_, c: string) => c.toUpperCase()))
    .join('.');
}

function parseNumber(text: string): number | undefined {
  const t = text.trim();
  if (NUMBER.test(t)) return Number(t);
  if (/^[+-]?inf(inity)?$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  return undefined;
}

/**
 * Parse one value of a `key=value` option: a number (`0.1`, `1e-3`, `-inf`), a boolean (`true`,
 * `false`), `null`, a list of numbers (`[0.9,0.999]` or `0.9/0.999`; a bracketed one may hold `null`s:
 * `[null,1e-3]`), or else the text as a string
 * (`strong_wolfe`).
 *
 * @example
 * ```ts
 * parseValue('1e-3'); // 0.001
 * parseValue('0.9/0.999'); // [0.9, 0.999]
 * parseValue('true'); // true
 * ```
 */
export function parseValue(text: string, where = 'value'): HyperValue {
  const t = text.trim();
  if (t === '') throw new UsageError(`${where}: missing value`);
  if (t === 'true') return true;
  if (t === 'false') return false;
  if (t === 'null' || t === 'none') return null;
  const n = parseNumber(t);
  if (n !== undefined) return n;
  const list = t.startsWith('[') && t.endsWith(']') ? t.slice(1, -1) : t.includes('/') ? t : null;
  if (list !== null) {
    const parts = list.split(list === t ? '/' : ',');
    // A bracketed list may hold null entries too (Adafactor's eps = [null, 1e-3], PyTorch's (None, 1e-3)).
    const numbers = parts.map((p) =>
      list !== t && ['null', 'none'].includes(p.trim().toLowerCase()) ? null : parseNumber(p),
    );
    if (numbers.every((x) => x !== undefined)) return numbers as unknown as HyperValue;
    if (list !== t) throw new UsageError(`${where}: a list must hold numbers (or null) only, got ${JSON.stringify(t)}`);
  }
  if (t.includes('[') || t.includes(']')) throw new UsageError(`${where}: unbalanced brackets in ${JSON.stringify(t)}`);
  return t;
}

/**
 * Parse `key=value,key=value` into an object (keys in snake_case become camelCase). A key may have one
 * dot, `inner.betas`, for an option of the optimizer that a wrapper wraps. `where` names the spec in
 * error messages.
 *
 * @example
 * ```ts
 * parseKeyValues('lr=0.1,momentum=0.9', 'sgd'); // { lr: 0.1, momentum: 0.9 }
 * parseKeyValues('betas=[0.9,0.99],weight_decay=0.01', 'adam'); // { betas: [0.9, 0.99], weightDecay: 0.01 }
 * ```
 */
export function parseKeyValues(text: string, where: string): Record<string, HyperValue> {
  const out: Record<string, HyperValue> = {};
  if (text.trim() === '') return out;
  let depth = 0;
  for (const c of text) {
    depth += c === '[' ? 1 : c === ']' ? -1 : 0;
    if (depth < 0) break;
  }
  if (depth !== 0) throw new UsageError(`${where}: unbalanced brackets in ${JSON.stringify(text)}`);
  for (const item of splitTopLevel(text, ',')) {
    const eq = item.indexOf('=');
    if (eq < 0)
      throw new UsageError(
        `${where}: expected key=value, got ${JSON.stringify(item)} (write e.g. lr=0.1,momentum=0.9)`,
      );
    const rawKey = item.slice(0, eq).trim();
    if (!KEY.test(rawKey)) throw new UsageError(`${where}: ${JSON.stringify(rawKey)} is not a valid option name`);
    const key = camelCase(rawKey);
    if (Object.hasOwn(out, key)) throw new UsageError(`${where}: option ${key} is given twice`);
    out[key] = parseValue(item.slice(eq + 1), `${where}: ${key}`);
  }
  return out;
}

/**
 * Format a value the way {@link parseValue} reads it back: `[0.9,0.999]`, `true`, `0.001`.
 *
 * @example
 * ```ts
 * formatValue([0.9, 0.999]); // '[0.9,0.999]'
 * ```
 */
export function formatValue(value: HyperValue | undefined): string {
  if (value === undefined) return '';
  if (Array.isArray(value)) return `[${value.map((v) => (v === null ? 'null' : String(v))).join(',')}]`;
  return String(value);
}
