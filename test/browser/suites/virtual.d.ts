declare module 'virtual:suite-files' {
  export const files: [name: string, load: () => Promise<unknown>][];
}

// vitest's own @vitest/expect (with chai), which pnpm does not hoist: the build aliases this name to it,
// resolved from vitest's location; these declarations cover what the shim uses.
declare module 'virtual:vitest-expect' {
  // biome-ignore lint/suspicious/noExplicitAny: chai is loosely typed here
  export const chai: any;
  export const ASYMMETRIC_MATCHERS_OBJECT: symbol;
  export const GLOBAL_EXPECT: symbol;
  export function getState(expect: unknown): { assertionCalls: number };
  export function setState(state: object, expect: unknown): void;
  export const JestAsymmetricMatchers: unknown;
  export const JestChaiExpect: unknown;
  export const JestExtend: unknown;
}
