import { ValueError } from '../errors';

/**
 * Check a reduction's `keepdims` argument, a boolean (or `undefined`) given after the axis: `sum(x, 0, true)`.
 * An object there is PyTorch's keyword habit (`sum(x, 0, { keepdim: true })`), which would otherwise count as
 * true whatever its key: it throws a `ValueError` that says where keepdims goes.
 *
 * @example
 * ```ts
 * checkKeepdims('sum', true); // fine
 * checkKeepdims('sum', { keepdim: true });
 * // throws ValueError: sum: keepdims is a boolean argument (the one after axis), not an options object; got {"keepdim":true}
 * ```
 */
export function checkKeepdims(fn: string, keepdims: unknown): void {
  if (typeof keepdims === 'boolean' || keepdims === undefined) return;
  if (typeof keepdims === 'object' && keepdims !== null && !Array.isArray(keepdims))
    throw new ValueError(
      `${fn}: keepdims is a boolean argument (the one after axis), not an options object; got ${describe(keepdims)}`,
    );
  throw new ValueError(`${fn}: keepdims must be a boolean, got ${describe(keepdims)}`);
}

function describe(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
