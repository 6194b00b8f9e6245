import { NablaError } from '@nablajs/core';
import pkg from '../package.json';
import { type OptionValue, parseArgs } from './args';
import { type CliIO, COMPARE_OPTIONS, compareCommand, loadPlugins } from './compare';
import { compareHelp, mainHelp } from './help';
import { registerBuiltinPlugins } from './plugins';
import { UsageError, validList } from './usage-error';

const COMMANDS = ['compare', 'help'];

async function helpFor(argv: readonly string[], io: CliIO): Promise<void> {
  // Load the --plugin modules named beside --help, so that their optimizers are listed too.
  let plugins: OptionValue | undefined;
  try {
    plugins = parseArgs(argv, COMPARE_OPTIONS).values.plugin;
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
      if (rest[0] === 'compare') {
        await helpFor(rest.slice(1), io);
        io.stdout.write(compareHelp());
      } else {
        await helpFor(rest, io);
        io.stdout.write(mainHelp());
      }
      return 0;
    }
    if (command === 'compare') {
      if (rest.includes('--help') || rest.includes('-h')) {
        await helpFor(rest, io);
        io.stdout.write(compareHelp());
        return 0;
      }
      return await compareCommand(rest, io);
    }
    throw new UsageError(`unknown command ${JSON.stringify(command)}${validList('commands', COMMANDS)}`);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`nabla: ${error.message}\n(see nabla compare --help)\n`);
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
