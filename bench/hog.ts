/**
 * A CPU hog for the "busy machine" measurements of bench/threads.bench.ts and bench/wasm.bench.ts: one
 * child process spinning in a loop, as another program on a shared machine would. On 2 cores it takes
 * about one of them. A hog still running when the bench's process exits (an error, `process.exit`) is
 * killed with it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

const running = new Set<ChildProcess>();

process.on('exit', () => {
  for (const hog of running) hog.kill('SIGKILL');
});

/** Start one CPU-bound process (a busy loop), and wait until it runs. */
export async function startHog(): Promise<ChildProcess> {
  const hog = spawn(process.execPath, ['-e', 'process.stdout.write("go\\n"); for (;;) {}'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  running.add(hog);
  hog.once('exit', () => running.delete(hog));
  await new Promise<void>((resolve, reject) => {
    hog.stdout?.once('data', () => resolve());
    hog.once('error', reject);
    hog.once('exit', (code, signal) => reject(new Error(`startHog: the hog exited (${signal ?? code}) before it ran`)));
  });
  // Let the scheduler see it as a CPU-bound task before anything is timed.
  await new Promise((resolve) => setTimeout(resolve, 300));
  return hog;
}

/** Stop a hog of {@link startHog} (SIGKILL) and wait until it has exited. */
export function stopHog(hog: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (hog.exitCode !== null || hog.signalCode !== null) {
      resolve();
      return;
    }
    hog.once('exit', () => resolve());
    hog.kill('SIGKILL');
  });
}

/**
 * The CPU time (user + system, in seconds) a running hog has used so far, from /proc/<pid>/stat; undefined
 * where there is no /proc (not Linux) or the hog has exited. Over a phase's wall time, the share of a core
 * the hog actually got.
 */
export function hogCpuSeconds(hog: ChildProcess): number | undefined {
  try {
    const stat = readFileSync(`/proc/${hog.pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is field 3, utime and stime are 14 and
    // 15, in clock ticks (USER_HZ, 100 on Linux).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}
