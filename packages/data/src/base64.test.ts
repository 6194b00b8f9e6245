import { ValueError } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { decodeBase64 } from './base64';

describe('decodeBase64', () => {
  it('decodes the RFC 4648 test vectors, with and without padding', () => {
    const text = (s: string) => new TextDecoder().decode(decodeBase64(s));
    expect(text('')).toBe('');
    expect(text('Zg==')).toBe('f');
    expect(text('Zm8=')).toBe('fo');
    expect(text('Zm9v')).toBe('foo');
    expect(text('Zm9vYg==')).toBe('foob');
    expect(text('Zm9vYmE=')).toBe('fooba');
    expect(text('Zm9vYmFy')).toBe('foobar');
    expect(text('Zm9vYg')).toBe('foob');
  });

  it('agrees with Node for every byte value', () => {
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 37 + (i >> 3)) & 0xff);
    for (const n of [0, 1, 2, 3, 255, 256, 1000]) {
      const slice = bytes.subarray(0, n);
      expect(Array.from(decodeBase64(Buffer.from(slice).toString('base64')))).toEqual(Array.from(slice));
    }
  });

  it('rejects invalid characters and impossible lengths', () => {
    expect(() => decodeBase64('Zm9v!')).toThrow(ValueError);
    expect(() => decodeBase64('Zm-v')).toThrow(/invalid character "-" at position 2/);
    expect(() => decodeBase64('Z')).toThrow(/cannot have 1 characters/);
    expect(() => decodeBase64('Zm9v===')).toThrow(ValueError);
  });
});
