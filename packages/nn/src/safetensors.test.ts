import { readFileSync } from 'node:fs';
import { NablaError, Tensor, tensor } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { decodeData, loadSafetensors } from './load-safetensors';
import { SafetensorsError } from './safetensors-error';
import { SAFETENSORS_MAX_ENTRIES, SAFETENSORS_MAX_HEADER_BYTES } from './safetensors-format';
import { encodeData, saveSafetensors } from './save-safetensors';

/** Assemble a safetensors file by hand: header (object or raw text), optional padding, then data. */
function build(
  header: unknown,
  data: Uint8Array = new Uint8Array(0),
  options: { pad?: boolean; headerLength?: number | bigint } = {},
): Uint8Array {
  let json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  if (options.pad) {
    const padded = new Uint8Array(Math.ceil(json.length / 8) * 8).fill(0x20);
    padded.set(json);
    json = padded;
  }
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(options.headerLength ?? json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

/** Little-endian bytes of values written by `write` into a DataView of `n` bytes. */
function le(n: number, write: (view: DataView) => void): Uint8Array {
  const out = new Uint8Array(n);
  write(new DataView(out.buffer));
  return out;
}

function f32(...values: number[]): Uint8Array {
  return le(values.length * 4, (v) => {
    for (let i = 0; i < values.length; i++) v.setFloat32(i * 4, values[i], true);
  });
}

function headerOf(bytes: Uint8Array): { length: number; text: string } {
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { length, text: new TextDecoder().decode(bytes.subarray(8, 8 + length)) };
}

function expectError(
  bytes: Uint8Array,
  pattern: RegExp,
  options?: { maxHeaderBytes?: number; maxEntries?: number },
): void {
  let caught: unknown;
  try {
    loadSafetensors(bytes, options);
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(SafetensorsError);
  expect((caught as Error).message).toMatch(pattern);
}

// A name that would set the prototype of an ordinary object if assigned with a dot.
const PROTO = '__proto__';
// Names of Object.prototype members, typed as plain strings so that they index a Record<string, Tensor>.
const CONSTRUCTOR: string = 'constructor';
const HAS_OWN: string = 'hasOwnProperty';

const oneF32 = { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };

describe('saveSafetensors', () => {
  it('writes the exact bytes of the format for a small state dict', () => {
    const bytes = saveSafetensors({ a: tensor([1.5, -2], { dtype: 'float32' }) });
    const json = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
    expect(json.length).toBe(54);
    const expected = new Uint8Array(8 + 56 + 8);
    new DataView(expected.buffer).setBigUint64(0, 56n, true);
    expected.set(new TextEncoder().encode(`${json}  `), 8);
    expected.set(f32(1.5, -2), 64);
    expect([...bytes]).toEqual([...expected]);
  });

  it('pads the header to 8 bytes and lays out tensors by element size, then name', () => {
    const sd = {
      z: tensor([1, 2, 3], { dtype: 'int32' }),
      b: tensor([[1, 2]], { dtype: 'float32' }),
      m: tensor([0.1, 0.2], { dtype: 'float64' }),
      a: tensor([7], { dtype: 'float64' }),
    };
    const bytes = saveSafetensors(sd, { format: 'pt' });
    const { length, text } = headerOf(bytes);
    expect(length % 8).toBe(0);
    const header = JSON.parse(text);
    expect(Object.keys(header)).toEqual(['__metadata__', 'a', 'm', 'b', 'z']);
    expect(header.__metadata__).toEqual({ format: 'pt' });
    expect(header.a).toEqual({ dtype: 'F64', shape: [1], data_offsets: [0, 8] });
    expect(header.m).toEqual({ dtype: 'F64', shape: [2], data_offsets: [8, 24] });
    expect(header.b).toEqual({ dtype: 'F32', shape: [1, 2], data_offsets: [24, 32] });
    expect(header.z).toEqual({ dtype: 'I32', shape: [3], data_offsets: [32, 44] });
    expect(bytes.length).toBe(8 + length + 44);
    const data = new DataView(bytes.buffer, 8 + length);
    expect(data.getFloat64(8, true)).toBe(0.1);
    expect(data.getInt32(40, true)).toBe(3);
  });

  it('round-trips every nabla dtype, scalars, empty tensors, odd names and metadata', () => {
    const sd: Record<string, Tensor> = Object.create(null);
    sd['layer.0.weight'] = tensor(
      [
        [1.25, -3.5e-8],
        [Number.MAX_VALUE, -0],
      ],
      { dtype: 'float64' },
    );
    sd['layer.0.bias'] = tensor([Math.fround(0.1), -1e-40, Number.POSITIVE_INFINITY], { dtype: 'float32' });
    sd.steps = tensor([-2147483648, 2147483647, 0], { dtype: 'int32' });
    sd.scalar = tensor(3.25, { dtype: 'float64' });
    sd.empty = new Tensor(new Float32Array(0), [0, 3]);
    sd[PROTO] = tensor([1], { dtype: 'float32' });
    sd[CONSTRUCTOR] = tensor([2], { dtype: 'int32' });
    sd.prototype = tensor([3], { dtype: 'float64' });
    sd['名前 "quoted"\n'] = tensor([4], { dtype: 'float32' });
    sd[''] = tensor([5], { dtype: 'int32' });
    const nan = new Tensor(new Float32Array([Number.NaN]), [1]);
    sd.nan = nan;
    // JSON.parse makes "__proto__" an own key, as an untrusted caller's object could have it.
    const metadata = JSON.parse('{"format":"pt","__proto__":"not a prototype","note":"ünïcode ✓"}');
    const { tensors, metadata: meta } = loadSafetensors(saveSafetensors(sd, metadata));
    expect(Object.keys(tensors).sort()).toEqual(Object.keys(sd).sort());
    for (const name of Object.keys(sd)) {
      expect(tensors[name]).toBeInstanceOf(Tensor);
      expect(tensors[name].dtype).toBe(sd[name].dtype);
      expect(tensors[name].shape).toEqual(sd[name].shape);
      expect([...tensors[name].data]).toEqual([...sd[name].data]);
    }
    expect(Object.is(tensors['layer.0.weight'].data[3], -0)).toBe(true);
    expect(tensors.scalar.shape).toEqual([]);
    expect(Object.getPrototypeOf(tensors)).toBeNull();
    expect(Object.getPrototypeOf(meta)).toBeNull();
    expect(Object.entries(meta)).toEqual([
      ['format', 'pt'],
      ['__proto__', 'not a prototype'],
      ['note', 'ünïcode ✓'],
    ]);
    expect(({} as Record<string, unknown>).format).toBeUndefined();
  });

  it('accepts a Map, writes an empty file for an empty state dict, and writes metadata only when given', () => {
    const fromMap = saveSafetensors(new Map([['w', tensor([1, 2], { dtype: 'float32' })]]));
    expect([...loadSafetensors(fromMap).tensors.w.data]).toEqual([1, 2]);
    const empty = saveSafetensors({});
    expect(headerOf(empty)).toEqual({ length: 8, text: '{}      ' });
    expect(empty.length).toBe(16);
    expect(Object.keys(loadSafetensors(empty).tensors)).toEqual([]);
    expect(headerOf(saveSafetensors({}, {})).text.trim()).toBe('{"__metadata__":{}}');
  });

  it('does not mutate the state dict and the loaded tensors do not alias the bytes', () => {
    const w = tensor([1, 2, 3], { dtype: 'float32', requiresGrad: true });
    const bytes = saveSafetensors({ w });
    expect([...w.data]).toEqual([1, 2, 3]);
    expect(w.requiresGrad).toBe(true);
    const loaded = loadSafetensors(bytes).tensors.w;
    bytes.fill(0, bytes.length - 12);
    expect([...loaded.data]).toEqual([1, 2, 3]);
    expect(loaded.requiresGrad).toBe(false);
  });

  it('rejects what cannot be saved', () => {
    const t = tensor([1]);
    expect(() => saveSafetensors({ __metadata__: t })).toThrow(/saveSafetensors: "__metadata__" is reserved/);
    expect(() => saveSafetensors({ w: [1, 2] as unknown as Tensor })).toThrow(/entry "w" is an array, not a Tensor/);
    expect(() => saveSafetensors(null as unknown as Record<string, Tensor>)).toThrow(SafetensorsError);
    expect(() => saveSafetensors({ w: t }, { epoch: 3 as unknown as string })).toThrow(
      /metadata values must be strings, but "epoch" is number 3/,
    );
    expect(() => saveSafetensors({ w: t }, [] as unknown as Record<string, string>)).toThrow(
      /metadata must be an object/,
    );
  });
});

describe('loadSafetensors: dtypes', () => {
  it('reads an unpadded header with unaligned data from a Uint8Array at an odd byte offset', () => {
    const file = build(
      { p: { dtype: 'F64', shape: [2], data_offsets: [0, 16] } },
      le(16, (v) => {
        v.setFloat64(0, Math.PI, true);
        v.setFloat64(8, -1e-300, true);
      }),
    );
    expect(headerOf(file).length % 8).not.toBe(0);
    const host = new Uint8Array(file.length + 3);
    host.set(file, 3);
    const { tensors } = loadSafetensors(host.subarray(3));
    expect(tensors.p.dtype).toBe('float64');
    expect([...tensors.p.data]).toEqual([Math.PI, -1e-300]);
  });

  it('loads I64 into int32 when every value fits, and names the tensor and value when one does not', () => {
    const values = [0n, -1n, 2147483647n, -2147483648n, 42n];
    const data = le(40, (v) => {
      for (let i = 0; i < values.length; i++) v.setBigInt64(i * 8, values[i], true);
    });
    const header = { ids: { dtype: 'I64', shape: [5], data_offsets: [0, 40] } };
    const { tensors } = loadSafetensors(build(header, data));
    expect(tensors.ids.dtype).toBe('int32');
    expect([...tensors.ids.data]).toEqual([0, -1, 2147483647, -2147483648, 42]);
    for (const bad of [2147483648n, -2147483649n, 1n << 40n, -(1n << 62n)]) {
      const d = data.slice();
      new DataView(d.buffer).setBigInt64(24, bad, true);
      expectError(build(header, d), new RegExp(`I64 tensor "ids" holds ${bad} at element 3, outside the int32 range`));
    }
  });

  it('loads U64 and U32 within the int32 range and rejects larger values', () => {
    const u64 = le(16, (v) => {
      v.setBigUint64(0, 7n, true);
      v.setBigUint64(8, 2147483647n, true);
    });
    const h64 = { n: { dtype: 'U64', shape: [2], data_offsets: [0, 16] } };
    expect([...loadSafetensors(build(h64, u64)).tensors.n.data]).toEqual([7, 2147483647]);
    const big = u64.slice();
    new DataView(big.buffer).setBigUint64(8, 18446744073709551615n, true);
    expectError(build(h64, big), /U64 tensor "n" holds 18446744073709551615 at element 1/);
    const h32 = { n: { dtype: 'U32', shape: [2], data_offsets: [0, 8] } };
    expect([
      ...loadSafetensors(
        build(
          h32,
          le(8, (v) => v.setUint32(4, 9, true)),
        ),
      ).tensors.n.data,
    ]).toEqual([0, 9]);
    expectError(
      build(
        h32,
        le(8, (v) => v.setUint32(0, 0x80000000, true)),
      ),
      /U32 tensor "n" holds 2147483648 at element 0/,
    );
  });

  it('widens small integer types and BOOL into int32', () => {
    const header = {
      i16: { dtype: 'I16', shape: [2], data_offsets: [0, 4] },
      u16: { dtype: 'U16', shape: [2], data_offsets: [4, 8] },
      i8: { dtype: 'I8', shape: [2], data_offsets: [8, 10] },
      u8: { dtype: 'U8', shape: [2], data_offsets: [10, 12] },
      flag: { dtype: 'BOOL', shape: [3], data_offsets: [12, 15] },
    };
    const data = le(15, (v) => {
      v.setInt16(0, -32768, true);
      v.setInt16(2, 300, true);
      v.setUint16(4, 65535, true);
      v.setUint16(6, 1, true);
      v.setInt8(8, -128);
      v.setInt8(9, 127);
      v.setUint8(10, 255);
      v.setUint8(11, 0);
      v.setUint8(12, 1);
      v.setUint8(13, 0);
      v.setUint8(14, 1);
    });
    const { tensors } = loadSafetensors(build(header, data));
    expect([...tensors.i16.data]).toEqual([-32768, 300]);
    expect([...tensors.u16.data]).toEqual([65535, 1]);
    expect([...tensors.i8.data]).toEqual([-128, 127]);
    expect([...tensors.u8.data]).toEqual([255, 0]);
    expect([...tensors.flag.data]).toEqual([1, 0, 1]);
    for (const t of Object.values(tensors)) expect(t.dtype).toBe('int32');
    const badBool = data.slice();
    badBool[13] = 2;
    expectError(build(header, badBool), /BOOL tensor "flag" holds byte 2 at element 1; expected 0 or 1/);
  });

  it('widens F16 and BF16 exactly into float32', () => {
    const halves = [0x3c00, 0xc000, 0x7bff, 0x0001, 0x03ff, 0x8000, 0x7c00, 0xfc00, 0x7e00, 0x3555];
    const expected = [1, -2, 65504, 2 ** -24, 1023 * 2 ** -24, -0, Infinity, -Infinity, Number.NaN, 0.333251953125];
    const bf = [0x3f80, 0xc040, 0x7f80, 0x0001, 0x4049];
    const bfExpected = [1, -3, Infinity, 2 ** -133, 3.140625];
    const data = le(30, (v) => {
      for (let i = 0; i < halves.length; i++) v.setUint16(i * 2, halves[i], true);
      for (let i = 0; i < bf.length; i++) v.setUint16(20 + i * 2, bf[i], true);
    });
    const header = {
      h: { dtype: 'F16', shape: [10], data_offsets: [0, 20] },
      b: { dtype: 'BF16', shape: [5], data_offsets: [20, 30] },
    };
    const { tensors } = loadSafetensors(build(header, data));
    expect(tensors.h.dtype).toBe('float32');
    expect([...tensors.h.data]).toEqual(expected);
    expect(Object.is(tensors.h.data[5], -0)).toBe(true);
    expect([...tensors.b.data]).toEqual(bfExpected);
  });

  it('decodes and encodes identically through the DataView path used on big-endian hosts', () => {
    const bytes = saveSafetensors({
      d: tensor([Math.PI, -0, 1e-310], { dtype: 'float64' }),
      f: tensor([1.5, -2.25, 3e-39], { dtype: 'float32' }),
      i: tensor([-7, 2147483647], { dtype: 'int32' }),
    });
    const { length } = headerOf(bytes);
    const base = 8 + length;
    for (const [dtype, offset, count] of [
      ['F64', 0, 3],
      ['F32', 24, 3],
      ['I32', 36, 2],
    ] as const) {
      const fast = decodeData(bytes, base + offset, dtype, count, 'x', true);
      const slow = decodeData(bytes, base + offset, dtype, count, 'x', false);
      expect(slow.constructor).toBe(fast.constructor);
      expect([...slow]).toEqual([...fast]);
      const a = new Uint8Array(fast.byteLength);
      const b = new Uint8Array(fast.byteLength + 5);
      encodeData(fast, a, 0, true);
      encodeData(slow, b, 5, false);
      expect([...b.subarray(5)]).toEqual([...a]);
      expect([...a]).toEqual([...bytes.subarray(base + offset, base + offset + fast.byteLength)]);
    }
  });
});

describe('loadSafetensors: header parsing', () => {
  it('accepts JSON whitespace, escapes, extra fields, zero-size tensors anywhere and a trailing padding', () => {
    const text =
      '{ "__metadata__" : {"k":"v\\u00e9\\n"},\n\t"w\\u00e9" : {"dtype":"F32","shape":[1],"data_offsets":[0,4],"extra":[{"a":null},true,false,-1.5e3]},' +
      '"e":{"dtype":"F64","shape":[0,5],"data_offsets":[4,4]}, "s":{"dtype":"I32","shape":[],"data_offsets":[4,8]} }   ';
    const data = le(8, (v) => {
      v.setFloat32(0, 2.5, true);
      v.setInt32(4, -9, true);
    });
    const { tensors, metadata } = loadSafetensors(build(text, data));
    expect(metadata.k).toBe('vé\n');
    expect([...tensors.wé.data]).toEqual([2.5]);
    expect(tensors.e.shape).toEqual([0, 5]);
    expect(tensors.e.dtype).toBe('float64');
    expect(tensors.s.shape).toEqual([]);
    expect(tensors.s.item()).toBe(-9);
  });

  it('keeps names such as __proto__, constructor and prototype as ordinary keys without polluting anything', () => {
    const text =
      '{"__metadata__":{"__proto__":"x","constructor":"y"},' +
      '"__proto__":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},' +
      '"constructor":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},' +
      '"prototype":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},' +
      '"hasOwnProperty":{"dtype":"F32","shape":[1],"data_offsets":[12,16]}}';
    const { tensors, metadata } = loadSafetensors(build(text, f32(1, 2, 3, 4)));
    expect(Object.getPrototypeOf(tensors)).toBeNull();
    expect(Object.keys(tensors)).toEqual(['__proto__', 'constructor', 'prototype', 'hasOwnProperty']);
    expect(tensors[PROTO]).toBeInstanceOf(Tensor);
    expect([...tensors[PROTO].data]).toEqual([1]);
    expect([...tensors[HAS_OWN].data]).toEqual([4]);
    expect(Object.getPrototypeOf(metadata)).toBeNull();
    expect(Object.entries(metadata)).toEqual([
      ['__proto__', 'x'],
      ['constructor', 'y'],
    ]);
    const probe: Record<string, unknown> = {};
    expect(probe.dtype).toBeUndefined();
    expect(Object.getOwnPropertyNames(Object.prototype)).not.toContain('shape');
  });

  it('uses a name-independent error type: SafetensorsError is a NablaError', () => {
    expect(new SafetensorsError('x')).toBeInstanceOf(NablaError);
    expect(new SafetensorsError('x').name).toBe('SafetensorsError');
  });
});

describe('loadSafetensors: malformed files', () => {
  it('rejects files shorter than 8 bytes and non-Uint8Array input', () => {
    expectError(new Uint8Array(0), /the file has 0 bytes, fewer than the 8 of the header length/);
    expectError(new Uint8Array(7), /the file has 7 bytes/);
    expect(() => loadSafetensors([1, 2] as unknown as Uint8Array)).toThrow(/bytes must be a Uint8Array, got an array/);
  });

  it('rejects a header length beyond the file or beyond the limit without allocating it', () => {
    const ok = build(oneF32, f32(1, 2));
    expectError(
      build(oneF32, f32(1, 2), { headerLength: ok.length }),
      /header length \d+ extends beyond the end of the file/,
    );
    expectError(
      build('{}', new Uint8Array(0), { headerLength: 2n ** 64n - 1n }),
      /header length 18446744073709552000 exceeds the limit of 100000000/,
    );
    expectError(
      build('{}', new Uint8Array(0), { headerLength: SAFETENSORS_MAX_HEADER_BYTES + 1 }),
      /exceeds the limit of 100000000 bytes/,
    );
    expectError(ok, /header length 54 exceeds the limit of 16 bytes/, { maxHeaderBytes: 16 });
    expect(() => loadSafetensors(ok, { maxHeaderBytes: -1 })).toThrow(/maxHeaderBytes must be an integer >= 2, got -1/);
  });

  it('rejects a header that is not UTF-8, not JSON or not an object', () => {
    const bad = build('{"a":1}');
    bad[9] = 0xff;
    expectError(bad, /the header is not valid UTF-8/);
    expectError(build(`\ufeff{}`), /must start with '\{', got "\ufeff\{\}"/);
    expectError(build(' {}'), /must start with '\{', got " \{\}"/);
    expectError(build('[]'), /must start with '\{'/);
    expectError(build(''), /must start with '\{', got an empty header/);
    expectError(build('{'), /not valid JSON: expected a string key at character 1/);
    expectError(build('{"__metadata__":{},}'), /not valid JSON: expected a string key/);
    expectError(build('{"__metadata__":{"a":"b"}"c"}'), /not valid JSON: expected ',' or '\}'/);
    expectError(
      build('{"a":{"dtype":"F32","shape":[01],"data_offsets":[0,0]}}'),
      /not valid JSON: expected ',' or '\]'/,
    );
    // The first problem in header order is reported: a wrong entry before a syntax error, and the reverse.
    expectError(build('{"a":1,}'), /tensor "a" must be an object, got number 1/);
    expectError(build('{"a":{"dtype":"F32",}, "b":5}'), /not valid JSON: expected a string key at character 20/);
    expectError(build('{"a":tru}'), /not valid JSON: unexpected "t"/);
    expectError(build('{"a":"x\ty"}'), /control character in a string/);
    expectError(build('{"a":"\\x"}'), /bad escape/);
    expectError(build('{"a":"\\u12g4"}'), /bad \\u escape/);
    expectError(build('{"a":"abc'), /unterminated string/);
    expectError(build('{} x'), /unexpected text after the JSON object at character 3/);
    expectError(build('{}\u0000'), /unexpected text after the JSON object/);
    expectError(build(`{"a":{"x":${'['.repeat(5000)}`), /nesting deeper than 32/);
  });

  it('rejects duplicate keys, which JSON.parse would silently merge', () => {
    const entry = '{"dtype":"F32","shape":[1],"data_offsets":[0,4]}';
    expectError(build(`{"a":${entry},"a":${entry}}`, f32(1)), /duplicate key "a"/);
    expectError(
      build('{"a":{"dtype":"F32","dtype":"F64","shape":[1],"data_offsets":[0,4]}}', f32(1)),
      /duplicate key "dtype"/,
    );
    expectError(build('{"__metadata__":{},"__metadata__":{}}'), /duplicate key "__metadata__"/);
    expectError(build(`{"\\u0061":${entry},"a":${entry}}`, f32(1)), /duplicate key "a"/);
  });

  it('rejects entries and metadata of the wrong kind', () => {
    expectError(build({ a: 5 }), /tensor "a" must be an object, got number 5/);
    expectError(build({ a: [1] }), /tensor "a" must be an object, got an array/);
    expectError(build({ __metadata__: [] }), /"__metadata__" must be an object, got an array/);
    expectError(build({ __metadata__: null }), /"__metadata__" must be an object, got null/);
    expectError(build({ __metadata__: { epoch: 3 } }), /metadata values must be strings, but "epoch" is number 3/);
    expectError(build({ __metadata__: { nested: {} } }), /metadata values must be strings, but "nested" is an object/);
  });

  it('rejects missing, unknown and unsupported dtypes', () => {
    expectError(build({ a: { shape: [1], data_offsets: [0, 4] } }), /tensor "a" needs a string "dtype", got nothing/);
    expectError(build({ a: { dtype: 4, shape: [1], data_offsets: [0, 4] } }), /needs a string "dtype", got number 4/);
    expectError(
      build({ a: { dtype: 'F128', shape: [1], data_offsets: [0, 16] } }),
      /tensor "a" has unknown dtype "F128"; supported: F64, F32/,
    );
    expectError(build({ a: { dtype: 'f32', shape: [1], data_offsets: [0, 4] } }), /unknown dtype "f32"/);
    expectError(
      build({ a: { dtype: 'F8_E4M3', shape: [1], data_offsets: [0, 1] } }),
      /tensor "a" has unsupported dtype "F8_E4M3"/,
    );
    expectError(build({ a: { dtype: 'toString', shape: [1], data_offsets: [0, 1] } }), /unknown dtype "toString"/);
    expectError(build({ a: { dtype: '__proto__', shape: [1], data_offsets: [0, 1] } }), /unknown dtype "__proto__"/);
  });

  it('rejects invalid shapes', () => {
    const shapeError = /tensor "a" has shape .*; dimensions must be non-negative integers/;
    expectError(build({ a: { dtype: 'F32', data_offsets: [0, 4] } }), /tensor "a" needs a "shape" array, got nothing/);
    expectError(build({ a: { dtype: 'F32', shape: 4, data_offsets: [0, 16] } }), /needs a "shape" array, got number 4/);
    expectError(build({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }), shapeError);
    expectError(build({ a: { dtype: 'F32', shape: [1.5], data_offsets: [0, 4] } }), shapeError);
    expectError(build({ a: { dtype: 'F32', shape: ['1'], data_offsets: [0, 4] } }), shapeError);
    expectError(build({ a: { dtype: 'F32', shape: [null], data_offsets: [0, 4] } }), shapeError);
    expectError(build('{"a":{"dtype":"F32","shape":[1e400],"data_offsets":[0,4]}}'), shapeError);
    expectError(build('{"a":{"dtype":"F32","shape":[9007199254740993],"data_offsets":[0,4]}}'), shapeError);
    expectError(
      build({ a: { dtype: 'F32', shape: [2 ** 30, 2 ** 30, 2 ** 30], data_offsets: [0, 4] } }),
      /tensor "a" has shape \[1073741824,1073741824,1073741824\], too many elements/,
    );
  });

  it('rejects invalid data_offsets', () => {
    const offsetsError = /tensor "a" needs "data_offsets" \[begin, end\] of non-negative integers/;
    expectError(build({ a: { dtype: 'F32', shape: [1] } }, f32(1)), /needs "data_offsets" .* got nothing/);
    expectError(build({ a: { dtype: 'F32', shape: [1], data_offsets: [0] } }, f32(1)), offsetsError);
    expectError(build({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4, 8] } }, f32(1)), offsetsError);
    expectError(build({ a: { dtype: 'F32', shape: [1], data_offsets: [-4, 0] } }, f32(1)), offsetsError);
    expectError(build({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4.5] } }, f32(1)), offsetsError);
    expectError(build({ a: { dtype: 'F32', shape: [1], data_offsets: ['0', '4'] } }, f32(1)), offsetsError);
    expectError(build({ a: { dtype: 'F32', shape: [1], data_offsets: { 0: 0, 1: 4 } } }, f32(1)), /got an object/);
    expectError(
      build({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } }, f32(1)),
      /data_offsets \[4, 0\] with end < begin/,
    );
    expectError(
      build({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, f32(1)),
      /tensor "a" has data_offsets \[0, 8\] outside the data area of 4 bytes/,
    );
    expectError(
      build('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,18446744073709551616]}}', f32(1)),
      offsetsError,
    );
  });

  it('rejects a size that disagrees with dtype and shape', () => {
    expectError(
      build({ a: { dtype: 'F64', shape: [2], data_offsets: [0, 8] } }, f32(1, 2)),
      /tensor "a" has dtype F64 and shape \[2\] \(16 bytes\) but data_offsets \[0, 8\] span 8 bytes/,
    );
    expectError(
      build({ a: { dtype: 'F32', shape: [], data_offsets: [0, 8] } }, f32(1, 2)),
      /\(4 bytes\) but .* span 8 bytes/,
    );
    expectError(
      build({ a: { dtype: 'F32', shape: [0], data_offsets: [0, 4] } }, f32(1)),
      /\(0 bytes\) but .* span 4 bytes/,
    );
  });

  it('rejects overlapping tensors, gaps and data that no tensor covers', () => {
    const a = { dtype: 'F32', shape: [2], data_offsets: [0, 8] };
    expectError(
      build({ a, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, f32(1, 2, 3)),
      /tensor "b" \[4, 12\] overlaps tensor "a" \[0, 8\]/,
    );
    expectError(
      build({ a, b: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, f32(1, 2)),
      /overlaps tensor "a" \[0, 8\]/,
    );
    expectError(
      build({ a, b: { dtype: 'F32', shape: [0], data_offsets: [4, 4] } }, f32(1, 2)),
      /tensor "b" \[4, 4\] overlaps tensor "a"/,
    );
    expectError(
      build({ a, b: { dtype: 'F32', shape: [1], data_offsets: [12, 16] } }, f32(1, 2, 3, 4)),
      /bytes \[8, 12\) of the data area belong to no tensor \(a gap before tensor "b"\)/,
    );
    expectError(
      build({ a }, f32(1, 2, 3)),
      /the data area has 12 bytes but the tensors cover only 8; the format requires full coverage/,
    );
    expectError(build({}, f32(1)), /the data area has 4 bytes but the tensors cover only 0/);
  });
});

interface ReferenceFixture {
  header_length: number;
  metadata: Record<string, string>;
  tensors: Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number]; nabla_dtype: string; data: (number | string)[] }
  >;
}

function fixture(name: string): Uint8Array {
  return readFileSync(new URL(`../../../test/fixtures/${name}`, import.meta.url));
}

function fromFixtureValue(v: number | string): number {
  if (v === 'inf') return Number.POSITIVE_INFINITY;
  if (v === '-inf') return Number.NEGATIVE_INFINITY;
  if (v === 'nan') return Number.NaN;
  return v as number;
}

describe('a file written by another implementation (scripts/fixtures/make_safetensors_fixture.py)', () => {
  const bytes = fixture('reference.safetensors');
  const expected = JSON.parse(new TextDecoder().decode(fixture('reference.json'))) as ReferenceFixture;

  it('has the unpadded, unsorted layout the generator documents', () => {
    expect(headerOf(bytes).length).toBe(expected.header_length);
    expect(expected.header_length % 8).not.toBe(0);
    const header = JSON.parse(headerOf(bytes).text);
    expect(Object.keys(header).at(-1)).toBe('__metadata__');
    expect(header['f16.half'].data_offsets).toEqual(expected.tensors['f16.half'].data_offsets);
  });

  it('loads the same names, dtypes, shapes, values and metadata', () => {
    const { tensors, metadata } = loadSafetensors(bytes);
    expect({ ...metadata }).toEqual(expected.metadata);
    expect(Object.keys(tensors)).toEqual(Object.keys(expected.tensors));
    expect(Object.keys(tensors)).toHaveLength(13);
    for (const [name, want] of Object.entries(expected.tensors)) {
      const got = tensors[name];
      expect(got.dtype, name).toBe(want.nabla_dtype);
      expect(got.shape, name).toEqual(want.shape);
      expect([...got.data], name).toEqual(want.data.map(fromFixtureValue));
    }
    expect(Object.is(tensors['f64.matrix'].data[3], -0)).toBe(true);
    expect(tensors['f64.matrix'].data[5]).toBe(5e-324);
    expect(tensors['f32.vector'].data[5]).toBe(2 ** -149);
    expect(tensors['i64.scalar'].shape).toEqual([]);
    expect(tensors['i64.scalar'].item()).toBe(42);
  });

  it("re-saves in nabla's layout and loads back to the same tensors", () => {
    const first = loadSafetensors(bytes);
    const again = loadSafetensors(saveSafetensors(first.tensors, first.metadata));
    for (const name of Object.keys(first.tensors)) {
      expect(again.tensors[name].dtype).toBe(first.tensors[name].dtype);
      expect([...again.tensors[name].data]).toEqual([...first.tensors[name].data]);
    }
    expect({ ...again.metadata }).toEqual(expected.metadata);
  });
});

describe('loadSafetensors options', () => {
  it('null options give a SafetensorsError, not a TypeError', () => {
    const bytes = saveSafetensors({ w: tensor([1, 2]) });
    expect(() => loadSafetensors(bytes, null as never)).toThrow(SafetensorsError);
    expect(() => loadSafetensors(bytes, null as never)).toThrow('loadSafetensors: options must be an object');
  });
});

/** A file listing `n` tensors t0, t1, ... of one F32 element each, laid out in header order or in reverse. */
function manyTensors(n: number, order: 'forward' | 'reverse' = 'forward'): Uint8Array {
  const parts = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const slot = order === 'forward' ? i : n - 1 - i;
    parts[i] = `"t${i}":{"dtype":"F32","shape":[1],"data_offsets":[${4 * slot},${4 * slot + 4}]}`;
  }
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[order === 'forward' ? i : n - 1 - i] = i;
  return build(`{${parts.join(',')}}`, new Uint8Array(data.buffer));
}

/** A file listing `n` empty F32 tensors: the most entries per header byte. */
function manyEmptyTensors(n: number): Uint8Array {
  const parts = new Array<string>(n);
  for (let i = 0; i < n; i++) parts[i] = `"t${i}":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}`;
  return build(`{${parts.join(',')}}`);
}

describe('loadSafetensors: the number of entries', () => {
  it('SAFETENSORS_MAX_ENTRIES is 2^17 and a file listing that many tensors loads', () => {
    expect(SAFETENSORS_MAX_ENTRIES).toBe(131_072);
    const { tensors } = loadSafetensors(manyEmptyTensors(SAFETENSORS_MAX_ENTRIES));
    const names = Object.keys(tensors);
    expect(names).toHaveLength(SAFETENSORS_MAX_ENTRIES);
    expect(names[0]).toBe('t0');
    expect(names.at(-1)).toBe(`t${SAFETENSORS_MAX_ENTRIES - 1}`);
    const last = tensors[`t${SAFETENSORS_MAX_ENTRIES - 1}`];
    expect(last.shape).toEqual([0]);
    expect(last.dtype).toBe('float32');
  });

  it('one tensor more is a SafetensorsError naming the function, maxEntries and the limit', () => {
    expectError(
      manyEmptyTensors(SAFETENSORS_MAX_ENTRIES + 1),
      /^loadSafetensors: the header lists more than maxEntries = 131072 entries \(the default limit is SAFETENSORS_MAX_ENTRIES = 131072\); raise maxEntries if the file is genuine$/,
    );
  });

  it('maxEntries bounds tensors and metadata entries separately, and is checked', () => {
    const three = manyTensors(3);
    expect(Object.keys(loadSafetensors(three, { maxEntries: 3 }).tensors)).toEqual(['t0', 't1', 't2']);
    expectError(three, /the header lists more than maxEntries = 2 entries/, { maxEntries: 2 });
    expectError(build({ a: { dtype: 'F32', shape: [0], data_offsets: [0, 0] } }), /more than maxEntries = 0/, {
      maxEntries: 0,
    });
    expect(Object.keys(loadSafetensors(build({}), { maxEntries: 0 }).tensors)).toEqual([]);
    const metadata = build({ __metadata__: { a: '1', b: '2', c: '3' } });
    expect(loadSafetensors(metadata, { maxEntries: 3 }).metadata.c).toBe('3');
    expectError(metadata, /^loadSafetensors: "__metadata__" holds more than maxEntries = 2 entries/, {
      maxEntries: 2,
    });
    for (const bad of [-1, 1.5, Number.NaN, '10'])
      expect(() => loadSafetensors(three, { maxEntries: bad as number })).toThrow(
        /^loadSafetensors: maxEntries must be a non-negative integer, got/,
      );
    expect(() => loadSafetensors(three, { maxEntries: '10' as unknown as number })).toThrow('got "10"');
  });

  it('checks many entries in any order: tensors laid out in reverse order load, overlaps among them are found', () => {
    const n = 20_000;
    const { tensors } = loadSafetensors(manyTensors(n, 'reverse'));
    expect(Object.keys(tensors)).toHaveLength(n);
    for (const i of [0, 1, 9_999, n - 1]) expect([...tensors[`t${i}`].data]).toEqual([i]);
    const text = headerOf(manyTensors(n, 'reverse')).text.replace(
      `"t7":{"dtype":"F32","shape":[1],"data_offsets":[${4 * (n - 8)},${4 * (n - 7)}]}`,
      `"t7":{"dtype":"F32","shape":[1],"data_offsets":[${4 * (n - 9)},${4 * (n - 8)}]}`,
    );
    expectError(
      build(text, new Uint8Array(4 * n)),
      /tensor "t8" \[79964, 79968\] overlaps tensor "t7" \[79964, 79968\]/,
    );
  });

  it('reads plain entries and entries the general parser must take (escapes, extra fields, 1e1) alike', () => {
    const text =
      '{"plain":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},' +
      '"reordered":{"data_offsets":[8,16],"shape":[1,2],"dtype":"F32"},' +
      '"escaped":{"\\u0064type":"F32","shape":[2],"data_offsets":[16,24]},' +
      '"extra":{"dtype":"F32","shape":[2],"data_offsets":[24,32],"note":{"k":[1,2]}},' +
      '"exponent":{"dtype":"F32","shape":[2e0],"data_offsets":[32,4e1]},' +
      '"spaced":{ "dtype" : "F32" , "shape" : [ 2 ] , "data_offsets" : [ 40 , 48 ] }}';
    const { tensors } = loadSafetensors(build(text, f32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)));
    expect(Object.keys(tensors)).toEqual(['plain', 'reordered', 'escaped', 'extra', 'exponent', 'spaced']);
    expect(tensors.reordered.shape).toEqual([1, 2]);
    expect([...tensors.reordered.data]).toEqual([2, 3]);
    expect([...tensors.escaped.data]).toEqual([4, 5]);
    expect([...tensors.exponent.data]).toEqual([8, 9]);
    expect([...tensors.spaced.data]).toEqual([10, 11]);
    // -0 is a valid JSON integer for a dimension; it loads as 0.
    const negativeZero = loadSafetensors(build('{"z":{"dtype":"F32","shape":[-0],"data_offsets":[0,0]}}'));
    expect(Object.is(negativeZero.tensors.z.shape[0], 0)).toBe(true);
  });
});
