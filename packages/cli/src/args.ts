import { UsageError, validList } from './usage-error';

/** The kind of value an option takes. */
export type OptionType = 'string' | 'integer' | 'number' | 'flag' | 'list' | 'choice';

/** An option of a command, as the parser and the help see it. */
export interface OptionDef {
  /** The long name, without dashes (`batch-size`). */
  name: string;
  /** The kind of value: `flag` takes none, `list` may be repeated and accumulates. */
  type: OptionType;
  /** The placeholder in the help (`N`, `DIR`, `SPECS`). */
  value?: string;
  /** The smallest allowed value of an `integer`. */
  min?: number;
  /** The allowed values of a `choice`. */
  choices?: readonly string[];
  /** What it does, for the help. */
  description: string;
  /** The default, as shown in the help. */
  default?: string;
}

/** A parsed option value. */
export type OptionValue = string | number | boolean | string[];

/** What {@link parseArgs} returns. */
export interface ParsedArgs {
  /** The options given, by long name (lists collect every occurrence). */
  values: Record<string, OptionValue>;
  /** Arguments that are not options. */
  positionals: string[];
  /** Whether `-h` or `--help` was given. */
  help: boolean;
}

function convert(def: OptionDef, raw: string): OptionValue {
  const flag = `--${def.name}`;
  switch (def.type) {
    case 'integer': {
      const min = def.min ?? 0;
      if (!/^[+-]?\d+$/.test(raw.trim()) || Number(raw) < min)
        throw new UsageError(`${flag}: expected an integer >= ${min}, got ${JSON.stringify(raw)}`);
      return Number(raw);
    }
    case 'number': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n))
        throw new UsageError(`${flag}: expected a number, got ${JSON.stringify(raw)}`);
      return n;
    }
    case 'choice':
      if (!def.choices?.includes(raw))
        throw new UsageError(`${flag}: unknown value ${JSON.stringify(raw)}${validList('values', def.choices ?? [])}`);
      return raw;
    default:
      return raw;
  }
}

/**
 * Parse command-line arguments against option definitions: `--name value`, `--name=value`, flags
 * without a value, repeatable `list` options, `-h` / `--help`, and `--` to end the options. An unknown
 * option, a missing or malformed value, or an option given twice is a {@link UsageError} (exit code 2)
 * that lists the valid options.
 *
 * @example
 * ```ts
 * parseArgs(['--epochs', '10', '--quiet'], [
 *   { name: 'epochs', type: 'integer', min: 1, description: 'epochs' },
 *   { name: 'quiet', type: 'flag', description: 'no progress' },
 * ]); // { values: { epochs: 10, quiet: true }, positionals: [], help: false }
 * ```
 */
export function parseArgs(argv: readonly string[], defs: readonly OptionDef[]): ParsedArgs {
  const byName = new Map(defs.map((d) => [d.name, d]));
  const values: Record<string, OptionValue> = {};
  const positionals: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '-h' || arg === '--help') {
      help = true;
      continue;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(arg.startsWith('--') ? 2 : 1, eq < 0 ? undefined : eq);
    const def = byName.get(name);
    if (def === undefined || !arg.startsWith('--'))
      throw new UsageError(
        `unknown option ${eq < 0 ? arg : arg.slice(0, eq)}${validList('options', [...defs.map((d) => `--${d.name}`), '--help'])}`,
      );
    let raw: string;
    if (def.type === 'flag') {
      if (eq >= 0) throw new UsageError(`--${name} takes no value, got ${JSON.stringify(arg.slice(eq + 1))}`);
      if (values[name] !== undefined) throw new UsageError(`--${name} is given twice`);
      values[name] = true;
      continue;
    }
    if (eq >= 0) raw = arg.slice(eq + 1);
    else {
      if (i + 1 >= argv.length || (argv[i + 1].startsWith('--') && argv[i + 1].length > 2))
        throw new UsageError(`--${name} needs a value${def.value ? ` (${def.value})` : ''}`);
      raw = argv[++i];
    }
    if (def.type === 'list') {
      const list = (values[name] as string[] | undefined) ?? [];
      list.push(raw);
      values[name] = list;
    } else {
      if (values[name] !== undefined) throw new UsageError(`--${name} is given twice`);
      values[name] = convert(def, raw);
    }
  }
  return { values, positionals, help };
}

/**
 * The help lines of option definitions, aligned: `  --batch-size N   samples per batch (default: ...)`.
 *
 * @example
 * ```ts
 * describeOptions(defs).join('\n');
 * ```
 */
export function describeOptions(defs: readonly OptionDef[]): string[] {
  const heads = defs.map((d) => `--${d.name}${d.type === 'flag' ? '' : ` ${d.value ?? 'VALUE'}`}`);
  const width = Math.max(...heads.map((h) => h.length));
  return defs.map((d, i) => {
    const extra = [
      d.choices ? `one of ${d.choices.join(', ')}` : '',
      d.default !== undefined ? `default: ${d.default}` : '',
      d.type === 'list' ? 'repeatable' : '',
    ]
      .filter((s) => s !== '')
      .join('; ');
    return `  ${heads[i].padEnd(width)}  ${d.description}${extra ? ` (${extra})` : ''}`;
  });
}
