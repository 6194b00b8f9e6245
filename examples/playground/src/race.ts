// The race itself, free of DOM and worker code so that it runs (and is tested) in Node as well: build one
// model or point per racer from the same seed, step every optimizer in turn, and report what moved.
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
  type RacerReport,
  type RacerSpec,
  type RaceSetup,
  type ScheduleSpec,
  SPIRAL_BOX,
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
  /** Fresh parameters (the same for every racer) and a closure computing the loss on them. */
  build(): { params: Tensor[]; closure: () => Tensor; evaluate: () => number | null; position: () => number[] };
}

interface Racer {
  spec: RacerSpec;
  optimizer: Optimizer | null;
  scheduler: Scheduler | null;
  closure: () => Tensor;
  evaluate: () => number | null;
  position: () => number[];
  params: Tensor[];
  step: number;
  initialLoss: number;
  loss: number;
  accuracy: number | null;
  status: RacerReport['status'];
  error: string | null;
  pending: { losses: number[]; accuracies: number[]; path: number[] };
}

function functionProblem(fn: TestFunction): Problem {
  return {
    build() {
      const p = tensor([fn.start[0], fn.start[1]], { dtype: 'float64', requiresGrad: true });
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
  seed: number,
): Problem {
  return {
    build() {
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
    return { problem: classifierProblem(spiralModel, data, null, seed), spirals: data };
  }
  if (setup.task === 'digits') {
    const { images, labels } = loadDigits();
    const order = randperm(images.shape[0], { generator: new Generator(seed) });
    const trainIdx = order.slice([[0, 1400]]);
    const testIdx = order.slice([[1400, images.shape[0]]]);
    const train = { x: images.indexSelect(0, trainIdx), y: labels.indexSelect(0, trainIdx) };
    const test = { x: images.indexSelect(0, testIdx), y: labels.indexSelect(0, testIdx) };
    return { problem: classifierProblem(digitsModel, train, test, seed), spirals: null };
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

function describeError(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return String(e);
}

/** A race of several optimizers on one task, from the same start. */
export class Race {
  readonly task: TaskName;
  readonly racers: Racer[] = [];
  private readonly spirals: { x: Tensor; y: Tensor } | null;
  private readonly models = new Map<string, Sequential>();

  constructor(setup: RaceSetup) {
    this.task = setup.task;
    const { problem, spirals } = problemFor(setup);
    this.spirals = spirals;
    for (const spec of setup.racers) {
      const built = problem.build() as ReturnType<Problem['build']> & { model?: Sequential };
      if (built.model) this.models.set(spec.id, built.model);
      const racer: Racer = {
        spec,
        optimizer: null,
        scheduler: null,
        closure: built.closure,
        evaluate: built.evaluate,
        position: built.position,
        params: built.params,
        step: 0,
        initialLoss: Number.NaN,
        loss: Number.NaN,
        accuracy: null,
        status: 'running',
        error: null,
        pending: { losses: [], accuracies: [], path: built.position() },
      };
      try {
        racer.optimizer = createOptimizer(spec.optimizer, built.params, spec.options as Record<string, HyperValue>);
        racer.scheduler = makeScheduler(racer.optimizer, spec.schedule);
      } catch (e) {
        racer.status = 'error';
        racer.error = `${spec.label}: could not be created: ${describeError(e)}`;
      }
      this.racers.push(racer);
    }
  }

  /** Take one step with every racer still running, up to `maxSteps` steps each. */
  stepAll(maxSteps: number): boolean {
    let any = false;
    for (const racer of this.racers) {
      if (racer.status !== 'running') continue;
      if (racer.step >= maxSteps) {
        racer.status = 'done';
        continue;
      }
      this.stepOne(racer);
      any = true;
    }
    return any;
  }

  private stepOne(racer: Racer): void {
    const optimizer = racer.optimizer!;
    let loss: number | undefined;
    try {
      loss = optimizer.step(racer.closure);
      racer.scheduler?.step();
    } catch (e) {
      racer.status = 'error';
      racer.error = `${racer.spec.label} threw at step ${racer.step + 1}: ${describeError(e)}`;
      return;
    }
    racer.step++;
    const value = loss ?? Number.NaN;
    if (racer.step === 1) racer.initialLoss = value;
    racer.loss = value;
    racer.pending.losses.push(value);
    if (isFunctionTask(this.task)) racer.pending.path.push(...racer.position());
    else if (this.task === 'spirals' || racer.step % 10 === 0 || racer.step === 1) {
      racer.accuracy = racer.evaluate();
      racer.pending.accuracies.push(racer.step, racer.accuracy ?? Number.NaN);
    }
    const moved = racer.position();
    if (!Number.isFinite(value) || moved.some((v) => !Number.isFinite(v))) {
      racer.status = 'diverged';
      racer.error = `${racer.spec.label} diverged at step ${racer.step} (loss ${value})`;
    }
  }

  /** Whether every racer has stopped (done, diverged or failed). */
  get finished(): boolean {
    return this.racers.every((r) => r.status !== 'running');
  }

  /** What changed since the last report, per racer; clears the pending buffers. */
  report(): RacerReport[] {
    return this.racers.map((r) => {
      const out: RacerReport = {
        id: r.spec.id,
        step: r.step,
        loss: r.loss,
        initialLoss: r.initialLoss,
        accuracy: r.accuracy,
        lr: r.optimizer ? r.optimizer.paramGroups[0].lr : Number.NaN,
        position: r.position(),
        status: r.status,
        error: r.error,
        losses: r.pending.losses,
        accuracies: r.pending.accuracies,
        path: r.pending.path,
      };
      r.pending = { losses: [], accuracies: [], path: [] };
      return out;
    });
  }

  /** The spirals' points and labels, flattened, for the decision-boundary plots. */
  spiralPoints(): { points: number[]; labels: number[] } | null {
    if (this.spirals === null) return null;
    return { points: Array.from(this.spirals.x.data), labels: Array.from(this.spirals.y.data) };
  }

  /** `p(class 1)` of racer `id`'s model on a `size x size` grid over `[-SPIRAL_BOX, SPIRAL_BOX]²`, row 0 at the top. */
  boundary(id: string, size: number): Float32Array | null {
    const model = this.models.get(id);
    if (model === undefined || this.task !== 'spirals') return null;
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
