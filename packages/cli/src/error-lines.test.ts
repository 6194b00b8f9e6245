// How every command prints an error: one line, the command's prefix once, and for a usage error where the
// help is; the exit codes are those of runCli (2 for a usage error).
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCaptured as run } from './test-cli';

const fixtures = fileURLToPath(new URL('./__fixtures__', import.meta.url));

// Made as the file loads: the expected lines name paths in it.
const dir = mkdtempSync(join(tmpdir(), 'nabla-error-lines-'));
mkdirSync(join(dir, 'empty'));
mkdirSync(join(dir, 'bad-plan'));
writeFileSync(join(dir, 'bad-plan', 'sweep.json'), '{"format": 1}');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a usage error is one line: the command, what was wrong, where the help is', () => {
  const cases: [string[], string][] = [
    [
      ['compare', '--epochs', 'x'],
      'nabla compare: --epochs: expected an integer >= 1, got "x" (see nabla compare --help)',
    ],
    [
      ['compare', '--task', 'quadratic', '--plugin', join(fixtures, 'throws-string.mjs')],
      `nabla compare: --plugin: could not load ${join(fixtures, 'throws-string.mjs')}: boom (see nabla compare --help)`,
    ],
    [
      ['benchmark', '--jobs', '0', '--out', 'o'],
      'nabla benchmark: --jobs: expected an integer >= 1, got "0" (see nabla benchmark --help)',
    ],
    [
      ['merge', '--out', 'all'],
      'nabla merge: give the output directories of the shards: nabla merge DIR... --out DIR (see nabla merge --help)',
    ],
    [['merge', 'empty'], 'nabla merge: --out DIR is required (see nabla merge --help)'],
    [
      ['merge', 'nowhere', '--out', 'all'],
      `nabla merge: ${join(dir, 'nowhere')} is not a directory (give the --out of each shard) (see nabla merge --help)`,
    ],
    [
      ['merge', 'empty', '--out', 'all'],
      `nabla merge: ${join(dir, 'empty')} has no sweep.json (is it the --out of nabla benchmark?) (see nabla merge --help)`,
    ],
    [
      ['merge', 'bad-plan', '--out', 'all'],
      `nabla merge: ${join(dir, 'bad-plan', 'sweep.json')} is not a sweep plan (not a plan) (see nabla merge --help)`,
    ],
    [
      ['merge', '--jobs', '2'],
      'nabla merge: unknown option --jobs; valid options: --out, --help (see nabla merge --help)',
    ],
    // `nabla help CMD` loads the --plugin files named beside it: their errors belong to CMD
    [
      ['help', 'benchmark', '--plugin', 'nope.mjs'],
      `nabla benchmark: --plugin: ${join(dir, 'nope.mjs')} does not exist (see nabla benchmark --help)`,
    ],
    // no command to name: the program's prefix and its help
    [
      ['comapre'],
      'nabla: unknown command "comapre"; valid commands: compare, help, benchmark, merge (see nabla --help)',
    ],
  ];
  for (const [args, line] of cases)
    it(`nabla ${args.join(' ')}`, async () => {
      const r = await run(args, dir);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`${line}\n`);
    });

  it('puts a message of several lines (a plugin that fails to load) on one line', async () => {
    const r = await run(['compare', '--task', 'quadratic', '--plugin', join(fixtures, 'throws-lines.mjs')], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `nabla compare: --plugin: could not load ${join(fixtures, 'throws-lines.mjs')}: first line second line (see nabla compare --help)\n`,
    );
  });
});

describe('an error carries its prefix once', () => {
  it('no error thrown in the sources starts with a nabla prefix (runCli adds it)', () => {
    const src = fileURLToPath(new URL('.', import.meta.url));
    const offenders: string[] = [];
    for (const file of readdirSync(src).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
      const text = readFileSync(join(src, file), 'utf8');
      for (const m of text.matchAll(/Error\(\s*[`'"]nabla( [\w-]+)?:/g))
        offenders.push(`${file}:${text.slice(0, m.index).split('\n').length}`);
    }
    expect(offenders).toEqual([]);
  });

  it('a run that fails is named once, by its command', async () => {
    const plugin = join(fixtures, 'throwing-plugin.mjs');
    const r = await run(
      ['compare', '--task', 'quadratic', '--optimizers', 'bomb', '--steps', '3', '--quiet', '--plugin', plugin],
      dir,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^nabla compare: quadratic, bomb, seed 0: [^\n]+\n$/);
  });
});
