#!/usr/bin/env node
// `pnpm run check-packages`: check every package the way an installer sees it. Each package of packages/ is
// packed with `pnpm pack` (which replaces the `workspace:` ranges with versions), and every tarball is checked
// on every entry point of its exports map by
//   - publint (the exports map, the files it names, `bin`, the metadata registries and bundlers read),
//   - arethetypeswrong (attw: the types every resolver finds, node10, node16 from CJS and from ESM, bundler),
//   - tsc over the packed declarations with `skipLibCheck: false`, as a project of a user sees them: every
//     entry from an ESM and a CommonJS file under node16, and the browser entries under bundler without the
//     Node types,
//   - and the metadata this repository promises (see `checkMetadata`).
// It prints one row per package and every problem, and exits with 1 on a problem that EXCEPTIONS does not
// explain, or on an exception that no longer matches anything.
//
//   node scripts/check-packages.mjs [--root DIR] [--pack-dir DIR] [--expect-changelog]
//
// --root: the checkout to check (default: this one; scripts/release-dry.mjs passes its versioned scratch copy).
// --pack-dir: keep the tarballs there (default: a temporary folder, removed at the end).
// --expect-changelog: every tarball must hold a CHANGELOG.md (after `changeset version`, as in a release).
// Packages without a dist build are built first (tsup), the others are packed as they are.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildPackages } from './build-order.mjs';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const requireHere = createRequire(import.meta.url);

/**
 * The problems accepted on purpose, each with its reason. A problem matches an exception when the package, the
 * tool and the code are equal and the message contains `match`. An exception that matches nothing fails the
 * check too, so that this list only ever holds problems that exist.
 *
 * @example
 * { package: '@nablajs/x', tool: 'attw', code: 'FallbackCondition', match: '', reason: 'why this is right' }
 */
export const EXCEPTIONS = [];

/** The attw resolution kinds, in the order of the table. */
const RESOLUTION_KINDS = [
  ['node10', 'node10'],
  ['node16-cjs', 'node16 CJS'],
  ['node16-esm', 'node16 ESM'],
  ['bundler', 'bundler'],
];

/**
 * The packages of `root`/packages that are published (not private), sorted by folder name.
 *
 * @example
 * listPackages().map((p) => p.pkg.name); // ['@nablajs/cli', '@nablajs/core', ...]
 */
export function listPackages(root = REPO) {
  const dir = join(root, 'packages');
  return readdirSync(dir)
    .filter((name) => existsSync(join(dir, name, 'package.json')))
    .map((name) => ({
      dir: join(dir, name),
      folder: name,
      pkg: JSON.parse(readFileSync(join(dir, name, 'package.json'), 'utf8')),
    }))
    .filter((p) => p.pkg.private !== true)
    .sort((a, b) => a.folder.localeCompare(b.folder));
}

/** The files that `pkg`'s exports map, `main`, `module` and `types` name (relative, without `./`). */
function entryFiles(pkg) {
  const files = new Set();
  const visit = (target) => {
    if (typeof target === 'string') files.add(target.replace(/^\.\//, ''));
    else if (target !== null && typeof target === 'object') for (const value of Object.values(target)) visit(value);
  };
  visit(pkg.exports);
  for (const field of ['main', 'module', 'types']) visit(pkg[field]);
  return [...files];
}

/**
 * Build (tsup) the packages of `root` that miss a file their package.json names; returns their folder names.
 *
 * @example
 * await buildMissing(); // [] when every dist is there, ['nn'] after `rm -r packages/nn/dist`
 */
export async function buildMissing(root = REPO) {
  const missing = listPackages(root).filter((p) => entryFiles(p.pkg).some((f) => !existsSync(join(p.dir, f))));
  // each after the packages it imports (its declarations read their dist types)
  const failed = (
    await buildPackages(
      root,
      missing.map((p) => p.folder),
      (folder) => console.log(`check-packages: building ${folder} (its dist is missing or incomplete)`),
    )
  ).map(({ folder, output }) => `${folder}:\n${output}`);
  if (failed.length > 0) throw new Error(`check-packages: the build failed for ${failed.join('\n')}`);
  return missing.map((p) => p.folder);
}

/** The pnpm of the root package.json's `packageManager` (`pnpm@10.34.8`), run through npx. */
function pnpmCommand(root) {
  const manager = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager ?? 'pnpm@10.34.8';
  return ['npx', ['-y', manager]];
}

/**
 * Pack every published package of `root` into `dest` with `pnpm pack` (its `workspace:` ranges become the
 * versions of the workspace's packages, as `pnpm publish` would write them); returns one record per package:
 * `{ name, version, folder, dir, tarball, files }`, `files` being the paths in the tarball.
 *
 * @example
 * const packed = await packPackages({ dest: mkdtempSync(join(tmpdir(), 'nabla-pack-')) });
 * packed.find((p) => p.name === '@nablajs/core').tarball; // /tmp/nabla-pack-.../nablajs-core-0.1.0.tgz
 */
export async function packPackages({ root = REPO, dest }) {
  if (typeof dest !== 'string') throw new Error('packPackages: dest must be a folder path (a string)');
  mkdirSync(dest, { recursive: true });
  const [command, prefix] = pnpmCommand(root);
  const result = await run(
    command,
    [...prefix, '-r', '--filter', './packages/**', 'pack', '--pack-destination', dest, '--json'],
    { cwd: root, quiet: true },
  );
  if (result.status !== 0) throw new Error(`packPackages: pnpm pack failed in ${root}:\n${result.output}`);
  const start = result.stdout.indexOf('[');
  if (start < 0) throw new Error(`packPackages: pnpm pack printed no JSON list:\n${result.output}`);
  const listed = JSON.parse(result.stdout.slice(start));
  const packages = listPackages(root);
  return listed
    .map((entry) => {
      const source = packages.find((p) => p.pkg.name === entry.name);
      if (source === undefined)
        throw new Error(`packPackages: pnpm packed ${entry.name}, which is not in ${root}/packages`);
      return {
        name: entry.name,
        version: entry.version,
        folder: source.folder,
        dir: source.dir,
        tarball: resolve(dest, entry.filename),
        files: entry.files.map((f) => f.path),
      };
    })
    .sort((a, b) => a.folder.localeCompare(b.folder));
}

/**
 * Unpack `tarball` (its `package/` folder) into `dir`.
 *
 * @example
 * extractTarball(packed.tarball, join(project, 'node_modules', packed.name));
 */
export function extractTarball(tarball, dir) {
  mkdirSync(dir, { recursive: true });
  const result = spawnSync('tar', ['-xzf', tarball, '-C', dir, '--strip-components=1'], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`extractTarball: tar could not unpack ${tarball}: ${result.stderr}`);
}

/** Run a command; resolves with its status and output (also printed unless `quiet`). */
function run(command, args, { cwd, quiet = false, env = process.env }) {
  return new Promise((done) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
      if (!quiet) process.stdout.write(d);
    });
    child.stderr.on('data', (d) => {
      stderr += d;
      if (!quiet) process.stderr.write(d);
    });
    child.on('error', (error) => done({ status: 1, stdout, stderr, output: `${stdout}${stderr}${error}` }));
    child.on('close', (status) => done({ status, stdout, stderr, output: `${stdout}${stderr}` }));
  });
}

/** Run `jobs` (functions returning promises) with at most `limit` at a time; resolves with their results in order. */
async function pool(jobs, limit) {
  const results = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
  return results;
}

/** publint on the tarball: every message (error, warning and suggestion) is a problem. */
async function checkPublint(packed) {
  const { publint } = await import('publint');
  const { formatMessage } = await import('publint/utils');
  const bytes = readFileSync(packed.tarball);
  const { messages, pkg } = await publint({
    pack: { tarball: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) },
    level: 'suggestion',
  });
  return messages.map((m) => ({
    tool: 'publint',
    code: m.code,
    message: `${m.type}: ${formatMessage(m, pkg, { color: false }) ?? m.code}`,
  }));
}

/**
 * attw on the tarball (strict profile: node10, node16 from CJS and ESM, bundler) with the entry points it finds
 * in the exports map; returns the problems and, per entry point and resolution kind, the problems seen there.
 */
async function checkAttw(packed, workDir) {
  const attw = join(REPO, 'node_modules', '@arethetypeswrong', 'cli', 'dist', 'index.js');
  const cli = existsSync(attw) ? attw : requireHere.resolve('@arethetypeswrong/cli/dist/index.js');
  // cwd: a folder without an .attw.json, so that only these arguments count
  const result = await run(
    process.execPath,
    [cli, packed.tarball, '--format', 'json', '--profile', 'strict', '--no-color'],
    { cwd: workDir, quiet: true },
  );
  let report;
  try {
    report = JSON.parse(result.stdout);
  } catch {
    return {
      problems: [{ tool: 'attw', code: 'attw-failed', message: `attw did not run: ${result.output.slice(0, 2000)}` }],
      cells: {},
      entrypoints: [],
    };
  }
  const analysis = report.analysis;
  const problems = (analysis.problems ?? []).map((p) => ({
    tool: 'attw',
    code: p.kind,
    message: `${p.kind}${p.entrypoint ? ` at ${p.entrypoint}` : ''}${p.resolutionKind ? ` (${p.resolutionKind})` : ''}${
      p.typesFileName ? `: types ${p.typesFileName.replace(/^\/node_modules\//, '')}` : ''
    }${p.implementationFileName ? `, code ${p.implementationFileName.replace(/^\/node_modules\//, '')}` : ''}`,
  }));
  if (analysis.types?.kind !== 'included')
    problems.push({
      tool: 'attw',
      code: 'no-types',
      message: `attw found no types in the package (${analysis.types?.kind})`,
    });
  const cells = {};
  for (const [kind] of RESOLUTION_KINDS) {
    const seen = new Set();
    for (const entry of Object.values(analysis.entrypoints ?? {}))
      for (const index of entry.resolutions?.[kind]?.visibleProblems ?? []) seen.add(analysis.problems[index].kind);
    cells[kind] = seen.size === 0 ? 'ok' : [...seen].join(',');
  }
  return { problems, cells, entrypoints: Object.keys(analysis.entrypoints ?? {}) };
}

/** The exports-map subpaths of a package that are modules (not `./package.json`). */
function moduleSubpaths(pkg) {
  return Object.keys(pkg.exports ?? {}).filter((k) => !k.endsWith('.json'));
}

/**
 * The metadata this repository promises for every package, read from the packed package.json: what the registry
 * shows (description, keywords, repository with its folder, license, engines), `files` and `sideEffects`, one
 * `.d.ts` for `import` and one `.d.cts` for `require` in every entry, `typesVersions` for every subpath (what
 * node10 resolves), and dependencies on the workspace's packages written as the versions packed beside them.
 */
function checkMetadata(packed, unpackedDir, versions, { expectChangelog }) {
  const pkg = JSON.parse(readFileSync(join(unpackedDir, 'package.json'), 'utf8'));
  const problems = [];
  const fail = (code, message) => problems.push({ tool: 'nabla', code, message });
  if (typeof pkg.description !== 'string' || pkg.description.length < 10) fail('description', 'no description');
  if (!Array.isArray(pkg.keywords) || !pkg.keywords.includes('nabla'))
    fail('keywords', 'keywords must include "nabla"');
  const repo = pkg.repository;
  if (
    repo?.type !== 'git' ||
    repo.url !== 'git+https://github.com/nablajs/nabla.git' ||
    repo.directory !== `packages/${packed.folder}`
  )
    fail('repository', `repository must be the nabla git repository with directory packages/${packed.folder}`);
  if (pkg.license !== 'MIT') fail('license', `license must be MIT, got ${JSON.stringify(pkg.license)}`);
  if (!Array.isArray(pkg.files) || pkg.files.length === 0) fail('files', 'files must list what is published');
  if (pkg.sideEffects === undefined) fail('sideEffects', 'sideEffects must be declared (bundlers tree-shake by it)');
  if (typeof pkg.engines?.node !== 'string')
    fail('engines', 'engines.node must say which Node.js versions are supported');
  if (pkg.type !== 'module') fail('type', 'type must be "module" (dist/*.js are ESM, dist/*.cjs CommonJS)');
  for (const subpath of moduleSubpaths(pkg)) {
    const entry = pkg.exports[subpath];
    if (!/\.d\.ts$/.test(entry?.import?.types ?? '') || !/\.d\.cts$/.test(entry?.require?.types ?? ''))
      fail('exports', `exports["${subpath}"] must give import its .d.ts and require its .d.cts`);
    if (subpath !== '.' && pkg.typesVersions?.['*']?.[subpath.slice(2)] === undefined)
      fail('typesVersions', `typesVersions["*"] must map "${subpath.slice(2)}" (node10 reads no exports map)`);
  }
  for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
    for (const [name, range] of Object.entries(pkg[field] ?? {})) {
      if (/^(workspace|file|link|portal):/.test(range))
        fail('dependency-range', `${field}.${name} is "${range}": pnpm pack should have replaced it with a version`);
      else if (versions.has(name) && range !== versions.get(name))
        fail(
          'dependency-range',
          `${field}.${name} is "${range}", not ${versions.get(name)}, the version packed beside it`,
        );
    }
  }
  if (expectChangelog && !packed.files.includes('CHANGELOG.md')) fail('changelog', 'the tarball has no CHANGELOG.md');
  return problems;
}

/**
 * The release configuration: .changeset/config.json has one `fixed` group with exactly the published packages
 * (they are released together at one version, since they depend on each other at exact versions).
 */
function checkReleaseGroup(root, names) {
  const file = join(root, '.changeset', 'config.json');
  const fail = (message) => [{ package: '(workspace)', tool: 'nabla', code: 'release-group', message }];
  if (!existsSync(file)) return fail('.changeset/config.json is missing');
  const fixed = JSON.parse(readFileSync(file, 'utf8')).fixed ?? [];
  const group = new Set(fixed.flat());
  const missing = [...names].filter((n) => !group.has(n));
  const extra = [...group].filter((n) => !names.has(n));
  if (fixed.length !== 1 || missing.length > 0 || extra.length > 0)
    return fail(
      `.changeset/config.json must have one fixed group of every published package (missing: ${missing.join(', ') || 'none'}; ` +
        `not a published package: ${extra.join(', ') || 'none'}; groups: ${fixed.length})`,
    );
  return [];
}

/** The declaration check's TypeScript projects: files importing every entry, and their tsconfigs. */
function writeDeclarationProjects(consumer, packedList) {
  const specs = [];
  for (const packed of packedList) {
    const pkg = JSON.parse(readFileSync(join(consumer, 'node_modules', packed.name, 'package.json'), 'utf8'));
    for (const subpath of moduleSubpaths(pkg)) {
      const spec = subpath === '.' ? packed.name : `${packed.name}${subpath.slice(1)}`;
      // The Node-only parts: the CLI and the /node entries; everything else is promised to browsers too.
      specs.push({ spec, node: packed.folder === 'cli' || subpath === './node' });
    }
  }
  const importAll = (list) =>
    `${list.map((s, i) => `import * as entry${i} from '${s.spec}';`).join('\n')}\nexport const entries = [${list
      .map((_, i) => `entry${i}`)
      .join(', ')}];\n`;
  writeFileSync(join(consumer, 'all-entries.mts'), importAll(specs));
  writeFileSync(join(consumer, 'all-entries.cts'), importAll(specs));
  writeFileSync(join(consumer, 'browser-entries.ts'), importAll(specs.filter((s) => !s.node)));
  const common = { target: 'es2022', strict: true, skipLibCheck: false, noEmit: true, lib: ['es2022', 'dom'] };
  const typeRoots = [join(REPO, 'node_modules', '@types')];
  writeFileSync(
    join(consumer, 'tsconfig.node16.json'),
    JSON.stringify({
      compilerOptions: { ...common, module: 'node16', moduleResolution: 'node16', types: ['node'], typeRoots },
      files: ['all-entries.mts', 'all-entries.cts'],
    }),
  );
  writeFileSync(
    join(consumer, 'tsconfig.bundler.json'),
    JSON.stringify({
      compilerOptions: { ...common, module: 'esnext', moduleResolution: 'bundler', types: [] },
      files: ['browser-entries.ts'],
    }),
  );
  writeFileSync(join(consumer, 'package.json'), '{ "name": "nabla-declaration-check", "private": true }\n');
  return specs.length;
}

/** tsc over the packed declarations, as a user's project sees them; problems are attributed to their package. */
async function checkDeclarations(consumer, packedList) {
  writeDeclarationProjects(consumer, packedList);
  const tsc = requireHere.resolve('typescript/bin/tsc');
  const problems = [];
  const runs = await Promise.all(
    ['node16', 'bundler'].map((mode) =>
      run(process.execPath, [tsc, '-p', `tsconfig.${mode}.json`, '--pretty', 'false'], {
        cwd: consumer,
        quiet: true,
      }).then((r) => ({ mode, ...r })),
    ),
  );
  for (const { mode, status, stdout, output } of runs) {
    const errors = stdout.split('\n').filter((line) => /error TS\d+/.test(line));
    for (const line of errors) {
      const owner = /node_modules\/(@nablajs\/[\w.-]+)\//.exec(line)?.[1] ?? /'(@nablajs\/[\w.-]+)/.exec(line)?.[1];
      problems.push({
        package: owner ?? '(consumer)',
        tool: 'tsc',
        code: /error (TS\d+)/.exec(line)[1],
        message: `${mode}: ${line.trim()}`,
      });
    }
    if (status !== 0 && errors.length === 0)
      problems.push({
        package: '(consumer)',
        tool: 'tsc',
        code: 'tsc-failed',
        message: `${mode}: ${output.slice(0, 2000)}`,
      });
  }
  return problems;
}

/** The exception that explains `problem`, if any. */
function exceptionFor(problem) {
  return EXCEPTIONS.find(
    (e) =>
      e.package === problem.package &&
      e.tool === problem.tool &&
      e.code === problem.code &&
      problem.message.includes(e.match),
  );
}

function table(rows) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  const line = (r) =>
    r
      .map((cell, c) => String(cell).padEnd(widths[c]))
      .join('  ')
      .trimEnd();
  return [line(rows[0]), line(widths.map((w) => '-'.repeat(w))), ...rows.slice(1).map(line)].join('\n');
}

/**
 * Pack and check every package of `root`; prints the table and the problems, returns the number of problems
 * that no exception explains plus the exceptions that matched nothing.
 *
 * @example
 * const failures = await checkPackages({ packDir: '/tmp/nabla-tarballs' }); // 0: every problem is explained
 */
export async function checkPackages({ root = REPO, packDir, expectChangelog = false } = {}) {
  const started = Date.now();
  const work = mkdtempSync(join(tmpdir(), 'nabla-check-packages-'));
  try {
    const built = await buildMissing(root);
    if (built.length > 0) console.log(`check-packages: built ${built.join(', ')}`);
    const dest = packDir ?? join(work, 'tarballs');
    const packedList = await packPackages({ root, dest });
    const versions = new Map(packedList.map((p) => [p.name, p.version]));
    const consumer = join(work, 'consumer');
    for (const packed of packedList) extractTarball(packed.tarball, join(consumer, 'node_modules', packed.name));

    const attwDir = join(work, 'attw');
    mkdirSync(attwDir);
    const [attwResults, declarationProblems] = await Promise.all([
      pool(
        packedList.map((p) => () => checkAttw(p, attwDir)),
        Math.max(1, availableParallelism() - 1),
      ),
      checkDeclarations(consumer, packedList),
    ]);
    const problems = [];
    const rows = [
      [
        'package',
        'version',
        'files',
        'kB',
        'entries',
        'publint',
        ...RESOLUTION_KINDS.map(([, label]) => label),
        'tsc',
        'metadata',
      ],
    ];
    for (const [i, packed] of packedList.entries()) {
      const publintProblems = await checkPublint(packed);
      const metadataProblems = checkMetadata(packed, join(consumer, 'node_modules', packed.name), versions, {
        expectChangelog,
      });
      const attw = attwResults[i];
      const own = [...publintProblems, ...attw.problems, ...metadataProblems].map((p) => ({
        package: packed.name,
        ...p,
      }));
      problems.push(...own);
      const mark = (list) => {
        if (list.length === 0) return 'ok';
        const unexplained = list.filter((p) => exceptionFor(p) === undefined).length;
        return unexplained === 0 ? `ok*${list.length}` : `${unexplained} problem${unexplained === 1 ? '' : 's'}`;
      };
      rows.push([
        packed.name,
        packed.version,
        packed.files.length,
        (readFileSync(packed.tarball).length / 1024).toFixed(0),
        attw.entrypoints.filter((e) => !e.endsWith('.json')).join(' ') || '(none)',
        mark(publintProblems.map((p) => ({ package: packed.name, ...p }))),
        ...RESOLUTION_KINDS.map(([kind]) => attw.cells[kind] ?? '?'),
        mark(declarationProblems.filter((p) => p.package === packed.name)),
        mark(metadataProblems.map((p) => ({ package: packed.name, ...p }))),
      ]);
    }
    problems.push(...declarationProblems);
    const names = new Set(packedList.map((p) => p.name));
    problems.push(...checkReleaseGroup(root, names));

    console.log(table(rows));
    console.log('(ok*N: N problems, each explained by an exception of scripts/check-packages.mjs)');
    let unexplained = 0;
    for (const problem of problems) {
      const exception = exceptionFor(problem);
      if (exception === undefined) unexplained++;
      const label = exception === undefined ? 'PROBLEM' : `excepted (exception ${EXCEPTIONS.indexOf(exception) + 1})`;
      console.log(`\n${label} ${problem.package} [${problem.tool} ${problem.code}] ${problem.message}`);
    }
    for (const [i, e] of EXCEPTIONS.entries())
      if (problems.some((p) => exceptionFor(p) === e))
        console.log(`\nexception ${i + 1}, ${e.package} [${e.tool} ${e.code}]: ${e.reason}`);
    const stale = EXCEPTIONS.filter((e) => names.has(e.package) && !problems.some((p) => exceptionFor(p) === e));
    for (const e of stale)
      console.log(
        `\nSTALE EXCEPTION ${e.package} [${e.tool} ${e.code}] "${e.match}" matches no problem any more: remove it from EXCEPTIONS in scripts/check-packages.mjs`,
      );
    const seconds = ((Date.now() - started) / 1000).toFixed(0);
    console.log(
      `\ncheck-packages: ${packedList.length} packages, ${rows.slice(1).reduce((n, r) => n + String(r[4]).split(' ').length, 0)} entry points, ` +
        `${problems.length - unexplained} excepted, ${unexplained} unexplained problem${unexplained === 1 ? '' : 's'}` +
        `${stale.length > 0 ? `, ${stale.length} stale exception${stale.length === 1 ? '' : 's'}` : ''} (${seconds} s)`,
    );
    return unexplained + stale.length;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function parseArgs(argv) {
  const options = { root: REPO, packDir: undefined, expectChangelog: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') continue; // what `pnpm run check-packages -- --pack-dir x` may pass on
    if (arg === '--root' || arg === '--pack-dir') {
      const value = argv[++i];
      if (value === undefined) throw new Error(`check-packages: ${arg} needs a folder`);
      if (arg === '--root') options.root = resolve(value);
      else options.packDir = resolve(value);
    } else if (arg === '--expect-changelog') options.expectChangelog = true;
    else
      throw new Error(
        `check-packages: unknown argument ${JSON.stringify(arg)} (known: --root DIR, --pack-dir DIR, --expect-changelog)`,
      );
  }
  return options;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  try {
    const failures = await checkPackages(parseArgs(process.argv.slice(2)));
    process.exit(failures > 0 ? 1 : 0);
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
