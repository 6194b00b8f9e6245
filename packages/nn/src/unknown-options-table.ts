// Shared by unknown-options.test.ts and unknown-options-losses.test.ts (not exported from the package): a table of
// calls with a misspelled option, each expected to throw the ValueError of core's checkOptions.
import { ValueError } from '@nablajs/core';
import { expect, it } from 'vitest';

/** A call with a misspelled option, the name its error must start with, the key, and the suggestion (or null). */
export type Row = readonly [label: string, call: () => unknown, name: string, key: string, suggestion: string | null];

// Options objects built without the option types, as a JavaScript caller (or a typo the cast hides) passes them.
// biome-ignore lint/suspicious/noExplicitAny: deliberately untyped options
export const o = (options: object): any => options;

export function expectUnknown(call: () => unknown, name: string, key: string, suggestion: string | null): void {
  const hint = suggestion === null ? '' : ` (did you mean ${JSON.stringify(suggestion)}?)`;
  expect(call).toThrow(ValueError);
  expect(call).toThrow(`${name}: unknown option ${JSON.stringify(key)}${hint}; options are `);
}

export function check(rows: readonly Row[]): void {
  it.each(rows.map((r) => [r[0], r] as const))('%s', (_label, [, call, name, key, suggestion]) =>
    expectUnknown(call, name, key, suggestion),
  );
}
