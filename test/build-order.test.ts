// Packages build in dependency order: a package's declarations read the dist types of the packages it imports.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without types
import { inDependencyOrder } from '../scripts/build-order.mjs';

/** A scratch workspace whose packages/<name> depends on the @nablajs packages listed for it. */
function workspace(deps: Record<string, string[]>): string {
  const root = mkdtempSync(join(tmpdir(), 'nabla-build-order-'));
  for (const [name, uses] of Object.entries(deps)) {
    mkdirSync(join(root, 'packages', name), { recursive: true });
    const dependencies = Object.fromEntries(uses.map((u) => [`@nablajs/${u}`, 'workspace:*']));
    writeFileSync(
      join(root, 'packages', name, 'package.json'),
      JSON.stringify({ name: `@nablajs/${name}`, dependencies }),
    );
  }
  return root;
}

describe('inDependencyOrder', () => {
  it('starts each build after the builds of its dependencies ended, with at most `concurrency` at once', async () => {
    const deps: Record<string, string[]> = {
      core: [],
      nn: ['core'],
      optim: ['core'],
      'optim-adam': ['optim', 'core'],
      train: ['nn', 'optim'],
      cli: ['train', 'optim-adam', 'nn'],
    };
    const root = workspace(deps);
    const folders = Object.keys(deps).reverse();
    for (const concurrency of [1, 2, 4]) {
      const ended = new Set<string>();
      let running = 0;
      let most = 0;
      const started: string[] = [];
      await inDependencyOrder(
        root,
        folders,
        async (folder: string) => {
          for (const d of deps[folder]) expect(ended.has(d), `${folder} started before ${d} ended`).toBe(true);
          started.push(folder);
          running += 1;
          most = Math.max(most, running);
          await new Promise((resolve) => setTimeout(resolve, 5));
          running -= 1;
          ended.add(folder);
        },
        concurrency,
      );
      expect(started.sort()).toEqual([...folders].sort());
      expect(most).toBeLessThanOrEqual(concurrency);
      if (concurrency > 1) expect(most).toBeGreaterThan(1);
    }
  });

  it('takes packages outside the list as built, and refuses packages that depend on each other', async () => {
    const root = workspace({ core: [], nn: ['core'], a: ['b'], b: ['a'] });
    const order: string[] = [];
    await inDependencyOrder(root, ['nn'], async (f: string) => void order.push(f), 2);
    expect(order).toEqual(['nn']);
    await expect(inDependencyOrder(root, ['a', 'b', 'core'], async () => {}, 2)).rejects.toThrow(
      /a, b depend on each other/,
    );
  });
});
