// A stand-in for `vitest` in the browser: describe / it / hooks collect a tree, `runCollected` runs it in
// order, and `expect` is vitest's own (@vitest/expect on chai), so the assertions are exactly the same.

import {
  ASYMMETRIC_MATCHERS_OBJECT,
  chai,
  GLOBAL_EXPECT,
  getState,
  JestAsymmetricMatchers,
  JestChaiExpect,
  JestExtend,
  setState,
} from 'virtual:vitest-expect';

chai.use(JestExtend);
chai.use(JestChaiExpect);
chai.use(JestAsymmetricMatchers);

type Fn = () => unknown;
interface TestCase {
  name: string;
  fn: Fn | undefined;
  skip: boolean;
}
interface Suite {
  name: string;
  items: (TestCase | Suite)[];
  beforeAll: Fn[];
  afterAll: Fn[];
  beforeEach: Fn[];
  afterEach: Fn[];
}

const newSuite = (name: string): Suite => ({
  name,
  items: [],
  beforeAll: [],
  afterAll: [],
  beforeEach: [],
  afterEach: [],
});
const root = newSuite('');
let current = root;

// biome-ignore lint/suspicious/noExplicitAny: mirrors vitest's loosely typed expect
function createExpect(): any {
  // biome-ignore lint/suspicious/noExplicitAny: as above
  const expect: any = (value: unknown, message?: string) => {
    const { assertionCalls } = getState(expect);
    setState({ assertionCalls: assertionCalls + 1 }, expect);
    return chai.expect(value, message);
  };
  Object.assign(expect, chai.expect);
  // biome-ignore lint/suspicious/noExplicitAny: the matcher table is global
  Object.assign(expect, (globalThis as any)[ASYMMETRIC_MATCHERS_OBJECT]);
  expect.getState = () => getState(expect);
  expect.setState = (state: object) => setState(state, expect);
  // biome-ignore lint/suspicious/noExplicitAny: as in vitest
  expect.extend = (matchers: any) => chai.expect.extend(expect, matchers);
  setState({ assertionCalls: 0, isExpectingAssertions: false, expectedAssertionsNumber: null }, expect);
  return expect;
}

export const expect = createExpect();
// biome-ignore lint/suspicious/noExplicitAny: the global slot vitest uses
(globalThis as any)[GLOBAL_EXPECT] = expect;

function addSuite(name: string, fn: () => void): void {
  const suite = newSuite(name);
  current.items.push(suite);
  const parent = current;
  current = suite;
  try {
    fn();
  } finally {
    current = parent;
  }
}

function addTest(name: string, fn?: Fn, skip = false): void {
  current.items.push({ name, fn, skip: skip || fn === undefined });
}

function eachOf<T>(add: (name: string, fn: Fn) => void) {
  return (table: readonly T[]) => (name: string, fn: (...args: unknown[]) => unknown) => {
    table.forEach((row, i) => {
      const args = Array.isArray(row) ? row : [row];
      let k = 0;
      const title = name
        .replace(/%[sdifjo#]/g, (m) => (m === '%#' ? String(i) : String(args[k++])))
        .replace(/\$(\w+)/g, (_, key) => String((row as Record<string, unknown>)?.[key]));
      add(title, () => fn(...args));
    });
  };
}

/** `describe(name, fn)`, with `.skip`, `.only` (runs like describe) and `.each`. */
export const describe = Object.assign(addSuite, {
  skip: (name: string, _fn: () => void) => addTest(`${name} (suite skipped)`, undefined, true),
  only: addSuite,
  each: eachOf(addSuite as (name: string, fn: Fn) => void),
});

/** `it(name, fn)`, with `.skip`, `.todo`, `.only` and `.each`. */
export const it = Object.assign((name: string, fn?: Fn) => addTest(name, fn), {
  skip: (name: string, fn?: Fn) => addTest(name, fn, true),
  todo: (name: string) => addTest(name, undefined, true),
  only: (name: string, fn?: Fn) => addTest(name, fn),
  each: eachOf((name, fn) => addTest(name, fn)),
});
export const test = it;
export const beforeAll = (fn: Fn) => current.beforeAll.push(fn);
export const afterAll = (fn: Fn) => current.afterAll.push(fn);
export const beforeEach = (fn: Fn) => current.beforeEach.push(fn);
export const afterEach = (fn: Fn) => current.afterEach.push(fn);

/** The outcome of one test file. */
export interface FileResult {
  passed: number;
  failed: number;
  skipped: number;
  failures: { name: string; error: string }[];
}

function describeError(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const { actual, expected } = e as Error & { actual?: unknown; expected?: unknown };
  const show = (v: unknown) => JSON.stringify(v, (_, x) => (ArrayBuffer.isView(x) ? Array.from(x as Float64Array) : x));
  const detail =
    actual !== undefined || expected !== undefined ? ` (actual ${show(actual)}, expected ${show(expected)})` : '';
  return `${e.name}: ${e.message}${detail}`;
}

/** Run everything collected so far, in declaration order, with hooks as vitest runs them. */
export async function runCollected(): Promise<FileResult> {
  const result: FileResult = { passed: 0, failed: 0, skipped: 0, failures: [] };
  const run = async (suite: Suite, path: string[], chain: Suite[]): Promise<void> => {
    const suites = [...chain, suite];
    try {
      for (const hook of suite.beforeAll) await hook();
    } catch (e) {
      result.failed++;
      result.failures.push({ name: [...path, '(beforeAll)'].join(' > '), error: describeError(e) });
      return;
    }
    for (const item of suite.items) {
      if ('items' in item) {
        await run(item, [...path, item.name], suites);
        continue;
      }
      const name = [...path, item.name].join(' > ');
      if (item.skip) {
        result.skipped++;
        continue;
      }
      try {
        for (const s of suites) for (const hook of s.beforeEach) await hook();
        try {
          await item.fn!();
        } finally {
          for (const s of [...suites].reverse()) for (const hook of s.afterEach) await hook();
        }
        result.passed++;
      } catch (e) {
        result.failed++;
        result.failures.push({ name, error: describeError(e) });
      }
    }
    try {
      for (const hook of suite.afterAll) await hook();
    } catch (e) {
      result.failed++;
      result.failures.push({ name: [...path, '(afterAll)'].join(' > '), error: describeError(e) });
    }
  };
  await run(root, [], []);
  return result;
}
