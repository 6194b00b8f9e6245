import { ValueError } from './errors';

/**
 * The option names of an options type, written once as `{ name: true, ... }` so that the compiler checks the list
 * against the type: a missing or an extra name does not compile. Pass the result to {@link checkOptions}.
 *
 * @param names - every option of `T`, each mapped to `true`
 * @returns the names, in the order given
 *
 * @example
 * ```ts
 * interface ClipOptions { maxNorm?: number; normType?: number }
 * const CLIP_OPTIONS = optionNames<ClipOptions>({ maxNorm: true, normType: true }); // ['maxNorm', 'normType']
 * ```
 */
export function optionNames<T extends object>(names: { readonly [K in keyof Required<T>]: true }): readonly string[] {
  return Object.freeze(Object.keys(names));
}

/**
 * Check that `options` is an options object (or undefined) whose keys are all among `known`, as Python rejects an
 * unexpected keyword argument: a misspelled option (`batch_size`, `validationData`, `min_delta`) would otherwise be
 * ignored silently. The `ValueError` names the function, the unknown key and, when one is close (the camelCase of
 * a snake_case name, another case, a small edit distance, or a known name it starts with), suggests it:
 * `fit: unknown option "batch_size" (did you mean "batchSize"?); options are model, data, ...`. Keys whose value is
 * `undefined` are checked too. Every options object of core's functions, `@nablajs/nn`'s layers and losses, `fit`, `evaluate` and the plugin
 * factories of `@nablajs/train`, and `@nablajs/data`'s loaders goes through it; with only known keys it allocates
 * nothing.
 *
 * @param fn - the function's name, for the message
 * @param options - what the caller passed (undefined is accepted: no options)
 * @param known - the valid option names (see {@link optionNames})
 * @param what - what the object is called in the message (default `'option'`)
 *
 * @example
 * ```ts
 * checkOptions('earlyStopping', { min_delta: 0.5 }, ['monitor', 'minDelta', 'patience']);
 * // throws ValueError: earlyStopping: unknown option "min_delta" (did you mean "minDelta"?); options are monitor, minDelta, patience
 * ```
 */
export function checkOptions(fn: string, options: unknown, known: readonly string[], what = 'option'): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object' || Array.isArray(options))
    throw new ValueError(
      `${fn}: expected an options object, got ${describe(options)}` +
        // PyTorch's positional arguments after the tensors (max_pool2d(x, 2)) are named options here
        (known.length > 0 ? `; pass them by name, as in { ${known[0]}: ... } (options are ${known.join(', ')})` : ''),
    );
  // NOTE: core's ops call this on every step: the common case (only known keys) allocates nothing.
  let allKnown = true;
  for (const key in options)
    if (!known.includes(key)) {
      allKnown = false;
      break;
    }
  if (allKnown) return;
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const suggestion = closestName(key, known);
    throw new ValueError(
      `${fn}: unknown ${what} ${JSON.stringify(key)}` +
        (suggestion === null ? '' : ` (did you mean ${JSON.stringify(suggestion)}?)`) +
        `; ${what}s are ${known.length > 0 ? known.join(', ') : 'none'}`,
    );
  }
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'function') return 'a function';
  return JSON.stringify(value) ?? String(value);
}

/** Lowercase without `_` and `-`: `batch_size`, `BatchSize` and `batchSize` all become `batchsize`. */
function normalized(name: string): string {
  return name.replace(/[_-]/g, '').toLowerCase();
}

/**
 * The known name closest to `key`, or null when none is close: the same name up to case and `_`/`-`, then the
 * smallest edit distance (at most 1 for names of up to 4 letters, 2 for longer ones), then a known name of at least
 * 4 letters that `key` starts with (`validationData` -> `validation`) or that starts with `key`.
 *
 * @example
 * ```ts
 * closestName('batch_size', ['batchSize', 'shuffle']); // 'batchSize'
 * ```
 */
export function closestName(key: string, known: readonly string[]): string | null {
  const k = normalized(key);
  let best: string | null = null;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const name of known) {
    const n = normalized(name);
    if (n === k) return name;
    const d = editDistance(k, n);
    if (d <= (Math.min(k.length, n.length) <= 4 ? 1 : 2) && d < bestDistance) {
      best = name;
      bestDistance = d;
    }
  }
  if (best !== null) return best;
  for (const name of known) {
    const n = normalized(name);
    if (Math.min(n.length, k.length) >= 4 && (k.startsWith(n) || n.startsWith(k))) return name;
  }
  return null;
}

/** The optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours. */
function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) rows.push([i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 0; j <= b.length; j++) rows[0][j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2][j - 2] + 1);
      rows[i][j] = d;
    }
  return rows[a.length][b.length];
}
