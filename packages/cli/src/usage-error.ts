import { NablaError } from '@nablajs/core';

/**
 * A mistake in what the user typed (an unknown task, optimizer, option or hyperparameter, a malformed
 * value): the command prints the message on stderr and exits with code 2, like a Unix usage error.
 *
 * @example
 * ```ts
 * throw new UsageError('unknown task "digit"; valid tasks: digits-mlp, spirals, ...');
 * ```
 */
export class UsageError extends NablaError {
  /** The error's name, spelled out so that a minifier that renames classes keeps it. */
  override name = 'UsageError';
}

/**
 * `value` followed by `; valid X: a, b, c`: the tail every "unknown thing" message ends with.
 *
 * @example
 * ```ts
 * validList('tasks', ['a', 'b']); // '; valid tasks: a, b'
 * ```
 */
export function validList(what: string, names: readonly string[]): string {
  return `; valid ${what}: ${names.length > 0 ? names.join(', ') : '(none)'}`;
}
