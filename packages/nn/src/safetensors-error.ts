import { NablaError } from '@nablajs/core';

/**
 * The error thrown for every malformed or unsupported safetensors file, and for a state dict that cannot be
 * saved as one. Messages start with the function name and say what was wrong and where.
 *
 * @example
 * ```ts
 * try {
 *   loadSafetensors(new Uint8Array(3));
 * } catch (e) {
 *   e instanceof SafetensorsError; // true: "loadSafetensors: the file has 3 bytes, fewer than the 8 ..."
 * }
 * ```
 *
 * @see https://github.com/huggingface/safetensors#format
 */
export class SafetensorsError extends NablaError {
  /** The error's name, spelled out so that a minifier that renames classes keeps it. */
  override name = 'SafetensorsError';
}

export function quote(name: string): string {
  return JSON.stringify(name);
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return `an object (${Object.prototype.toString.call(value)})`;
  if (typeof value === 'string') return `the string ${quote(value)}`;
  return `${typeof value} ${String(value)}`;
}
