import { Tensor, tensor } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { loadSafetensors } from './load-safetensors';
import { SafetensorsError } from './safetensors-error';
import { saveSafetensors } from './save-safetensors';

// A small seeded generator (mulberry32) so that every run feeds the loader the same files.
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CASES = 5000;
const random = mulberry32(20240601);
const int = (n: number): number => Math.floor(random() * n);
const pick = <T>(items: readonly T[]): T => items[int(items.length)];

function assemble(json: string, data: Uint8Array, headerLength?: number): Uint8Array {
  const header = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + header.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength ?? header.length), true);
  out.set(header, 8);
  out.set(data, 8 + header.length);
  return out;
}

// The header text and the data of a file; for an already-mutated file, whatever fits.
function split(file: Uint8Array): { json: string; data: Uint8Array; length: number } {
  if (file.length < 8) return { json: '', data: new Uint8Array(0), length: 0 };
  const declared = Number(new DataView(file.buffer, file.byteOffset).getBigUint64(0, true));
  const length = Math.min(declared, file.length - 8);
  return { json: new TextDecoder().decode(file.subarray(8, 8 + length)), data: file.subarray(8 + length), length };
}

/** Valid files to mutate: nabla's own output and hand-made files in the layouts other writers use. */
function seedFiles(): Uint8Array[] {
  const mixed = saveSafetensors(
    {
      'conv.weight': tensor(
        [
          [0.5, -1.25],
          [3, 1e-7],
        ],
        { dtype: 'float64' },
      ),
      'conv.bias': tensor([1, 2, 3], { dtype: 'float32' }),
      steps: tensor([7, -8], { dtype: 'int32' }),
      scalar: tensor(2.5, { dtype: 'float32' }),
      empty: new Tensor(new Float64Array(0), [2, 0]),
    },
    { format: 'pt', epoch: '3' },
  );
  const ints = new Uint8Array(8 * 3 + 2 * 2 + 2 * 2 + 3 + 2);
  const view = new DataView(ints.buffer);
  view.setBigInt64(0, 5n, true);
  view.setBigInt64(8, -2n, true);
  view.setBigInt64(16, 2147483647n, true);
  view.setUint16(24, 0x3c00, true);
  view.setUint16(26, 0xc000, true);
  view.setUint16(28, 0x3f80, true);
  view.setUint16(30, 0x7f80, true);
  ints.set([1, 0, 1, 200, 3], 32);
  const handMade = assemble(
    JSON.stringify({
      ids: { dtype: 'I64', shape: [3], data_offsets: [0, 24] },
      half: { dtype: 'F16', shape: [2], data_offsets: [24, 28] },
      brain: { dtype: 'BF16', shape: [1, 2], data_offsets: [28, 32] },
      flags: { dtype: 'BOOL', shape: [3], data_offsets: [32, 35] },
      bytes: { dtype: 'U8', shape: [2], data_offsets: [35, 37] },
      __metadata__: { source: 'hand' },
    }),
    ints,
  );
  const proto = assemble(
    '{"__proto__":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"constructor":{"dtype":"I32","shape":[],"data_offsets":[4,8]},"z":{"dtype":"F32","shape":[0],"data_offsets":[8,8]}}',
    new Uint8Array([0, 0, 128, 63, 9, 0, 0, 0]),
  );
  return [mixed, handMade, proto, saveSafetensors({})];
}

const NUMBERS = [
  '-1',
  '0',
  '1',
  '2',
  '3',
  '4',
  '8',
  '1.5',
  '1e400',
  '-0',
  '4294967296',
  '9007199254740993',
  '1e2',
  '00',
];
const STRINGS = [
  '"F32"',
  '"F64"',
  '"I64"',
  '"BF16"',
  '"U64"',
  '"F8_E4M3"',
  '"X"',
  '"__proto__"',
  '"constructor"',
  '"__metadata__"',
  '"shape"',
  '"dtype"',
  '"data_offsets"',
  '""',
  '"\\u0000"',
  '"\\ud800"',
];
const CHARS = '{}[]:,"\\ 0123456789-.eE\u00e9\ufeffxtfn';

function editJson(json: string): string {
  const numbers = [...json.matchAll(/-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g)];
  const strings = [...json.matchAll(/"(?:[^"\\]|\\.)*"/g)];
  const at = int(json.length + 1);
  switch (int(8)) {
    case 0:
    case 1: {
      if (numbers.length === 0) return json;
      const m = pick(numbers);
      const replacement = random() < 0.5 ? pick(NUMBERS) : String(int(80));
      return json.slice(0, m.index) + replacement + json.slice(m.index + m[0].length);
    }
    case 2: {
      if (strings.length === 0) return json;
      const m = pick(strings);
      return json.slice(0, m.index) + pick(STRINGS) + json.slice(m.index + m[0].length);
    }
    case 3:
      return json.slice(0, at) + json.slice(at + 1 + int(4));
    case 4:
      return json.slice(0, at) + pick([...CHARS]) + json.slice(at);
    case 5: {
      const span = json.slice(at, at + 1 + int(40));
      return json.slice(0, at) + span + span + json.slice(at + span.length);
    }
    case 6: {
      // Move one tensor's data to another aligned place of the same size: overlaps and gaps.
      const offsets = [...json.matchAll(/"data_offsets":\[(\d+),(\d+)\]/g)];
      if (offsets.length === 0) return json;
      const m = pick(offsets);
      const size = Number(m[2]) - Number(m[1]);
      const begin = 4 * int(12);
      return `${json.slice(0, m.index)}"data_offsets":[${begin},${begin + size}]${json.slice(m.index + m[0].length)}`;
    }
    default: {
      // Rewrite one entry's data_offsets or shape with plausible but wrong numbers.
      const entries = [...json.matchAll(/"(data_offsets|shape)":\[[^\]]*\]/g)];
      if (entries.length === 0) return json;
      const m = pick(entries);
      const values = Array.from({ length: int(4) }, () => (random() < 0.8 ? int(48) : pick(NUMBERS)));
      return `${json.slice(0, m.index)}"${m[1]}":[${values.join(',')}]${json.slice(m.index + m[0].length)}`;
    }
  }
}

function mutate(file: Uint8Array): Uint8Array {
  const out = file.slice();
  switch (int(6)) {
    case 0: {
      const headerEnd = Math.min(out.length, 8 + split(file).length);
      for (let flips = 1 + int(4); flips > 0; flips--) {
        const at = random() < 0.7 ? int(headerEnd) : int(out.length);
        out[at] ^= 1 << int(8);
      }
      return out;
    }
    case 1:
      return out.slice(0, int(out.length));
    case 2: {
      const extra = Uint8Array.from({ length: 1 + int(16) }, () => int(256));
      const grown = new Uint8Array(out.length + extra.length);
      grown.set(out);
      grown.set(extra, out.length);
      return grown;
    }
    case 3: {
      if (out.length < 8) return out;
      const { length } = split(file);
      const choices = [length - 1 - int(8), length + 1 + int(8), 0, int(2 ** 32), 2 ** (20 + int(44)), int(out.length)];
      new DataView(out.buffer).setBigUint64(0, BigInt(Math.max(0, pick(choices))), true);
      return out;
    }
    default: {
      const { json, data, length } = split(file);
      let edited = editJson(json);
      if (random() < 0.3) edited = editJson(edited);
      return assemble(edited, data, random() < 0.15 ? length : undefined);
    }
  }
}

function sameContents(a: ReturnType<typeof loadSafetensors>, b: ReturnType<typeof loadSafetensors>): string | null {
  // Saving reorders tensors by element size and name, so compare the names as sets.
  const names = Object.keys(a.tensors).sort();
  if (JSON.stringify(names) !== JSON.stringify(Object.keys(b.tensors).sort())) return 'tensor names differ';
  for (const name of names) {
    const x = a.tensors[name];
    const y = b.tensors[name];
    if (x.dtype !== y.dtype) return `dtype of ${name} differs`;
    if (x.shape.join() !== y.shape.join()) return `shape of ${name} differs`;
    const xb = new Uint8Array(x.data.buffer, x.data.byteOffset, x.data.byteLength);
    const yb = new Uint8Array(y.data.buffer, y.data.byteOffset, y.data.byteLength);
    if (xb.length !== yb.length || xb.some((v, i) => v !== yb[i])) return `data of ${name} differ`;
  }
  if (JSON.stringify(Object.entries(a.metadata)) !== JSON.stringify(Object.entries(b.metadata)))
    return 'metadata differ';
  return null;
}

describe('loadSafetensors fuzz', () => {
  it(`either loads (and round-trips) or throws SafetensorsError for ${CASES} mutated files`, () => {
    const prototypeNames = Object.getOwnPropertyNames(Object.prototype).sort().join();
    const seeds = seedFiles();
    for (const seed of seeds) expect(() => loadSafetensors(seed)).not.toThrow();
    const failures: string[] = [];
    const kinds = new Set<string>();
    let loaded = 0;
    let rejected = 0;
    for (let i = 0; i < CASES; i++) {
      let file = mutate(pick(seeds));
      if (random() < 0.2) file = mutate(file);
      let result: ReturnType<typeof loadSafetensors>;
      try {
        result = loadSafetensors(file);
      } catch (error) {
        if (error instanceof SafetensorsError) {
          rejected++;
          kinds.add(error.message.replace(/"(?:[^"\\]|\\.)*"|\[[^\]]*\]|\d+/g, '#').slice(0, 100));
        } else failures.push(`case ${i}: ${(error as Error)?.constructor?.name}: ${(error as Error)?.message}`);
        continue;
      }
      loaded++;
      try {
        const again = saveSafetensors(result.tensors, result.metadata);
        const reloaded = loadSafetensors(again);
        const difference = sameContents(result, reloaded);
        if (difference) failures.push(`case ${i}: round trip: ${difference}`);
        const third = saveSafetensors(reloaded.tensors, reloaded.metadata);
        if (third.length !== again.length || third.some((v, j) => v !== again[j]))
          failures.push(`case ${i}: saving is not deterministic`);
      } catch (error) {
        failures.push(
          `case ${i}: round trip threw ${(error as Error)?.constructor?.name}: ${(error as Error)?.message}`,
        );
      }
    }
    expect(failures).toEqual([]);
    expect(loaded + rejected).toBe(CASES);
    // The mutations must reach deep into validation, not only trip the first check.
    expect(loaded).toBeGreaterThan(CASES * 0.03);
    expect(rejected).toBeGreaterThan(CASES * 0.5);
    expect(kinds.size).toBeGreaterThan(30);
    expect([...kinds].some((k) => k.includes('overlaps'))).toBe(true);
    expect([...kinds].some((k) => k.includes('belong to no tensor'))).toBe(true);
    expect(Object.getOwnPropertyNames(Object.prototype).sort().join()).toBe(prototypeNames);
    expect(({} as Record<string, unknown>).dtype).toBeUndefined();
  });
});
