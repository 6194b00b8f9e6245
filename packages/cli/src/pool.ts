// The pool that runs `nabla benchmark`'s trials: in this process for one job, or in worker processes, each
// this CLI's own entry run again with the hidden subcommand `__trial` (from the sources through tsx, or from
// dist), fed one trial definition per line on stdin and answering one result line each on stdout.
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { answerTrial, TRIAL_LINE } from './benchmark-trial';
import { type TrialDefinition, trialTaskKey } from './trial-definition';

/**
 * Runs trials, at most `size` at a time, and gives back each one's result as parsed JSON (numbers encoded).
 *
 * @example
 * ```ts
 * const pool: TrialPool = trialPool(2, { plugins: [], cwd: process.cwd() });
 * ```
 */
export interface TrialPool {
  /** How many trials run at once. */
  readonly size: number;
  /** Queue a trial; resolves with its result (as {@link encodeTrialJson} wrote it, parsed), rejects when it failed. */
  run(definition: TrialDefinition): Promise<unknown>;
  /** Let the running trials finish, then stop the workers. */
  close(): Promise<void>;
  /** Stop at once: kill the workers and reject every trial not finished. */
  kill(): void;
}

/**
 * What the pool needs: the plugin files every worker loads, and the working directory.
 *
 * @example
 * ```ts
 * const options: PoolOptions = { plugins: ['/home/me/sign-sgd.mjs'], cwd: process.cwd() };
 * ```
 */
export interface PoolOptions {
  /** User plugin files (absolute). */
  plugins: string[];
  /** The workers' working directory. */
  cwd: string;
}

function answerOf(line: string): { id: number; result?: unknown; error?: string } {
  return JSON.parse(line) as { id: number; result?: unknown; error?: string };
}

/**
 * A pool of one that runs the trials one after another in this process, through the same JSON text as a
 * worker's answer.
 *
 * @example
 * ```ts
 * const pool = inProcessPool({ plugins: [], cwd: process.cwd() });
 * const result = await pool.run(definition);
 * ```
 */
export function inProcessPool(options: PoolOptions): TrialPool {
  let chain: Promise<unknown> = Promise.resolve();
  let next = 0;
  let killed = false;
  return {
    size: 1,
    run(definition) {
      const id = next++;
      const job = chain.then(async () => {
        if (killed) throw new Error('the trial pool was stopped');
        const answer = answerOf(await answerTrial({ id, definition, plugins: options.plugins }, options.cwd));
        if (answer.error !== undefined) throw new Error(answer.error);
        return answer.result;
      });
      chain = job.catch(() => undefined);
      return job;
    },
    async close() {
      await chain;
    },
    kill() {
      killed = true;
    },
  };
}

/** The file of this module, in ESM (sources, dist/index.js, dist/cli.js) and in the CommonJS build. */
function thisFile(): string {
  return typeof __filename === 'string' ? __filename : fileURLToPath(import.meta.url);
}

/**
 * How to start a worker: this CLI's entry (`dist/cli.js` beside the built module, else `src/cli.ts`), the
 * Node options to run it with (this process's own for dist, or tsx's loader for the sources, with the
 * package's tsconfig so that `@nablajs/*` resolve to their sources too), and the environment.
 *
 * @example
 * ```ts
 * const { file, execArgv, env } = workerCommand();
 * spawn(process.execPath, [...execArgv, file, '__trial'], { env });
 * ```
 */
export function workerCommand(): { file: string; execArgv: string[]; env: NodeJS.ProcessEnv } {
  const here = dirname(thisFile());
  const built = join(here, 'cli.js');
  if (existsSync(built)) return { file: built, execArgv: [...process.execArgv], env: { ...process.env } };
  const source = join(here, 'cli.ts');
  const underTsx = process.execArgv.some((a) => /[\\/]tsx[\\/]|^tsx$/.test(a));
  const loader = pathToFileURL(createRequire(thisFile()).resolve('tsx')).href;
  return {
    file: source,
    execArgv: underTsx ? [...process.execArgv] : ['--import', loader],
    env: { ...process.env, TSX_TSCONFIG_PATH: process.env.TSX_TSCONFIG_PATH ?? join(here, '..', 'tsconfig.json') },
  };
}

interface Job {
  id: number;
  definition: TrialDefinition;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

interface Worker {
  child: ChildProcessByStdio<Writable, Readable, Readable>;
  job: Job | null;
  stderr: string;
  exited: boolean;
  /** The tasks this worker has loaded and warmed up (see {@link trialTaskKey}). */
  tasks: Set<string>;
}

/**
 * The queued job an idle worker takes: the first of a task it has already loaded and warmed up, else the
 * first of a task no other worker has, else the first. Each worker then keeps to its own tasks, and a
 * task's data and warm-up are paid for by about one worker instead of all of them.
 */
function pick(queue: readonly Job[], worker: Worker, workers: readonly Worker[]): number {
  const own = queue.findIndex((j) => worker.tasks.has(trialTaskKey(j.definition)));
  if (own >= 0) return own;
  const others = workers.filter((w) => w !== worker && !w.exited);
  const free = queue.findIndex((j) => !others.some((w) => w.tasks.has(trialTaskKey(j.definition))));
  return Math.max(free, 0);
}

/** The last `n` characters of a worker's stderr, on one line, for an error message. */
function tail(text: string, n = 600): string {
  const t = text.trim().replace(/\s*\n\s*/g, ' | ');
  return t.length > n ? `...${t.slice(-n)}` : t;
}

/**
 * A pool of `jobs` worker processes (started as trials arrive, at most one per queued trial), each running
 * one trial at a time: reported trials before tuning trials, otherwise in the order queued, except that a
 * worker keeps to the tasks it has already loaded and warmed up while the queue holds trials of them. A worker that exits while it runs a trial fails that trial
 * and every queued one, with the end of its stderr in the message.
 *
 * @example
 * ```ts
 * const pool = processPool(2, { plugins: [], cwd: process.cwd() });
 * const results = await Promise.all(definitions.map((d) => pool.run(d)));
 * await pool.close();
 * ```
 */
export function processPool(jobs: number, options: PoolOptions): TrialPool {
  const command = workerCommand();
  const workers: Worker[] = [];
  const queue: Job[] = [];
  let next = 0;
  let closing = false;
  let failure: Error | null = null;

  const fail = (error: Error) => {
    failure ??= error;
    for (const job of queue.splice(0)) job.reject(failure);
    for (const w of workers) {
      w.job?.reject(failure);
      w.job = null;
      if (!w.exited) w.child.kill();
    }
  };

  const dispatch = () => {
    while (queue.length > 0) {
      let worker = workers.find((w) => w.job === null && !w.exited);
      if (worker === undefined && workers.filter((w) => !w.exited).length < jobs) worker = start();
      if (worker === undefined) return;
      const [job] = queue.splice(pick(queue, worker, workers), 1);
      worker.job = job;
      worker.tasks.add(trialTaskKey(job.definition));
      worker.child.stdin.write(
        `${JSON.stringify({ id: job.id, definition: job.definition, plugins: options.plugins })}\n`,
      );
    }
  };

  const start = (): Worker => {
    const child = spawn(process.execPath, [...command.execArgv, command.file, '__trial'], {
      cwd: options.cwd,
      env: command.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const worker: Worker = { child, job: null, stderr: '', exited: false, tasks: new Set() };
    workers.push(worker);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      worker.stderr = (worker.stderr + text).slice(-4000);
    });
    child.stdin.on('error', () => undefined);
    createInterface({ input: child.stdout, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) => {
      if (!line.startsWith(TRIAL_LINE)) return;
      const answer = answerOf(line.slice(TRIAL_LINE.length));
      const job = worker.job;
      if (job === null || job.id !== answer.id) return;
      worker.job = null;
      if (answer.error !== undefined) job.reject(new Error(answer.error));
      else job.resolve(answer.result);
      dispatch();
    });
    child.on('error', (error) => fail(new Error(`could not start a trial worker: ${error.message}`)));
    child.on('exit', (code, signal) => {
      worker.exited = true;
      if (worker.job !== null || (!closing && queue.length > 0))
        fail(
          new Error(
            `a trial worker stopped (${signal ?? `exit code ${code}`})${worker.job !== null ? ` while running ${worker.job.definition.task}, ${worker.job.definition.optimizer.name}, seed ${worker.job.definition.seed}` : ''}${worker.stderr.trim() !== '' ? `: ${tail(worker.stderr)}` : ''}`,
          ),
        );
    });
    return worker;
  };

  return {
    size: jobs,
    run(definition) {
      return new Promise((resolve, reject) => {
        if (failure !== null) return reject(failure);
        const job = { id: next++, definition, resolve, reject };
        // A reported trial goes before the tuning trials still queued: its group waits for it alone.
        const at = definition.stage === 'report' ? queue.findIndex((j) => j.definition.stage !== 'report') : -1;
        if (at >= 0) queue.splice(at, 0, job);
        else queue.push(job);
        dispatch();
      });
    },
    async close() {
      closing = true;
      await Promise.all(
        workers.map(
          (w) =>
            new Promise<void>((resolve) => {
              if (w.exited) return resolve();
              w.child.once('exit', () => resolve());
              w.child.stdin.end();
            }),
        ),
      );
    },
    kill() {
      closing = true;
      fail(new Error('the trial pool was stopped'));
    },
  };
}

/**
 * The pool for `--jobs N`: this process for 1, else N worker processes.
 *
 * @example
 * ```ts
 * const pool = trialPool(availableParallelism(), { plugins: [], cwd: process.cwd() });
 * ```
 */
export function trialPool(jobs: number, options: PoolOptions): TrialPool {
  return jobs <= 1 ? inProcessPool(options) : processPool(jobs, options);
}
