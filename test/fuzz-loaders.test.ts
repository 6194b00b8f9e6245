/**
 * Seeded structural fuzzing of the loaders that read untrusted bytes: safetensors (`loadSafetensors`),
 * training checkpoints (`decodeCheckpoint`, then `restoreCheckpoint`) and IDX/MNIST (`parseIdx`,
 * `mnistFromIdx`, `loadMnist` on files, gzip included).
 *
 * Every case starts from a valid file and applies a few structural mutations: truncation, bit flips,
 * header length fields beyond the file, huge declared dimensions, counts and offsets, duplicate and
 * overlapping entries, wrong dtypes, text that is not JSON, deeply nested JSON, many entries, and for
 * checkpoints rewritten metadata with a recomputed checksum (the CRC guards against accidents, not
 * against a crafted file), repeated or missing tensor references and tensors that disagree with the
 * signature. For every case the loader must either throw one of its package's named errors (never a
 * TypeError, RangeError or SyntaxError) or return a consistent result (shapes that multiply to the
 * data's length, a checkpoint that restores into a fresh run and holds only plain data), and stay
 * within a generous per-case bound: under HANG_MS plus a microsecond per input byte (a hang detector,
 * not a performance assertion), and memory allocated during the call under HEAP_PER_BYTE times the
 * input plus HEAP_CONSTANT. The allocation is the growth of `heapUsed` and external memory (typed
 * arrays' backing stores) across the call plus what garbage collections freed during it (v8.GCProfiler),
 * so a collection cannot hide an allocation; the loaders measure well under 20 bytes per input byte,
 * and an amplification (a few kilobytes of JSON that copy a tensor thousands of times) is caught.
 *
 * Bugs this found and that are fixed: a checkpoint whose states referenced one stored array thousands of
 * times (a 200 KB file allocating 240 MB), states nested thousands of levels deep (structuredClone, as
 * resuming does, overflowed the stack), a `__proto__` key that became the prototype of decoded states,
 * and a signature naming a tensor twice (see packages/train/src/checkpoint.test.ts).
 *
 * fast-check runs with a fixed seed and bounded runs (about 10 s on a busy 2-core machine), and does
 * not shrink (endOnFailure): a failure prints the case as generated.
 */

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import v8 from 'node:v8';
import { gzipSync } from 'node:zlib';
import { Generator, randn, Tensor, tensor } from '@nablajs/core';
import { IdxError, mnistFromIdx, parseIdx } from '@nablajs/data';
import { loadMnist } from '@nablajs/data/node';
import { Linear, loadSafetensors, ReLU, SafetensorsError, Sequential, saveSafetensors } from '@nablajs/nn';
import { stepLR } from '@nablajs/optim';
import { adam } from '@nablajs/optim-adam';
import {
  CheckpointError,
  captureCheckpoint,
  decodeCheckpoint,
  encodeCheckpoint,
  restoreCheckpoint,
  type Stateful,
} from '@nablajs/train';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';

const SEED = 0x6e61626c;
const HANG_MS = 2000;
const HEAP_PER_BYTE = 128;
const HEAP_CONSTANT = 48 * 2 ** 20;
const UNTYPED = new Set(['Error', 'TypeError', 'RangeError', 'SyntaxError', 'ReferenceError', 'EvalError', 'URIError']);

// ---- measuring one call ---------------------------------------------------------------------------

interface Outcome<T> {
  result?: T;
  error?: unknown;
}

/** The bytes in use: the V8 heap plus external memory (the backing stores of typed arrays). */
function inUse(stats: { usedHeapSize: number; externalMemory: number }): number {
  return stats.usedHeapSize + stats.externalMemory;
}

function heapNow(): number {
  const s = v8.getHeapStatistics();
  return s.used_heap_size + s.external_memory;
}

/**
 * Run `load` on an input of `inputBytes` bytes; throw if it took too long or allocated too much. What it allocated
 * is the growth of the heap and external memory across the call plus what every garbage collection during the call
 * freed (from v8.GCProfiler), so a collection cannot hide an allocation; it counts everything the process
 * allocated meanwhile, and the bound is generous enough for that.
 */
function bounded<T>(label: string, inputBytes: number, load: () => T, extraHeap = 0): Outcome<T> {
  const profiler = new v8.GCProfiler();
  profiler.start();
  const before = heapNow();
  // CPU time, not wall time: the work a hostile input costs does not depend on what else the machine runs.
  const start = process.cpuUsage();
  const outcome: Outcome<T> = {};
  try {
    outcome.result = load();
  } catch (error) {
    outcome.error = error;
  }
  const used = process.cpuUsage(start);
  const ms = (used.user + used.system) / 1000;
  const after = heapNow();
  let freed = 0;
  for (const gc of profiler.stop()?.statistics ?? [])
    freed += Math.max(0, inUse(gc.beforeGC.heapStatistics) - inUse(gc.afterGC.heapStatistics));
  const allocated = after - before + freed;
  const timeLimit = HANG_MS + inputBytes / 1000;
  if (ms > timeLimit)
    throw new Error(`${label}: took ${ms.toFixed(0)} ms of CPU on ${inputBytes} bytes (limit ${timeLimit})`);
  const heapLimit = HEAP_PER_BYTE * inputBytes + HEAP_CONSTANT + extraHeap;
  if (allocated > heapLimit)
    throw new Error(`${label}: allocated ${allocated} bytes on an input of ${inputBytes} (limit ${heapLimit})`);
  return outcome;
}

/** Throw unless `error` is an instance of one of `classes` with its own name, not an untyped JavaScript error. */
function expectNamed(label: string, error: unknown, classes: readonly (abstract new (...args: never[]) => Error)[]) {
  const e = error as Error;
  const named = e instanceof Error && !UNTYPED.has(e.name) && classes.some((c) => e instanceof c && e.name === c.name);
  if (!named) throw new Error(`${label}: threw ${e?.name ?? typeof e}: ${e?.message ?? String(e)}`);
}

/** The kind of an error message: its text without names, numbers and bracketed values. */
function kindOf(error: unknown): string {
  return String((error as Error).message)
    .replace(/"(?:[^"\\]|\\.)*"|\[[^\]]*\]|\/\S+|0x[0-9a-f]+|-?\d[\d.e+-]*/gi, '#')
    .slice(0, 90);
}

function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

// ---- safetensors ------------------------------------------------------------------------------------

/** A safetensors file from header text and data; `declared` overrides the header length field. */
function assemble(header: string, data: Uint8Array, declared?: bigint): Uint8Array {
  const json = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, declared ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function split(file: Uint8Array): { header: string; data: Uint8Array } {
  const length = Number(new DataView(file.buffer, file.byteOffset).getBigUint64(0, true));
  return { header: new TextDecoder().decode(file.subarray(8, 8 + length)), data: file.subarray(8 + length) };
}

/** Valid files: nabla's own output, and a hand-made one with the other dtypes in another writer's order. */
function safetensorsSeeds(): Uint8Array[] {
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
      empty: tensor([], { dtype: 'float64' }),
    },
    { format: 'pt', epoch: '3' },
  );
  const data = new Uint8Array(8 * 2 + 2 * 2 + 2 * 2 + 3 + 2);
  const view = new DataView(data.buffer);
  view.setBigInt64(0, 5n, true);
  view.setBigInt64(8, -2n, true);
  view.setUint16(16, 0x3c00, true);
  view.setUint16(18, 0xc000, true);
  view.setUint16(20, 0x3f80, true);
  view.setUint16(22, 0x7f80, true);
  data.set([1, 0, 1, 200, 3], 24);
  const handMade = assemble(
    JSON.stringify({
      __metadata__: { source: 'hand' },
      bytes: { dtype: 'U8', shape: [2], data_offsets: [27, 29] },
      ids: { dtype: 'I64', shape: [2], data_offsets: [0, 16] },
      half: { dtype: 'F16', shape: [2], data_offsets: [16, 20] },
      brain: { dtype: 'BF16', shape: [1, 2], data_offsets: [20, 24] },
      flags: { dtype: 'BOOL', shape: [3], data_offsets: [24, 27] },
    }),
    data,
  );
  return [mixed, handMade, saveSafetensors({})];
}

const HUGE = [2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 53, 2 ** 53 + 2, 1e15, 1e300];
const hugeOrSmall = fc.oneof(
  { weight: 3, arbitrary: fc.nat(48) },
  { weight: 2, arbitrary: fc.constantFrom(...HUGE) },
  { weight: 1, arbitrary: fc.constantFrom(-1, 1.5, -0) },
);
const jsonValue = fc.oneof(
  fc.constantFrom(null, true, 0, -1, 1e300, 'F32', '', [], {}, [1, 'x'], { dtype: 'F32' }),
  fc.string({ maxLength: 8 }),
);
const dtypeValue = fc.constantFrom(
  'F64',
  'F32',
  'F16',
  'BF16',
  'I64',
  'I32',
  'I16',
  'I8',
  'U64',
  'U32',
  'U16',
  'U8',
  'BOOL',
  'F8_E4M3',
  'C64',
  'f32',
  '',
  '__proto__',
  5,
  null,
);

type Entry = { dtype?: unknown; shape?: unknown; data_offsets?: unknown; [key: string]: unknown };
type StMutation =
  | { kind: 'truncate'; at: number }
  | { kind: 'flip'; at: number; bit: number; inHeader: boolean }
  | { kind: 'headerLength'; how: 'plus' | 'minus' | 'huge' | 'file' | 'max'; by: number }
  | { kind: 'dims'; entry: number; dims: number[] }
  | { kind: 'offsets'; entry: number; offsets: number[] }
  | { kind: 'duplicate'; entry: number }
  | { kind: 'overlap'; entry: number; other: number; shift: number }
  | { kind: 'dtype'; entry: number; dtype: unknown }
  | { kind: 'field'; entry: number; field: string; value: unknown }
  | { kind: 'notJson'; text: string }
  | { kind: 'nest'; depth: number; where: 'entry' | 'metadata' | 'top'; brackets: boolean }
  | { kind: 'many'; count: number; size: 0 | 1 }
  | { kind: 'metadata'; value: unknown }
  | { kind: 'badUtf8'; at: number };

const fraction = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });
const stMutation: fc.Arbitrary<StMutation> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fraction }),
  fc.record({ kind: fc.constant('flip' as const), at: fraction, bit: fc.nat(7), inHeader: fc.boolean() }),
  fc.record({
    kind: fc.constant('headerLength' as const),
    how: fc.constantFrom('plus' as const, 'minus' as const, 'huge' as const, 'file' as const, 'max' as const),
    by: fc.integer({ min: 1, max: 64 }),
  }),
  fc.record({ kind: fc.constant('dims' as const), entry: fc.nat(), dims: fc.array(hugeOrSmall, { maxLength: 5 }) }),
  fc.record({
    kind: fc.constant('offsets' as const),
    entry: fc.nat(),
    offsets: fc.array(hugeOrSmall, { minLength: 1, maxLength: 3 }),
  }),
  fc.record({ kind: fc.constant('duplicate' as const), entry: fc.nat() }),
  fc.record({
    kind: fc.constant('overlap' as const),
    entry: fc.nat(),
    other: fc.nat(),
    shift: fc.integer({ min: -8, max: 8 }),
  }),
  fc.record({ kind: fc.constant('dtype' as const), entry: fc.nat(), dtype: dtypeValue }),
  fc.record({
    kind: fc.constant('field' as const),
    entry: fc.nat(),
    field: fc.constantFrom('dtype', 'shape', 'data_offsets', 'extra', '__proto__'),
    value: jsonValue,
  }),
  fc.record({
    kind: fc.constant('notJson' as const),
    text: fc.oneof(
      fc.string({ maxLength: 24 }),
      fc.constantFrom('', '[]', '{', '{"a":', 'null', '\ufeff{}', '{"a":1}x', '{"a":{"dtype":"F32",}}', '{}}'),
    ),
  }),
  fc.record({
    kind: fc.constant('nest' as const),
    depth: fc.integer({ min: 1, max: 20_000 }),
    where: fc.constantFrom('entry' as const, 'metadata' as const, 'top' as const),
    brackets: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('many' as const),
    count: fc.oneof(
      { weight: 24, arbitrary: fc.integer({ min: 1, max: 2000 }) },
      { weight: 5, arbitrary: fc.integer({ min: 2000, max: 30_000 }) },
      { weight: 1, arbitrary: fc.constant(131_073) },
    ),
    size: fc.constantFrom(0 as const, 1 as const),
  }),
  fc.record({ kind: fc.constant('metadata' as const), value: jsonValue }),
  fc.record({ kind: fc.constant('badUtf8' as const), at: fraction }),
);

/** A file under construction: the header as a parsed object while it is JSON, as text once it is not. */
interface Draft {
  header: Record<string, unknown> | null;
  text: string;
  data: Uint8Array;
  declared?: bigint;
  bytes?: Uint8Array;
}

function entryNames(draft: Draft): string[] {
  return draft.header === null ? [] : Object.keys(draft.header).filter((k) => k !== '__metadata__');
}

function pickEntry(draft: Draft, index: number): Entry | null {
  const names = entryNames(draft);
  if (names.length === 0 || draft.header === null) return null;
  const value = draft.header[names[index % names.length]];
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Entry) : null;
}

function nested(depth: number, brackets: boolean): string {
  return brackets ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

function headerText(draft: Draft): string {
  return draft.header === null ? draft.text : JSON.stringify(draft.header);
}

function applySt(draft: Draft, m: StMutation): void {
  // Byte-level mutations work on the assembled file; the later ones then see it as it is.
  if (m.kind === 'truncate' || m.kind === 'flip' || m.kind === 'headerLength' || m.kind === 'badUtf8') {
    const file = draft.bytes ?? assemble(headerText(draft), draft.data, draft.declared);
    const length = file.length < 8 ? 0 : Number(new DataView(file.buffer, file.byteOffset).getBigUint64(0, true));
    if (m.kind === 'truncate') draft.bytes = file.slice(0, Math.floor(m.at * file.length));
    else if (m.kind === 'flip') {
      const span = m.inHeader ? Math.min(file.length, 8 + length) : file.length;
      const out = file.slice();
      if (span > 0) out[Math.floor(m.at * span)] ^= 1 << m.bit;
      draft.bytes = out;
    } else if (m.kind === 'badUtf8') {
      const out = file.slice();
      const span = Math.min(out.length, 8 + length) - 8;
      if (span > 0) out[8 + Math.floor(m.at * span)] = 0xff;
      draft.bytes = out;
    } else {
      const out = file.slice();
      const value =
        m.how === 'plus'
          ? length + m.by
          : m.how === 'minus'
            ? Math.max(0, length - m.by)
            : m.how === 'huge'
              ? 2 ** (20 + (m.by % 44))
              : m.how === 'file'
                ? file.length
                : 2 ** 64 - 1;
      if (out.length >= 8) new DataView(out.buffer).setBigUint64(0, BigInt.asUintN(64, BigInt(value)), true);
      draft.bytes = out;
    }
    return;
  }
  if (draft.bytes !== undefined) return; // structural edits apply to the header, which is gone
  if (m.kind === 'notJson') {
    draft.header = null;
    draft.text = m.text;
    return;
  }
  if (m.kind === 'duplicate') {
    // JSON objects cannot hold a key twice, so the header becomes text here.
    const names = entryNames(draft);
    if (names.length === 0 || draft.header === null) return;
    const name = names[m.entry % names.length];
    const text = JSON.stringify(draft.header);
    draft.text = `${text.slice(0, -1)},${JSON.stringify(name)}:${JSON.stringify(draft.header[name])}}`;
    draft.header = null;
    return;
  }
  if (m.kind === 'nest') {
    const deep = nested(m.depth, m.brackets);
    if (m.where === 'top' || draft.header === null) {
      const text = headerText(draft);
      draft.text = text.startsWith('{') ? `{"deep":${deep},${text.slice(1)}` : `{"deep":${deep}}`;
      draft.header = null;
      return;
    }
    const target = m.where === 'entry' ? pickEntry(draft, m.depth) : null;
    const text = JSON.stringify(draft.header);
    draft.header = null;
    if (target !== null) {
      const entryText = JSON.stringify(target);
      draft.text = text.replace(entryText, `${entryText.slice(0, -1)},"deep":${deep}}`);
    } else draft.text = `{"__metadata__":{"deep":${deep}},${text.slice(1)}`;
    return;
  }
  if (draft.header === null) return;
  const header = draft.header;
  if (m.kind === 'many') {
    const base = draft.data.length;
    const grown = new Uint8Array(base + m.size * 4 * m.count);
    grown.set(draft.data);
    for (let i = 0; i < m.count; i++) {
      const begin = base + 4 * m.size * i;
      header[`m${i}`] = { dtype: 'F32', shape: m.size === 0 ? [0] : [1], data_offsets: [begin, begin + 4 * m.size] };
    }
    draft.data = grown;
    return;
  }
  if (m.kind === 'metadata') {
    header.__metadata__ = m.value;
    return;
  }
  const entry = pickEntry(draft, m.entry);
  if (entry === null) return;
  if (m.kind === 'dims') entry.shape = m.dims;
  else if (m.kind === 'offsets') entry.data_offsets = m.offsets;
  else if (m.kind === 'dtype') entry.dtype = m.dtype;
  else if (m.kind === 'field') entry[m.field] = m.value;
  else if (m.kind === 'overlap') {
    const other = pickEntry(draft, m.other);
    const offsets = other?.data_offsets;
    if (Array.isArray(offsets) && Array.isArray(entry.data_offsets) && entry.data_offsets.length === 2) {
      const size = Number(entry.data_offsets[1]) - Number(entry.data_offsets[0]);
      const begin = Math.max(0, Number(offsets[0]) + m.shift);
      entry.data_offsets = [begin, begin + size];
    }
  }
}

function buildSt(seed: Uint8Array, mutations: StMutation[]): Uint8Array {
  const { header, data } = split(seed);
  const draft: Draft = { header: JSON.parse(header) as Record<string, unknown>, text: header, data };
  for (const m of mutations) applySt(draft, m);
  return draft.bytes ?? assemble(headerText(draft), draft.data, draft.declared);
}

/** A loaded safetensors file must be consistent: shapes match data, data fit in the file, and it round-trips. */
function checkSafetensors(label: string, file: Uint8Array, contents: ReturnType<typeof loadSafetensors>): void {
  if (Object.getPrototypeOf(contents.tensors) !== null || Object.getPrototypeOf(contents.metadata) !== null)
    throw new Error(`${label}: results must be prototype-free`);
  let elements = 0;
  for (const [name, t] of Object.entries(contents.tensors)) {
    if (product(t.shape) !== t.data.length || t.size !== t.data.length)
      throw new Error(`${label}: tensor ${name} has shape [${t.shape}] but ${t.data.length} elements`);
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new Error(`${label}: bad shape of ${name}`);
    elements += t.data.length;
  }
  if (elements > file.length) throw new Error(`${label}: ${elements} elements from a file of ${file.length} bytes`);
  for (const value of Object.values(contents.metadata))
    if (typeof value !== 'string') throw new Error(`${label}: metadata value ${String(value)} is not a string`);
  // Saving and loading again keeps the names (checked on the smaller results, to keep the run short).
  const names = Object.keys(contents.tensors);
  if (names.length > 1000) return;
  const again = loadSafetensors(saveSafetensors(contents.tensors, contents.metadata));
  if (Object.keys(again.tensors).sort().join('\n') !== names.sort().join('\n'))
    throw new Error(`${label}: the round trip changed the names`);
}

// ---- checkpoints ------------------------------------------------------------------------------------

function makeRun() {
  const init = new Generator(11);
  const model = new Sequential(
    new Linear(64, 96, { generator: init }),
    new ReLU(),
    new Linear(96, 4, { generator: init }),
  );
  const optimizer = adam(model.parameters(), { lr: 0.01 });
  const scheduler = stepLR(optimizer, { stepSize: 2, gamma: 0.5 });
  let extraState: unknown = null;
  const extra: Stateful = {
    stateDict: () => ({
      seen: 3,
      weights: new Float32Array([1, Number.NaN, Number.POSITIVE_INFINITY]),
      nested: { list: [1, 'a', null, true, -0] },
      table: tensor([
        [1, 2],
        [3, 4],
      ]),
    }),
    loadStateDict: (state) => {
      extraState = state;
    },
  };
  const generators = [new Generator(3), new Generator(5)];
  return { model, optimizer, generators, states: { scheduler, extra }, extraState: () => extraState };
}

function checkpointSeed(): Uint8Array {
  const run = makeRun();
  const x = randn([8, 64], { generator: new Generator(1) });
  for (let i = 0; i < 2; i++) {
    run.optimizer.zeroGrad();
    run.model.forward(x).square().mean().backward();
    run.optimizer.step();
    run.states.scheduler.step();
  }
  const epochStartRng = run.generators.map((g) => g.getState());
  run.generators[0].uniform();
  return encodeCheckpoint(
    captureCheckpoint(
      { model: run.model, optimizer: run.optimizer, generators: run.generators, states: run.states },
      { epoch: 2, batch: 1, globalStep: 7, history: [{ loss: 0.5 }, { loss: 0.25, acc: Number.NaN }], epochStartRng },
    ),
  );
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** The checkpoint checksum as documented: CRC-32 of the sorted metadata and of the tensors in name order. */
function checkpointChecksum(metadata: Record<string, string>, tensors: Record<string, Tensor>): string {
  const encoder = new TextEncoder();
  let crc = 0xffffffff;
  const update = (bytes: Uint8Array) => {
    for (let i = 0; i < bytes.length; i++) crc = CRC_TABLE[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  };
  for (const key of Object.keys(metadata).sort())
    if (key !== 'checksum') update(encoder.encode(`${key}=${metadata[key]}\n`));
  for (const name of Object.keys(tensors).sort()) {
    const t = tensors[name];
    update(encoder.encode(`${name}:${t.dtype}:[${t.shape.join(',')}]\n`));
    update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  }
  return ((crc ^ 0xffffffff) >>> 0).toString(16).padStart(8, '0');
}

const FIELDS = ['position', 'signature', 'optimizer', 'states', 'rng', 'history'] as const;
type Field = (typeof FIELDS)[number];
const MARKERS = ['nabla:encoded', 'nabla:typed', 'nabla:tensor'] as const;

type CkMutation =
  | { kind: 'bytes'; m: StMutation }
  | { kind: 'replace'; field: Field | 'version' | 'format' | 'checksum'; text: string }
  | { kind: 'deep'; field: Field; depth: number; brackets: boolean }
  | { kind: 'refs'; count: number; marker: (typeof MARKERS)[number]; target: string }
  | { kind: 'proto'; field: 'states' | 'optimizer' | 'history' }
  | { kind: 'position'; which: 'epoch' | 'batch' | 'globalStep'; value: string }
  | { kind: 'signature'; op: 'duplicate' | 'clone' | 'shape' | 'dtype' | 'name' | 'drop' | 'extra'; index: number }
  | { kind: 'tensor'; op: 'drop' | 'extra' | 'reshape' | 'float64' | 'empty'; index: number }
  | { kind: 'rng'; value: string };

const ckMutation: fc.Arbitrary<CkMutation> = fc.oneof(
  fc.record({
    kind: fc.constant('bytes' as const),
    m: stMutation.filter((m) => ['truncate', 'flip', 'headerLength', 'badUtf8'].includes(m.kind)),
  }),
  fc.record({
    kind: fc.constant('replace' as const),
    field: fc.constantFrom(...FIELDS, 'version' as const, 'format' as const, 'checksum' as const),
    text: fc.oneof(
      fc.constantFrom('null', '[]', '{}', '"x"', '1', '-1', '2', '0', 'not json', '', '{"nabla:number":"1e5"}', '[{}]'),
      fc.string({ maxLength: 12 }),
    ),
  }),
  fc.record({
    kind: fc.constant('deep' as const),
    field: fc.constantFrom(...FIELDS),
    depth: fc.oneof(
      fc.integer({ min: 1, max: 200 }),
      fc.integer({ min: 1000, max: 10_000 }),
      fc.integer({ min: 10_000, max: 200_000 }),
    ),
    brackets: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('refs' as const),
    count: fc.integer({ min: 1, max: 4000 }),
    marker: fc.constantFrom(...MARKERS),
    target: fc.constantFrom('largest state', 'a state', 'state.999', 'model.0.weight', '__proto__', ''),
  }),
  fc.record({
    kind: fc.constant('proto' as const),
    field: fc.constantFrom('states' as const, 'optimizer' as const, 'history' as const),
  }),
  fc.record({
    kind: fc.constant('position' as const),
    which: fc.constantFrom('epoch' as const, 'batch' as const, 'globalStep' as const),
    value: fc.constantFrom('-1', '1.5', '1e400', '9007199254740993', '"3"', 'null', '{"nabla:number":"NaN"}', '0', '5'),
  }),
  fc.record({
    kind: fc.constant('signature' as const),
    op: fc.constantFrom(
      'duplicate' as const,
      'clone' as const,
      'shape' as const,
      'dtype' as const,
      'name' as const,
      'drop' as const,
      'extra' as const,
    ),
    index: fc.nat(),
  }),
  fc.record({
    kind: fc.constant('tensor' as const),
    op: fc.constantFrom('drop' as const, 'extra' as const, 'reshape' as const, 'float64' as const, 'empty' as const),
    index: fc.nat(),
  }),
  fc.record({
    kind: fc.constant('rng' as const),
    value: fc.constantFrom(
      '{"current":[],"epochStart":null}',
      '{"current":[{"s":[1,2,3],"spareNormal":null}],"epochStart":null}',
      '{"current":[{"s":[1,2,3,4294967296],"spareNormal":null}],"epochStart":null}',
      '{"current":[{"s":[1,2,3,-1],"spareNormal":"x"}],"epochStart":[]}',
      '{"current":null}',
      '[]',
    ),
  }),
);

interface CkDraft {
  metadata: Record<string, string>;
  tensors: Record<string, Tensor>;
  bytes?: Uint8Array;
}

function applyCk(draft: CkDraft, m: CkMutation): void {
  if (m.kind === 'bytes') {
    const file = draft.bytes ?? rebuildCheckpoint(draft);
    const d: Draft = { header: null, text: '', data: new Uint8Array(0), bytes: file };
    applySt(d, m.m);
    draft.bytes = d.bytes;
    return;
  }
  if (draft.bytes !== undefined) return;
  const md = draft.metadata;
  const parse = (field: string): unknown => {
    try {
      return JSON.parse(md[field]);
    } catch {
      return null;
    }
  };
  switch (m.kind) {
    case 'replace':
      md[m.field] = m.text;
      return;
    case 'deep': {
      // Added to what is there, so that the rest of the field stays valid and decoding gets past it.
      const deep = nested(m.depth, m.brackets);
      const text = md[m.field] ?? '';
      if (m.field === 'history' || m.field === 'signature')
        md[m.field] = text.startsWith('[{') ? `[{"deep":${deep},${text.slice(2)}` : `[{"deep":${deep}}]`;
      else md[m.field] = text.startsWith('{') ? `{"deep":${deep},${text.slice(1)}` : `{"deep":${deep}}`;
      return;
    }
    case 'refs': {
      const states = Object.keys(draft.tensors).filter((name) => name.startsWith('state.'));
      states.sort((a, b) => draft.tensors[b].size - draft.tensors[a].size);
      const target = m.target === 'largest state' ? states[0] : m.target === 'a state' ? states.at(-1) : m.target;
      const ref = `{${JSON.stringify(m.marker)}:${JSON.stringify(target ?? '')}}`;
      md.states = `{"junk":[${new Array(m.count).fill(ref).join(',')}]}`;
      return;
    }
    case 'proto':
      md[m.field] =
        m.field === 'history'
          ? '[{"__proto__":{"polluted":1},"loss":1}]'
          : `{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":2}}${m.field === 'optimizer' ? ',"name":"adam"' : ''}}`;
      return;
    case 'position': {
      const text = md.position;
      md.position = text.replace(new RegExp(`"${m.which}":[^,}]*`), `"${m.which}":${m.value}`);
      return;
    }
    case 'rng':
      md.rng = m.value;
      return;
    case 'signature': {
      const signature = parse('signature');
      if (!Array.isArray(signature) || signature.length === 0) return;
      const i = m.index % signature.length;
      const entry = signature[i] as { name: string; shape: number[]; dtype: string };
      if (entry === null || typeof entry !== 'object' || !Array.isArray(entry.shape)) return;
      if (m.op === 'duplicate') signature.push(entry);
      else if (m.op === 'clone') signature[i] = signature[(i + 1) % signature.length];
      else if (m.op === 'shape') entry.shape = [...entry.shape, 1];
      else if (m.op === 'dtype') entry.dtype = 'float16';
      else if (m.op === 'name') entry.name = `${entry.name}.renamed`;
      else if (m.op === 'drop') signature.splice(i, 1);
      else signature.push({ name: 'ghost', shape: [2], dtype: 'float32' });
      try {
        md.signature = JSON.stringify(signature);
      } catch {
        // Too deep for JSON.stringify (an earlier 'deep' mutation): keep the text as it is.
      }
      return;
    }
    case 'tensor': {
      const names = Object.keys(draft.tensors);
      const name = names[m.index % names.length];
      const t = draft.tensors[name];
      if (t === undefined) return;
      if (m.op === 'drop') delete draft.tensors[name];
      else if (m.op === 'extra') draft.tensors['model.ghost'] = tensor([1, 2]);
      else if (m.op === 'reshape') draft.tensors[name] = t.reshape([t.size]);
      else if (m.op === 'float64') draft.tensors[name] = t.to('float64');
      else draft.tensors[name] = tensor([], { dtype: t.dtype });
      return;
    }
  }
}

function rebuildCheckpoint(draft: CkDraft): Uint8Array {
  const metadata = { ...draft.metadata };
  metadata.checksum = checkpointChecksum(metadata, draft.tensors);
  return saveSafetensors(draft.tensors, metadata);
}

function buildCk(seed: Uint8Array, mutations: CkMutation[], keepChecksum: boolean): Uint8Array {
  const { tensors, metadata } = loadSafetensors(seed);
  const draft: CkDraft = { metadata: { ...metadata }, tensors: { ...tensors } };
  for (const m of mutations) applyCk(draft, m);
  if (draft.bytes !== undefined) return draft.bytes;
  if (keepChecksum) return saveSafetensors(draft.tensors, draft.metadata);
  return rebuildCheckpoint(draft);
}

/**
 * Throw unless `value` is plain data: every object an array, a typed array, a tensor or an object whose prototype
 * is Object.prototype (a key `__proto__` must stay a key, not become the prototype).
 */
function plainData(label: string, value: unknown): void {
  const stack = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (v === null || typeof v !== 'object' || ArrayBuffer.isView(v) || v instanceof Tensor) continue;
    if (!Array.isArray(v) && Object.getPrototypeOf(v) !== Object.prototype)
      throw new Error(`${label}: a decoded object has the prototype ${JSON.stringify(Object.getPrototypeOf(v))}`);
    stack.push(...Object.values(v));
  }
}

// ---- IDX --------------------------------------------------------------------------------------------

function idx(shape: number[], data: ArrayLike<number>, type = 0x08): Uint8Array {
  const out = new Uint8Array(4 + 4 * shape.length + data.length);
  const view = new DataView(out.buffer);
  out[2] = type;
  out[3] = shape.length;
  shape.forEach((d, i) => {
    view.setUint32(4 + 4 * i, d);
  });
  out.set(data, 4 + 4 * shape.length);
  return out;
}

const idxPair = fc
  .record({ n: fc.nat(6), rows: fc.integer({ min: 1, max: 5 }), cols: fc.integer({ min: 1, max: 5 }), seed: fc.nat() })
  .map(({ n, rows, cols, seed }) => {
    const random = new Generator(seed);
    const pixels = Array.from({ length: n * rows * cols }, () => Math.floor(random.uniform() * 256));
    const labels = Array.from({ length: n }, () => Math.floor(random.uniform() * 10));
    return { images: idx([n, rows, cols], pixels), labels: idx([n], labels) };
  });

type IdxMutation =
  | { kind: 'truncate'; at: number }
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'dim'; index: number; value: number }
  | { kind: 'ndim'; value: number }
  | { kind: 'type'; value: number }
  | { kind: 'append'; count: number }
  | { kind: 'gzip' }
  | { kind: 'swap' }
  | { kind: 'random'; length: number; seed: number };

const idxMutation: fc.Arbitrary<IdxMutation> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fraction }),
  fc.record({ kind: fc.constant('flip' as const), at: fraction, bit: fc.nat(7) }),
  fc.record({
    kind: fc.constant('dim' as const),
    index: fc.nat(3),
    value: fc.oneof(fc.nat(8), fc.constantFrom(500_000, 2 ** 24, 2 ** 31, 2 ** 32 - 1)),
  }),
  fc.record({ kind: fc.constant('ndim' as const), value: fc.constantFrom(0, 1, 2, 3, 4, 255) }),
  fc.record({ kind: fc.constant('type' as const), value: fc.constantFrom(0x08, 0x09, 0x0b, 0x0d, 0x0e, 0xff) }),
  fc.record({ kind: fc.constant('append' as const), count: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ kind: fc.constant('gzip' as const) }),
  fc.record({ kind: fc.constant('swap' as const) }),
  fc.record({ kind: fc.constant('random' as const), length: fc.nat(64), seed: fc.nat() }),
);

function applyIdx(pair: { images: Uint8Array; labels: Uint8Array }, which: 'images' | 'labels', m: IdxMutation) {
  let b = pair[which];
  if (m.kind === 'truncate') b = b.slice(0, Math.floor(m.at * b.length));
  else if (m.kind === 'flip') {
    b = b.slice();
    if (b.length > 0) b[Math.floor(m.at * b.length)] ^= 1 << m.bit;
  } else if (m.kind === 'dim') {
    b = b.slice();
    if (b.length >= 8 + 4 * m.index) new DataView(b.buffer).setUint32(4 + 4 * m.index, m.value);
  } else if (m.kind === 'ndim' || m.kind === 'type') {
    b = b.slice();
    if (b.length >= 4) b[m.kind === 'ndim' ? 3 : 2] = m.value;
  } else if (m.kind === 'append') {
    const grown = new Uint8Array(b.length + m.count).fill(7);
    grown.set(b);
    b = grown;
  } else if (m.kind === 'gzip') b = new Uint8Array(gzipSync(b));
  else if (m.kind === 'swap') {
    const other = which === 'images' ? 'labels' : 'images';
    [pair[which], pair[other]] = [pair[other], pair[which]];
    return;
  } else {
    const random = new Generator(m.seed);
    b = Uint8Array.from({ length: m.length }, () => Math.floor(random.uniform() * 256));
  }
  pair[which] = b;
}

function checkParsed(label: string, bytes: Uint8Array, parsed: ReturnType<typeof parseIdx>): void {
  if (product(parsed.shape) !== parsed.data.length || 4 + 4 * parsed.shape.length + parsed.data.length !== bytes.length)
    throw new Error(`${label}: shape [${parsed.shape}] disagrees with ${parsed.data.length} bytes of data`);
}

function checkMnist(label: string, mnist: ReturnType<typeof mnistFromIdx>): void {
  const { images, labels } = mnist;
  const n = labels.shape[0];
  if (labels.shape.length !== 1 || labels.size !== n || images.shape[0] !== n || images.shape.length !== 2)
    throw new Error(`${label}: images [${images.shape}] and labels [${labels.shape}] disagree`);
  if (product(images.shape) !== images.data.length) throw new Error(`${label}: images shape and data disagree`);
  for (const v of labels.data) if (!(v >= 0 && v < 10)) throw new Error(`${label}: label ${v} out of range`);
  for (const v of images.data) if (!(v >= 0 && v <= 1)) throw new Error(`${label}: pixel ${v} out of [0, 1]`);
}

// ---- the properties ---------------------------------------------------------------------------------

describe('fuzzing the loaders of untrusted bytes', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'nabla-fuzz-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('loadSafetensors: a SafetensorsError or a consistent result, within time and heap bounds', () => {
    const seeds = safetensorsSeeds();
    const kinds = new Set<string>();
    let loaded = 0;
    let rejected = 0;
    fc.assert(
      fc.property(fc.nat(seeds.length - 1), fc.array(stMutation, { minLength: 1, maxLength: 3 }), (s, mutations) => {
        const file = buildSt(seeds[s], mutations);
        const label = `loadSafetensors(${mutations.map((m) => m.kind).join('+')})`;
        const { result, error } = bounded(label, file.length, () => loadSafetensors(file));
        if (error !== undefined) {
          expectNamed(label, error, [SafetensorsError]);
          kinds.add(kindOf(error));
          rejected++;
        } else {
          checkSafetensors(label, file, result as ReturnType<typeof loadSafetensors>);
          loaded++;
        }
      }),
      { seed: SEED, numRuns: 600, endOnFailure: true },
    );
    // The mutations must reach deep into validation, not only trip the first check.
    expect(loaded).toBeGreaterThan(20);
    expect(rejected).toBeGreaterThan(200);
    expect(kinds.size).toBeGreaterThan(25);
  });

  it('decodeCheckpoint and restoreCheckpoint: a CheckpointError or a checkpoint that restores, within bounds', () => {
    const seed = checkpointSeed();
    expect(() => decodeCheckpoint(seed)).not.toThrow();
    const kinds = new Set<string>();
    let restored = 0;
    let rejected = 0;
    fc.assert(
      fc.property(
        fc.array(ckMutation, { minLength: 1, maxLength: 3 }),
        fc.oneof({ weight: 1, arbitrary: fc.constant(true) }, { weight: 5, arbitrary: fc.constant(false) }),
        (mutations, keepChecksum) => {
          const file = buildCk(seed, mutations, keepChecksum && mutations.length === 1);
          const label = `decodeCheckpoint(${mutations.map((m) => (m.kind === 'bytes' ? m.m.kind : m.kind)).join('+')})`;
          const { result, error } = bounded(label, file.length, () => decodeCheckpoint(file, 'fuzz.safetensors'));
          if (error !== undefined) {
            expectNamed(label, error, [CheckpointError]);
            kinds.add(kindOf(error));
            rejected++;
            return;
          }
          const ckpt = result as ReturnType<typeof decodeCheckpoint>;
          if (Object.keys(ckpt.model).length !== ckpt.signature.length)
            throw new Error(
              `${label}: ${Object.keys(ckpt.model).length} model tensors for ${ckpt.signature.length} names`,
            );
          for (const s of ckpt.signature) {
            const t = ckpt.model[s.name];
            if (t === undefined || t.shape.join() !== s.shape.join() || t.dtype !== s.dtype)
              throw new Error(`${label}: model tensor ${s.name} disagrees with its signature`);
            if (product(t.shape) !== t.data.length) throw new Error(`${label}: ${s.name} shape and data disagree`);
          }
          for (const n of [ckpt.epoch, ckpt.batch, ckpt.globalStep])
            if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${label}: position ${n}`);
          plainData(label, [ckpt.history, ckpt.states, ckpt.optimizer, ckpt.rng]);
          // What resuming does with the parts: clone them, and restore them into a fresh run.
          try {
            structuredClone([ckpt.history, ckpt.states, ckpt.optimizer, ckpt.rng]);
          } catch (e) {
            throw new Error(
              `${label}: the decoded checkpoint cannot be cloned: ${(e as Error).name}: ${(e as Error).message}`,
            );
          }
          const run = makeRun();
          const restore = bounded(`${label} restore`, file.length, () =>
            restoreCheckpoint(
              ckpt,
              { model: run.model, optimizer: run.optimizer, generators: run.generators, states: run.states },
              { strict: false },
            ),
          );
          if (restore.error !== undefined) {
            expectNamed(`${label} restore`, restore.error, [CheckpointError]);
            kinds.add(kindOf(restore.error));
            rejected++;
          } else {
            plainData(`${label} restored`, run.extraState());
            restored++;
          }
          if (({} as Record<string, unknown>).polluted !== undefined)
            throw new Error(`${label}: Object.prototype polluted`);
        },
      ),
      { seed: SEED, numRuns: 400, endOnFailure: true },
    );
    expect(restored).toBeGreaterThan(5);
    expect(rejected).toBeGreaterThan(150);
    expect(kinds.size).toBeGreaterThan(15);
  });

  it('parseIdx and mnistFromIdx: an IdxError or consistent tensors, within bounds', () => {
    const kinds = new Set<string>();
    let loaded = 0;
    let rejected = 0;
    fc.assert(
      fc.property(
        idxPair,
        fc.array(fc.tuple(fc.constantFrom('images' as const, 'labels' as const), idxMutation), { maxLength: 3 }),
        (pair, mutations) => {
          for (const [which, m] of mutations) applyIdx(pair, which, m);
          const label = `mnistFromIdx(${mutations.map(([w, m]) => `${w}.${m.kind}`).join('+')})`;
          const size = pair.images.length + pair.labels.length;
          for (const bytes of [pair.images, pair.labels]) {
            const parsed = bounded(`parseIdx ${label}`, bytes.length, () => parseIdx(bytes, 'fuzz'));
            if (parsed.error !== undefined) expectNamed(label, parsed.error, [IdxError]);
            else checkParsed(label, bytes, parsed.result as ReturnType<typeof parseIdx>);
          }
          const { result, error } = bounded(label, size, () => mnistFromIdx(pair.images, pair.labels));
          if (error !== undefined) {
            expectNamed(label, error, [IdxError]);
            kinds.add(kindOf(error));
            rejected++;
          } else {
            checkMnist(label, result as ReturnType<typeof mnistFromIdx>);
            loaded++;
          }
        },
      ),
      { seed: SEED, numRuns: 600, endOnFailure: true },
    );
    expect(loaded).toBeGreaterThan(50);
    expect(rejected).toBeGreaterThan(150);
    expect(kinds.size).toBeGreaterThan(8);
  });

  it('loadMnist on files, plain and gzip, bombs included: an IdxError or consistent tensors, within bounds', () => {
    const maxBytes = 2 ** 20;
    const zeros = gzipSync(new Uint8Array(2 ** 20));
    const kinds = new Set<string>();
    let loaded = 0;
    let rejected = 0;
    let run = 0;
    fc.assert(
      fc.property(
        idxPair,
        fc.array(fc.tuple(fc.constantFrom('images' as const, 'labels' as const), idxMutation), { maxLength: 2 }),
        fc.constantFrom('plain' as const, 'gzip' as const, 'cut' as const, 'bomb' as const),
        fc.integer({ min: 1, max: 8 }),
        (pair, mutations, packing, members) => {
          for (const [which, m] of mutations) if (m.kind !== 'gzip') applyIdx(pair, which, m);
          const dir = join(tmp, `case-${run++}`);
          const pack = (bytes: Uint8Array): Uint8Array => {
            if (packing === 'plain') return bytes;
            const compressed = gzipSync(bytes);
            if (packing === 'gzip') return compressed;
            if (packing === 'cut') return compressed.subarray(0, Math.max(2, compressed.length - members * 3));
            return Buffer.concat([compressed, ...new Array<Buffer>(members).fill(zeros)]);
          };
          const images = pack(pair.images);
          const labels = pack(pair.labels);
          mkdirSync(dir);
          const suffix = packing === 'plain' ? '' : '.gz';
          writeFileSync(join(dir, `t10k-images-idx3-ubyte${suffix}`), images);
          writeFileSync(join(dir, `t10k-labels-idx1-ubyte${suffix}`), labels);
          const label = `loadMnist(${packing}, ${mutations.map(([w, m]) => `${w}.${m.kind}`).join('+')})`;
          // Decompressed data may legitimately reach maxBytes per file, and load as float32 (4 bytes per pixel).
          const { result, error } = bounded(
            label,
            images.length + labels.length,
            () => loadMnist(dir, { maxBytes }),
            2 * 6 * maxBytes,
          );
          rmSync(dir, { recursive: true, force: true });
          if (error !== undefined) {
            expectNamed(label, error, [IdxError]);
            kinds.add(kindOf(error));
            rejected++;
          } else {
            checkMnist(label, result as ReturnType<typeof mnistFromIdx>);
            loaded++;
          }
        },
      ),
      { seed: SEED, numRuns: 80, endOnFailure: true },
    );
    expect(loaded).toBeGreaterThan(5);
    expect(rejected).toBeGreaterThan(20);
    expect(kinds.size).toBeGreaterThan(5);
  });
});
