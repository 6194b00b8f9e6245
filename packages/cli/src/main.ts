import { NablaError } from '@nablajs/core';
import pkg from '../package.json';
import { type OptionDef, type OptionValue, parseArgs } from './args';
import { benchmarkCommand } from './benchmark';
import { benchmarkHelp, mergeHelp } from './benchmark-help';
import { BENCHMARK_OPTIONS } from './benchmark-suite';
import { trialWorker } from './benchmark-trial';
import { type CliIO, compareCommand } from './compare';
import { COMPARE_OPTIONS } from './compare-options';
import { loadPlugins } from './compare-plan';
import { compareHelp, mainHelp } from './help';
import { mergeCommand } from './merge';
import { registerBuiltinPlugins } from './plugins';
import { UsageError, validList } from './usage-error';

// `__trial` (a worker of nabla benchmark's trial pool) is left out on purpose: it is not for people.
const COMMANDS = ['compare', 'help', 'benchmark', 'merge'];

/** Each command's help, and its options (to find the `--plugin` files named beside `--help`). */
const HELP: Readonly<Record<string, { text: () => string; options: readonly OptionDef[] }>> = {
  compare: { text: compareHelp, options: COMPARE_OPTIONS },
  benchmark: { text: benchmarkHelp, options: BENCHMARK_OPTIONS },
  merge: { text: mergeHelp, options: [] },
};

async function helpFor(
  argv: readonly string[],
  io: CliIO,
  options: readonly OptionDef[] = COMPARE_OPTIONS,
): Promise<void> {
  // Load the --plugin modules named beside --help, so that their optimizers are listed too.
  let plugins: OptionValue | undefined;
  try {
    plugins = parseArgs(argv, options).values.plugin;
  } catch {
    plugins = undefined;
  }
  await loadPlugins({ values: plugins === undefined ? {} : { plugin: plugins }, positionals: [], help: true }, io.cwd);
}

/**
 * The command an error of `argv` belongs to (`nabla help merge --plugin x` too: its plugins load for merge's
 * help), or null when there is none to name: the error's prefix and the help it points to.
 */
function commandOf(argv: readonly string[]): string | null {
  const [first, second] = argv;
  const name = first === 'help' || first === '--help' || first === '-h' ? second : first;
  return name !== undefined && Object.hasOwn(HELP, name) ? name : null;
}

/**
 * Run the `nabla` command with `argv` (the arguments after the program name) and return its exit
 * code: 0 on success, 1 when a run fails, 2 on a usage error (unknown command, task, optimizer,
 * option or hyperparameter; nothing is written, and one line on stderr, `nabla compare: what was wrong
 * (see nabla compare --help)`, lists the valid ones).
 * The CLI entry (`cli.ts`) only calls this; tests call it in-process with fake streams.
 *
 * @example
 * ```ts
 * const code = await runCli(['compare', '--task', 'rosenbrock', '--quiet'], {
 *   stdout: process.stdout,
 *   stderr: process.stderr,
 *   cwd: process.cwd(),
 * });
 * ```
 */
export async function runCli(argv: readonly string[], io: CliIO): Promise<number> {
  try {
    const [command, ...rest] = argv;
    if (command === undefined) {
      registerBuiltinPlugins();
      io.stderr.write(`${mainHelp()}\nnabla: no command given${validList('commands', COMMANDS)}\n`);
      return 2;
    }
    if (command === '--version' || command === '-V') {
      io.stdout.write(`${pkg.version}\n`);
      return 0;
    }
    if (command === '--help' || command === '-h' || command === 'help') {
      const topic = Object.hasOwn(HELP, rest[0] ?? '') ? HELP[rest[0]] : undefined;
      if (topic !== undefined) {
        await helpFor(rest.slice(1), io, topic.options);
        io.stdout.write(topic.text());
      } else {
        await helpFor(rest, io);
        io.stdout.write(mainHelp());
      }
      return 0;
    }
    if (Object.hasOwn(HELP, command) && (rest.includes('--help') || rest.includes('-h'))) {
      await helpFor(rest, io, HELP[command].options);
      io.stdout.write(HELP[command].text());
      return 0;
    }
    if (command === 'compare') return await compareCommand(rest, io);
    if (command === 'benchmark') return await benchmarkCommand(rest, io);
    if (command === 'merge') return await mergeCommand(rest, io);
    if (command === '__trial') return await trialWorker(process.stdin, io);
    throw new UsageError(`unknown command ${JSON.stringify(command)}${validList('commands', COMMANDS)}`);
  } catch (error) {
    // The prefix is added here only: the messages thrown carry none.
    const command = commandOf(argv);
    const prefix = command === null ? 'nabla' : `nabla ${command}`;
    if (error instanceof UsageError) {
      // One line: what was wrong (a message of several lines joined), then where the help is.
      io.stderr.write(`${prefix}: ${error.message.trim().replace(/\s*\n\s*/g, ' ')} (see ${prefix} --help)\n`);
      return 2;
    }
    const message =
      error instanceof NablaError
        ? error.message
        : error instanceof Error
          ? (error.stack ?? error.message)
          : String(error);
    io.stderr.write(`${prefix}: ${message}\n`);
    return 1;
  }
}
