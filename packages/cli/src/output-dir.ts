import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError } from './usage-error';

/**
 * The files `nabla compare` writes into `--out`.
 *
 * @example
 * ```ts
 * OUTPUT_FILES.includes('report.html'); // true
 * ```
 */
export const OUTPUT_FILES = ['report.html', 'results.json', 'results.csv'] as const;

/**
 * Check `--out` before a run, so that a bad directory fails fast and nothing is written: it must be
 * missing, or a directory that holds only files `nabla compare` writes (it is then replaced as a
 * whole). Returns the absolute path.
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
  const foreign = readdirSync(dir).filter((f) => !(OUTPUT_FILES as readonly string[]).includes(f));
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
 * Write `files` into `dir` all at once: into a fresh temporary directory beside it first, then one
 * rename puts it in place (a previous `dir` is moved aside and deleted after). If anything fails,
 * the temporary directory is removed and `dir` is left as it was.
 *
 * @example
 * ```ts
 * writeOutDir('/tmp/out', { 'report.html': html, 'results.json': json });
 * ```
 */
export function writeOutDir(dir: string, files: Readonly<Record<string, string>>): void {
  const parent = dirname(dir);
  mkdirSync(parent, { recursive: true });
  const temp = mkdtempSync(join(parent, `.${basename(dir)}.tmp-`));
  let old: string | null = null;
  try {
    // mkdtemp makes the directory private (0700); the output is an ordinary directory.
    chmodSync(temp, 0o755);
    for (const [name, content] of Object.entries(files)) writeFileSync(join(temp, name), content);
    if (existsSync(dir)) {
      old = `${temp}.old`;
      renameSync(dir, old);
    }
    renameSync(temp, dir);
  } catch (error) {
    rmSync(temp, { recursive: true, force: true });
    if (old !== null && !existsSync(dir)) renameSync(old, dir);
    throw error;
  }
  if (old !== null) rmSync(old, { recursive: true, force: true });
}
