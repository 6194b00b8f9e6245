// Shared by the cli package's tests (not part of the package's exports).
import { runCli } from './main';

/** What a CLI run printed, and its exit code. */
export interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Run the CLI in-process with fake streams (not terminals) in `cwd`, capturing what it prints.
 *
 * @example
 * ```ts
 * const r = await runCaptured(['compare', '--task', 'quadratic', '--steps', '20'], dir);
 * expect(r.code).toBe(0);
 * ```
 */
export async function runCaptured(args: string[], cwd: string): Promise<Captured> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    cwd,
  });
  return { code, stdout, stderr };
}
