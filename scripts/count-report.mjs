// Counts a vitest JSON report for the closing line `N passed, N failed`: failed tests, plus each test file
// that failed without a failed test (it did not load, or a hook failed). vitest's numFailedTestSuites is not
// used: it also counts every describe block around a failed test.

/**
 * @param {{ numPassedTests?: number, numFailedTests?: number, numPendingTests?: number, numTodoTests?: number,
 *   testResults?: { name: string, status: string, assertionResults?: { status: string }[] }[] }} json
 * @returns {{ passed: number, failed: number, skipped: number, broken: string[] }}
 */
export function countReport(json) {
  const broken = (json.testResults ?? [])
    .filter((f) => f.status === 'failed' && !(f.assertionResults ?? []).some((t) => t.status === 'failed'))
    .map((f) => f.name);
  return {
    passed: json.numPassedTests ?? 0,
    failed: (json.numFailedTests ?? 0) + broken.length,
    skipped: (json.numPendingTests ?? 0) + (json.numTodoTests ?? 0),
    broken,
  };
}
