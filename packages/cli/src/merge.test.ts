// `nabla merge`: shards of one sweep only, all of them, and the merged directory a sweep of its own.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCaptured as run } from './test-cli';

const SWEEP = [
  'benchmark',
  '--tasks',
  'quadratic,saddle',
  '--optimizers',
  'sgd adam',
  '--steps',
  '5',
  '--seeds',
  '2',
  '--tune-budget',
  '2',
  '--jobs',
  '1',
  '--quiet',
];

describe('nabla merge', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nabla-merge-'));
    for (const s of [1, 2, 3]) expect((await run([...SWEEP, '--shard', `${s}/3`, '--out', `s${s}`], dir)).code).toBe(0);
    expect((await run([...SWEEP, '--seed', '7', '--shard', '1/3', '--out', 'other'], dir)).code).toBe(0);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names the missing shards of an incomplete sweep', async () => {
    const r = await run(['merge', 's1', 's3', '--out', 'all'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^nabla merge: the sweep is incomplete: \d+ of 4 optimizer-and-task groups lack finished trials \(finished shards found: 1\/3, 3\/3; missing: 2\/3\)/,
    );
    expect(r.stderr).toMatch(/ \(see nabla merge --help\)\n$/);
    expect(r.stderr.split('\n')).toHaveLength(2);
  });

  it('refuses shards of another sweep, a directory that is not a sweep, and a missing --out', async () => {
    const other = await run(['merge', 's1', 'other', '--out', 'all'], dir);
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('holds another sweep than');
    expect(other.stderr).toContain('differ in seed');
    const none = await run(['merge', 'nowhere', '--out', 'all'], dir);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('nowhere is not a directory');
    mkdirSync(join(dir, 'empty'));
    expect((await run(['merge', 'empty', '--out', 'all'], dir)).stderr).toContain('empty has no sweep.json');
    expect((await run(['merge', 's1'], dir)).stderr).toContain('--out DIR is required');
    expect((await run(['merge', '--out', 'all'], dir)).stderr).toContain('give the output directories of the shards');
  });

  it('merges every shard into a sweep that resumes with nothing to run', async () => {
    const r = await run(['merge', 's1', 's2', 's3', '--out', 'all'], dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('merged 16 trials from 3 directories');
    expect(readdirSync(join(dir, 'all')).sort()).toEqual(['report.html', 'results.json', 'sweep.json', 'trials']);
    expect(readdirSync(join(dir, 'all', 'trials'))).toHaveLength(16);
    const again = await run([...SWEEP, '--out', 'all'], dir);
    expect(again.stdout).toContain('0 trials run, 16 skipped');
    expect(JSON.parse(readFileSync(join(dir, 'all', 'results.json'), 'utf8')).trials).toEqual({
      total: 16,
      ran: 0,
      skipped: 16,
    });
  });

  it('refuses a corrupt trial file in a shard', async () => {
    const trials = join(dir, 's2', 'trials');
    writeFileSync(join(trials, readdirSync(trials)[0]), '{}');
    const r = await run(['merge', 's1', 's2', 's3', '--out', 'broken'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not a trial file \(expected \{ key, definition, result \}\)/);
  });
});
