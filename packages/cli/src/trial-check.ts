// The contents of a stored trial's result, checked when a sweep reads its trial files back: a file edited by
// hand or written by something else must not reach the report (a status "banana", -5 steps, a time that is a
// string). Numbers are checked as stored: NaN as null or "NaN", infinities as "Infinity" and "-Infinity".

const STATUSES = ['ok', 'diverged', 'stopped'];
const METRICS = ['final validation loss', 'final train loss', 'final f'];

type Check = (value: unknown) => string | null;

function isNumberLike(v: unknown): boolean {
  return typeof v === 'number' || v === null || v === 'NaN' || v === 'Infinity' || v === '-Infinity';
}

/** A number as stored (NaN and infinities included). */
const numberLike: Check = (v) => (isNumberLike(v) ? null : `expected a number, got ${show(v)}`);
/** A finite number >= 0. */
const nonNegative: Check = (v) => (typeof v === 'number' && v >= 0 ? null : `expected a number >= 0, got ${show(v)}`);
/** An integer >= 0. */
const count: Check = (v) =>
  Number.isInteger(v) && (v as number) >= 0 ? null : `expected an integer >= 0, got ${show(v)}`;
const orNull =
  (check: Check): Check =>
  (v) =>
    v === null ? null : check(v);
const optional =
  (check: Check): Check =>
  (v) =>
    v === undefined ? null : check(v);
const text: Check = (v) => (typeof v === 'string' ? null : `expected a string, got ${show(v)}`);
const oneOf =
  (names: readonly string[]): Check =>
  (v) =>
    typeof v === 'string' && names.includes(v) ? null : `expected one of ${names.join(', ')}, got ${show(v)}`;
const numbers: Check = (v) =>
  Array.isArray(v) && v.every(isNumberLike) ? null : `expected an array of numbers, got ${show(v)}`;
const fraction: Check = (v) =>
  v === null || (typeof v === 'number' && v >= 0 && v <= 1) ? null : `expected a fraction from 0 to 1, got ${show(v)}`;

function show(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 40 ? `${s.slice(0, 40)}...` : s;
}

/** The fields of an object and their checks; the first problem found, as `path: what`, or null. */
function fields(value: unknown, path: string, checks: Record<string, Check>): string | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return `${path}: expected an object, got ${show(value)}`;
  for (const [name, check] of Object.entries(checks)) {
    const problem = check((value as Record<string, unknown>)[name]);
    // a nested object's check names its own path
    if (problem !== null) return problem.startsWith(`${path}.`) ? problem : `${path}.${name}: ${problem}`;
  }
  return null;
}

const object =
  (path: string, checks: Record<string, Check>): Check =>
  (v) =>
    fields(v, path, checks);

/**
 * What is wrong with the result of a stored trial (a `TrialOutcome` as `nabla __trial` answers it), as
 * `result.run.status: expected one of ok, diverged, stopped, got "banana"`; null when nothing is.
 *
 * @example
 * ```ts
 * trialResultProblem({ run: { status: 'banana' } }); // 'result.run.label: expected a string, got undefined'
 * ```
 */
export function trialResultProblem(result: unknown): string | null {
  const summary = object('result.run.summary', {
    steps: count,
    finalLoss: numberLike,
    bestLoss: numberLike,
    finalAccuracy: orNull(fraction),
    bestAccuracy: orNull(fraction),
    stepsToTarget: orNull(count),
    timeToTargetMs: optional(orNull(nonNegative)),
    wallTimeMs: nonNegative,
    stepsPerSecond: (v) => (v === 'Infinity' ? null : nonNegative(v)),
    medianStepMs: optional(orNull(nonNegative)),
    stopReason: orNull(text),
  });
  const run = object('result.run', {
    label: text,
    optimizer: text,
    seed: optional(count),
    status: optional(oneOf(STATUSES)),
    divergedAt: optional(orNull(count)),
    steps: object('result.run.steps', { step: numbers, loss: numbers, smoothedLoss: numbers, lr: numbers }),
    epochs: object('result.run.epochs', { epoch: numbers, step: numbers, loss: numbers }),
    summary,
  });
  return fields(result, 'result', {
    run,
    metric: numberLike,
    metricName: oneOf(METRICS),
    task: object('result.task', {
      details: (v) =>
        Array.isArray(v) && v.every((d) => typeof d === 'string') ? null : `expected strings, got ${show(v)}`,
      totalSteps: count,
      stepsPerEpoch: orNull(count),
    }),
  });
}
