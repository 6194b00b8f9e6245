import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tensor } from '@nablajs/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SafetensorsError } from './safetensors-error';
import { type AtomicWriteFs, defaultAtomicWriteFs, loadFile, saveFile, writeFileAtomic } from './safetensors-node';
import { saveSafetensors } from './save-safetensors';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nabla-safetensors-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const oldState = { w: tensor([1, 2, 3], { dtype: 'float32' }) };
const newState = { w: tensor([4, 5, 6, 7], { dtype: 'float64' }), b: tensor([9], { dtype: 'int32' }) };

/** The real fs calls, except that `step` throws (a write first writes half of its bytes); `calls` logs every call. */
function failingAt(step: keyof AtomicWriteFs, calls: string[]): AtomicWriteFs {
  const fs: AtomicWriteFs = { ...defaultAtomicWriteFs };
  for (const name of Object.keys(fs) as (keyof AtomicWriteFs)[]) {
    const real = defaultAtomicWriteFs[name] as (...args: unknown[]) => unknown;
    (fs as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
      calls.push(name);
      if (name === step) {
        if (name === 'writeSync') {
          // Leave a half-written temporary file behind, as a crash in the middle of a write would.
          const [fd, buffer] = args as [number, Uint8Array];
          real(fd, buffer, 0, Math.floor(buffer.length / 2));
        }
        // A failing close still releases the descriptor.
        if (name === 'closeSync') real(...args);
        throw new Error(`simulated crash in ${name}`);
      }
      return real(...args);
    };
  }
  return fs;
}

describe('saveFile / loadFile', () => {
  it('round-trips a state dict and metadata through a file', () => {
    const path = join(dir, 'model.safetensors');
    saveFile(path, newState, { epoch: '2' });
    expect([...readFileSync(path)]).toEqual([...saveSafetensors(newState, { epoch: '2' })]);
    const { tensors, metadata } = loadFile(path);
    expect(tensors.w.dtype).toBe('float64');
    expect([...tensors.w.data]).toEqual([4, 5, 6, 7]);
    expect([...tensors.b.data]).toEqual([9]);
    expect({ ...metadata }).toEqual({ epoch: '2' });
    expect(readdirSync(dir)).toEqual(['model.safetensors']);
  });

  it('replaces an existing file and leaves no temporary file', () => {
    const path = join(dir, 'model.safetensors');
    saveFile(path, oldState);
    saveFile(path, newState);
    expect(Object.keys(loadFile(path).tensors).sort()).toEqual(['b', 'w']);
    expect(readdirSync(dir)).toEqual(['model.safetensors']);
  });

  it('loads the fixture written by the independent Python writer', () => {
    const path = fileURLToPath(new URL('../../../test/fixtures/reference.safetensors', import.meta.url));
    const { tensors, metadata } = loadFile(path);
    expect(metadata.producer).toBe('make_safetensors_fixture.py');
    expect([...tensors['i32.ids'].data]).toEqual([-2147483648, 2147483647, 0, -7]);
    expect([...tensors['f16.half'].data]).toEqual([1, -2, 65504, 2 ** -24]);
  });

  it('names the path in errors about a malformed file', () => {
    const path = join(dir, 'broken.safetensors');
    writeFileSync(path, new Uint8Array([1, 2, 3]));
    expect(() => loadFile(path)).toThrow(SafetensorsError);
    expect(() => loadFile(path)).toThrow(/^loadFile\(".*broken\.safetensors"\): the file has 3 bytes/);
    expect(() => loadFile(join(dir, 'missing.safetensors'))).toThrow(/ENOENT/);
  });

  it('passes loader options through', () => {
    const path = join(dir, 'model.safetensors');
    saveFile(path, oldState);
    expect(() => loadFile(path, { maxHeaderBytes: 8 })).toThrow(
      /loadFile\(.*\): header length 56 exceeds the limit of 8/,
    );
    expect(() => loadFile(path, { maxEntries: 0 })).toThrow(
      /^loadFile\(".*model\.safetensors"\): the header lists more than maxEntries = 0 entries/,
    );
  });

  it('throws a missing directory error and creates nothing', () => {
    expect(() => saveFile(join(dir, 'no', 'such', 'dir.safetensors'), oldState)).toThrow(/ENOENT/);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('atomic save', () => {
  it('removes the temporary files that killed saves left in the directory, and only those', () => {
    const stale = ['.model.safetensors.0123456789ab.tmp', '.epoch-3.safetensors.deadbeef0042.tmp'];
    const kept = ['notes.tmp', '.model.safetensors.tmp', '.x.0123456789ab.tmp.bak', 'data.0123456789ab.tmp'];
    for (const name of [...stale, ...kept]) writeFileSync(join(dir, name), 'partial');
    writeFileAtomic(join(dir, 'epoch-4.safetensors'), saveSafetensors(newState));
    expect(readdirSync(dir).sort()).toEqual([...kept, 'epoch-4.safetensors'].sort());
    expect([...loadFile(join(dir, 'epoch-4.safetensors')).tensors.w.data]).toEqual([4, 5, 6, 7]);
  });

  for (const step of ['writeSync', 'fsyncSync', 'closeSync', 'renameSync'] as const) {
    it(`a crash in ${step} keeps the old file intact and removes the temporary file`, () => {
      const path = join(dir, 'model.safetensors');
      saveFile(path, oldState, { note: 'old' });
      const before = readFileSync(path);
      const calls: string[] = [];
      expect(() => saveFile(path, newState, undefined, { fs: failingAt(step, calls) })).toThrow(
        `simulated crash in ${step}`,
      );
      expect(calls).toContain(step);
      expect(calls.at(-1)).toBe('unlinkSync');
      expect([...readFileSync(path)]).toEqual([...before]);
      expect([...loadFile(path).tensors.w.data]).toEqual([1, 2, 3]);
      expect(readdirSync(dir)).toEqual(['model.safetensors']);
    });
  }

  it('writes through the temporary file: open, write, fsync, close, then rename', () => {
    const path = join(dir, 'model.safetensors');
    const calls: string[] = [];
    const seen: string[] = [];
    const fs: AtomicWriteFs = {
      ...defaultAtomicWriteFs,
      openSync: (p, flags, mode) => {
        calls.push('open');
        seen.push(p);
        expect(flags).toBe('wx');
        return defaultAtomicWriteFs.openSync(p, flags, mode);
      },
      writeSync: (fd, buffer, offset, length) => {
        calls.push('write');
        // Short writes (allowed by write(2)) must be continued, not mistaken for the end.
        return defaultAtomicWriteFs.writeSync(fd, buffer, offset, Math.min(length, 7));
      },
      fsyncSync: (fd) => {
        calls.push('fsync');
        defaultAtomicWriteFs.fsyncSync(fd);
      },
      closeSync: (fd) => {
        calls.push('close');
        defaultAtomicWriteFs.closeSync(fd);
      },
      renameSync: (from, to) => {
        calls.push('rename');
        expect(from).toBe(seen[0]);
        expect(to).toBe(path);
        defaultAtomicWriteFs.renameSync(from, to);
      },
    };
    const bytes = saveSafetensors(newState);
    writeFileAtomic(path, bytes, fs);
    expect(seen[0].startsWith(join(dir, '.model.safetensors.'))).toBe(true);
    expect(seen[0].endsWith('.tmp')).toBe(true);
    expect(calls[0]).toBe('open');
    expect(calls.filter((c) => c === 'write').length).toBe(Math.ceil(bytes.length / 7));
    expect(calls.slice(-3)).toEqual(['fsync', 'close', 'rename']);
    expect([...readFileSync(path)]).toEqual([...bytes]);
  });

  it('stops instead of looping when a write makes no progress', () => {
    const path = join(dir, 'model.safetensors');
    const fs: AtomicWriteFs = { ...defaultAtomicWriteFs, writeSync: () => 0 };
    expect(() => writeFileAtomic(path, new Uint8Array(16), fs)).toThrow(/made no progress \(0 bytes written\)/);
    expect(readdirSync(dir)).toEqual([]);
  });
});
