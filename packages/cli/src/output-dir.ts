import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from './usage-error';

/**
 * The files `nabla compare` writes into `--out`.
 *
 * @example
 * ```ts
 * OUTPUT_FILES.includes('report.html'); // true
 * ```
 */
export const OUTPUT_FILES = ['report.html', 'results.json', 'results.csv', 'runs.csv'] as const;

/**
 * A temporary file of {@link writeOutDir} (`.results.json.tmp-…`): left behind only by a process killed
 * while writing, and not counted as a foreign file.
 */
const TEMP_FILE = /^\.(?:report\.html|results\.json|results\.csv|runs\.csv)\.tmp-/;

/**
 * Check `--out` before a run, so that a bad directory fails fast and nothing is written: it must be
 * missing (and creatable), or a directory that holds only files `nabla compare` writes (they are then
 * replaced). Returns the absolute path.
 *
 * @example
 * ```ts
 * checkOutDir('out', process.cwd()); // '/home/me/project/out'
 * ```
 */
export function checkOutDir(out: string, cwd: string): string {
  const dir = resolve(cwd, out);
  if (!existsSync(dir)) {
    checkWritableParent(dir);
    return dir;
  }
  if (!statSync(dir).isDirectory()) throw new UsageError(`--out: ${dir} exists and is not a directory`);
  const foreign = readdirSync(dir).filter(
    (f) => !(OUTPUT_FILES as readonly string[]).includes(f) && !TEMP_FILE.test(f),
  );
  if (foreign.length > 0)
    throw new UsageError(
      `--out: ${dir} holds files that nabla compare did not write (${foreign.slice(0, 5).join(', ')}${foreign.length > 5 ? ', ...' : ''}); choose a new or empty directory`,
    );
  return dir;
}

/**
 * Fail now, not after the run, when `dir` could not be created: its nearest existing ancestor must be a
 * directory in which a directory can be made (tried with a temporary one, removed at once).
 */
function checkWritableParent(dir: string): void {
  let parent = dirname(dir);
  while (!existsSync(parent) && dirname(parent) !== parent) parent = dirname(parent);
  if (!statSync(parent).isDirectory())
    throw new UsageError(`--out: ${dir} cannot be created: ${parent} is not a directory`);
  try {
    rmSync(mkdtempSync(join(parent, '.nabla-out-check-')), { recursive: true, force: true });
  } catch (e) {
    throw new UsageError(
      `--out: ${dir} cannot be created: ${parent} is not writable (${e instanceof Error ? e.message : String(e)})`,
    );
  }
}

/**
 * Write `files` into `dir`, each atomically: every file is first written in full to a temporary file in
 * `dir` itself, and only when all of them are written is each renamed over its final name (a rename in
 * one directory is atomic, so a reader sees the old file or the new one, never a part). Files of an
 * earlier comparison that this one does not write are then removed. If writing fails, the temporary
 * files (and `dir`, when this call created it) are removed and the previous files are left as they were.
 *
 * @example
 * ```ts
 * writeOutDir('/tmp/out', { 'report.html': html, 'results.json': json });
 * ```
 */
export function writeOutDir(dir: string, files: Readonly<Record<string, string>>): void {
  const created = mkdirSync(dir, { recursive: true });
  const temps: [string, string][] = [];
  const tag = `${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  try {
    for (const [name, content] of Object.entries(files)) {
      const temp = join(dir, `.${name}.tmp-${tag}`);
      temps.push([temp, join(dir, name)]);
      writeFileSync(temp, content);
    }
    for (const [temp, target] of temps) renameSync(temp, target);
  } catch (error) {
    for (const [temp] of temps) rmSync(temp, { force: true });
    if (created !== undefined) rmSync(created, { recursive: true, force: true });
    throw error;
  }
  for (const name of readdirSync(dir))
    if ((OUTPUT_FILES as readonly string[]).includes(name) && !Object.hasOwn(files, name))
      rmSync(join(dir, name), { force: true });
}
