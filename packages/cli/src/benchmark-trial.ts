// One trial of `nabla benchmark`, run where the pool puts it: in this process (`--jobs 1`) or in a worker
// process (`nabla __trial`, which reads trial definitions as JSON lines on stdin and prints each result as
// one line). Either way the result goes through the same JSON text, so that it is the same to the bit.
import { createInterface } from 'node:readline';
import { getBackend, setBackend } from '@nablajs/core';
import { useBackend } from './backend';
import type { CliIO } from './compare';
import { functionTaskRunner } from './function-runner';
import { resolveOptimizers } from './optimizer-spec';
import { loadUserPlugin, registerBuiltinPlugins } from './plugins';
import type { RunResult } from './results';
import { isPlanarClassifier, modelRunLength, modelTaskRunner } from './runner';
import { parseSchedule } from './schedule';
import { type LabelledPoints, labelledPointsOf } from './svg-decision';
import { silentEvents, type TaskRunner } from './task-runner';
import { getTask } from './tasks';
import { type TrialDefinition, trialTaskKey } from './trial-definition';
import { type TuneMetric, trialMetric } from './tune';

/**
 * What a trial gives back: its run, its selection metric, and what the report says about its task.
 *
 * @example
 * ```ts
 * const outcome: TrialOutcome = await runTrial(definition); // outcome.metric: the final validation loss
 * ```
 */
export interface TrialOutcome {
  /** The run (a tuning trial keeps its summary and epochs, not its step-by-step series). */
  run: RunResult;
  /** The selection metric (lower is better; see {@link trialMetric}): NaN when the run diverged or has no finite value. */
  metric: number;
  /** What the metric is. */
  metricName: TuneMetric;
  /**
   * The task as the run saw it: its details, its steps, steps per epoch (model tasks), and for a 2-D
   * classification task its training points (drawn over the decision regions).
   */
  task: { details: string[]; totalSteps: number; stepsPerEpoch: number | null; points?: LabelledPoints };
}

/**
 * The prefix of a result line of `nabla __trial` (other output of a plugin on stdout is passed over).
 *
 * @example
 * ```ts
 * if (line.startsWith(TRIAL_LINE)) answer = JSON.parse(line.slice(TRIAL_LINE.length));
 * ```
 */
export const TRIAL_LINE = '@nabla-trial ';

/** A task's runner for one length and data seed, kept for the trials that follow in this process. */
interface LoadedTask {
  runner: TaskRunner;
  info: TrialOutcome['task'];
  metricName: TuneMetric;
}

const loaded = new Map<string, LoadedTask>();
const warmedUp = new Set<string>();
const NO_SCHEDULE = parseSchedule('none');

function loadTask(def: TrialDefinition): LoadedTask {
  const id = `${trialTaskKey(def)}\u0000${def.targetLoss}\u0000${def.divergeFactor}`;
  const cached = loaded.get(id);
  if (cached !== undefined) return cached;
  const task = getTask(def.task);
  let entry: LoadedTask;
  if (task.kind === 'function') {
    const steps = def.steps ?? task.defaults.steps ?? 100;
    entry = {
      runner: functionTaskRunner(task, {
        steps,
        schedule: NO_SCHEDULE,
        targetLoss: def.targetLoss,
        divergeFactor: def.divergeFactor,
      }),
      info: {
        details: [`f(x, y) = ${task.fn.formula}`, `start (${task.fn.start.join(', ')})`],
        totalSteps: steps,
        stepsPerEpoch: null,
      },
      metricName: 'final f',
    };
  } else {
    const data = task.load({ seed: def.dataSeed, dataDir: null, limit: def.limit });
    const options = {
      epochs: def.epochs,
      steps: def.steps,
      batchSize: def.batchSize ?? 32,
      seed: def.dataSeed,
      schedule: NO_SCHEDULE,
      targetLoss: def.targetLoss,
      divergeFactor: def.divergeFactor,
      capture: def.capture === true,
    };
    const length = modelRunLength(data.train.x.shape[0], options);
    entry = {
      runner: modelTaskRunner(data, options),
      info: {
        details: data.details,
        totalSteps: length.totalSteps,
        stepsPerEpoch: length.stepsPerEpoch,
        ...(isPlanarClassifier(data) ? { points: labelledPointsOf(data.train.x, data.train.y) } : {}),
      },
      metricName: data.validation !== null ? 'final validation loss' : 'final train loss',
    };
  }
  loaded.set(id, entry);
  return entry;
}

/**
 * Run one trial in this process: load its task (once per process), warm up (a full warm-up the first
 * time this process runs the task, a short one the first time it runs the optimizer on it, so that no
 * timed run pays for the JIT), then make the timed run.
 *
 * @example
 * ```ts
 * const outcome = await runTrial(trialDefinition(plan, plan.tasks[0], plan.optimizers[0], null, 0, 'report'));
 * outcome.run.summary.finalLoss;
 * ```
 */
export async function runTrial(def: TrialDefinition): Promise<TrialOutcome> {
  const previous = getBackend();
  await useBackend(def.backend);
  try {
    return await runLoaded(def);
  } finally {
    setBackend(previous);
  }
}

async function runLoaded(def: TrialDefinition): Promise<TrialOutcome> {
  const task = loadTask(def);
  const [spec] = resolveOptimizers([
    { label: def.optimizer.name, name: def.optimizer.name, options: def.optimizer.options, text: def.optimizer.name },
  ]);
  const taskId = trialTaskKey(def);
  const optimizerId = `${taskId}\u0000${def.optimizer.name}\u0000${def.optimizer.plugin ?? ''}`;
  if (!warmedUp.has(optimizerId)) {
    await task.runner.warmUp(spec, warmedUp.has(taskId) ? 'short' : 'full', 1);
    warmedUp.add(taskId);
    warmedUp.add(optimizerId);
  }
  const run = await task.runner.run(spec, { index: 0, seed: def.seed }, silentEvents);
  const metric = trialMetric(run, task.metricName);
  if (def.stage === 'tune') {
    // A tuning trial is read for its metric and epochs only: the step series and the decision grid stay out.
    run.steps = { step: [], loss: [], smoothedLoss: [], lr: [] };
    delete run.decisionGrid;
  }
  return { run, metric, metricName: task.metricName, task: task.info };
}

/** JSON has no NaN or infinities: a trial's numbers are written as the strings `NaN`, `Infinity`, `-Infinity`. */
function encodeNumber(_key: string, value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return value;
}

/**
 * A trial's result as JSON text, with NaN and the infinities as strings (see {@link reviveNumbers}).
 *
 * @example
 * ```ts
 * encodeTrialJson({ loss: Number.NaN }); // '{"loss":"NaN"}'
 * ```
 */
export function encodeTrialJson(value: unknown): string {
  return JSON.stringify(value, encodeNumber);
}

/**
 * The inverse of {@link encodeTrialJson} on parsed JSON: the strings `NaN`, `Infinity` and `-Infinity`
 * become numbers again, everywhere in `value`.
 *
 * @example
 * ```ts
 * reviveNumbers(JSON.parse('{"loss":"NaN","x":["Infinity",1]}')); // { loss: NaN, x: [Infinity, 1] }
 * ```
 */
export function reviveNumbers<T = unknown>(value: unknown): T {
  if (value === 'NaN') return Number.NaN as T;
  if (value === 'Infinity') return Number.POSITIVE_INFINITY as T;
  if (value === '-Infinity') return Number.NEGATIVE_INFINITY as T;
  if (Array.isArray(value)) return value.map((v) => reviveNumbers(v)) as T;
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, reviveNumbers(v)])) as T;
  return value as T;
}

/**
 * A request to a trial worker: a trial, the plugin files it needs, and an id to answer with.
 *
 * @example
 * ```ts
 * child.stdin.write(`${JSON.stringify({ id: 0, definition, plugins: [] } satisfies TrialRequest)}\n`);
 * ```
 */
export interface TrialRequest {
  /** Echoed in the answer. */
  id: number;
  /** The trial. */
  definition: TrialDefinition;
  /** User plugin files (absolute paths) to load before it, once per process. */
  plugins: string[];
}

const loadedPlugins = new Set<string>();

/**
 * Run one request in this process and return its answer line's JSON (without {@link TRIAL_LINE}):
 * `{"id":N,"result":...}` or `{"id":N,"error":"..."}`.
 *
 * @example
 * ```ts
 * const line = await answerTrial({ id: 0, definition, plugins: [] }, process.cwd());
 * ```
 */
export async function answerTrial(request: TrialRequest, cwd: string): Promise<string> {
  try {
    registerBuiltinPlugins();
    for (const file of request.plugins)
      if (!loadedPlugins.has(file)) {
        await loadUserPlugin(file, cwd);
        loadedPlugins.add(file);
      }
    const outcome = await runTrial(request.definition);
    return `{"id":${request.id},"result":${encodeTrialJson(outcome)}}`;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return JSON.stringify({
      id: request.id,
      error: `${request.definition.task}, ${request.definition.optimizer.name}, seed ${request.definition.seed}: ${message}`,
    });
  }
}

/**
 * `nabla __trial`, the worker of the trial pool: read requests ({@link TrialRequest}, one JSON line each)
 * from `input` until it ends, run them one after another, and write each answer as one line starting
 * with {@link TRIAL_LINE} to stdout. Returns the exit code (0; 2 on a line that is not a request).
 *
 * @example
 * ```sh
 * echo '{"id":0,"definition":{...},"plugins":[]}' | nabla __trial
 * ```
 */
export async function trialWorker(input: NodeJS.ReadableStream, io: CliIO): Promise<number> {
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    let request: TrialRequest;
    try {
      request = JSON.parse(line) as TrialRequest;
      if (typeof request.id !== 'number' || request.definition === null || typeof request.definition !== 'object')
        throw new Error('expected {"id", "definition", "plugins"}');
    } catch (error) {
      io.stderr.write(`nabla __trial: not a trial request: ${(error as Error).message}\n`);
      return 2;
    }
    io.stdout.write(`${TRIAL_LINE}${await answerTrial({ ...request, plugins: request.plugins ?? [] }, io.cwd)}\n`);
  }
  return 0;
}
