// results.json: the whole comparison as JSON, with NaN and infinities written so that JSON can hold them.
import type { CompareResult } from './results';

/**
 * The JSON replacer of the result files: JSON has no NaN or Infinity, so they are written as null,
 * `"Infinity"` and `"-Infinity"`.
 *
 * @example
 * ```ts
 * JSON.stringify({ a: Number.NaN, b: Number.POSITIVE_INFINITY }, jsonNumber); // '{"a":null,"b":"Infinity"}'
 * ```
 */
export function jsonNumber(_key: string, value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) return Number.isNaN(value) ? null : String(value);
  return value;
}

/**
 * results.json: the whole comparison, every plotted number included (NaN as null, infinities as
 * strings).
 *
 * @example
 * ```ts
 * writeFileSync('results.json', resultsJson(result));
 * ```
 */
export function resultsJson(result: CompareResult): string {
  return `${JSON.stringify(result, jsonNumber, 2)}\n`;
}
