// Build workspace packages in dependency order: a package's type declarations are built against the dist types
// of the @nablajs packages it imports (see the packages' tsup.config.ts), so each build waits for those first.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

/** The folders under `root`/packages of the workspace packages that `folder`'s package.json depends on. */
function workspaceDependencies(root, folder) {
  const pkg = JSON.parse(readFileSync(join(root, 'packages', folder, 'package.json'), 'utf8'));
  const names = Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies, ...pkg.devDependencies });
  return names
    .filter((name) => name.startsWith('@nablajs/'))
    .map((name) => name.slice('@nablajs/'.length))
    .filter((dep) => dep !== folder && existsSync(join(root, 'packages', dep, 'package.json')));
}

/**
 * Run `build(folder)` for every folder of `folders` (package folders under `root`/packages), at most
 * `concurrency` at a time, each only after the builds of the folders among `folders` it depends on have ended
 * (packages outside `folders` are taken as built). Resolves when every build has ended.
 *
 * @example
 * await inDependencyOrder(repo, ['optim', 'core'], (f) => tsupIn(f), 2); // core first, then optim
 */
export async function inDependencyOrder(root, folders, build, concurrency) {
  const pending = new Map(folders.map((f) => [f, workspaceDependencies(root, f).filter((d) => folders.includes(d))]));
  const done = new Set();
  const waiting = [];
  let running = 0;
  const wakeAll = () => {
    for (const resolve of waiting.splice(0)) resolve();
  };
  const ready = () => [...pending].find(([, deps]) => deps.every((d) => done.has(d)))?.[0];
  const worker = async () => {
    while (pending.size > 0) {
      const folder = ready();
      if (folder === undefined) {
        if (running === 0)
          throw new Error(`build order: the packages ${[...pending.keys()].join(', ')} depend on each other`);
        // every remaining package waits for a build another worker runs
        await new Promise((resolve) => waiting.push(resolve));
        continue;
      }
      pending.delete(folder);
      running += 1;
      try {
        await build(folder);
      } finally {
        running -= 1;
        done.add(folder);
        wakeAll();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, folders.length)) }, worker));
}

/**
 * Build (tsup) the package folders `folders` of `root`/packages in dependency order, as many at once as there
 * are cores (each build waits on disk much of the time); `onStart(folder)` is called as each starts. Resolves to
 * the builds that failed, each with its output.
 *
 * @example
 * const failed = await buildPackages(repo, ['nn', 'core']); // [] when both built
 */
export async function buildPackages(root, folders, onStart = () => {}) {
  const failed = [];
  await inDependencyOrder(
    root,
    folders,
    async (folder) => {
      onStart(folder);
      const { code, output } = await new Promise((done) => {
        const child = spawn('npx', ['--no-install', 'tsup'], {
          cwd: join(root, 'packages', folder),
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let output = '';
        child.stdout.on('data', (d) => {
          output += d;
        });
        child.stderr.on('data', (d) => {
          output += d;
        });
        child.on('error', (error) => done({ code: 1, output: `${output}${error}` }));
        child.on('close', (code) => done({ code, output }));
      });
      if (code !== 0) failed.push({ folder, output });
    },
    availableParallelism(),
  );
  return failed;
}
