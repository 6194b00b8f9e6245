// The printout of `Module.toString`: a module's name and settings, and its children's printouts indented below.

import type { Module } from './module';

/**
 * The body of {@link Module.toString}: `Name(extra)` for a module without children, else `Name(` with
 * the lines of `extra` and one `(childName): child` line per child (`null` for an absent one), each
 * indented by two spaces, then `)`.
 */
export function formatModule(typeName: string, extra: string, children: ReadonlyMap<string, Module | null>): string {
  const lines: string[] = [];
  for (const [name, child] of children) {
    const text = child === null ? 'null' : child.toString();
    lines.push(`(${name}): ${text.split('\n').join('\n  ')}`);
  }
  if (lines.length === 0) return `${typeName}(${extra})`;
  const head = extra === '' ? [] : extra.split('\n');
  return `${typeName}(\n  ${[...head, ...lines].join('\n  ')}\n)`;
}
