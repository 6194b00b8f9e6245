// The race itself, free of DOM and worker code so that it runs (and is tested) in Node as well: build one
// model or point per racer and seed (seed s is the same for every racer), step every optimizer's seeds in
// turn, stop a seed that diverges, and report what moved as the median and quartiles over the seeds.
import { bringToHost, noGrad, type Tensor, tensor } from '@nablajs/core';
import type { Sequential } from '@nablajs/nn';
import {
  cosineAnnealingLR,
  createOptimizer,
  exponentialLR,
  type HyperValue,
  type Optimizer,
  type Scheduler,
  stepLR,
} from '@nablajs/optim';
import { accuracyOf, isFunctionTask, problemFor } from './problems';
import {
  DIVERGENCE_FACTOR,
  MAX_SEEDS,
  type RacerReport,
  type RacerSpec,
  type RaceSetup,
  type ScheduleSpec,
  SPIRAL_BOX,
  type TaskName,
} from './protocol';

export { FUNCTION_TASKS, functionGrid, isFunctionTask, startPoint } from './problems';

/** One seed's run of a racer. */
interface Run {
  optimizer: Optimizer | null;
  scheduler: Scheduler | null;
  params: Tensor[];
  closure: () => Tensor;
  measure: () => { logits: Tensor; labels: Int32Array } | null;
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
          params: built.params,
          closure: built.closure,
          measure: built.measure,
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
    const racers = this.advance(maxSteps);
    for (const racer of racers) {
      this.stepSeeds(racer, null);
      if (this.measures(racer, maxSteps)) {
        const live = racer.runs.filter((r) => r.status === 'running');
        const measured = live.map((run) => run.measure());
        this.recordAccuracy(racer, live, measured);
      }
    }
    return racers.length > 0;
  }

  /**
   * {@link Race.stepAll} for a backend whose values are read asynchronously (webgpu): each racer's seeds take
   * their step (the losses stay where they were computed), then come back in one read per racer, so that an
   * update rule that throws once its values arrive is reported as that racer's error. Optimizers that need
   * the loss within their step (L-BFGS, SAM) step on the host after it, their parameters brought back in the
   * same read. The accuracies of every racer come back in one more read.
   */
  async stepAllAsync(maxSteps: number): Promise<boolean> {
    const racers = this.advance(maxSteps);
    const measuring: { racer: Racer; live: Run[]; measured: ({ logits: Tensor; labels: Int32Array } | null)[] }[] = [];
    for (const racer of racers) {
      const losses = new Map<Run, Tensor>();
      const onHost: Tensor[] = [];
      for (const run of racer.runs) {
        if (run.status !== 'running') continue;
        if (run.optimizer!.requiresClosure) {
          onHost.push(...run.params);
          continue;
        }
        try {
          const loss = run.closure();
          run.optimizer!.step();
          run.scheduler?.step();
          losses.set(run, loss);
        } catch (e) {
          this.fail(racer, run, e);
        }
      }
      // NOTE: a read stops at the first waiting step that throws; the next read runs the steps after it, so
      // read until one succeeds: every step that ran then is this racer's
      let error: unknown = null;
      for (let attempt = 0; attempt <= losses.size; attempt++)
        try {
          await bringToHost([...losses.values(), ...onHost]);
          break;
        } catch (e) {
          error ??= e;
        }
      if (error !== null) for (const run of losses.keys()) this.fail(racer, run, error);
      this.stepSeeds(racer, losses);
      if (this.measures(racer, maxSteps)) {
        const live = racer.runs.filter((r) => r.status === 'running');
        measuring.push({ racer, live, measured: live.map((run) => run.measure()) });
      }
    }
    await bringToHost(measuring.flatMap((m) => m.measured.flatMap((x) => (x === null ? [] : [x.logits]))));
    for (const m of measuring) this.recordAccuracy(m.racer, m.live, m.measured);
    return racers.length > 0;
  }

  /**
   * Record the step of each running seed of `racer`: its loss from `losses` (a step already taken, its loss
   * read back), or else a step with the closure now; then the step's paths and losses.
   */
  private stepSeeds(racer: Racer, losses: Map<Run, Tensor> | null): void {
    for (const run of racer.runs) {
      if (run.status !== 'running') continue;
      let loss = losses?.get(run)?.item();
      if (loss === undefined)
        try {
          loss = run.optimizer!.step(run.closure);
          run.scheduler?.step();
        } catch (e) {
          this.fail(racer, run, e);
          continue;
        }
      this.record(racer, run, loss ?? Number.NaN);
    }
    this.finishStep(racer);
  }

  /** The racers that take a step now (each one's step counted); those at `maxSteps` are done. */
  private advance(maxSteps: number): Racer[] {
    const out: Racer[] = [];
    for (const racer of this.racers) {
      if (!racer.runs.some((r) => r.status === 'running')) continue;
      if (racer.step >= maxSteps) {
        for (const run of racer.runs) if (run.status === 'running') run.status = 'done';
        continue;
      }
      racer.step++;
      out.push(racer);
    }
    return out;
  }

  /** The step's paths and losses, once every seed of `racer` took it. */
  private finishStep(racer: Racer): void {
    if (isFunctionTask(this.task))
      racer.runs.forEach((run, s) => {
        if (run.status === 'running') racer.pending.paths[s].push(...run.position());
      });
    const live = racer.runs.filter((r) => r.status === 'running');
    racer.pending.losses.push(...quartiles(live.map((r) => r.loss)));
  }

  /** Whether `racer`'s accuracy is measured at this step: every step on the spirals, every 10th on the digits. */
  private measures(racer: Racer, maxSteps: number): boolean {
    if (isFunctionTask(this.task)) return false;
    return this.task === 'spirals' || racer.step % 10 === 0 || racer.step === 1 || racer.step === maxSteps;
  }

  private recordAccuracy(racer: Racer, live: Run[], measured: ({ logits: Tensor; labels: Int32Array } | null)[]): void {
    live.forEach((run, i) => {
      const m = measured[i];
      run.accuracy = m === null ? null : accuracyOf(m.logits, m.labels);
    });
    racer.pending.accuracies.push(racer.step, ...quartiles(live.map((r) => r.accuracy ?? Number.NaN)));
  }

  private fail(racer: Racer, run: Run, e: unknown): void {
    run.status = 'error';
    run.error = `${racer.spec.label} threw at step ${racer.step}: ${describeError(e)}`;
  }

  /** A seed's loss after its step: its first, the latest, or the step where it diverged. */
  private record(racer: Racer, run: Run, value: number): void {
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
    const logits = this.boundaryLogits(id, size, seed);
    return logits === null ? null : probabilities(logits, size);
  }

  /** {@link Race.boundary} for a backend whose values are read asynchronously (webgpu). */
  async boundaryAsync(id: string, size: number, seed = this.mapSeed(id) ?? 0): Promise<Float32Array | null> {
    const logits = this.boundaryLogits(id, size, seed);
    if (logits === null) return null;
    await bringToHost([logits]);
    return probabilities(logits, size);
  }

  private boundaryLogits(id: string, size: number, seed: number): Tensor | null {
    const model = this.racers.find((r) => r.spec.id === id)?.runs[seed]?.model;
    if (!model || this.task !== 'spirals') return null;
    const xy = new Float32Array(size * size * 2);
    for (let row = 0; row < size; row++)
      for (let col = 0; col < size; col++) {
        const k = row * size + col;
        xy[2 * k] = -SPIRAL_BOX + (2 * SPIRAL_BOX * (col + 0.5)) / size;
        xy[2 * k + 1] = SPIRAL_BOX - (2 * SPIRAL_BOX * (row + 0.5)) / size;
      }
    return noGrad(() => model.forward(tensor(xy, { dtype: 'float32' }).reshape([size * size, 2])));
  }
}

/** `p(class 1)` from the two logits of each of `size²` grid points. */
function probabilities(logits: Tensor, size: number): Float32Array {
  const d = logits.values;
  const out = new Float32Array(size * size);
  for (let k = 0; k < size * size; k++) out[k] = 1 / (1 + Math.exp(d[2 * k] - d[2 * k + 1]));
  return out;
}
