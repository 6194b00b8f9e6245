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
 * Run the `nabla` command with `argv` (the arguments after the program name) and return its exit
 * code: 0 on success, 1 when a run fails, 2 on a usage error (unknown command, task, optimizer,
 * option or hyperparameter; the message, on stderr, lists the valid ones, and nothing is written).
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
    if (error instanceof UsageError) {
      const topic = Object.hasOwn(HELP, argv[0] ?? '') ? argv[0] : 'compare';
      io.stderr.write(`nabla: ${error.message}\n(see nabla ${topic} --help)\n`);
      return 2;
    }
    const message =
      error instanceof NablaError
        ? error.message
        : error instanceof Error
          ? (error.stack ?? error.message)
          : String(error);
    io.stderr.write(`nabla: ${message}\n`);
    return 1;
  }
}
