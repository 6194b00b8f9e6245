#!/usr/bin/env node
// Runs the whole vitest suite, then prints one plain line `N passed, N failed` counted from
// vitest's JSON report, so that every run (local or CI) shows how many tests ran.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { buildPackages } from './build-order.mjs';
import { countReport } from './count-report.mjs';

// The browser tests read the packages' dist builds: build the missing ones here, once, before any test runs,
// rather than inside a test hook under a time limit.
const packages = readdirSync('packages').filter((p) => existsSync(`packages/${p}/tsup.config.ts`));
const missing = packages.filter((p) => !existsSync(`packages/${p}/dist/index.js`));
if (missing.length > 0) {
  console.log(`test: building ${missing.length} package(s) without a dist build first: ${missing.join(', ')}`);
  for (const { folder } of await buildPackages('.', missing))
    console.log(`test: the build of packages/${folder} failed; the browser tests will say more`);
}
// Likewise the playground bundle (examples/playground/dist), which the browser tests serve: built here when it
// is missing or older than its sources (the playground's files and the sources of the packages it bundles).
const playground = spawnSync(process.execPath, ['scripts/build-playground.mjs', '--if-stale'], { stdio: 'inherit' });
if (playground.status !== 0) console.log('test: the playground build failed; the browser tests will say more');

const report = 'test-results.json';
rmSync(report, { force: true });
const args = [
  'vitest',
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${report}`,
  ...process.argv.slice(2),
];
const run = spawnSync('npx', ['--no-install', ...args], { stdio: 'inherit', shell: process.platform === 'win32' });
let passed = 0;
let failed = 0;
let skipped = 0;
if (existsSync(report)) {
  const counts = countReport(JSON.parse(readFileSync(report, 'utf8')));
  ({ passed, failed, skipped } = counts);
  if (counts.broken.length > 0)
    console.log(
      `${counts.broken.length} test file${counts.broken.length === 1 ? '' : 's'} failed to load or in a hook: ${counts.broken.join(', ')}`,
    );
} else {
  failed = 1;
  console.error(`test: vitest wrote no ${report}`);
}
const code = run.status ?? 1;
if (code !== 0 && failed === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(code !== 0 ? code : failed > 0 || passed === 0 ? 1 : 0);
