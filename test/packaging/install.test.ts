// The packages as users install them: every package is packed with `pnpm pack` (the dist builds, the `workspace:`
// ranges replaced by versions), the tarballs are installed with npm into fresh projects in the system's temporary
// folder, far from the workspace's links, and used as a user would: from Node as an ES module and as CommonJS,
// from TypeScript under `moduleResolution: node16` (an ESM and a CommonJS file) and `bundler`, and from a Vite
// build run in Chromium. Each program trains a small MLP with `fit` and an optimizer plugin of its own and prints
// the loss before and after; the test checks that training lowered it. The programs are in ./consumer.
// The dist builds are made before the tests (scripts/test.mjs builds the missing ones, or `pnpm run build`).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without types
import { EXCEPTIONS, packPackages } from '../../scripts/check-packages.mjs';
import { launchChromium, recordingContext } from '../browser/helpers/browser';
import { ROOT, requireDist } from '../browser/helpers/build';
import { type StaticServer, serveStatic } from '../browser/helpers/server';

const CONSUMER = join(import.meta.dirname, 'consumer');
const TSC = createRequire(join(ROOT, 'package.json')).resolve('typescript/bin/tsc');

/** One packed package, as `packPackages` of scripts/check-packages.mjs returns it. */
interface Packed {
  name: string;
  version: string;
  folder: string;
  tarball: string;
}

/** What the consumer programs print: the loss before and after training, and for the JS ones more checks. */
interface Result {
  initial: number;
  final: number;
  oneCore?: boolean;
  optimizers?: string[];
  conformanceFailures?: string[];
  subpaths?: string[];
  mnistDir?: string;
}

/** The packages a browser app needs for the MLP (and what they depend on). */
const BROWSER_APP = ['core', 'nn', 'optim', 'data', 'train'];

let work: string;
let packed: Packed[];
let nodeProject: string;
let viteProject: string;

/** The environment of the programs and of npm: without the npm_* variables of the pnpm that runs the tests. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.toLowerCase().startsWith('npm_')));
}

/** Run a command in `cwd`; throws with its output when it fails. */
function run(command: string, args: string[], cwd: string): string {
  const result = spawnSync(command, args, { cwd, env: cleanEnv(), encoding: 'utf8', timeout: 240_000 });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  if (result.status !== 0)
    throw new Error(
      `\`${[command, ...args].join(' ')}\` in ${cwd} failed (${result.status ?? result.signal}):\n${output}`,
    );
  return output;
}

/** A new project in `dir` with the tarballs of `packages` (folder names) installed by npm. */
function installProject(dir: string, packages: readonly string[]): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: 'nabla-consumer', private: true }, null, 2)}\n`);
  const tarballs = packages.map((folder) => {
    const p = packed.find((q) => q.folder === folder);
    if (p === undefined) throw new Error(`installProject: no tarball of packages/${folder}`);
    return p.tarball;
  });
  run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...tarballs], dir);
}

/** The `NABLA_RESULT {json}` line of a program's output; throws with the output when there is none. */
function parseResult(output: string): Result {
  const line = output.split('\n').find((l) => l.startsWith('NABLA_RESULT '));
  if (line === undefined) throw new Error(`the program printed no NABLA_RESULT line:\n${output}`);
  return JSON.parse(line.slice('NABLA_RESULT '.length)) as Result;
}

/** Training lowered the loss: finite, and at most half the initial loss (it falls about 200-fold). */
function expectTrained(result: Result): void {
  expect(Number.isFinite(result.initial)).toBe(true);
  expect(Number.isFinite(result.final)).toBe(true);
  expect(result.final).toBeLessThan(result.initial / 2);
}

/**
 * The tsc errors of `output` that no `tsc` exception of scripts/check-packages.mjs explains (that script checks
 * the packed declarations with skipLibCheck: false, and lists the known problems with their reasons).
 */
function unexplainedTscErrors(output: string): string[] {
  const exceptions = (EXCEPTIONS as { package: string; tool: string; code: string; match: string }[]).filter(
    (e) => e.tool === 'tsc',
  );
  return output
    .split('\n')
    .filter((line) => /error TS\d+/.test(line))
    .filter(
      (line) =>
        !exceptions.some(
          (e) =>
            line.includes(`node_modules/${e.package}/`) && line.includes(`error ${e.code}:`) && line.includes(e.match),
        ),
    );
}

/** Run tsc with `config` in `cwd`; returns the unexplained errors. */
function typecheck(cwd: string, config: string): string[] {
  const result = spawnSync(process.execPath, [TSC, '-p', config, '--pretty', 'false'], {
    cwd,
    env: cleanEnv(),
    encoding: 'utf8',
    timeout: 240_000,
  });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  const errors = unexplainedTscErrors(output);
  if (result.status !== 0 && errors.length === 0 && !/error TS\d+/.test(output))
    throw new Error(`tsc -p ${config} failed:\n${output}`);
  return errors;
}

beforeAll(async () => {
  requireDist(['core', 'nn', 'optim', 'data', 'train', 'optim-adam', 'cli']);
  work = mkdtempSync(join(tmpdir(), 'nabla-install-test-'));
  packed = await packPackages({ dest: join(work, 'tarballs') });
  // One project with every package (the Node programs, the TypeScript ones, the nabla command), one with only
  // what the browser app imports.
  nodeProject = join(work, 'node-project');
  installProject(
    nodeProject,
    packed.map((p) => p.folder),
  );
  viteProject = join(work, 'vite-project');
  installProject(viteProject, BROWSER_APP);
});

afterAll(() => {
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

describe('the packed packages, installed with npm in fresh projects', () => {
  it('installs the tarballs, one copy of each package, and the dependencies between them from the tarballs too', () => {
    expect(packed.length).toBeGreaterThanOrEqual(20);
    for (const [project, folders] of [
      [nodeProject, packed.map((p) => p.folder)],
      [viteProject, BROWSER_APP],
    ] as const) {
      const lock = JSON.parse(readFileSync(join(project, 'package-lock.json'), 'utf8')) as {
        packages: Record<string, { version?: string; resolved?: string }>;
      };
      const installed = Object.entries(lock.packages).filter(([path]) => path.includes('node_modules/@nablajs/'));
      // no nested copy (node_modules/@nablajs/x/node_modules/@nablajs/y): every dependency is the root one
      expect(installed.map(([path]) => path).sort()).toEqual(
        folders.map((f) => `node_modules/${packed.find((p) => p.folder === f)?.name}`).sort(),
      );
      for (const [path, entry] of installed) {
        const p = packed.find((q) => `node_modules/${q.name}` === path);
        expect(entry.version, path).toBe(p?.version);
        expect(entry.resolved, path).toMatch(/^file:.*\.tgz$/);
      }
    }
    // the workspace protocol is gone from what was installed
    const train = JSON.parse(readFileSync(join(nodeProject, 'node_modules/@nablajs/train/package.json'), 'utf8'));
    expect(JSON.stringify(train.dependencies)).not.toContain('workspace:');
    expect(train.dependencies['@nablajs/core']).toBe(packed.find((p) => p.folder === 'core')?.version);
  });

  it('Node ES module: trains the MLP; the subpath entries, a plugin package and the testkit load', () => {
    cpSync(join(CONSUMER, 'train-mlp.mjs'), join(nodeProject, 'train-mlp.mjs'));
    const result = parseResult(run(process.execPath, ['train-mlp.mjs'], nodeProject));
    console.log(`packed packages, Node ESM: loss ${result.initial} -> ${result.final}`);
    expectTrained(result);
    expect(result.oneCore).toBe(true);
    expect(result.optimizers).toEqual(expect.arrayContaining(['adam', 'adamw', 'clampedSgd']));
    expect(result.conformanceFailures).toEqual([]);
    expect(result.subpaths).toEqual(['function', 'function', 'function', 'function']);
    expect(existsSync(join(result.mnistDir ?? '', 't10k-images-idx3-ubyte.gz'))).toBe(true);
  });

  it('Node CommonJS: trains the MLP with require(), the same numbers as the ES module', () => {
    cpSync(join(CONSUMER, 'train-mlp.cjs'), join(nodeProject, 'train-mlp.cjs'));
    const result = parseResult(run(process.execPath, ['train-mlp.cjs'], nodeProject));
    console.log(`packed packages, Node CommonJS: loss ${result.initial} -> ${result.final}`);
    expectTrained(result);
    expect(result.oneCore).toBe(true);
    expect(result.optimizers).toEqual(expect.arrayContaining(['adam', 'adamw', 'clampedSgd']));
    expect(result.conformanceFailures).toEqual([]);
    expect(result.subpaths).toEqual(['function', 'function', 'function', 'function']);
    const esm = parseResult(run(process.execPath, ['train-mlp.mjs'], nodeProject));
    expect(result.final).toBe(esm.final);
  });

  it('the nabla command of @nablajs/cli runs from node_modules/.bin', () => {
    const cli = packed.find((p) => p.folder === 'cli');
    const output = run(join(nodeProject, 'node_modules', '.bin', 'nabla'), ['--version'], nodeProject);
    expect(output.trim()).toBe(cli?.version);
  });

  it('TypeScript, moduleResolution node16: an ES-module and a CommonJS file typecheck, compile and train', () => {
    cpSync(join(CONSUMER, 'train-mlp.ts'), join(nodeProject, 'train.mts'));
    cpSync(join(CONSUMER, 'train-mlp.ts'), join(nodeProject, 'train.cts'));
    const compilerOptions = {
      module: 'node16',
      moduleResolution: 'node16',
      target: 'es2022',
      strict: true,
      // the browser's globals only (console): the main entries need no Node types
      lib: ['es2022', 'dom'],
      types: [],
      skipLibCheck: false,
      outDir: 'out',
    };
    writeFileSync(
      join(nodeProject, 'tsconfig.json'),
      JSON.stringify({ compilerOptions, files: ['train.mts', 'train.cts'] }, null, 2),
    );
    expect(typecheck(nodeProject, 'tsconfig.json')).toEqual([]);
    // A CommonJS file given the ESM declarations would fail here with TS1479 ("... cannot be imported with
    // 'require'"); tsc compiles it to require() calls, which load dist/*.cjs.
    expect(readFileSync(join(nodeProject, 'out', 'train.cjs'), 'utf8')).toContain('require("@nablajs/train")');
    for (const file of ['train.mjs', 'train.cjs']) {
      const result = parseResult(run(process.execPath, [join('out', file)], nodeProject));
      console.log(`packed packages, TypeScript node16, out/${file}: loss ${result.initial} -> ${result.final}`);
      expectTrained(result);
    }
  });

  it('TypeScript, moduleResolution bundler: the Vite app typechecks', () => {
    mkdirSync(join(viteProject, 'src'), { recursive: true });
    cpSync(join(CONSUMER, 'train-mlp.ts'), join(viteProject, 'src', 'main.ts'));
    const compilerOptions = {
      module: 'esnext',
      moduleResolution: 'bundler',
      target: 'es2022',
      strict: true,
      lib: ['es2022', 'dom'],
      types: [],
      skipLibCheck: false,
      noEmit: true,
    };
    writeFileSync(join(viteProject, 'tsconfig.json'), JSON.stringify({ compilerOptions, include: ['src'] }, null, 2));
    expect(typecheck(viteProject, 'tsconfig.json')).toEqual([]);
  });

  describe('a Vite app in Chromium', () => {
    let server: StaticServer;
    let browser: Browser;

    afterAll(async () => {
      await browser?.close();
      await server?.close();
    });

    it('builds with Vite from the installed packages and trains in the page', async () => {
      mkdirSync(join(viteProject, 'src'), { recursive: true });
      cpSync(join(CONSUMER, 'train-mlp.ts'), join(viteProject, 'src', 'main.ts'));
      cpSync(join(CONSUMER, 'index.html'), join(viteProject, 'index.html'));
      const output = await build({
        root: viteProject,
        configFile: false,
        base: './',
        logLevel: 'warn',
        build: { outDir: join(viteProject, 'dist'), emptyOutDir: true, target: 'es2022' },
      });
      if (!('output' in output) && !Array.isArray(output)) throw new Error('vite build returned a watcher');
      // the bundle holds the installed ESM builds (dist/*.js of node_modules), not the workspace's sources
      const modules = (Array.isArray(output) ? output : [output]).flatMap((o) =>
        o.output.flatMap((chunk) => (chunk.type === 'chunk' ? chunk.moduleIds : [])),
      );
      for (const pkg of ['core', 'nn', 'optim', 'train'])
        expect(
          modules.some((m) => m.startsWith(join(viteProject, 'node_modules', '@nablajs', pkg, 'dist'))),
          pkg,
        ).toBe(true);
      expect(modules.some((m) => m.startsWith(join(ROOT, 'packages')))).toBe(false);

      server = await serveStatic(join(viteProject, 'dist'));
      browser = await launchChromium();
      const { context, offsite, errors } = await recordingContext(browser, server.url);
      const page = await context.newPage();
      const printed = page.waitForEvent('console', {
        predicate: (m) => m.text().startsWith('NABLA_'),
        timeout: 120_000,
      });
      await page.goto(server.url);
      const text = (await printed).text();
      expect(text.startsWith('NABLA_RESULT '), text).toBe(true);
      const result = parseResult(text);
      console.log(`packed packages, Vite build in Chromium: loss ${result.initial} -> ${result.final}`);
      expectTrained(result);
      expect(errors).toEqual([]);
      expect(offsite).toEqual([]);
      await context.close();
    });
  });
});
