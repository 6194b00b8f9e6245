// Where a sweep's trials live on disk, so that an interrupted run skips what it already finished and
// shards run on other machines merge into one report: each trial's result is one JSON file named by a
// hash of what defines the trial (task, optimizer spec, seed, budget, nabla version).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from './usage-error';

/** The subdirectory of the output directory that holds the trial files. */
export const TRIALS_DIR = 'trials';

/** The largest trial file read back (bytes): results are a few hundred kB at most; anything larger is not ours. */
export const MAX_TRIAL_FILE_BYTES = 64 << 20;

/** A JSON value with its object keys sorted, so that equal definitions serialise alike. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(
      Object.keys(value as object)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  return value;
}

/**
 * The key of a trial: the first 24 hex digits of the SHA-256 of its definition as canonical JSON (object
 * keys sorted), so the same task, optimizer, seed, budget and version give the same key on every machine.
 *
 * @example
 * ```ts
 * trialKey({ task: 'digits-mlp', optimizer: 'adam:lr=0.001', seed: 0, epochs: 10, version: '0.1.0' });
 * // a 24-character hex string; key order in the object does not matter
 * ```
 */
export function trialKey(definition: Readonly<Record<string, unknown>>): string {
  return createHash('sha256')
    .update(JSON.stringify(canonical(definition)))
    .digest('hex')
    .slice(0, 24);
}

/** A shard: the `index`-th (1-based) of `count` deterministic shares of a sweep's trials. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

/**
 * Parse `--shard i/n` (1-based, `1 <= i <= n`), as Playwright's `--shard`: with a Slurm job array
 * `--shard $((SLURM_ARRAY_TASK_ID + 1))/N`, with a Kubernetes indexed Job `--shard $((JOB_COMPLETION_INDEX + 1))/N`.
 *
 * @example
 * ```ts
 * parseShard('2/4'); // { index: 2, count: 4 }
 * ```
 */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (m === null)
    throw new UsageError(`--shard: expected i/n with 1 <= i <= n (e.g. 2/4), got ${JSON.stringify(text)}`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || count > 10000 || index < 1 || index > count)
    throw new UsageError(`--shard: expected i/n with 1 <= i <= n <= 10000, got ${JSON.stringify(text)}`);
  return { index, count };
}

/**
 * The trials of one shard: the trials ordered by key, every `count`-th from position `index - 1`. The
 * shares are disjoint, cover every trial, and differ in size by at most one; which share a trial falls in
 * depends only on the set of keys, not on the order the trials were listed in.
 *
 * @example
 * ```ts
 * shardOf(trials, (t) => t.key, { index: 1, count: 2 }); // about half of them
 * ```
 */
export function shardOf<T>(trials: readonly T[], keyOf: (t: T) => string, shard: Shard): T[] {
  const sorted = [...trials].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
  return sorted.filter((_, i) => i % shard.count === shard.index - 1);
}

/** A trial file: its key, its definition, and its result. */
export interface StoredTrial<R = unknown> {
  readonly key: string;
  readonly definition: Readonly<Record<string, unknown>>;
  readonly result: R;
}

/** A trial file that cannot be ours: too large, not JSON, or not a trial. */
export class TrialFileError extends UsageError {
  override name = 'TrialFileError';
}

/** What is wrong with a stored result (`result.<field>: what`), or null: the check of a store's results. */
export type ResultCheck = (result: unknown) => string | null;

/**
 * Read one trial file, checking its size (at most `maxBytes`, default {@link MAX_TRIAL_FILE_BYTES}), that it parses, and
 * that its key is the hash of its definition and matches its file name, and its result with `checkResult`.
 *
 * @example
 * ```ts
 * readTrialFile('out/trials/3f2a....json');
 * ```
 */
export function readTrialFile(
  path: string,
  maxBytes = MAX_TRIAL_FILE_BYTES,
  checkResult: ResultCheck = () => null,
): StoredTrial {
  const size = statSync(path).size;
  if (size > maxBytes) throw new TrialFileError(`${path}: a trial file of ${size} bytes is larger than ${maxBytes}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new TrialFileError(`${path}: not a trial file (${(e as Error).message})`);
  }
  const t = parsed as Partial<StoredTrial>;
  if (
    parsed === null ||
    typeof parsed !== 'object' ||
    typeof t.key !== 'string' ||
    t.definition === null ||
    typeof t.definition !== 'object' ||
    !('result' in (parsed as object))
  )
    throw new TrialFileError(`${path}: not a trial file (expected { key, definition, result })`);
  if (trialKey(t.definition as Record<string, unknown>) !== t.key)
    throw new TrialFileError(`${path}: its key ${t.key} is not the hash of its definition`);
  if (!path.endsWith(`${t.key}.json`))
    throw new TrialFileError(`${path}: holds trial ${t.key}, whose file would be ${t.key}.json`);
  const problem = checkResult(t.result);
  if (problem !== null) throw new TrialFileError(`${path}: not a trial file (${problem})`);
  return t as StoredTrial;
}

/**
 * The finished trials of a sweep under `dir/trials/`: get, put (atomically: written to a temporary
 * file in the same directory, then renamed, so an interrupted run never leaves half a file), and list.
 *
 * @example
 * ```ts
 * const store = new TrialStore('out');
 * const record = definition as unknown as Record<string, unknown>; // the plain-data form the store keeps
 * if (store.get(key) === undefined) store.put({ key, definition: record, result: await runTrial(definition) });
 * ```
 */
export class TrialStore {
  readonly dir: string;
  private readonly checkResult: ResultCheck;

  /** The store of `outDir`; every result read back passes `checkResult` (default: any). */
  constructor(outDir: string, checkResult: ResultCheck = () => null) {
    this.dir = join(outDir, TRIALS_DIR);
    this.checkResult = checkResult;
  }

  /** The stored trial of `key`, or undefined when it has not been run. */
  get(key: string): StoredTrial | undefined {
    const path = join(this.dir, `${key}.json`);
    return existsSync(path) ? readTrialFile(path, MAX_TRIAL_FILE_BYTES, this.checkResult) : undefined;
  }

  /** Store a finished trial (atomically). */
  put(trial: StoredTrial): void {
    if (trialKey(trial.definition) !== trial.key)
      throw new TrialFileError(`TrialStore.put: the key ${trial.key} is not the hash of the trial's definition`);
    mkdirSync(this.dir, { recursive: true });
    const path = join(this.dir, `${trial.key}.json`);
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(trial)}\n`);
    renameSync(tmp, path);
  }

  /** Every stored trial, by key order. */
  list(): StoredTrial[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => readTrialFile(join(this.dir, f), MAX_TRIAL_FILE_BYTES, this.checkResult));
  }
}

/**
 * The trials of several output directories (the shards of one sweep) as one list by key. A trial found
 * in more than one directory must have the same definition in each; the first directory's copy is kept.
 *
 * @example
 * ```ts
 * mergeTrials(['shard-1', 'shard-2']).length; // every trial of both
 * ```
 */
export function mergeTrials(dirs: readonly string[], checkResult: ResultCheck = () => null): StoredTrial[] {
  if (dirs.length === 0) throw new UsageError('give at least one output directory');
  const byKey = new Map<string, StoredTrial>();
  for (const dir of dirs) {
    if (!existsSync(join(dir, TRIALS_DIR)))
      throw new UsageError(`${dir} has no ${TRIALS_DIR}/ directory (is it a sweep's output?)`);
    for (const t of new TrialStore(dir, checkResult).list()) if (!byKey.has(t.key)) byKey.set(t.key, t);
  }
  return [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : 1));
}
