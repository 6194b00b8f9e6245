// Build workspace packages in dependency order: a package's type declarations are built against the dist types
// of the @nablajs packages it imports (see the packages' tsup.config.ts), so each build waits for those first.
import { existsSync, readFileSync } from 'node:fs';
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
