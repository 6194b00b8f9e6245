// Everything is checked before any training starts (a usage error is one line and exit code 2, nothing is
// written), and the results are written atomically.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkOutDir, writeOutDir } from './output-dir';
import { runCaptured as run } from './test-cli';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nabla-checks-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('the new options are checked before anything runs', () => {
  const cases: [string[], string][] = [
    [['--seeds', '0'], '--seeds: expected an integer >= 1, got "0"'],
    [['--seeds', '101'], '--seeds: expected an integer from 1 to 100, got 101'],
    [['--seeds', '2.5'], '--seeds: expected an integer >= 1, got "2.5"'],
    [['--diverge-factor', '1'], '--diverge-factor: expected a number > 1, got 1'],
    [['--diverge-factor', '0.5'], '--diverge-factor: expected a number > 1, got 0.5'],
    [['--diverge-factor', 'ten'], '--diverge-factor: expected a number, got "ten"'],
    [
      ['--seed', '4294967295', '--seeds', '2'],
      '--seed: expected an integer from 0 to 4294967294 with --seeds 2 (seeds are 32-bit), got 4294967295',
    ],
  ];
  for (const [args, message] of cases)
    it(`${args.join(' ')}: ${message}`, async () => {
      const r = await run(['compare', '--task', 'digits-mlp', ...args, '--out', 'out'], dir);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      // One line, then the pointer to the help; no progress, no stack trace.
      expect(r.stderr).toBe(`nabla: ${message}\n(see nabla compare --help)\n`);
      expect(existsSync(join(dir, 'out'))).toBe(false);
    });

  it('the largest values are accepted', async () => {
    const r = await run(
      [
        'compare',
        '--task',
        'quadratic',
        '--optimizers',
        'sgd:lr=0.01',
        '--steps',
        '2',
        '--seeds',
        '100',
        '--seed',
        String(2 ** 32 - 100),
        '--diverge-factor',
        '1.5',
        '--json',
        '--quiet',
      ],
      dir,
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.runs).toHaveLength(100);
    expect(json.settings.seeds.at(-1)).toBe(2 ** 32 - 1);
    expect(json.settings.divergeFactor).toBe(1.5);
  });

  it('the help explains the new options, and that the seeds of a 2-D function matter only with randomness', async () => {
    const r = await run(['compare', '--help'], dir);
    expect(r.code).toBe(0);
    const help = r.stdout.replace(/\s+/g, ' ');
    expect(help).toMatch(/--seeds N +run every optimizer on N seeds \(at most 100\)/);
    expect(help).toContain(
      'The 2-D functions start from a fixed point, so their seeds differ only for an optimizer that draws random numbers',
    );
    expect(help).toContain('(default: 1)');
    expect(help).toMatch(
      /--diverge-factor X +a run diverges, and stops there, when its loss is NaN or infinite or above X times its initial loss \(X > 1; for a 2-D function, X times the larger of f at the start and the largest f in the plotted box\)/,
    );
    expect(help).toContain('(default: 10)');
  });
});

describe('atomic results', () => {
  it('writes each file through a temporary file in the same directory, and leaves none behind', () => {
    const out = join(dir, 'out');
    writeOutDir(out, { 'report.html': 'one', 'results.json': '{"a":1}' });
    expect(readdirSync(out).sort()).toEqual(['report.html', 'results.json']);
    writeOutDir(out, { 'report.html': 'two', 'results.json': '{"a":2}', 'runs.csv': 'x' });
    expect(readdirSync(out).sort()).toEqual(['report.html', 'results.json', 'runs.csv']);
    expect(readFileSync(join(out, 'results.json'), 'utf8')).toBe('{"a":2}');
  });

  it('keeps the previous files whole when writing fails, and removes its temporary files', () => {
    const out = join(dir, 'out');
    writeOutDir(out, { 'report.html': 'old', 'results.json': 'old' });
    expect(() => writeOutDir(out, { 'report.html': 'new', 'no/such/dir.csv': 'x' })).toThrow();
    expect(readdirSync(out).sort()).toEqual(['report.html', 'results.json']);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toBe('old');
    expect(readFileSync(join(out, 'results.json'), 'utf8')).toBe('old');
  });

  it('accepts an --out with a temporary file a killed run left, and refuses one with a foreign file', () => {
    mkdirSync(join(dir, 'out'));
    writeFileSync(join(dir, 'out', 'results.json'), '{}');
    writeFileSync(join(dir, 'out', '.results.json.tmp-123-abc'), '{');
    expect(checkOutDir('out', dir)).toBe(join(dir, 'out'));
    writeFileSync(join(dir, 'out', '.notes.tmp-1'), '');
    expect(() => checkOutDir('out', dir)).toThrow(/did not write \(\.notes\.tmp-1\)/);
  });

  it('writes into an existing output directory in place (the directory itself is kept)', async () => {
    const out = join(dir, 'out');
    mkdirSync(out);
    writeFileSync(join(out, 'report.html'), 'old');
    const inode = statSync(out).ino;
    const r = await run(
      ['compare', '--task', 'quadratic', '--optimizers', 'sgd:lr=0.01', '--steps', '5', '--quiet', '--out', 'out'],
      dir,
    );
    expect(r.code).toBe(0);
    expect(statSync(out).ino).toBe(inode);
    expect(readdirSync(out).sort()).toEqual(['report.html', 'results.csv', 'results.json', 'runs.csv']);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toMatch(/^<!DOCTYPE html>/);
  });
});
