#!/usr/bin/env node
// Runs the whole vitest suite, then prints one plain line `N passed, N failed` counted from
// vitest's JSON report, so that every run (local or CI) shows how many tests ran.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { countReport } from './count-report.mjs';

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
