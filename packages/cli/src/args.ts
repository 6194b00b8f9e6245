import { type ParseArgsConfig, parseArgs as parseNodeArgs } from 'node:util';
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
  /** The smallest allowed value of an `integer` (default 0). */
  min?: number;
  /** The allowed values of a `choice`. */
  choices?: readonly string[];
  /** What it does, for the help. */
  description: string;
  /**
   * The default, as shown in the help (`per task`, `0`). Only the help shows it: {@link parseArgs} leaves
   * an option that was not given out of its `values`, so that a command can tell "not given" from "given".
   */
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

type NodeOptions = NonNullable<ParseArgsConfig['options']>;

/** One option occurrence, as `node:util`'s `parseArgs` reports it with `tokens: true`. */
interface OptionToken {
  kind: 'option';
  name: string;
  rawName: string;
  value?: string;
  inlineValue?: boolean;
}

function convert(def: OptionDef, raw: string): OptionValue {
  const flag = `--${def.name}`;
  switch (def.type) {
    case 'integer': {
      const min = def.min ?? 0;
      const n = Number(raw);
      if (!/^[+-]?\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < min)
        throw new UsageError(`${flag}: expected an integer >= ${min}, got ${JSON.stringify(raw)}`);
      return n;
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

/** The option table `node:util`'s parser reads: flags are booleans, lists repeat, `-h` is `--help`. */
function nodeOptions(defs: readonly OptionDef[]): NodeOptions {
  const options: NodeOptions = {};
  for (const def of defs)
    options[def.name] =
      def.type === 'flag'
        ? { type: 'boolean' }
        : def.type === 'list'
          ? { type: 'string', multiple: true }
          : { type: 'string' };
  options.help = { type: 'boolean', short: 'h' };
  return options;
}

/**
 * `node:util` refuses `--seed -1` as ambiguous (the value looks like an option) and asks for `--seed=-1`;
 * nabla's options accept a value that starts with one dash (a negative number, `-`) after a space too, so
 * such a pair is handed over in the `=` form. A value starting with `--` still counts as a missing value.
 */
function joinDashValues(argv: readonly string[], byName: ReadonlyMap<string, OptionDef>): string[] {
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      args.push(...argv.slice(i));
      break;
    }
    const def = arg.startsWith('--') && !arg.includes('=') ? byName.get(arg.slice(2)) : undefined;
    if (def === undefined || def.type === 'flag' || i + 1 >= argv.length) {
      args.push(arg);
      continue;
    }
    const next = argv[i + 1];
    if (next.startsWith('-') && !next.startsWith('--')) args.push(`${arg}=${next}`);
    else args.push(arg, next);
    i++;
  }
  return args;
}

function helpNames(defs: readonly OptionDef[]): string[] {
  return [...defs.map((d) => `--${d.name}`), '--help'];
}

/**
 * The one-line {@link UsageError} for arguments that `node:util`'s strict parser refused. The strict
 * parser's message is long and its wording varies between Node versions, so the offending option is
 * found again, by name, in the tokens of a lenient parse of the same arguments.
 */
function explain(error: Error, args: string[], defs: readonly OptionDef[], options: NodeOptions): UsageError {
  const byName = new Map(defs.map((d) => [d.name, d]));
  const { tokens } = parseNodeArgs({ args, options, strict: false, allowPositionals: true, tokens: true });
  for (const token of tokens ?? []) {
    if (token.kind !== 'option') continue;
    const { name, rawName, value, inlineValue } = token as OptionToken;
    const def = byName.get(name);
    if (name !== 'help' && (def === undefined || !rawName.startsWith('--')))
      return new UsageError(`unknown option ${rawName}${validList('options', helpNames(defs))}`);
    if (def === undefined || def.type === 'flag') {
      if (value !== undefined) return new UsageError(`${rawName} takes no value, got ${JSON.stringify(value)}`);
      continue;
    }
    if (value === undefined || (!inlineValue && value.startsWith('-') && value.length > 1))
      return new UsageError(`--${name} needs a value${def.value ? ` (${def.value})` : ''}`);
  }
  return new UsageError(error.message.split('\n')[0]);
}

function isParseArgsError(error: unknown): error is Error {
  return error instanceof Error && String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS_');
}

/**
 * Parse command-line arguments against option definitions, with `node:util`'s `parseArgs` in strict
 * mode: `--name value`, `--name=value` (a value that starts with one dash, such as `-1`, works both
 * ways), flags without a value, repeatable `list` options, `-h` / `--help`, and `--` to end the options
 * (what follows is positional). Values are converted by type: `integer` (at least `min`, default 0),
 * `number` (finite), `choice` (one of `choices`), `string` and `list` as given. An option that is not
 * given is absent from `values` (the `default` of a definition is for the help only). An unknown option,
 * a missing or malformed value, a value given to a flag, or an option given twice is a one-line
 * {@link UsageError} (exit code 2) that names the option; an unknown option's message lists the valid ones.
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
  const options = nodeOptions(defs);
  const args = joinDashValues(argv, byName);
  let parsed: ReturnType<typeof parseNodeArgs>;
  try {
    parsed = parseNodeArgs({ args, options, strict: true, allowPositionals: true, tokens: true });
  } catch (error) {
    if (isParseArgsError(error)) throw explain(error, args, defs, options);
    throw error;
  }
  const values: Record<string, OptionValue> = {};
  let help = false;
  for (const token of parsed.tokens ?? []) {
    if (token.kind !== 'option') continue;
    const { name, value } = token as OptionToken;
    const def = byName.get(name);
    if (def === undefined) {
      help = true;
      continue;
    }
    if (def.type === 'list') {
      const list = (values[name] as string[] | undefined) ?? [];
      list.push(value ?? '');
      values[name] = list;
      continue;
    }
    if (values[name] !== undefined) throw new UsageError(`--${name} is given twice`);
    values[name] = def.type === 'flag' ? true : convert(def, value ?? '');
  }
  return { values, positionals: parsed.positionals, help };
}

/**
 * The help lines of option definitions, aligned: `  --batch-size N   samples per batch (default: ...)`.
 *
 * @example
 * ```ts
 * describeOptions([{ name: 'seed', type: 'integer', value: 'N', description: 'the seed', default: '0' }]);
 * // ['  --seed N  the seed (default: 0)']
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
