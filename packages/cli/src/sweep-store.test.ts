import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  mergeTrials,
  parseShard,
  readTrialFile,
  shardOf,
  TRIALS_DIR,
  TrialFileError,
  TrialStore,
  trialKey,
} from './sweep-store';
import { UsageError } from './usage-error';

const def = (seed: number, optimizer = 'adam:lr=0.001') => ({
  task: 'digits-mlp',
  optimizer,
  seed,
  epochs: 2,
  version: '0.1.0',
});

describe('trial keys and shards', () => {
  it('hashes the definition, whatever the key order', () => {
    const a = trialKey({ task: 't', seed: 1, optimizer: 'sgd' });
    expect(a).toMatch(/^[0-9a-f]{24}$/);
    expect(trialKey({ optimizer: 'sgd', seed: 1, task: 't' })).toBe(a);
    expect(trialKey({ task: 't', seed: 2, optimizer: 'sgd' })).not.toBe(a);
    expect(trialKey({ task: 't', seed: 1, optimizer: 'sgd', nested: { b: 1, a: 2 } })).toBe(
      trialKey({ nested: { a: 2, b: 1 }, task: 't', seed: 1, optimizer: 'sgd' }),
    );
  });

  it('parses i/n and rejects anything else', () => {
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
    for (const bad of ['0/4', '5/4', '1/0', 'a/b', '1', '-1/2', '1/2/3'])
      expect(() => parseShard(bad)).toThrow(UsageError);
  });

  it('splits the trials into disjoint, covering, balanced shares independent of listing order', () => {
    const trials = Array.from({ length: 23 }, (_, i) => ({ key: trialKey(def(i)), seed: i }));
    const shares = [1, 2, 3, 4].map((index) => shardOf(trials, (t) => t.key, { index, count: 4 }));
    const all = shares.flat().map((t) => t.key);
    expect(new Set(all).size).toBe(23);
    expect(all.sort()).toEqual(trials.map((t) => t.key).sort());
    const sizes = shares.map((s) => s.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    const reversed = shardOf([...trials].reverse(), (t) => t.key, { index: 2, count: 4 });
    expect(reversed).toEqual(shares[1]);
  });
});

describe('the trial store', () => {
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nabla-store-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('puts atomically, gets back, and lists by key', () => {
    const store = new TrialStore(dir);
    expect(store.get(trialKey(def(0)))).toBeUndefined();
    for (const seed of [2, 0, 1])
      store.put({ key: trialKey(def(seed)), definition: def(seed), result: { loss: seed } });
    expect(store.get(trialKey(def(1)))?.result).toEqual({ loss: 1 });
    expect(readdirSync(join(dir, TRIALS_DIR)).every((f) => /^[0-9a-f]{24}\.json$/.test(f))).toBe(true);
    const keys = store.list().map((t) => t.key);
    expect(keys).toEqual([...keys].sort());
    expect(() => store.put({ key: 'abc', definition: def(0), result: null })).toThrow(/not the hash/);
  });

  it('rejects files that are not trials: bad JSON, wrong shape, wrong key, too large', () => {
    const trials = join(dir, TRIALS_DIR);
    mkdirSync(trials);
    const bad = join(trials, 'x.json');
    writeFileSync(bad, '{ not json');
    expect(() => readTrialFile(bad)).toThrow(TrialFileError);
    writeFileSync(bad, JSON.stringify({ key: 'x' }));
    expect(() => readTrialFile(bad)).toThrow(/expected \{ key, definition, result \}/);
    const k = trialKey(def(0));
    writeFileSync(bad, JSON.stringify({ key: k, definition: def(1), result: 1 }));
    expect(() => readTrialFile(bad)).toThrow(/not the hash of its definition/);
    writeFileSync(bad, JSON.stringify({ key: k, definition: def(0), result: 1 }));
    expect(() => readTrialFile(bad)).toThrow(/whose file would be/);
    const good = join(trials, `${k}.json`);
    writeFileSync(good, JSON.stringify({ key: k, definition: def(0), result: 1 }));
    expect(readTrialFile(good).result).toBe(1);
    expect(() => readTrialFile(good, 10)).toThrow(/is larger than 10/);
  });

  it('merges shard directories into one list, first copy kept', () => {
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    new TrialStore(a).put({ key: trialKey(def(0)), definition: def(0), result: 'a0' });
    new TrialStore(b).put({ key: trialKey(def(0)), definition: def(0), result: 'b0' });
    new TrialStore(b).put({ key: trialKey(def(1)), definition: def(1), result: 'b1' });
    const merged = mergeTrials([a, b]);
    expect(merged).toHaveLength(2);
    expect(merged.find((t) => t.key === trialKey(def(0)))?.result).toBe('a0');
    expect(() => mergeTrials([])).toThrow(/at least one/);
    expect(() => mergeTrials([join(dir, 'none')])).toThrow(/has no trials\/ directory/);
  });
});
