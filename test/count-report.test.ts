// The closing line of the test command: failed tests and files that failed to load, each counted once.
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without types
import { countReport } from '../scripts/count-report.mjs';

describe('countReport', () => {
  it('counts failed tests once (not their describe blocks) and files that failed without a failed test', () => {
    const report = {
      numPassedTests: 40,
      numFailedTests: 3,
      numFailedTestSuites: 8,
      numPendingTests: 1,
      testResults: [
        { name: 'a.test.ts', status: 'failed', assertionResults: [{ status: 'failed' }, { status: 'passed' }] },
        { name: 'b.test.ts', status: 'failed', assertionResults: [{ status: 'failed' }, { status: 'failed' }] },
        { name: 'c.test.ts', status: 'failed', assertionResults: [] },
        { name: 'd.test.ts', status: 'failed', assertionResults: [{ status: 'skipped' }] },
        { name: 'e.test.ts', status: 'passed', assertionResults: [{ status: 'passed' }] },
      ],
    };
    expect(countReport(report)).toEqual({ passed: 40, failed: 5, skipped: 1, broken: ['c.test.ts', 'd.test.ts'] });
  });

  it('reads an empty report as nothing run', () => {
    expect(countReport({})).toEqual({ passed: 0, failed: 0, skipped: 0, broken: [] });
  });
});
