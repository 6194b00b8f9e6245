// The race itself, free of DOM and worker code so that it runs (and is tested) in Node as well: build one
// model or point per racer and seed (seed s is the same for every racer), step every optimizer's seeds in
// turn, stop a seed that diverges, and report what moved as the median and quartiles over the seeds.
import { Generator, noGrad, randperm, type Tensor, tensor } from '@nablajs/core';
import { loadDigits, TEST_FUNCTIONS, type TestFunction, twoSpirals } from '@nablajs/data';
import { crossEntropy, Linear, ReLU, Sequential, Tanh } from '@nablajs/nn';
import {
  cosineAnnealingLR,
  createOptimizer,
  exponentialLR,
  type HyperValue,
  type Optimizer,
  type Scheduler,
  stepLR,
} from '@nablajs/optim';
import {
  DIVERGENCE_FACTOR,
  MAX_SEEDS,
  type RacerReport,
  type RacerSpec,
  type RaceSetup,
  type ScheduleSpec,
  SPIRAL_BOX,
  START_JITTER,
  type TaskName,
} from './protocol';

/** The 2-D test functions the playground offers, by task name. */
export const FUNCTION_TASKS: Record<string, TestFunction> = {
  rosenbrock: TEST_FUNCTIONS.rosenbrock,
  beale: TEST_FUNCTIONS.beale,
  himmelblau: TEST_FUNCTIONS.himmelblau,
  saddle: TEST_FUNCTIONS.saddle,
  illConditioned: TEST_FUNCTIONS.illConditioned,
};

/** Whether `task` is a 2-D function (a contour plot) rather than a model (curves). */
export function isFunctionTask(task: TaskName): boolean {
  return task in FUNCTION_TASKS;
}

interface Problem {
  /** Fresh parameters for seed `seed` (the same for every racer) and a closure computing the loss on them. */
  build(seed: number): {
    params: Tensor[];
    closure: () => Tensor;
    evaluate: () => number | null;
    position: () => number[];
    model?: Sequential;
  };
}

/** One seed's run of a racer. */
interface Run {
  optimizer: Optimizer | null;
  scheduler: Scheduler | null;
  closure: () => Tensor;
  evaluate: () => number | null;
  position: () => number[];
  model: Sequential | null;
  initialLoss: number;
  loss: number;
  accuracy: number | null;
  status: 'running' | 'done' | 'diverged' | 'error';
  /** The step at which the run diverged, and why. */
  divergedAt: number | null;
  reason: string | null;
  error: string | null;
}

interface Racer {
  spec: RacerSpec;
  runs: Run[];
  step: number;
  pending: { losses: number[]; accuracies: number[]; paths: number[][] };
}

/** The start of seed `seed` on `fn`: its start for seed 0, a point perturbed by `START_JITTER` of the plot's width otherwise. */
export function startPoint(fn: TestFunction, seed: number): [number, number] {
  if (seed === 0) return [fn.start[0], fn.start[1]];
  const g = new Generator(seed);
  const sx = START_JITTER * (fn.bounds.x[1] - fn.bounds.x[0]);
  const sy = START_JITTER * (fn.bounds.y[1] - fn.bounds.y[0]);
  return [fn.start[0] + sx * g.normal(), fn.start[1] + sy * g.normal()];
}

function functionProblem(fn: TestFunction): Problem {
  return {
    build(seed) {
      const p = tensor(startPoint(fn, seed), { dtype: 'float64', requiresGrad: true });
      return {
        params: [p],
        closure: () => {
          p.grad = null;
          const loss = fn.f(p);
          loss.backward();
          return loss;
        },
        evaluate: () => null,
        position: () => [p.data[0], p.data[1]],
      };
    },
  };
}

function accuracyOf(logits: Tensor, labels: Int32Array): number {
  const [n, classes] = logits.shape;
  const d = logits.data;
  let correct = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (d[i * classes + c] > d[i * classes + best]) best = c;
    if (best === labels[i]) correct++;
  }
  return correct / n;
}

function classifierProblem(
  makeModel: (generator: Generator) => Sequential,
  train: { x: Tensor; y: Tensor },
  heldOut: { x: Tensor; y: Tensor } | null,
): Problem {
  return {
    build(seed) {
      const model = makeModel(new Generator(seed));
      const params = model.parameters();
      let lastLogits = null as Tensor | null;
      return {
        params,
        closure: () => {
          for (const p of params) p.grad = null;
          lastLogits = model.forward(train.x);
          const loss = crossEntropy(lastLogits, train.y);
          loss.backward();
          return loss;
        },
        evaluate: () => {
          if (heldOut === null) return lastLogits ? accuracyOf(lastLogits, train.y.data as Int32Array) : null;
          return noGrad(() => accuracyOf(model.forward(heldOut.x), heldOut.y.data as Int32Array));
        },
        position: () => [],
        model,
      };
    },
  };
}

/** The model of the spirals task: a 2-32-32-2 tanh MLP. */
function spiralModel(generator: Generator) {
  return new Sequential(
    new Linear(2, 32, { generator }),
    new Tanh(),
    new Linear(32, 32, { generator }),
    new Tanh(),
    new Linear(32, 2, { generator }),
  );
}

/** The model of the digits task: a 64-32-10 ReLU MLP. */
function digitsModel(generator: Generator) {
  return new Sequential(new Linear(64, 32, { generator }), new ReLU(), new Linear(32, 10, { generator }));
}

function problemFor(setup: RaceSetup): { problem: Problem; spirals: { x: Tensor; y: Tensor } | null } {
  const seed = setup.seed ?? 0;
  if (isFunctionTask(setup.task)) return { problem: functionProblem(FUNCTION_TASKS[setup.task]), spirals: null };
  if (setup.task === 'spirals') {
    const data = twoSpirals({ n: 300, noise: 0.02, turns: 1.25, generator: new Generator(seed) });
    return { problem: classifierProblem(spiralModel, data, null), spirals: data };
  }
  if (setup.task === 'digits') {
    const { images, labels } = loadDigits();
    const order = randperm(images.shape[0], { generator: new Generator(seed) });
    const trainIdx = order.slice([[0, 1400]]);
    const testIdx = order.slice([[1400, images.shape[0]]]);
    const train = { x: images.indexSelect(0, trainIdx), y: labels.indexSelect(0, trainIdx) };
    const test = { x: images.indexSelect(0, testIdx), y: labels.indexSelect(0, testIdx) };
    return { problem: classifierProblem(digitsModel, train, test), spirals: null };
  }
  throw new Error(`unknown task ${JSON.stringify(setup.task)}`);
}

function makeScheduler(optimizer: Optimizer, schedule: ScheduleSpec): Scheduler | null {
  switch (schedule.kind) {
    case 'none':
      return null;
    case 'stepLR':
      return stepLR(optimizer, { stepSize: schedule.stepSize ?? 100, gamma: schedule.gamma ?? 0.1 });
    case 'exponentialLR':
      return exponentialLR(optimizer, { gamma: schedule.gamma ?? 0.99 });
    case 'cosineAnnealingLR':
      return cosineAnnealingLR(optimizer, { tMax: schedule.tMax ?? 500 });
  }
}

/** A loss in a message: 4 significant digits. */
function fmtLoss(v: number): string {
  return Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(3) : String(Number(v.toPrecision(4)));
}

function describeError(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return String(e);
}

/**
 * The median and the quartiles `[median, q1, q3]` of `values` (NaN ignored; linear interpolation between
 * order statistics, as NumPy's default); NaN for all three when no value is left.
 */
export function quartiles(values: readonly number[]): [number, number, number] {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return [Number.NaN, Number.NaN, Number.NaN];
  const at = (p: number) => {
    const h = (sorted.length - 1) * p;
    const i = Math.floor(h);
    const f = h - i;
    if (f === 0 || sorted[i] === sorted[i + 1]) return sorted[i];
    return sorted[i] + (sorted[i + 1] - sorted[i]) * f;
  };
  return [at(0.5), at(0.25), at(0.75)];
}

/** Whether a run's `loss` (and point) at a step means that it diverged, given its initial loss. */
export function isDivergent(loss: number, initialLoss: number, position: readonly number[] = []): boolean {
  if (!Number.isFinite(loss) || position.some((v) => !Number.isFinite(v))) return true;
  return Number.isFinite(initialLoss) && loss > DIVERGENCE_FACTOR * Math.abs(initialLoss);
}

/**
 * A race of several optimizers on one task, each run on `seeds` seeds in lockstep: every racer's seeds take
 * their step in turn, and what moved is reported per racer as the median and quartiles over its seeds.
 */
export class Race {
  readonly task: TaskName;
  readonly seeds: number;
  readonly racers: Racer[] = [];
  private readonly spirals: { x: Tensor; y: Tensor } | null;

  constructor(setup: RaceSetup) {
    this.task = setup.task;
    this.seeds = Math.max(1, Math.min(MAX_SEEDS, Math.floor(setup.seeds ?? 1)));
    const { problem, spirals } = problemFor(setup);
    this.spirals = spirals;
    for (const spec of setup.racers) {
      const runs: Run[] = [];
      for (let seed = 0; seed < this.seeds; seed++) {
        const built = problem.build(seed);
        const run: Run = {
          optimizer: null,
          scheduler: null,
          closure: built.closure,
          evaluate: built.evaluate,
          position: built.position,
          model: built.model ?? null,
          initialLoss: Number.NaN,
          loss: Number.NaN,
          accuracy: null,
          status: 'running',
          divergedAt: null,
          reason: null,
          error: null,
        };
        try {
          run.optimizer = createOptimizer(spec.optimizer, built.params, spec.options as Record<string, HyperValue>);
          run.scheduler = makeScheduler(run.optimizer, spec.schedule);
        } catch (e) {
          run.status = 'error';
          run.error = `${spec.label}: could not be created: ${describeError(e)}`;
        }
        runs.push(run);
      }
      const paths = runs.map((r) => r.position());
      this.racers.push({ spec, runs, step: 0, pending: { losses: [], accuracies: [], paths } });
    }
  }

  /** Take one step with every racer still running (every seed of it that is still running), up to `maxSteps` steps each. */
  stepAll(maxSteps: number): boolean {
    let any = false;
    for (const racer of this.racers) {
      if (!racer.runs.some((r) => r.status === 'running')) continue;
      if (racer.step >= maxSteps) {
        for (const run of racer.runs) if (run.status === 'running') run.status = 'done';
        continue;
      }
      racer.step++;
      for (let s = 0; s < racer.runs.length; s++) {
        const run = racer.runs[s];
        if (run.status !== 'running') continue;
        this.stepOne(racer, run);
        if (isFunctionTask(this.task) && run.status === 'running') racer.pending.paths[s].push(...run.position());
      }
      const live = racer.runs.filter((r) => r.status === 'running');
      racer.pending.losses.push(...quartiles(live.map((r) => r.loss)));
      const measure = this.task === 'spirals' || racer.step % 10 === 0 || racer.step === 1 || racer.step === maxSteps;
      if (!isFunctionTask(this.task) && measure) {
        for (const run of live) run.accuracy = run.evaluate();
        racer.pending.accuracies.push(racer.step, ...quartiles(live.map((r) => r.accuracy ?? Number.NaN)));
      }
      any = true;
    }
    return any;
  }

  private stepOne(racer: Racer, run: Run): void {
    let loss: number | undefined;
    try {
      loss = run.optimizer!.step(run.closure);
      run.scheduler?.step();
    } catch (e) {
      run.status = 'error';
      run.error = `${racer.spec.label} threw at step ${racer.step}: ${describeError(e)}`;
      return;
    }
    const value = loss ?? Number.NaN;
    if (racer.step === 1) run.initialLoss = value;
    if (isDivergent(value, run.initialLoss, run.position())) {
      run.status = 'diverged';
      run.divergedAt = racer.step;
      const moved = run.position();
      run.reason = !Number.isFinite(value)
        ? `loss ${value}`
        : moved.some((v) => !Number.isFinite(v))
          ? `point (${moved.join(', ')})`
          : `loss ${fmtLoss(value)} > ${DIVERGENCE_FACTOR} × |initial loss ${fmtLoss(run.initialLoss)}|`;
      run.error = `${racer.spec.label} diverged at step ${racer.step}: ${run.reason}`;
      return;
    }
    run.loss = value;
  }

  /** Whether every racer has stopped (done, diverged or failed). */
  get finished(): boolean {
    return this.racers.every((r) => r.runs.every((run) => run.status !== 'running'));
  }

  /** The racer's status over its seeds: running while one runs; then error, diverged or done. */
  private statusOf(racer: Racer): RacerReport['status'] {
    const runs = racer.runs;
    if (runs.some((r) => r.status === 'running')) return 'running';
    if (runs.some((r) => r.status === 'error')) return 'error';
    if (runs.some((r) => r.status === 'diverged')) return 'diverged';
    return 'done';
  }

  private messageOf(racer: Racer): string | null {
    const failed = racer.runs.find((r) => r.status === 'error');
    if (failed) return failed.error;
    const diverged = racer.runs.filter((r) => r.status === 'diverged');
    if (diverged.length === 0) return null;
    if (racer.runs.length === 1) return diverged[0].error;
    const first = diverged.reduce((a, b) => (b.divergedAt! < a.divergedAt! ? b : a));
    return `${racer.spec.label} diverged on ${diverged.length}/${racer.runs.length} seeds (first at step ${first.divergedAt}: ${first.reason})`;
  }

  /** What changed since the last report, per racer; clears the pending buffers. */
  report(): RacerReport[] {
    return this.racers.map((r) => {
      const left = r.runs.filter((run) => run.status === 'running' || run.status === 'done');
      const [loss, q1, q3] = quartiles(left.map((run) => run.loss));
      const accuracies = left.map((run) => run.accuracy).filter((a): a is number => a !== null);
      const first = r.runs[0];
      const out: RacerReport = {
        id: r.spec.id,
        step: r.step,
        seeds: r.runs.length,
        loss,
        lossIqr: [q1, q3],
        initialLoss: quartiles(r.runs.map((run) => run.initialLoss))[0],
        accuracy: accuracies.length > 0 ? quartiles(accuracies)[0] : null,
        lr: first.optimizer ? first.optimizer.paramGroups[0].lr : Number.NaN,
        position: first.position(),
        status: this.statusOf(r),
        error: this.messageOf(r),
        diverged: r.runs.filter((run) => run.status === 'diverged').length,
        divergedAt: r.runs.map((run) => run.divergedAt),
        losses: r.pending.losses,
        accuracies: r.pending.accuracies,
        paths: r.pending.paths,
      };
      r.pending = { losses: [], accuracies: [], paths: r.runs.map(() => []) };
      return out;
    });
  }

  /** The spirals' points and labels, flattened, for the decision-boundary plots. */
  spiralPoints(): { points: number[]; labels: number[] } | null {
    if (this.spirals === null) return null;
    return { points: Array.from(this.spirals.x.data), labels: Array.from(this.spirals.y.data) };
  }

  /**
   * The seed (0-based) whose model racer `id`'s decision map shows: among its seeds that did not diverge or
   * fail, the one with the median current loss (the lower middle one of an even count; the lower seed on a
   * tie), as `nabla compare` picks the run with the median final loss. Seed 0 when every seed stopped;
   * null for an unknown racer.
   */
  mapSeed(id: string): number | null {
    const racer = this.racers.find((r) => r.spec.id === id);
    if (!racer) return null;
    const alive = racer.runs
      .map((run, seed) => ({ seed, loss: run.loss, status: run.status }))
      .filter((r) => (r.status === 'running' || r.status === 'done') && !Number.isNaN(r.loss))
      .sort((a, b) => a.loss - b.loss || a.seed - b.seed);
    return alive.length === 0 ? 0 : alive[(alive.length - 1) >> 1].seed;
  }

  /**
   * `p(class 1)` of racer `id`'s model on a `size x size` grid over `[-SPIRAL_BOX, SPIRAL_BOX]²`, row 0 at the
   * top: the model of seed `seed`, by default of {@link Race.mapSeed}'s.
   */
  boundary(id: string, size: number, seed = this.mapSeed(id) ?? 0): Float32Array | null {
    const model = this.racers.find((r) => r.spec.id === id)?.runs[seed]?.model;
    if (!model || this.task !== 'spirals') return null;
    const xy = new Float32Array(size * size * 2);
    for (let row = 0; row < size; row++)
      for (let col = 0; col < size; col++) {
        const k = row * size + col;
        xy[2 * k] = -SPIRAL_BOX + (2 * SPIRAL_BOX * (col + 0.5)) / size;
        xy[2 * k + 1] = SPIRAL_BOX - (2 * SPIRAL_BOX * (row + 0.5)) / size;
      }
    return noGrad(() => {
      const logits = model.forward(tensor(xy, { dtype: 'float32' }).reshape([size * size, 2])).data;
      const out = new Float32Array(size * size);
      for (let k = 0; k < size * size; k++) out[k] = 1 / (1 + Math.exp(logits[2 * k] - logits[2 * k + 1]));
      return out;
    });
  }
}

/** The values of 2-D function `task` on a `size x size` grid over its bounds, row 0 at the top (largest y). */
export function functionGrid(task: TaskName, size: number): Float64Array {
  const fn = FUNCTION_TASKS[task];
  const [x0, x1] = fn.bounds.x;
  const [y0, y1] = fn.bounds.y;
  const xy = new Float64Array(size * size * 2);
  for (let row = 0; row < size; row++)
    for (let col = 0; col < size; col++) {
      const k = row * size + col;
      xy[2 * k] = x0 + ((x1 - x0) * (col + 0.5)) / size;
      xy[2 * k + 1] = y1 - ((y1 - y0) * (row + 0.5)) / size;
    }
  return noGrad(() => Float64Array.from(fn.f(tensor(xy, { dtype: 'float64' }).reshape([size * size, 2])).data));
}
