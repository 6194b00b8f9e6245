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
import { fileURLToPath } from 'node:url';
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
      // One line, ending with the pointer to the help; no progress, no stack trace.
      expect(r.stderr).toBe(`nabla compare: ${message} (see nabla compare --help)\n`);
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

describe('a run that throws', () => {
  const plugin = fileURLToPath(new URL('./__fixtures__/throwing-plugin.mjs', import.meta.url));
  const compare = (optimizers: string, ...more: string[]) =>
    run(
      [
        'compare',
        '--task',
        'quadratic',
        '--steps',
        '5',
        '--quiet',
        '--plugin',
        plugin,
        '--optimizers',
        optimizers,
        ...more,
      ],
      dir,
    );

  it('is one line naming the task, the optimizer, the seed and the phase, exit code 1, no stack trace', async () => {
    const r = await compare('sgd bomb', '--seed', '7');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('nabla compare: quadratic, bomb, seed 7: kaboom in update (in the untimed warm-up)\n');
  });

  it('says a tuning run failed, on its tuning seed, and shows a thrown string as it is', async () => {
    const tuned = await compare('sgd bomb', '--tune', 'bomb:lr=0.01..0.1:log:2');
    expect(tuned.code).toBe(1);
    expect(tuned.stderr).toBe('nabla compare: quadratic, bomb, seed 1000: kaboom in update (in a tuning run)\n');
    const thrown = await compare('stringBomb');
    expect(thrown.code).toBe(1);
    expect(thrown.stderr).toBe('nabla compare: quadratic, stringBomb, seed 0: boom (in the untimed warm-up)\n');
  });
});

describe('--data DIR for the MNIST tasks', () => {
  /** Write the t10k IDX files of `count` images of `rows` x `cols` pixels (and their labels, 0) into `name`. */
  function writeIdx(name: string, count: number, rows: number, cols: number): string {
    const data = join(dir, name);
    mkdirSync(data);
    const header = (magic: number, dims: number[]) => {
      const b = Buffer.alloc(4 + 4 * dims.length);
      b.writeUInt32BE(magic, 0);
      for (const [i, d] of dims.entries()) b.writeUInt32BE(d, 4 + 4 * i);
      return b;
    };
    const images = [header(0x803, [count, rows, cols]), Buffer.alloc(count * rows * cols, 7)];
    writeFileSync(join(data, 't10k-images-idx3-ubyte'), Buffer.concat(images));
    writeFileSync(join(data, 't10k-labels-idx1-ubyte'), Buffer.concat([header(0x801, [count]), Buffer.alloc(count)]));
    return data;
  }

  it('refuses images that are not 28x28, or none, as a usage error before anything runs', async () => {
    const cases: [string, string[], string][] = [
      [writeIdx('wrongdims', 20, 10, 10), ['mnist-mlp'], 'holds images of 100 pixels, expected 28x28 (MNIST)'],
      [writeIdx('wrongdims-cnn', 20, 10, 12), ['mnist-cnn'], 'holds images of 10x12, expected 28x28 (MNIST)'],
      [writeIdx('zero', 0, 28, 28), ['mnist-mlp'], 'holds no images'],
    ];
    for (const [data, [task], message] of cases) {
      const r = await run(['compare', '--task', task, '--epochs', '1', '--optimizers', 'sgd', '--data', data], dir);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      // the command's first line (task and backend), then the error: no run, no trace
      const [first, ...rest] = r.stderr.split('\n');
      expect(first).toMatch(/^nabla compare: mnist-(mlp|cnn), 1 optimizer, 1 epoch, seed 0, backend wasm/);
      expect(rest).toEqual([
        `nabla compare: --data ${data}: ${join(data, 't10k-images-idx3-ubyte')} ${message} (see nabla compare --help)`,
        '',
      ]);
    }
  });
});

describe('--loss-scale log with losses at or below 0', () => {
  it('says on stderr and in the chart caption how many points the log axis leaves out', async () => {
    const r = await run(
      ['compare', '--task', 'saddle', '--optimizers', 'sgd:lr=0.02', '--loss-scale', 'log', '--quiet', '--out', 'out'],
      dir,
    );
    expect(r.code).toBe(0);
    const json = JSON.parse(readFileSync(join(dir, 'out', 'results.json'), 'utf8'));
    const f: number[] = json.runs[0].steps.smoothedLoss;
    const below = f.filter((v) => v <= 0).length;
    expect(below).toBeGreaterThan(0);
    expect(r.stderr).toBe(
      `nabla compare: note: --loss-scale log leaves ${below} of ${f.length} losses out of the charts (they are <= 0); --loss-scale symlog or linear draws them\n`,
    );
    const html = readFileSync(join(dir, 'out', 'report.html'), 'utf8');
    expect(html).toMatch(/The y axis is logarithmic: \d+ points at or below 0 are left out/);
  });
});
