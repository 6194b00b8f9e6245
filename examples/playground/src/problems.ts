// The playground's tasks, free of DOM and worker code: the 2-D test functions and the two classifiers, each
// a problem that builds fresh parameters for a seed with a closure computing the loss on them.
import { Generator, noGrad, randperm, type Tensor, tensor } from '@nablajs/core';
import { loadDigits, TEST_FUNCTIONS, type TestFunction, twoSpirals } from '@nablajs/data';
import { crossEntropy, Linear, ReLU, Sequential, Tanh } from '@nablajs/nn';
import { type RaceSetup, START_JITTER, type TaskName } from './protocol';

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

export interface Problem {
  /** Fresh parameters for seed `seed` (the same for every racer) and a closure computing the loss on them. */
  build(seed: number): {
    params: Tensor[];
    closure: () => Tensor;
    /** The logits and labels the accuracy is measured on (held-out or training), or null (2-D functions). */
    measure: () => { logits: Tensor; labels: Int32Array } | null;
    position: () => number[];
    model?: Sequential;
  };
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
        measure: () => null,
        position: () => [p.data[0], p.data[1]],
      };
    },
  };
}

export function accuracyOf(logits: Tensor, labels: Int32Array): number {
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
        measure: () => {
          if (heldOut === null) return lastLogits ? { logits: lastLogits, labels: train.y.data as Int32Array } : null;
          return { logits: noGrad(() => model.forward(heldOut.x)), labels: heldOut.y.data as Int32Array };
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

export function problemFor(setup: RaceSetup): { problem: Problem; spirals: { x: Tensor; y: Tensor } | null } {
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
