#!/usr/bin/env node
// `pnpm run release:dry`: everything a release does except publishing, in a scratch copy so that the checkout is
// left as it was. It copies the workspace (without node_modules and dist builds) to a temporary folder, runs
// `changeset version` there (the pending changesets of .changeset/ bump the versions and write the CHANGELOG.md
// files), builds every package, then packs and checks them with scripts/check-packages.mjs, which this time also
// requires a CHANGELOG.md in every tarball. It prints the versions before and after and each changelog's new
// section. Nothing is published, committed or changed in the checkout.
//
//   node scripts/release-dry.mjs [--keep]
//
// --keep: keep the scratch copy (its path is printed), with the tarballs in its `tarballs/` folder.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { checkPackages, listPackages } from './check-packages.mjs';

const REPO = fileURLToPath(new URL('..', import.meta.url));

/** What a release needs of the checkout: the workspace's manifests and configs, the packages, the changesets. */
const ROOT_FILES = ['package.json', 'pnpm-workspace.yaml', 'pnpm-lock.yaml', 'tsconfig.base.json', 'tsconfig.json'];

/** Never copied: installed dependencies, build output, caches. */
const SKIPPED = new Set(['node_modules', 'dist', '.vite-temp', '.turbo']);

/**
 * Copy the parts of the checkout that a release reads into `dest`: the root manifests and configs, `.changeset/`,
 * every package (without node_modules and dist) and the examples' package.json files (they are workspace
 * packages, private ones); `dest/node_modules` links to the checkout's, so that the build tools are found.
 *
 * @example
 * const scratch = mkdtempSync(join(tmpdir(), 'nabla-release-dry-'));
 * copyWorkspace(scratch); // scratch/packages/core/src/index.ts, scratch/.changeset/config.json, ...
 */
export function copyWorkspace(dest) {
  for (const file of ROOT_FILES) cpSync(join(REPO, file), join(dest, file));
  cpSync(join(REPO, '.changeset'), join(dest, '.changeset'), { recursive: true });
  const keep = (source) => !SKIPPED.has(basename(source));
  cpSync(join(REPO, 'packages'), join(dest, 'packages'), { recursive: true, filter: keep });
  for (const example of readdirSync(join(REPO, 'examples'))) {
    const manifest = join(REPO, 'examples', example, 'package.json');
    if (existsSync(manifest)) cpSync(manifest, join(dest, 'examples', example, 'package.json'));
  }
  symlinkSync(join(REPO, 'node_modules'), join(dest, 'node_modules'), 'dir');
  linkWorkspaceDependencies(dest);
}

/**
 * Link every package's dependencies on other workspace packages (`packages/<a>/node_modules/@nablajs/<b>` ->
 * `packages/<b>`), as `pnpm install` would: `pnpm pack` reads the linked package to replace `workspace:*` by its
 * version. Nothing else is installed in the copy (its root node_modules is the checkout's).
 */
function linkWorkspaceDependencies(dest) {
  const packages = listPackages(dest);
  const folderOf = new Map(packages.map((p) => [p.pkg.name, p.folder]));
  for (const p of packages) {
    const { dependencies = {}, devDependencies = {}, peerDependencies = {} } = p.pkg;
    for (const name of Object.keys({ ...dependencies, ...devDependencies, ...peerDependencies })) {
      const folder = folderOf.get(name);
      if (folder === undefined) continue;
      const link = join(p.dir, 'node_modules', ...name.split('/'));
      mkdirSync(dirname(link), { recursive: true });
      symlinkSync(relative(dirname(link), join(dest, 'packages', folder)), link, 'dir');
    }
  }
}

function run(command, args, cwd) {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd, stdio: 'inherit' });
    child.on('error', fail);
    child.on('close', (status) =>
      status === 0 ? done() : fail(new Error(`release:dry: \`${[command, ...args].join(' ')}\` exited with ${status}`)),
    );
  });
}

/** The section that `changeset version` added at the top of a CHANGELOG.md (up to the next version heading). */
function newestSection(changelog) {
  const lines = changelog.split('\n');
  const start = lines.findIndex((l) => l.startsWith('## '));
  if (start < 0) return '';
  const end = lines.findIndex((l, i) => i > start && l.startsWith('## '));
  return lines
    .slice(start, end < 0 ? undefined : end)
    .join('\n')
    .trim();
}

async function main() {
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => a !== '--keep');
  if (unknown.length > 0)
    throw new Error(`release:dry: unknown argument ${JSON.stringify(unknown[0])} (known: --keep)`);
  const keep = args.includes('--keep');
  const pending = readdirSync(join(REPO, '.changeset')).filter((f) => f.endsWith('.md') && f !== 'README.md');
  if (pending.length === 0)
    throw new Error(
      'release:dry: no changeset in .changeset/: there is nothing to release (add one with `pnpm changeset`)',
    );

  const scratch = mkdtempSync(join(tmpdir(), 'nabla-release-dry-'));
  try {
    console.log(`release:dry: scratch copy ${scratch}`);
    copyWorkspace(scratch);
    const before = new Map(listPackages(scratch).map((p) => [p.pkg.name, p.pkg.version]));

    console.log(`\n== changeset version (${pending.length} changeset${pending.length === 1 ? '' : 's'})`);
    await run(process.execPath, [join(REPO, 'node_modules', '@changesets', 'cli', 'bin.js'), 'version'], scratch);
    const after = listPackages(scratch);
    for (const p of after) {
      const changelog = join(p.dir, 'CHANGELOG.md');
      if (!existsSync(changelog)) throw new Error(`release:dry: changeset version wrote no ${changelog}`);
    }
    const bumped = after.filter((p) => p.pkg.version !== before.get(p.pkg.name));
    const versions = new Set(after.map((p) => p.pkg.version));
    if (versions.size !== 1)
      throw new Error(
        `release:dry: the packages should share one version (a fixed group), got ${[...versions].join(', ')}`,
      );
    console.log(
      `${bumped.length} of ${after.length} packages bumped: ${[...new Set(before.values())].join(', ')} -> ${[...versions][0]}`,
    );
    const first = after.find((p) => p.folder === 'core') ?? after[0];
    console.log(`\n${first.pkg.name}/CHANGELOG.md, new section:\n`);
    console.log(newestSection(readFileSync(join(first.dir, 'CHANGELOG.md'), 'utf8')));

    console.log('\n== build');
    const pnpm = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).packageManager ?? 'pnpm@10.34.8';
    await run('npx', ['-y', pnpm, '-r', '--filter', './packages/**', 'run', 'build'], scratch);

    console.log('\n== pack and check');
    const failures = await checkPackages({ root: scratch, packDir: join(scratch, 'tarballs'), expectChangelog: true });
    if (failures > 0) throw new Error(`release:dry: check-packages found ${failures} unexplained problem(s)`);
    console.log(
      `\nrelease:dry: ${after.length} packages at ${[...versions][0]} would be published; nothing was published, ` +
        'and the checkout is unchanged',
    );
  } finally {
    if (keep) console.log(`release:dry: kept ${scratch} (tarballs in ${join(scratch, 'tarballs')})`);
    else rmSync(scratch, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
