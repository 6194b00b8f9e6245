import { describe, expect, it } from 'vitest';
import { describeOptions, type OptionDef, parseArgs } from './args';
import { UsageError } from './usage-error';

const DEFS: readonly OptionDef[] = [
  { name: 'task', type: 'string', value: 'TASK', description: 'the task', default: 'digits-mlp' },
  { name: 'epochs', type: 'integer', min: 1, value: 'N', description: 'epochs' },
  { name: 'seed', type: 'integer', value: 'N', description: 'seed', default: '0' },
  { name: 'target-loss', type: 'number', value: 'X', description: 'target' },
  { name: 'optimizers', type: 'list', value: 'SPECS', description: 'specs' },
  { name: 'loss-scale', type: 'choice', choices: ['auto', 'log'], value: 'SCALE', description: 'scale' },
  { name: 'quiet', type: 'flag', description: 'no progress' },
];

/** The message of the UsageError that parsing `argv` throws. */
function usageError(argv: string[]): string {
  try {
    parseArgs(argv, DEFS);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    const message = (error as Error).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error(`parseArgs(${JSON.stringify(argv)}) did not throw`);
}

describe('parseArgs: values by type', () => {
  it('converts each type, in the space and the equals form alike', () => {
    const argv = [
      '--task',
      'spirals',
      '--epochs=3',
      '--seed',
      '0',
      '--target-loss=1e-4',
      '--optimizers',
      'sgd adam',
      '--optimizers=rmsprop',
      '--loss-scale',
      'log',
      '--quiet',
    ];
    expect(parseArgs(argv, DEFS)).toEqual({
      values: {
        task: 'spirals',
        epochs: 3,
        seed: 0,
        'target-loss': 1e-4,
        optimizers: ['sgd adam', 'rmsprop'],
        'loss-scale': 'log',
        quiet: true,
      },
      positionals: [],
      help: false,
    });
    const spaced = parseArgs(['--epochs', '3', '--target-loss', '1e-4', '--loss-scale=auto', '--task=a=b'], DEFS);
    expect(spaced.values).toEqual({ epochs: 3, 'target-loss': 1e-4, 'loss-scale': 'auto', task: 'a=b' });
  });

  it('leaves options that were not given out (defaults are for the help)', () => {
    expect(parseArgs([], DEFS)).toEqual({ values: {}, positionals: [], help: false });
  });

  it('accepts a value starting with one dash after a space or an equals sign', () => {
    expect(parseArgs(['--target-loss', '-1.5'], DEFS).values).toEqual({ 'target-loss': -1.5 });
    expect(parseArgs(['--target-loss=-2'], DEFS).values).toEqual({ 'target-loss': -2 });
    expect(parseArgs(['--task', '-'], DEFS).values).toEqual({ task: '-' });
    expect(parseArgs(['--optimizers', '-x', '--optimizers', '-y'], DEFS).values).toEqual({ optimizers: ['-x', '-y'] });
  });

  it('keeps the empty string of --name=', () => {
    expect(parseArgs(['--task='], DEFS).values).toEqual({ task: '' });
  });

  it('collects positionals, and everything after -- as positionals', () => {
    const parsed = parseArgs(['one', '--quiet', '-', 'two', '--', '--epochs', '3', '-h'], DEFS);
    expect(parsed).toEqual({
      values: { quiet: true },
      positionals: ['one', '-', 'two', '--epochs', '3', '-h'],
      help: false,
    });
  });

  it('reads -h and --help anywhere, but not as the value of an option', () => {
    expect(parseArgs(['--task', 'x', '-h'], DEFS).help).toBe(true);
    expect(parseArgs(['--help', '--quiet', '--help'], DEFS)).toMatchObject({ help: true, values: { quiet: true } });
    expect(parseArgs(['--task', '-h'], DEFS)).toMatchObject({ help: false, values: { task: '-h' } });
  });
});

describe('parseArgs: usage errors name the option in one line', () => {
  it('an unknown option, long or short, with or without a value, lists the valid options', () => {
    const valid =
      '; valid options: --task, --epochs, --seed, --target-loss, --optimizers, --loss-scale, --quiet, --help';
    expect(usageError(['--lr', '0.1'])).toBe(`unknown option --lr${valid}`);
    expect(usageError(['--quiet', '--lr=0.1'])).toBe(`unknown option --lr${valid}`);
    expect(usageError(['-x'])).toBe(`unknown option -x${valid}`);
    expect(usageError(['-hq'])).toBe(`unknown option -q${valid}`);
    expect(usageError(['--lr', '-1'])).toBe(`unknown option --lr${valid}`);
  });

  it('a missing value: at the end, or followed by another option or --', () => {
    expect(usageError(['--task'])).toBe('--task needs a value (TASK)');
    expect(usageError(['--epochs', '--quiet'])).toBe('--epochs needs a value (N)');
    expect(usageError(['--optimizers', '--'])).toBe('--optimizers needs a value (SPECS)');
    expect(usageError(['--quiet', '--loss-scale'])).toBe('--loss-scale needs a value (SCALE)');
  });

  it('a value given to a flag', () => {
    expect(usageError(['--quiet=yes'])).toBe('--quiet takes no value, got "yes"');
    expect(usageError(['--quiet='])).toBe('--quiet takes no value, got ""');
    expect(usageError(['--help=1'])).toBe('--help takes no value, got "1"');
  });

  it('an option given twice (lists and --help may repeat)', () => {
    expect(usageError(['--task', 'a', '--task=b'])).toBe('--task is given twice');
    expect(usageError(['--quiet', '--quiet'])).toBe('--quiet is given twice');
    expect(usageError(['--epochs', '1', '--epochs', '1'])).toBe('--epochs is given twice');
  });

  it('a malformed integer, a too small one, and one beyond 2^53', () => {
    expect(usageError(['--epochs', 'ten'])).toBe('--epochs: expected an integer >= 1, got "ten"');
    expect(usageError(['--epochs=0'])).toBe('--epochs: expected an integer >= 1, got "0"');
    expect(usageError(['--epochs', '2.5'])).toBe('--epochs: expected an integer >= 1, got "2.5"');
    expect(usageError(['--seed', '-1'])).toBe('--seed: expected an integer >= 0, got "-1"');
    expect(usageError(['--seed', '1e3'])).toBe('--seed: expected an integer >= 0, got "1e3"');
    expect(usageError(['--seed', '99999999999999999999'])).toBe(
      '--seed: expected an integer >= 0, got "99999999999999999999"',
    );
    expect(usageError(['--epochs='])).toBe('--epochs: expected an integer >= 1, got ""');
  });

  it('a malformed number', () => {
    expect(usageError(['--target-loss', 'small'])).toBe('--target-loss: expected a number, got "small"');
    expect(usageError(['--target-loss=Infinity'])).toBe('--target-loss: expected a number, got "Infinity"');
    expect(usageError(['--target-loss='])).toBe('--target-loss: expected a number, got ""');
  });

  it('a value outside the choices lists them', () => {
    expect(usageError(['--loss-scale', 'symlog'])).toBe(
      '--loss-scale: unknown value "symlog"; valid values: auto, log',
    );
  });

  it('reports an unknown option or a missing value before a malformed one, then the first in order', () => {
    expect(usageError(['--epochs', 'x', '--lr', '1'])).toMatch(/^unknown option --lr/);
    expect(usageError(['--epochs', 'x', '--seed', 'y'])).toBe('--epochs: expected an integer >= 1, got "x"');
  });
});

describe('describeOptions', () => {
  it('aligns the options and shows choices, defaults and repeatability', () => {
    expect(describeOptions(DEFS)).toEqual([
      '  --task TASK         the task (default: digits-mlp)',
      '  --epochs N          epochs',
      '  --seed N            seed (default: 0)',
      '  --target-loss X     target',
      '  --optimizers SPECS  specs (repeatable)',
      '  --loss-scale SCALE  scale (one of auto, log)',
      '  --quiet             no progress',
    ]);
  });
});
