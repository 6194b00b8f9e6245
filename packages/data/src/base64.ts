import { ValueError } from '@nablajs/core';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const LOOKUP = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i;

/**
 * Decode standard base64 (RFC 4648, `+/` alphabet, `=` padding optional) into bytes, in plain
 * TypeScript: it runs the same in browsers and in Node, with neither `atob` nor `Buffer`.
 *
 * @example
 * ```ts
 * decodeBase64('AAEC'); // Uint8Array [0, 1, 2]
 * ```
 */
export function decodeBase64(text: string): Uint8Array {
  if (typeof text !== 'string') throw new ValueError('decodeBase64: expected a string');
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 61) end--; // '=' padding
  if (text.length - end > 2 || end % 4 === 1)
    throw new ValueError(`decodeBase64: a base64 string cannot have ${end} characters before its padding`);
  const out = new Uint8Array(Math.floor((end * 3) / 4));
  let bits = 0;
  let count = 0;
  let j = 0;
  for (let i = 0; i < end; i++) {
    const code = text.charCodeAt(i);
    const v = code < 128 ? LOOKUP[code] : -1;
    if (v < 0) throw new ValueError(`decodeBase64: invalid character ${JSON.stringify(text[i])} at position ${i}`);
    bits = (bits << 6) | v;
    count += 6;
    if (count >= 8) {
      count -= 8;
      out[j++] = (bits >> count) & 0xff;
    }
  }
  return out;
}
